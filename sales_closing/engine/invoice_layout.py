"""Invoice layouts: which layout prints an invoice, and its payment QR code.

Small pure functions over plain data (no Odoo import), unit-tested on their
own; ``account.move`` feeds them the customer's, the journal's and the
company's settings, the invoice's portal URL and its bank account.
"""

import base64
import io
from decimal import Decimal

import qrcode
from qrcode.image.pil import PilImage

from . import epc_qr

# selection of the layout fields of the company, the journal and the customer
LAYOUT_SELECTION = [
    ("classic", "Classic"),
    ("modern", "Modern"),
    ("cn_vat", "Chinese VAT Invoice (增值税发票)"),
    ("standard", "Odoo Standard"),
]
# layout code -> QWeb template printing one invoice ("standard": Odoo's own)
TEMPLATES = {
    "classic": "sales_closing.report_invoice_classic",
    "modern": "sales_closing.report_invoice_modern",
    "cn_vat": "sales_closing.report_invoice_cn_vat",
}
# layouts that cannot be printed without the tax ID of both parties
TAX_ID_REQUIRED = frozenset({"cn_vat"})
# Odoo's own invoice until a company, journal or customer chooses ours
DEFAULT_LAYOUT = "standard"
# anchor and query of Odoo's "Pay Now" link: the page opens the payment form
PORTAL_PAY_ANCHOR = "portal_pay"
PORTAL_PAY_QUERY = "&payment=True"


def choose_layout(partner_layout, journal_layout, company_layout):
    """Return the layout of an invoice: the customer's, else the journal's,
    else the company's, else the default."""
    return partner_layout or journal_layout or company_layout or DEFAULT_LAYOUT


def missing_tax_ids(layout, parties):
    """Return the names of ``parties`` lacking the tax ID ``layout`` needs.

    ``parties`` is an iterable of ``(name, vat)`` pairs, e.g. the company
    and the customer. Layouts without the requirement return ``[]``.
    """
    if layout not in TAX_ID_REQUIRED:
        return []
    return [name for name, vat in parties if not (vat or "").strip()]


def absolute_url(base_url, path):
    """Join a base URL (``https://erp.example.com/``) and a portal path."""
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def payment_qr_payload(
    portal_url, currency, amount, name="", iban="", bic="", reference=""
):
    """Return ``(kind, payload)`` of the QR code printed on an invoice.

    An invoice in EUR paid to a bank account with a valid IBAN gets an
    EPC069-12 SEPA credit transfer payload (``kind`` ``"epc"``): ``name`` is
    the beneficiary, ``amount`` the ``Decimal`` due, ``reference`` the
    payment reference (sent as structured reference when it is an ISO 11649
    ``RF`` reference, as remittance text otherwise). Every other invoice, or
    one whose data does not fit the EPC rules (a name too long, an amount
    out of range), gets the URL of its portal payment page (``"url"``).
    """
    if (currency or "").upper() == "EUR" and epc_qr.is_valid_iban(iban or ""):
        reference = (reference or "").strip()
        structured = bool(reference) and epc_qr.is_valid_creditor_reference(reference)
        try:
            payload = epc_qr.epc_payload(
                (name or "")[: epc_qr.MAX_NAME],
                iban,
                amount,
                currency="EUR",
                bic=bic or "",
                reference=reference if structured else "",
                text="" if structured else reference[: epc_qr.MAX_TEXT],
            )
        except (ValueError, TypeError):
            pass
        else:
            return "epc", payload
    return "url", portal_url


def money(amount, digits=2):
    """Return a float amount as a ``Decimal`` rounded to ``digits`` places."""
    return Decimal(repr(round(float(amount), digits))).quantize(
        Decimal(1).scaleb(-digits)
    )


def qr_png_data_uri(payload, box_size=4, border=2):
    """Return a ``data:image/png;base64,...`` URI of the QR code of ``payload``.

    Made with ``qrcode`` (error correction M) and Pillow, which Odoo needs
    anyway; the same payload always gives the same bytes.
    """
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=box_size,
        border=border,
        image_factory=PilImage,
    )
    code.add_data(payload)
    code.make(fit=True)
    stream = io.BytesIO()
    code.make_image().save(stream)
    return "data:image/png;base64," + base64.b64encode(stream.getvalue()).decode()
