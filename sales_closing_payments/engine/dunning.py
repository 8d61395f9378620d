"""Dunning (payment reminder) planning, free of any Odoo dependency.

A dunning *level* is a dict::

    {"sequence": 2, "days": 7, "block_orders": False, "send_email": True, ...}

``days`` counts from the date the optional ``mode`` names (:data:`MODES`):

* ``"due"`` (default): the invoice due date (negative = a courtesy reminder before
  the due date);
* ``"end_of_month"``: the last day of the due date's month;
* ``"previous"``: the day the level just below was sent for that invoice; the level
  is not reached as long as that level was not sent (never the first level).

Any other keys (channel flags such as ``send_email``, ``send_letter``,
``send_sms``, a name...) are carried along untouched. Levels are identified by their
``sequence``; ``last_level_sent`` on an invoice is that sequence (None/0/False when
nothing was sent yet) and ``sent_dates`` maps the sequences sent to their date.

Rules: an invoice never goes back to a lower level, a level is never sent twice,
and when several levels became due at once only the highest is sent and the others
are reported as skipped so that the skip is visible, not silent.
"""

import calendar
from datetime import timedelta
from decimal import Decimal
from typing import NamedTuple

from .common import to_decimal


class LevelDecision(NamedTuple):
    """Outcome of :func:`level_for`: level to send (or None), levels skipped."""

    level: object
    skipped: list


MODE_DUE = "due"
MODE_END_OF_MONTH = "end_of_month"
MODE_PREVIOUS = "previous"
MODES = (MODE_DUE, MODE_END_OF_MONTH, MODE_PREVIOUS)


def _mode(level):
    """Return the date computation mode of ``level`` (``"due"`` when absent)."""
    return level.get("mode") or MODE_DUE


def normalise_levels(levels):
    """Return ``levels`` sorted by sequence, checking they are consistent.

    Sequences must be unique; among the levels counted from the due date (mode
    ``due``) and among those counted from its month end (``end_of_month``), ``days``
    must strictly increase with the sequence, otherwise "the highest level reached"
    would be ambiguous. A ``previous`` level needs a level below it and a positive
    number of days.
    """
    ordered = sorted(levels, key=lambda level: level["sequence"])
    last_days = {}
    for index, level in enumerate(ordered):
        mode = _mode(level)
        if mode not in MODES:
            raise ValueError(f"Unknown dunning level mode {mode!r}.")
        if index and ordered[index - 1]["sequence"] == level["sequence"]:
            raise ValueError(
                f"Two dunning levels share the sequence {level['sequence']}."
            )
        if mode == MODE_PREVIOUS:
            if not index:
                raise ValueError(
                    f"The first dunning level ({level['sequence']}) cannot count "
                    "from the previous level."
                )
            if level["days"] <= 0:
                raise ValueError(
                    f"Dunning level {level['sequence']} must come at least one day "
                    "after the previous level."
                )
            continue
        previous = last_days.get(mode)
        if previous and level["days"] <= previous["days"]:
            raise ValueError(
                f"Dunning level {level['sequence']} must come more days after the "
                f"due date than level {previous['sequence']}."
            )
        last_days[mode] = level
    return ordered


