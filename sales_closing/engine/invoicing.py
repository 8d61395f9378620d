"""Invoicing automation: what to invoice for an order, and how to group it.

Plain Python over plain data, no database.  The Odoo side reads the orders
(one query per batch), asks :func:`plan` what each order should invoice,
groups the period-end orders with :func:`group_key`, and creates the
invoices.

Policies:

``manual``
    Odoo's standard: nothing automatic.
``confirm``
    Invoice what is invoiceable as soon as the order is confirmed (and
    whatever becomes invoiceable later, e.g. goods invoiced on delivered
    quantities).
``delivery``
    Invoice once a delivery (or a return) changed a delivered quantity:
    the delivered quantities of the goods, with what else is invoiceable.
``period``
    At the end of the order's period (month, quarter or year), one invoice
    per customer and period grouping its orders.

The quantity of a line follows Odoo's invoicing policy of its product
(``basis`` is the ordered or delivered quantity), but never what the
automation already invoiced once: a credit note a user made lowers Odoo's
invoiced quantity, and Odoo asks to invoice it again (OCA sale-workflow
#4104); the automation remembers what it invoiced (``auto_qty``) and only
invoices the difference between the basis and that, in the direction Odoo
agrees with.
"""

from datetime import date, timedelta

PRECISION = 1e-6

POLICIES = ("manual", "confirm", "delivery", "period")
# The choices of the policy fields (company, customer, order).
POLICY_SELECTION = [
    ("manual", "Manual"),
    ("confirm", "On Confirmation"),
    ("delivery", "On Delivery"),
    ("period", "Period-End Batch"),
]

# Error codes of :func:`check_order`, formatted (and translated) by the caller.
NEGATIVE_QTY = "negative_qty"
ZERO_PRICE = "zero_price"
CURRENCY_MISMATCH = "currency_mismatch"


def is_zero(value):
    return abs(value) < PRECISION


def line_quantity(basis, qty_invoiced, auto_qty):
    """Quantity the automation invoices on a line (negative: to credit).

    ``basis`` is what should be invoiced in the end (ordered or delivered
    quantity), ``qty_invoiced`` what Odoo counts as invoiced (net of credit
    notes, whoever made them), ``auto_qty`` what the automation invoiced
    (net of the credit notes it made itself).  Both must agree on the
    direction; the smaller amount wins.
    """
    wanted = basis - auto_qty
    remaining = basis - qty_invoiced
    if is_zero(wanted) or is_zero(remaining):
        return 0.0
    if wanted > 0 and remaining > 0:
        return min(wanted, remaining)
    if wanted < 0 and remaining < 0:
        return max(wanted, remaining)
    return 0.0


def period_bounds(day, kind):
    """First and last day of the ``kind`` (month, quarter, year) holding ``day``."""
    if kind == "year":
        start = date(day.year, 1, 1)
        return start, date(day.year, 12, 31)
    if kind == "quarter":
        month = 3 * ((day.month - 1) // 3) + 1
    elif kind == "month":
        month = day.month
    else:
        raise ValueError(f"unknown period kind {kind!r}")
    start = date(day.year, month, 1)
    months = 3 if kind == "quarter" else 1
    year, month = divmod(month - 1 + months, 12)
    end = date(day.year + year, month + 1, 1) - timedelta(days=1)
    return start, end


def check_order(order):
    """Bad input of an order: a list of ``(code, line_ref)``.

    ``order`` carries ``currency``, ``pricelist_currency`` and
    ``journal_currency`` (either may be None) and ``lines`` with ``ref``,
    ``ordered``, ``price_unit``, ``is_downpayment``.  Only the lines the
    automation would invoice (``refs``) are checked for prices.
    """
    errors = []
    currency = order["currency"]
    for other in (order.get("pricelist_currency"), order.get("journal_currency")):
        if other and other != currency:
            errors.append((CURRENCY_MISMATCH, None))
            break
    for line in order["lines"]:
        if line.get("is_downpayment"):
            continue
        if line["ordered"] < 0 and not is_zero(line["ordered"]):
            errors.append((NEGATIVE_QTY, line["ref"]))
        elif is_zero(line["price_unit"]) and not is_zero(line.get("qty", 0.0)):
            errors.append((ZERO_PRICE, line["ref"]))
    return errors


def plan(order, today):
    """What the automation invoices now for ``order``.

    ``order``: ``policy``, ``period_kind``, ``date`` (the order date),
    ``lines`` (``ref``, ``basis``, ``qty_invoiced``, ``auto_qty``,
    ``ordered``, ``is_goods``, ``is_downpayment``, ``qty_to_invoice`` for
    down payments).

    Returns None when nothing is due, else ``{"lines": {ref: qty},
    "final": bool, "period": (start, end) or None}``.  ``final`` is set when
    a line is credited (Odoo then makes credit notes) or when the order is
    completely invoiced by this run (down payments are deducted).
    """
    policy = order["policy"]
    if policy not in POLICIES or policy == "manual":
        return None
    period = None
    if policy == "period":
        period = period_bounds(order["date"], order["period_kind"])
        if period[1] >= today:
            return None
    quantities = {}
    goods_moved = False
    has_goods = False
    complete = True
    for line in order["lines"]:
        if line.get("is_downpayment"):
            continue
        qty = line_quantity(line["basis"], line["qty_invoiced"], line["auto_qty"])
        has_goods = has_goods or line.get("is_goods", False)
        if not is_zero(qty):
            quantities[line["ref"]] = qty
            goods_moved = goods_moved or line.get("is_goods", False)
        target = max(line["basis"], line.get("ordered", line["basis"]))
        if not is_zero(target - line["qty_invoiced"] - qty):
            complete = False
    if not quantities:
        return None
    if policy == "delivery" and has_goods and not goods_moved:
        return None
    downpayments = [
        line
        for line in order["lines"]
        if line.get("is_downpayment") and not is_zero(line.get("qty_to_invoice", 0.0))
    ]
    if complete:
        for line in downpayments:
            quantities[line["ref"]] = line["qty_to_invoice"]
    final = complete or any(qty < 0 for qty in quantities.values())
    return {"lines": quantities, "final": final, "period": period}


def group_key(order, result):
    """Orders with the same key go on one invoice (period-end batch).

    One invoice per company, invoice address, currency and period; orders of
    the other policies are invoiced each on its own.
    """
    if result["period"] is None:
        return ("order", order["id"])
    return (
        "period",
        order["company"],
        order["invoice_partner"],
        order["currency"],
        result["period"][0],
    )


def groups(plans):
    """``{key: [order ids]}`` for ``plans``: ``[(order, result)]``, in order."""
    grouped = {}
    for order, result in plans:
        grouped.setdefault(group_key(order, result), []).append(order["id"])
    return grouped
