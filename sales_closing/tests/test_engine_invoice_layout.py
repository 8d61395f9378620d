"""Unit tests of the invoice layout choice and payment QR payloads (no database)."""

import base64
import io
import unittest
from decimal import Decimal

import zxingcpp
from PIL import Image

from odoo.addons.sales_closing.engine import invoice_layout

URL = "https://erp.example.com/my/invoices/7?access_token=abc&payment=True#portal_pay"
IBAN = "DE89 3704 0044 0532 0130 00"


def decode(data_uri):
    """Return the texts of the QR codes in a PNG data URI."""
    prefix = "data:image/png;base64,"
    assert data_uri.startswith(prefix)
    image = Image.open(io.BytesIO(base64.b64decode(data_uri[len(prefix) :])))
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


class TestChooseLayout(unittest.TestCase):
    def test_customer_then_journal_then_company(self):
        self.assertEqual(
            invoice_layout.choose_layout("modern", "cn_vat", "classic"), "modern"
        )
        self.assertEqual(
            invoice_layout.choose_layout(False, "cn_vat", "modern"), "cn_vat"
        )
        self.assertEqual(invoice_layout.choose_layout(None, "", "modern"), "modern")
        # nothing chosen anywhere: Odoo's standard invoice
        self.assertEqual(invoice_layout.choose_layout(False, False, False), "standard")

    def test_every_layout_has_a_template_but_standard(self):
        codes = {code for code, _label in invoice_layout.LAYOUT_SELECTION}
        self.assertEqual(set(invoice_layout.TEMPLATES), codes - {"standard"})

    def test_missing_tax_ids(self):
        parties = [("Seller Co", "CN123"), ("Buyer Co", ""), ("Other", "  ")]
        self.assertEqual(
            invoice_layout.missing_tax_ids("cn_vat", parties), ["Buyer Co", "Other"]
        )
        self.assertEqual(invoice_layout.missing_tax_ids("classic", parties), [])
        self.assertEqual(
            invoice_layout.missing_tax_ids("cn_vat", [("A", "1"), ("B", "2")]), []
        )


class TestPaymentQr(unittest.TestCase):
    def test_absolute_url(self):
        self.assertEqual(
            invoice_layout.absolute_url("https://erp.example.com/", "/my/invoices/7"),
            "https://erp.example.com/my/invoices/7",
        )
        self.assertEqual(
            invoice_layout.absolute_url("http://h:8069", "my/invoices/7?x=1"),
            "http://h:8069/my/invoices/7?x=1",
        )

    def test_epc_for_eur_and_iban(self):
        kind, payload = invoice_layout.payment_qr_payload(
            URL,
            "EUR",
            Decimal("813.60"),
            name="Closing Europe GmbH",
            iban=IBAN,
            bic="COBADEFFXXX",
            reference="INV/2026/00001",
        )
        self.assertEqual(kind, "epc")
        self.assertEqual(
            payload,
            "BCD\n002\n1\nSCT\nCOBADEFFXXX\nClosing Europe GmbH\n"
            "DE89370400440532013000\nEUR813.60\n\n\nINV/2026/00001",
        )

    def test_epc_structured_rf_reference(self):
        _kind, payload = invoice_layout.payment_qr_payload(
            URL,
            "eur",
            Decimal("10"),
            name="Seller",
            iban=IBAN,
            reference="RF18 5390 0754 7034",
        )
        self.assertEqual(payload.split("\n")[-1], "RF18539007547034")
        self.assertEqual(payload.split("\n")[-2], "")

    def test_url_for_other_currencies_or_accounts(self):
        for currency, iban in (
            ("USD", IBAN),
            ("CNY", "6222 0210 0112 3456 789"),
            ("EUR", "6222 0210 0112 3456 789"),
            ("EUR", ""),
            ("EUR", "DE00370400440532013000"),  # wrong checksum
        ):
            with self.subTest(currency=currency, iban=iban):
                self.assertEqual(
                    invoice_layout.payment_qr_payload(
                        URL, currency, Decimal("5"), name="Seller", iban=iban
                    ),
                    ("url", URL),
                )

    def test_url_when_epc_rules_refuse(self):
        """Data the EPC guideline refuses falls back to the portal page."""
        for amount in (Decimal("0"), Decimal("1000000000")):
            with self.subTest(amount=amount):
                self.assertEqual(
                    invoice_layout.payment_qr_payload(
                        URL, "EUR", amount, name="Seller", iban=IBAN
                    ),
                    ("url", URL),
                )
        self.assertEqual(
            invoice_layout.payment_qr_payload(
                URL, "EUR", Decimal("5"), name="", iban=IBAN
            ),
            ("url", URL),
        )

    def test_long_name_is_cut_to_the_epc_maximum(self):
        _kind, payload = invoice_layout.payment_qr_payload(
            URL, "EUR", Decimal("5"), name="N" * 90, iban=IBAN
        )
        self.assertIn("\n" + "N" * 70 + "\n", payload)

    def test_money(self):
        self.assertEqual(invoice_layout.money(1627.2), Decimal("1627.20"))
        self.assertEqual(invoice_layout.money(0.1 + 0.2), Decimal("0.30"))
        self.assertEqual(invoice_layout.money(-3), Decimal("-3.00"))

    def test_qr_image_decodes_to_payload(self):
        for payload in (
            URL,
            "BCD\n002\n1\nSCT\n\nSeller\nDE89370400440532013000\nEUR5.00",
            "上海闭环贸易有限公司",
        ):
            with self.subTest(payload=payload):
                uri = invoice_layout.qr_png_data_uri(payload)
                self.assertEqual(decode(uri), [payload])
                # the same payload always gives the same image
                self.assertEqual(uri, invoice_layout.qr_png_data_uri(payload))
