"""Customer statement arithmetic: opening, movements, running balance, closing.

A statement starts from the opening balance (receivable balance before the
first day), lists the movements of the period in order and ends on the
closing balance::

    closing = opening + invoices - credit_notes - payments

where each figure is signed so that the identity always holds: a movement
of kind ``invoice`` adds ``debit - credit``, ``credit_note`` and
``payment`` subtract ``credit - debit`` (a refund paid back to the customer
is a negative payment).  Pure Python, no Odoo import; amounts are
``Decimal`` (or ``int``), floats are refused.
"""

from datetime import date, datetime
from decimal import Decimal

INVOICE = "invoice"
CREDIT_NOTE = "credit_note"
PAYMENT = "payment"
KINDS = (INVOICE, CREDIT_NOTE, PAYMENT)


def _amount(value):
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise TypeError(
        f"Amounts must be Decimal, got {type(value).__name__}; "
        "convert floats with Decimal(str(value)) after rounding."
    )


def _sort_key(movement):
    day = movement["date"]
    if isinstance(day, datetime):
        day = day.date()
    if not isinstance(day, date):
        raise TypeError(f"Expected a date, got {type(day).__name__}.")
    return day


def movement_kind(move_type):
    """Kind of a receivable movement from its journal entry's ``move_type``.

    Customer invoices (and receipts) are invoices, customer credit notes
    are credit notes; anything else (payments, bank statement lines,
    miscellaneous entries) counts as a payment.
    """
    if move_type in ("out_invoice", "out_receipt"):
        return INVOICE
    if move_type == "out_refund":
        return CREDIT_NOTE
    return PAYMENT


def statement(opening, movements):
    """Compute a statement from ``opening`` and ``movements``.

    ``movements`` is an iterable of dicts with at least ``date``, ``kind``
    (one of ``KINDS``), ``debit`` and ``credit`` (non-negative); other keys
    are kept.  Movements are sorted by date (stable: same-day movements
    keep their order).  Returns::

        {
            "opening": Decimal, "invoices": Decimal, "credit_notes": Decimal,
            "payments": Decimal, "closing": Decimal,
            "lines": [movement + {"balance": running balance}, ...],
        }
    """
    opening = _amount(opening)
    totals = dict.fromkeys(KINDS, Decimal(0))
    balance = opening
    lines = []
    for movement in sorted(movements, key=_sort_key):
        kind = movement["kind"]
        if kind not in KINDS:
            raise ValueError(f"Unknown movement kind {kind!r}.")
        debit, credit = _amount(movement["debit"]), _amount(movement["credit"])
        if debit < 0 or credit < 0:
            raise ValueError("Debit and credit must not be negative.")
        if kind == INVOICE:
            totals[kind] += debit - credit
        else:
            totals[kind] += credit - debit
        balance += debit - credit
        lines.append({**movement, "debit": debit, "credit": credit, "balance": balance})
    closing = opening + totals[INVOICE] - totals[CREDIT_NOTE] - totals[PAYMENT]
    return {
        "opening": opening,
        "invoices": totals[INVOICE],
        "credit_notes": totals[CREDIT_NOTE],
        "payments": totals[PAYMENT],
        "closing": closing,
        "lines": lines,
    }


def open_amount(balance, matched_as_debit=0, matched_as_credit=0):
    """Open amount of a receivable item at a date.

    ``balance`` is the item's signed balance, ``matched_as_debit`` the sum
    of the reconciliations (up to the date) where it is the debit side and
    ``matched_as_credit`` those where it is the credit side.
    """
    return _amount(balance) - _amount(matched_as_debit) + _amount(matched_as_credit)