def end_of_month(day):
    """Return the last day of ``day``'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def level_date(level, due_date, previous_sent=None):
    """Return the day ``level`` is reached for an invoice due at ``due_date``.

    ``previous_sent`` is the day the level below was sent (``previous`` mode); None
    when a ``previous`` level cannot be reached yet because that level was not sent.
    """
    mode = _mode(level)
    if mode == MODE_END_OF_MONTH:
        start = end_of_month(due_date)
    elif mode == MODE_PREVIOUS:
        if previous_sent is None:
            return None
        start = previous_sent
    elif mode == MODE_DUE:
        start = due_date
    else:
        raise ValueError(f"Unknown dunning level mode {mode!r}.")
    return start + timedelta(days=level["days"])


def _sequence(level_ref):
    """Return the sequence of a level given as a dict, a number or None/False."""
    if isinstance(level_ref, dict):
        return level_ref["sequence"]
    return level_ref or 0


def level_reached(level, due_date, today, previous_sent=None):
    """Tell whether ``level`` is reached at ``today`` for an invoice due then.

    ``previous_sent``: see :func:`level_date`.
    """
    day = level_date(level, due_date, previous_sent)
    return day is not None and today >= day


def level_for(due_date, today, levels, last_level_sent=None, sent_dates=None):
    """Return the :class:`LevelDecision` for one invoice.

    ``level`` is the highest level reached at ``today`` whose sequence is above
    ``last_level_sent`` (None when nothing new is due); ``skipped`` lists the other
    reached levels above ``last_level_sent`` that are jumped over. ``sent_dates``
    (``{sequence: date}``) gives the day each level was sent for the invoice, which
    the ``previous`` levels count from.
    """
    last = _sequence(last_level_sent)
    sent_dates = sent_dates or {}
    ordered = normalise_levels(levels)
    pending = []
    for index, level in enumerate(ordered):
        if level["sequence"] <= last:
            continue
        previous_sent = (
            sent_dates.get(ordered[index - 1]["sequence"]) if index else None
        )
        if level_reached(level, due_date, today, previous_sent):
            pending.append(level)
    if not pending:
        return LevelDecision(None, [])
    return LevelDecision(pending[-1], pending[:-1])


def _level_by_sequence(levels, sequence):
    """Return the level with ``sequence`` or None."""
    for level in levels:
        if level["sequence"] == sequence:
            return level
    return None


def plan_run(invoices, today, levels):
    """Plan a dunning run: return one group per partner that has something to send.

    ``invoices`` are dicts with ``id``, ``partner_id``, ``due_date``, ``residual``,
    ``last_level_sent`` and optionally ``sent_dates`` (see :func:`level_for`). Paid
    invoices (residual <= 0) are ignored. Each group is::

        {"partner_id", "level" (highest new level dict), "lines", "total_residual",
         "block_orders", "skipped_levels"}

    where ``lines`` are ``{"invoice_id", "level", "skipped", "due_date",
    "days_overdue", "residual"}`` (level sequences) ordered by due date, and
    ``block_orders`` is True when the new level or a level already sent on an open
    invoice of the partner blocks new orders. Groups are ordered by partner id.
    """
    ordered = normalise_levels(levels)
    groups = {}
    for invoice in invoices:
        residual = to_decimal(invoice["residual"])
        if residual <= 0:
            continue
        partner = groups.setdefault(
            invoice["partner_id"],
            {
                "partner_id": invoice["partner_id"],
                "level": None,
                "lines": [],
                "total_residual": Decimal(0),
                "block_orders": False,
                "skipped_levels": [],
            },
        )
        previous = _level_by_sequence(
            ordered, _sequence(invoice.get("last_level_sent"))
        )
        if previous and previous.get("block_orders"):
            partner["block_orders"] = True
        decision = level_for(
            invoice["due_date"],
            today,
            ordered,
            invoice.get("last_level_sent"),
            invoice.get("sent_dates"),
        )
        if decision.level is None:
            continue
        partner["lines"].append(
            {
                "invoice_id": invoice["id"],
                "level": decision.level["sequence"],
                "skipped": [level["sequence"] for level in decision.skipped],
                "due_date": invoice["due_date"],
                "days_overdue": (today - invoice["due_date"]).days,
                "residual": residual,
            }
        )
        partner["total_residual"] += residual
        partner["block_orders"] = partner["block_orders"] or bool(
            decision.level.get("block_orders")
        )
        if (
            partner["level"] is None
            or decision.level["sequence"] > partner["level"]["sequence"]
        ):
            partner["level"] = decision.level
    result = []
    for partner_id in sorted(groups, key=str):
        group = groups[partner_id]
        if not group["lines"]:
            continue
        group["lines"].sort(
            key=lambda line: (line["due_date"], str(line["invoice_id"]))
        )
        group["skipped_levels"] = sorted(
            {seq for line in group["lines"] for seq in line["skipped"]}
        )
        result.append(group)
    return result


DROP_CANCELLED = "cancelled"
DROP_PAID = "paid"
DROP_BLOCKED = "blocked"
DROP_EXCLUDED = "excluded"
DROP_ON_HOLD = "on_hold"
DROP_NOT_DUE = "not_due"
DROP_REASONS = (
    DROP_CANCELLED,
    DROP_PAID,
    DROP_BLOCKED,
    DROP_EXCLUDED,
    DROP_ON_HOLD,
    DROP_NOT_DUE,
)


def drop_reason(reminder, today):
    """Why a reminder planned earlier must not be sent at ``today`` (None: send it).

    A reminder is built from what is due when it is sent, not when its run was
    prepared. ``reminder`` is a dict::

        {"posted": bool, "residual", "tolerance", "blocked": bool,
         "excluded": bool, "on_hold": bool, "due_date", "level" (level dict),
         "previous_sent" (day the level below was sent, or None)}

    Reasons, first one that applies: the invoice is no longer posted
    (``cancelled``); it is paid, i.e. its residual is at most the tolerance
    (``paid``); its payment is blocked, e.g. disputed (``blocked``); the customer
    is excluded from the reminders (``excluded``) or promised to pay
    (``on_hold``); the level is no longer reached at ``today``, e.g. the due date
    moved (``not_due``).
    """
    if not reminder.get("posted", True):
        return DROP_CANCELLED
    residual = to_decimal(reminder["residual"])
    if residual <= 0 or residual <= to_decimal(reminder.get("tolerance") or 0):
        return DROP_PAID
    if reminder.get("blocked"):
        return DROP_BLOCKED
    if reminder.get("excluded"):
        return DROP_EXCLUDED
    if reminder.get("on_hold"):
        return DROP_ON_HOLD
    if not level_reached(
        reminder["level"], reminder["due_date"], today, reminder.get("previous_sent")
    ):
        return DROP_NOT_DUE
    return None


def pending_promise(promises, today):
    """Return True if a promise to pay is still pending at ``today``.

    ``promises`` are ``(date, amount, kept)`` tuples. A promise is pending when it was
    not kept yet, its date is today or later and its amount is positive; a promise
    whose date passed without being kept is broken and protects nothing.
    """
    for promised_date, amount, kept in promises or ():
        if not kept and promised_date >= today and to_decimal(amount) > 0:
            return True
    return False


def highest_level(partner_lines):
    """Return the highest level sequence among ``partner_lines``, 0 if none."""
    best = 0
    for line in partner_lines:
        for key in ("level", "last_level_sent"):
            best = max(best, _sequence(line.get(key)))
    return best


def should_escalate(partner_lines, threshold_level, promises, today):
    """Tell whether a partner's file must be escalated (e.g. to collection / legal).

    True when the highest level among ``partner_lines`` reached ``threshold_level``
    (a sequence or level dict) and no valid promise to pay is pending at ``today``.
    """
    highest = highest_level(partner_lines)
    if not highest or highest < _sequence(threshold_level):
        return False
    return not pending_promise(promises, today)


PROMISE_OPEN = "open"
PROMISE_KEPT = "kept"
PROMISE_BROKEN = "broken"


def promise_states(promises, payments, today):
    """Return the state of each promise to pay: ``{promise id: state}``.

    ``promises`` are dicts ``{"id", "date", "amount"}`` (the date by which the
    customer promised to pay ``amount``); ``payments`` are ``(date, amount)`` tuples
    of the money received from the customer since the first promise was made.
    Promises are honoured cumulatively in date order: a promise is *kept* when the
    payments received up to its date cover it together with every earlier promise,
    *broken* when its date passed without that, and *open* until then. A payment
    arriving after the date does not mend a broken promise (it was late).
    """
    ordered = sorted(promises, key=lambda p: (p["date"], str(p["id"])))
    received = sorted(
        ((day, to_decimal(amount)) for day, amount in payments or ()),
        key=lambda payment: payment[0],
    )
    result = {}
    promised = Decimal(0)
    for promise in ordered:
        promised += to_decimal(promise["amount"])
        paid = sum(
            (amount for day, amount in received if day <= promise["date"]),
            Decimal(0),
        )
        if paid >= promised:
            result[promise["id"]] = PROMISE_KEPT
        elif promise["date"] < today:
            result[promise["id"]] = PROMISE_BROKEN
        else:
            result[promise["id"]] = PROMISE_OPEN
    return result
