"""Installment, retry, recurrence and capture arithmetic, free of any Odoo dependency.

All amounts are Decimal; every split returns amounts whose sum equals the input
exactly (the last installment absorbs rounding, as Odoo's payment terms do).
"""

import calendar
from datetime import datetime, timedelta
from decimal import Decimal

from .common import CENT, round_to, to_decimal

PERCENT = "percent"
FIXED = "fixed"

DELAY_DAYS_AFTER = "days_after"
DELAY_AFTER_END_OF_MONTH = "days_after_end_of_month"
DELAY_AFTER_END_OF_NEXT_MONTH = "days_after_end_of_next_month"
DELAY_END_OF_MONTH_ON_THE = "days_end_of_month_on_the"
DELAY_TYPES = (
    DELAY_DAYS_AFTER,
    DELAY_AFTER_END_OF_MONTH,
    DELAY_AFTER_END_OF_NEXT_MONTH,
    DELAY_END_OF_MONTH_ON_THE,
)

INTERVAL_MONTHS = {"monthly": 1, "quarterly": 3, "semiannual": 6, "yearly": 12}

STATE_PENDING = "pending"
STATE_RETRY = "retry"
STATE_PROCESSING = "processing"
STATE_CHARGED = "charged"
STATE_FAILED = "failed"
STATE_CANCELLED = "cancelled"


# --------------------------------------------------------------------------
# Calendar helpers
# --------------------------------------------------------------------------


def days_in_month(year, month):
    """Return the number of days of ``month`` in ``year``."""
    return calendar.monthrange(year, month)[1]


def end_of_month(day):
    """Return the last day of the month of ``day``."""
    return day.replace(day=days_in_month(day.year, day.month))


def add_months(day, months, anchor_day=None):
    """Move ``day`` by ``months`` months, keeping ``anchor_day`` (default: its own day).

    The day is clamped to the month's length: Jan 31 + 1 month = Feb 28 (or 29),
    and with anchor 31, Feb 28 + 1 month = Mar 31.
    """
    anchor = anchor_day or day.day
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return day.replace(
        year=year, month=month, day=min(anchor, days_in_month(year, month))
    )


# --------------------------------------------------------------------------
# Installments from payment terms
# --------------------------------------------------------------------------


def _term_number(value):
    """Convert a payment term figure to Decimal (Odoo floats via str)."""
    if isinstance(value, float):
        return Decimal(str(value))
    return to_decimal(value)


def _normalise_term(term):
    """Return a payment term line as a normalised dict.

    Keys: value, value_amount, nb_days, delay_type, days_next_month. Accepts an
    Odoo-like dict or a tuple
    ``(value, value_amount, nb_days[, delay_type[, days_next_month]])``.
    """
    if isinstance(term, dict):
        line = dict(term)
    else:
        keys = ("value", "value_amount", "nb_days", "delay_type", "days_next_month")
        if not 3 <= len(term) <= len(keys):
            raise ValueError(
                "A payment term tuple is (kind, amount, days[, delay_type[, "
                "days_next_month]])."
            )
        line = dict(zip(keys[: len(term)], term, strict=True))
    line.setdefault("delay_type", DELAY_DAYS_AFTER)
    line.setdefault("nb_days", 0)
    line.setdefault("days_next_month", 10)
    if line.get("value") not in (PERCENT, FIXED):
        raise ValueError(
            "A payment term line must be 'percent' or 'fixed', got "
            f"{line.get('value')!r}."
        )
    if line["delay_type"] not in DELAY_TYPES:
        raise ValueError(f"Unknown payment term delay type {line['delay_type']!r}.")
    line["value_amount"] = _term_number(line.get("value_amount") or 0)
    if line["value"] == PERCENT and not 0 <= line["value_amount"] <= 100:
        raise ValueError("Payment term percentages must be between 0 and 100.")
    if line["value_amount"] < 0:
        raise ValueError("Payment term fixed amounts cannot be negative.")
    return line


def term_due_date(
    invoice_date, nb_days=0, delay_type=DELAY_DAYS_AFTER, days_next_month=10
):
    """Return the due date of one payment term line, following Odoo's delay types.

    ``days_end_of_month_on_the``: end of the month reached after ``nb_days``, then
    ``days_next_month`` days into the following month (0 = that end of month), clamped
    to the following month's last day.
    """
    nb_days = int(nb_days or 0)
    if delay_type == DELAY_AFTER_END_OF_MONTH:
        return end_of_month(invoice_date) + timedelta(days=nb_days)
    if delay_type == DELAY_AFTER_END_OF_NEXT_MONTH:
        return end_of_month(add_months(invoice_date.replace(day=1), 1)) + timedelta(
            days=nb_days
        )
    if delay_type == DELAY_END_OF_MONTH_ON_THE:
        month_end = end_of_month(invoice_date + timedelta(days=nb_days))
        next_month_end = end_of_month(month_end + timedelta(days=1))
        offset = min(int(days_next_month or 0), next_month_end.day)
        return month_end + timedelta(days=offset)
    return invoice_date + timedelta(days=nb_days)


