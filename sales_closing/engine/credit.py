"""Customer credit exposure arithmetic.

Documents are dicts with an ``amount`` in their own currency and the
``rate`` of that currency against the company currency at the document's
date (units of document currency per unit of company currency, as Odoo's
``currency_rate`` of a sales order; 1 for company-currency amounts).

Exposure = open receivables (posted, in company currency at the documents'
own rates) + draft customer invoices and credit notes + what confirmed
orders have still to invoice (taxes included) + this order, all in company
currency.  An order line's invoiced quantity counts its draft invoices too
(Odoo's ``qty_invoiced``), so an amount drafted on an invoice counts once,
as a draft invoice, never again as the order's.  Pure Python, no Odoo import.
"""

from datetime import date, datetime

PRECISION = 2
PARTS = ("receivables", "draft_invoices", "uninvoiced_orders", "current_order")


def to_company(amount, rate):
    """``amount`` converted to company currency at ``rate``."""
    rate = float(rate or 1.0)
    if rate <= 0:
        raise ValueError("A currency rate must be positive.")
    return float(amount or 0.0) / rate


def total(documents):
    """Sum of ``documents`` in company currency."""
    return sum(to_company(doc["amount"], doc.get("rate", 1.0)) for doc in documents)


def round_quantity(quantity, rounding):
    """``quantity`` rounded half-up to a multiple of ``rounding`` (a UoM's)."""
    rounding = float(rounding or 0.0)
    if rounding <= 0:
        return float(quantity)
    steps = abs(float(quantity)) / rounding
    rounded = int(steps + 0.5 + 1e-9) * rounding
    return rounded if quantity >= 0 else -rounded


def uninvoiced_quantity(line):
    """Quantity of an order line that its customer has yet to be invoiced.

    ``line`` holds ``ordered``, ``delivered``, ``invoiced`` (net of credit
    notes, drafts included), ``to_invoice`` (Odoo's ``qty_to_invoice``),
    ``policy`` (``"order"`` or ``"delivery"``), ``stock`` (delivered by stock
    moves), ``pending`` (some of its stock moves are still to be done) and
    the UoM ``rounding``.

    The ordered quantity, or the delivered one if larger on a line invoiced
    on delivery, minus the invoiced one.  Once a line delivered by stock
    moves has nothing left to deliver (all moves done or cancelled, returns
    included), what Odoo will still invoice (``to_invoice``): a cancelled
    backorder or a return before the invoice no longer counts, a return
    after it counts as the credit note to come (negative).
    """
    quantity = float(line.get("ordered") or 0.0)
    if line.get("policy") == "delivery":
        quantity = max(quantity, float(line.get("delivered") or 0.0))
    left = round_quantity(
        quantity - float(line.get("invoiced") or 0.0), line.get("rounding")
    )
    if left and line.get("stock") and not line.get("pending"):
        left = float(line.get("to_invoice") or 0.0)
    return left


def uninvoiced_amount(line):
    """Taxes included amount (order currency) of ``uninvoiced_quantity``.

    ``line`` also holds ``price_total`` (the line's total, taxes and discount
    included) and ``price_unit_taxinc`` (its unit price so, for lines ordered
    in zero quantity).

    A down payment line (``is_downpayment``) is ordered in zero quantity:
    what its invoices took (``invoiced_amount``, taxes included, credit
    notes and the final invoice's deduction subtracted) is so much less for
    the order's other lines to invoice, so it counts negative.  Odoo's own
    ``price_reduce_taxinc`` is 0 on such a line, which would count the down
    payment twice (its invoice and the order's lines).
    """
    if line.get("is_downpayment"):
        return -float(line.get("invoiced_amount") or 0.0)
    quantity = uninvoiced_quantity(line)
    if not quantity:
        return 0.0
    ordered = float(line.get("ordered") or 0.0)
    if ordered:
        return float(line.get("price_total") or 0.0) * quantity / ordered
    return float(line.get("price_unit_taxinc") or 0.0) * quantity


def exposure(receivables, uninvoiced_orders, current_order=None, draft_invoices=()):
    """Return the parts of the exposure and their ``total``, rounded to cents.

    Parts: ``receivables``, ``draft_invoices``, ``uninvoiced_orders`` and
    ``current_order``, each a list of documents (``current_order`` one or
    None).
    """
    parts = {
        "receivables": total(receivables),
        "draft_invoices": total(draft_invoices),
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
