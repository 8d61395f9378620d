"""Customer credit exposure arithmetic.

Documents are dicts with an ``amount`` in their own currency and the
``rate`` of that currency against the company currency at the document's
date (units of document currency per unit of company currency, as Odoo's
``currency_rate`` of a sales order; 1 for company-currency amounts).

Exposure = open receivables + confirmed orders not yet invoiced + this
order, all in company currency.  Pure Python, no Odoo import.
"""

from datetime import date, datetime

PRECISION = 2


def to_company(amount, rate):
    """``amount`` converted to company currency at ``rate``."""
    rate = float(rate or 1.0)
    if rate <= 0:
        raise ValueError("A currency rate must be positive.")
    return float(amount or 0.0) / rate


def total(documents):
    """Sum of ``documents`` in company currency."""
    return sum(to_company(doc["amount"], doc.get("rate", 1.0)) for doc in documents)


def exposure(receivables, uninvoiced_orders, current_order=None):
    """Return the parts of the exposure and their ``total``, rounded to cents."""
    parts = {
        "receivables": total(receivables),
        "uninvoiced_orders": total(uninvoiced_orders),
        "current_order": total([current_order]) if current_order else 0.0,
    }
    parts["total"] = sum(parts.values())
    return {key: round(value, PRECISION) for key, value in parts.items()}


def over_limit(exposure_total, limit):
    """Whether ``exposure_total`` exceeds ``limit``; a limit of 0 means none."""
    limit = float(limit or 0.0)
    return limit > 0 and round(float(exposure_total), PRECISION) > round(
        limit, PRECISION
    )


def days_overdue(due_date, today):
    """Days ``due_date`` is past ``today`` (0 when not yet due)."""
    if isinstance(due_date, datetime):
        due_date = due_date.date()
    if isinstance(today, datetime):
        today = today.date()
    if not isinstance(due_date, date):
        return 0
    return max((today - due_date).days, 0)


def overdue(invoices, today, days):
    """Invoices overdue by more than ``days`` days, each with ``days_overdue``.

    ``invoices`` are dicts with at least ``due_date``; the result keeps their
    keys and order.
    """
    result = []
    for invoice in invoices:
        late = days_overdue(invoice.get("due_date"), today)
        if late > int(days or 0):
            result.append(dict(invoice, days_overdue=late))
    return result