def split_installments(total, terms, invoice_date, currency_rounding=CENT):
    """Split ``total`` into ``[(due_date, amount), ...]`` following payment ``terms``.

    Each term is an Odoo-like dict or a tuple
    ('percent'|'fixed', value_amount, nb_days[, delay_type, days_next_month]).
    As in Odoo, every line but the last is computed (percent of the total, or
    fixed amount) and rounded half-up to ``currency_rounding``; the last line is
    always the balance, so the amounts add up to ``total`` exactly. A negative
    total (credit note) is split with the same signs. Zero installments are dropped.
    """
    total = to_decimal(total)
    if not terms:
        raise ValueError("At least one payment term line is required.")
    lines = [_normalise_term(term) for term in terms]
    sign = -1 if total < 0 else 1
    residual = total
    result = []
    for index, line in enumerate(lines):
        if index == len(lines) - 1:
            amount = residual
        elif line["value"] == FIXED:
            amount = sign * round_to(line["value_amount"], currency_rounding)
        else:
            amount = round_to(total * line["value_amount"] / 100, currency_rounding)
        residual -= amount
        due = term_due_date(
            invoice_date, line["nb_days"], line["delay_type"], line["days_next_month"]
        )
        result.append((due, amount))
    balance = result[-1][1]
    if balance * sign < 0:
        raise ValueError(
            f"The payment term lines add up to more than the total of {total}; the "
            f"balance would be {balance}."
        )
    return [(due, amount) for due, amount in result if amount]


# --------------------------------------------------------------------------
# Retries
# --------------------------------------------------------------------------


def next_retry(
    attempt_no,
    last_attempt_at,
    base=timedelta(hours=6),
    factor=2,
    max_attempts=5,
    max_delay=None,
):
    """Return when to retry a failed charge, or None when no attempt is left.

    ``attempt_no`` is the 1-based number of the attempt that just failed. The delay
    after attempt n is ``base * factor ** (n - 1)`` (6h, 12h, 24h, 48h by default),
    capped at ``max_delay`` when given. After ``max_attempts`` attempts, None.
    """
    if attempt_no < 1:
        raise ValueError("The attempt number starts at 1.")
    if attempt_no >= max_attempts:
        return None
    delay = base * (factor ** (attempt_no - 1))
    if max_delay is not None:
        delay = min(delay, max_delay)
    return last_attempt_at + delay


# --------------------------------------------------------------------------
# Recurrence
# --------------------------------------------------------------------------


def recurring_dates(start, interval, count=None, until=None, anchor_day=None):
    """Return the charge dates of a recurring plan, starting with ``start``.

    ``interval`` is 'monthly', 'quarterly', 'semiannual' or 'yearly'. Stops after
    ``count`` dates and/or after ``until`` (inclusive), whichever comes first; at
    least one of them is required. Month ends keep the anchor day (``start``'s day
    unless ``anchor_day`` is given): Jan 31 -> Feb 28/29 -> Mar 31 -> Apr 30.
    """
    if interval not in INTERVAL_MONTHS:
        raise ValueError(
            f"Unknown interval {interval!r}; use one of {', '.join(INTERVAL_MONTHS)}."
        )
    if count is None and until is None:
        raise ValueError("Give a number of occurrences or an end date, or both.")
    if count is not None and count < 0:
        raise ValueError("The number of occurrences cannot be negative.")
    step = INTERVAL_MONTHS[interval]
    anchor = anchor_day or start.day
    dates = []
    index = 0
    while count is None or index < count:
        current = add_months(start, index * step, anchor)
        if until is not None and current > until:
            break
        dates.append(current)
        index += 1
    return dates


def recurring_periods(start, interval, count=None, until=None, anchor_day=None):
    """Return ``[(period_start, period_end), ...]`` of a recurring plan.

    Each period starts on a charge date of :func:`recurring_dates` and ends the day
    before the next one (Jan 31 monthly: Jan 31 - Feb 27, Feb 28 - Mar 30, ...).
    """
    anchor = anchor_day or start.day
    step = INTERVAL_MONTHS.get(interval)
    dates = recurring_dates(
        start, interval, count=count, until=until, anchor_day=anchor
    )
    periods = []
    for index, period_start in enumerate(dates):
        next_start = add_months(start, (index + 1) * step, anchor)
        periods.append((period_start, next_start - timedelta(days=1)))
    return periods


