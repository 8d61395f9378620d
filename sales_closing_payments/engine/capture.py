"""Capture at delivery: what to capture, void or refund on an order's authorizations.

Plain Python over Decimal amounts. The model side gives, per order, the goods lines
(value incl. taxes, ordered and delivered quantities) and the authorized transactions
(amount, already captured, still open); :func:`capture_plan` answers with the
operations to send. It works on cumulative figures (target captured so far versus
captured so far), so running it twice, or after a retry, plans nothing new.
"""

from decimal import Decimal

from .common import round_to, to_decimal

CAPTURE = "capture"
VOID = "void"
REFUND = "refund"


def delivered_ratio(lines):
    """Return the delivered share (0..1) of the goods value of an order.

    ``lines`` is an iterable of ``(value, ordered_qty, delivered_qty)`` where value is
    the line total incl. taxes; each line counts pro rata of its delivered quantity
    (capped at the ordered one). Lines of zero quantity or value are ignored; an order
    without goods value returns 0.
    """
    total = Decimal(0)
    delivered = Decimal(0)
    for value, ordered, done in lines:
        value = to_decimal(value)
        ordered = to_decimal(ordered)
        done = to_decimal(done)
        if ordered <= 0 or value == 0:
            continue
        total += value
        delivered += value * min(max(done, Decimal(0)), ordered) / ordered
    if total <= 0:
        return Decimal(0)
    return min(delivered / total, Decimal(1))


def capture_plan(
    transactions,
    ratio,
    nothing_left,
    partial_capture,
    partial_refund=False,
    rounding="0.01",
):
    """Return the list of ``(operation, tx_key, amount)`` to send for an order.

    ``transactions`` is a list of ``(tx_key, captured, open_amount)``: ``captured`` is
    what was already captured on the authorization, ``open_amount`` what is still
    authorized (0 for closed ones, which only count in the captured figure). The
    target captured amount is ``ratio`` of (captured + open), rounded to ``rounding``.

    - Partial capture: capture the difference between the target and what was
      captured, spread over the open authorizations in their order; when nothing is
      left to deliver, void what stays open.
    - Full capture only: nothing before the last delivery; then each open
      authorization the target reaches is captured whole (and the part not delivered
      refunded when ``partial_refund``), the others are voided.
    """
    ratio = to_decimal(ratio)
    if not Decimal(0) <= ratio <= Decimal(1):
        raise ValueError("The delivered ratio must be between 0 and 1.")
    rows = [
        (key, to_decimal(captured), to_decimal(open_))
        for key, captured, open_ in transactions
    ]
    if any(captured < 0 or open_ < 0 for _key, captured, open_ in rows):
        raise ValueError("Captured and open amounts cannot be negative.")
    captured_total = sum((row[1] for row in rows), Decimal(0))
    basis = captured_total + sum((row[2] for row in rows), Decimal(0))
    target = round_to(basis * ratio, rounding)
    to_capture = max(target - captured_total, Decimal(0))
    plan = []
    if partial_capture:
        for key, _captured, open_ in rows:
            if open_ <= 0:
                continue
            part = min(open_, to_capture)
            to_capture -= part
            if part > 0:
                plan.append((CAPTURE, key, part))
            if nothing_left and open_ - part > 0:
                plan.append((VOID, key, open_ - part))
        return plan
    if not nothing_left:
        return plan
    for key, _captured, open_ in rows:
        if open_ <= 0:
            continue
        part = min(open_, to_capture)
        to_capture -= part
        if part <= 0:
            plan.append((VOID, key, open_))
            continue
        plan.append((CAPTURE, key, open_))
        if part < open_ and partial_refund:
            plan.append((REFUND, key, open_ - part))
    return plan


def allocate(amount, available):
    """Spread ``amount`` over ``available`` = [(key, room)] in order.

    Returns [(key, part)] with positive parts only; what cannot be placed is dropped
    (the caller caps the amount beforehand when it must be placed whole).
    """
    left = to_decimal(amount)
    result = []
    for key, room in available:
        room = to_decimal(room)
        if left <= 0:
            break
        part = min(room, left)
        if part > 0:
            result.append((key, part))
            left -= part
    return result
