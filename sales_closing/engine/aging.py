"""Receivable aging: put open amounts into overdue-days buckets.

With the default boundaries ``(0, 30, 60, 90)`` the buckets are
``current`` (not yet due, or due today), ``1-30``, ``31-60``, ``61-90`` and
``90+`` days overdue.  Pure Python, no Odoo import.
"""

from datetime import date, datetime
from decimal import Decimal
from itertools import pairwise

DEFAULT_BUCKETS = (0, 30, 60, 90)
CURRENT = "current"
TOTAL = "total"


def _check_buckets(buckets):
    """Raise ``ValueError`` unless ``buckets`` are increasing integers from 0."""
    buckets = tuple(buckets)
    if not buckets:
        raise ValueError("At least one bucket boundary is needed.")
    if any(isinstance(b, bool) or not isinstance(b, int) for b in buckets):
        raise ValueError("Bucket boundaries must be whole numbers of days.")
    if buckets[0] != 0:
        raise ValueError("The first bucket boundary must be 0 (the current bucket).")
    if any(high <= low for low, high in pairwise(buckets)):
        raise ValueError("Bucket boundaries must be strictly increasing.")
    return buckets


def bucket_labels(buckets=DEFAULT_BUCKETS):
    """Return the bucket labels in order, e.g. ``['current', '1-30', ..., '90+']``."""
    buckets = _check_buckets(buckets)
    labels = [CURRENT]
    labels.extend(f"{low + 1}-{high}" for low, high in pairwise(buckets))
    labels.append(f"{buckets[-1]}+")
    return labels


def bucket(days_overdue, buckets=DEFAULT_BUCKETS):
    """Return the label of the bucket for ``days_overdue``.

    Zero or negative days (not yet due) is ``current``; with the default
    boundaries 1 to 30 days is ``1-30`` and more than 90 days is ``90+``.
    """
    buckets = _check_buckets(buckets)
    if days_overdue <= buckets[0]:
        return CURRENT
    for low, high in pairwise(buckets):
        if days_overdue <= high:
            return f"{low + 1}-{high}"
    return f"{buckets[-1]}+"


def _as_date(value):
    """Return ``value`` as a ``date`` (datetimes are truncated)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError(f"Expected a date, got {type(value).__name__}.")


def _as_amount(value):
    """Return ``value`` as a ``Decimal``; floats are refused."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise TypeError(
        f"Residual amounts must be Decimal, got {type(value).__name__}; "
        "convert floats with Decimal(str(value)) after rounding."
    )


def _empty_row(labels):
    """Return a row with every bucket and the total at zero."""
    row = dict.fromkeys(labels, Decimal(0))
    row[TOTAL] = Decimal(0)
    return row


def aging(items, as_of, buckets=DEFAULT_BUCKETS):
    """Age open items at the date ``as_of``.

    ``items`` is an iterable of ``(partner_key, due_date, residual)``; a
    missing due date counts as due on ``as_of`` (``current``), a negative
    residual (credit note, overpayment) reduces its bucket and zero
    residuals are skipped.  Returns::

        {
            "partners": {partner_key: {label: Decimal, ..., "total": Decimal}},
            "totals": {label: Decimal, ..., "total": Decimal},
        }

    Every row carries every bucket label (zero when empty); partners keep
    the order in which they first appear.
    """
    labels = bucket_labels(buckets)
    as_of = _as_date(as_of)
    partners = {}
    totals = _empty_row(labels)
    for partner_key, due_date, residual in items:
        amount = _as_amount(residual)
        if not amount:
            continue
        days = 0 if due_date is None else (as_of - _as_date(due_date)).days
        label = bucket(days, buckets)
        row = partners.setdefault(partner_key, _empty_row(labels))
        for target in (row, totals):
            target[label] += amount
            target[TOTAL] += amount
    return {"partners": partners, "totals": totals}