def split_equal(total, count, currency_rounding=CENT):
    """Split ``total`` into ``count`` amounts rounded to the currency.

    Every amount but the last is ``total / count`` rounded half-up; the last is the
    balance, so the amounts add up to ``total`` exactly (100.00 / 3 = 33.33, 33.33,
    33.34).
    """
    total = to_decimal(total)
    if count < 1:
        raise ValueError("At least one installment is required.")
    share = round_to(total / count, currency_rounding)
    amounts = [share] * (count - 1)
    amounts.append(total - share * (count - 1))
    return amounts


def retry_schedule(attempt_no, last_attempt, delay_days=1, max_attempts=4):
    """Return the date of the next attempt after a failed charge, or None.

    Days double after each failure: with ``delay_days=1`` the retries come 1, 2
    and 4 days after the failed attempts 1, 2 and 3; after ``max_attempts``
    attempts the charge is given up (None).
    """
    if delay_days < 1:
        raise ValueError("The retry delay is at least one day.")
    return next_retry(
        attempt_no,
        last_attempt,
        base=timedelta(days=delay_days),
        factor=2,
        max_attempts=max_attempts,
    )


# --------------------------------------------------------------------------
# Due charges
# --------------------------------------------------------------------------


def _as_date(value):
    """Return the date part of a date or datetime."""
    return value.date() if isinstance(value, datetime) else value


def _retry_reached(next_retry_at, today):
    """Tell whether a scheduled retry time is reached at ``today``."""
    if next_retry_at is None:
        return False
    if isinstance(today, datetime) and isinstance(next_retry_at, datetime):
        return next_retry_at <= today
    return _as_date(next_retry_at) <= _as_date(today)


def is_due(line, today):
    """Tell whether one plan line must be charged at ``today`` (date or datetime).

    A line is a dict with ``due_date``, ``amount`` and either ``state`` ('pending',
    'retry', 'processing', 'charged', 'failed', 'cancelled'; default 'pending') or a
    ``charged`` flag. Pending lines are due from their due date; 'retry' lines from
    ``next_retry_at``. Processing, charged, failed (given up) and cancelled lines and
    non-positive amounts are never due.
    """
    if line.get("charged"):
        return False
    state = line.get("state") or STATE_PENDING
    if to_decimal(line.get("amount", 0)) <= 0:
        return False
    if _as_date(line["due_date"]) > _as_date(today):
        return False
    if state == STATE_PENDING:
        return True
    if state == STATE_RETRY:
        return _retry_reached(line.get("next_retry_at"), today)
    return False


def due_charges(plan_lines, today):
    """Return the plan lines to charge now, oldest due date first (then by id)."""
    due = [line for line in plan_lines if is_due(line, today)]
    return sorted(
        due, key=lambda line: (_as_date(line["due_date"]), str(line.get("id", "")))
    )


# --------------------------------------------------------------------------
# Authorize at order, capture at delivery
# --------------------------------------------------------------------------


def _non_negative(value, label):
    """Return ``value`` as a non-negative Decimal or raise ValueError."""
    amount = to_decimal(value)
    if amount < 0:
        raise ValueError(f"The {label} cannot be negative.")
    return amount


def capture_amounts(
    authorized,
    delivered_amounts_so_far,
    this_delivery,
    partial_supported,
    is_last_delivery,
):
    """Return ``(capture_now, void_remaining)`` for a delivery of an authorized order.

    ``delivered_amounts_so_far`` is a Decimal or an iterable of the amounts of earlier
    deliveries. With partial capture, each delivery captures its own amount (never
    more than what is still authorized) and the last delivery voids what remains.
    Without partial capture only one capture is possible: nothing is captured before
    the last delivery, which captures everything delivered (capped at the
    authorization) and voids the rest. Anything delivered beyond the authorization is
    not captured and must be charged separately.
    """
    authorized = _non_negative(authorized, "authorized amount")
    if isinstance(delivered_amounts_so_far, (list, tuple, set, frozenset)) or hasattr(
        delivered_amounts_so_far, "__next__"
    ):
        earlier = [
            _non_negative(amount, "delivered amount")
            for amount in delivered_amounts_so_far
        ]
        delivered_before = sum(earlier, Decimal(0))
    else:
        delivered_before = _non_negative(delivered_amounts_so_far, "delivered amount")
    this_delivery = _non_negative(this_delivery, "delivery amount")
    if partial_supported:
        remaining = authorized - min(delivered_before, authorized)
        capture_now = min(this_delivery, remaining)
        void_remaining = remaining - capture_now if is_last_delivery else Decimal(0)
        return capture_now, void_remaining
    if not is_last_delivery:
        return Decimal(0), Decimal(0)
    capture_now = min(delivered_before + this_delivery, authorized)
    return capture_now, authorized - capture_now
