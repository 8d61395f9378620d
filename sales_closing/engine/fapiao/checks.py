"""What the platform refuses, checked before a batch is written, and the
rows of the batch-issue workbook.

An invoice is a dict::

    {
        "ref": "INV/2026/00001",        # names the invoice in messages
        "serial": "SCFP000000000012",   # 发票流水号, at most 20 characters
        "type": "01" | "02",            # 专票 / 普票
        "tax_included": bool,           # prices with tax (是否含税)
        "currency": "CNY",
        "issued_number": "" | "2632...",  # already issued: refused
        "refund": bool,                 # credit notes go by red letters
        "buyer": {"name", "vat", "address", "phone", "bank", "account", "email"},
        "remark": "...",
        "lines": [{
            "name": "...", "product": "...", "tax_code": "19 digits",
            "spec": "", "uom": "",
            "quantity": 2.0, "price_unit": 113.0,   # with or without tax as
            "net": 203.4,                            # the invoice (after discount)
            "rate": 0.13 | None,                     # None: no single VAT rate
        }],
    }

Amounts follow the template's notes: 金额 = 单价 × 数量 to the fen, the
discount as 折扣金额 (the platform adds the discount line), 税率 a decimal.
"""

from decimal import Decimal

from .common import (
    INVOICE_TYPES,
    MAX_LINES,
    REMARK_MAX,
    SERIAL_MAX,
    FapiaoError,
    decimal_text,
    is_tax_code,
    is_uscc,
    money,
    rate_text,
)


def problems(invoices):
    """Every reason the platform would refuse the batch, as
    ``[(code, message, params)]`` naming the invoice and the line."""
    found = []

    def add(code, message, **params):
        found.append((code, message, params))

    total_lines = sum(len(invoice["lines"]) for invoice in invoices)
    if total_lines > MAX_LINES:
        add(
            "too_many_lines",
            "The batch has %(count)s lines; the platform takes at most "
            "%(max)s: export fewer invoices at once.",
            count=total_lines,
            max=MAX_LINES,
        )
    serials = set()
    for invoice in invoices:
        ref = invoice["ref"]
        if invoice.get("refund"):
            add(
                "refund",
                "%(invoice)s is a credit note: it is reversed by a red-letter "
                "form (红字确认单), not by the batch-issue file.",
                invoice=ref,
            )
            continue
        if invoice.get("issued_number"):
            add(
                "issued",
                "%(invoice)s already has the e-fapiao %(number)s.",
                invoice=ref,
                number=invoice["issued_number"],
            )
        serial = invoice.get("serial") or ""
        if not serial or len(serial) > SERIAL_MAX or serial in serials:
            add(
                "serial",
                "%(invoice)s: the serial %(serial)s is empty, longer than 20 "
                "characters or used twice.",
                invoice=ref,
                serial=serial,
            )
        serials.add(serial)
        if invoice.get("currency") != "CNY":
            add(
                "currency",
                "%(invoice)s is in %(currency)s: e-fapiao are issued in CNY only.",
                invoice=ref,
                currency=invoice.get("currency"),
            )
        if invoice.get("type") not in INVOICE_TYPES:
            add(
                "type",
                "%(invoice)s: no e-fapiao type (special or normal VAT invoice).",
                invoice=ref,
            )
        buyer = invoice.get("buyer") or {}
        if not buyer.get("name"):
            add("buyer_name", "%(invoice)s: the buyer has no name.", invoice=ref)
        vat = (buyer.get("vat") or "").strip()
        if invoice.get("type") == "01" and not is_uscc(vat):
            add(
                "buyer_vat",
                "%(invoice)s: a special VAT invoice (专票) needs the buyer's "
                "18-character unified social credit code; %(buyer)s has "
                "%(vat)s.",
                invoice=ref,
                buyer=buyer.get("name") or "",
                vat=vat or "none",
            )
        if len(invoice.get("remark") or "") > REMARK_MAX:
            add(
                "remark",
                "%(invoice)s: the remark has %(count)s characters; the "
                "platform takes at most %(max)s.",
                invoice=ref,
                count=len(invoice["remark"]),
                max=REMARK_MAX,
            )
        if not invoice["lines"]:
            add("no_lines", "%(invoice)s has no lines.", invoice=ref)
        _line_problems(add, ref, invoice["lines"])
    return found


def _line_problems(add, ref, lines):
    """What the platform refuses in the lines of invoice ``ref``."""
    for number, line in enumerate(lines, start=1):
        label = line.get("product") or line.get("name") or ""
        if not is_tax_code(line.get("tax_code") or ""):
            add(
                "tax_code",
                "%(invoice)s, line %(line)s (%(product)s): the product "
                "has no 19-digit tax classification code.",
                invoice=ref,
                line=number,
                product=label,
            )
        if rate_text(line.get("rate")) is None:
            add(
                "rate",
                "%(invoice)s, line %(line)s (%(product)s): the rate "
                "%(rate)s is not one the platform issues at "
                "(one VAT tax a line: 13, 9, 6, 5, 3, 1.5, 1 or 0 %%).",
                invoice=ref,
                line=number,
                product=label,
                rate="none" if line.get("rate") is None else line["rate"],
            )
        if Decimal(str(line.get("quantity") or 0)) <= 0 or money(line["net"]) < 0:
            add(
                "negative",
                "%(invoice)s, line %(line)s (%(product)s): a negative "
                "quantity or amount is issued by a red letter, not in a "
                "blue e-fapiao.",
                invoice=ref,
                line=number,
                product=label,
            )


def template_rows(invoices):
    """The rows of both data sheets, every value text; refuses the whole
    batch (``FapiaoError`` listing every problem) when one invoice is bad."""
    found = problems(invoices)
    if found:
        raise FapiaoError(
            "batch",
            "The batch is refused:\n%(problems)s",
            problems="\n".join(message % params for _code, message, params in found),
        ).with_problems(found)
    invoice_rows, line_rows = [], []
    for invoice in invoices:
        buyer = invoice["buyer"]
        invoice_rows.append(
            {
                "serial": invoice["serial"],
                "type_label": INVOICE_TYPES[invoice["type"]],
                "tax_included_label": "是" if invoice["tax_included"] else "否",
                "buyer_name": buyer.get("name") or "",
                "buyer_vat": (buyer.get("vat") or "").strip(),
                "buyer_address": buyer.get("address") or "",
                "buyer_phone": buyer.get("phone") or "",
                "buyer_bank": buyer.get("bank") or "",
                "buyer_account": buyer.get("account") or "",
                "buyer_email": buyer.get("email") or "",
                "remark": invoice.get("remark") or "",
            }
        )
        for line in invoice["lines"]:
            line_rows.append(line_row(invoice["serial"], line))
    return {"invoices": invoice_rows, "lines": line_rows}


def line_row(serial, line):
    """One row of 2-发票明细信息: 金额 = 单价 × 数量, the discount apart."""
    quantity = Decimal(str(line["quantity"]))
    price = Decimal(str(line["price_unit"]))
    gross = money(price * quantity)
    net = money(line["net"])
    discount = gross - net
    if discount < 0:  # rounding of a price Odoo computed after discount
        gross, discount = net, Decimal("0.00")
    return {
        "serial": serial,
        "name": line["name"][:100],
        "tax_code": line["tax_code"],
        "spec": (line.get("spec") or "")[:40],
        "uom": (line.get("uom") or "")[:22],
        "quantity": decimal_text(quantity),
        "price_unit": decimal_text(price),
        "amount": format(gross, "f"),
        "rate": rate_text(line["rate"]),
        "discount": format(discount, "f") if discount else "",
    }
