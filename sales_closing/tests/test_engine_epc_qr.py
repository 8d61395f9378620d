"""Unit tests of the EPC069-12 SEPA credit transfer QR payload (no database)."""

import unittest
from decimal import Decimal

from odoo.addons.sales_closing.engine import epc_qr

IBAN = "DE89370400440532013000"
NAME = "Red Cross of Belgium"


class TestIban(unittest.TestCase):
    def test_valid_ibans(self):
        for iban in (
            IBAN,
            "BE68 5390 0754 7034",
            "nl91abna0417164300",
            "FR1420041010050500013M02606",
        ):
            with self.subTest(iban=iban):
                self.assertTrue(epc_qr.is_valid_iban(iban))

    def test_invalid_ibans(self):
        for iban in (
            "DE89370400440532013001",
            "DE8937040044",
            "",
            "1289370400440532013000",
        ):
            with self.subTest(iban=iban):
                self.assertFalse(epc_qr.is_valid_iban(iban))

    def test_creditor_reference(self):
        self.assertTrue(epc_qr.is_valid_creditor_reference("RF18 5390 0754 7034"))
        self.assertFalse(epc_qr.is_valid_creditor_reference("RF19539007547034"))


class TestPayload(unittest.TestCase):
    def test_full_payload(self):
        payload = epc_qr.epc_payload(
            NAME,
            "DE89 3704 0044 0532 0130 00",
            Decimal("1234.5"),
            bic="COBADEFFXXX",
            reference="RF18 5390 0754 7034",
        )
        self.assertEqual(
            payload.split("\n"),
            [
                "BCD",
                "002",
                "1",
                "SCT",
                "COBADEFFXXX",
                NAME,
                IBAN,
                "EUR1234.50",
                "",
                "RF18539007547034",
            ],
        )

    def test_text_payload_without_bic(self):
        payload = epc_qr.epc_payload(
            NAME, IBAN, Decimal("0.01"), text="Invoice INV/2026/00012"
        )
        self.assertEqual(
            payload,
            f"BCD\n002\n1\nSCT\n\n{NAME}\n{IBAN}\nEUR0.01\n\n\nInvoice INV/2026/00012",
        )

    def test_trailing_empty_lines_left_out(self):
        payload = epc_qr.epc_payload(NAME, IBAN, Decimal("999999999.99"))
        self.assertTrue(payload.endswith("\nEUR999999999.99"))
        self.assertFalse(payload.endswith("\n"))

    def test_no_amount(self):
        payload = epc_qr.epc_payload(NAME, IBAN, None, text="Donation")
        self.assertEqual(payload.split("\n")[7], "")

    def test_unicode_name(self):
        payload = epc_qr.epc_payload("Société Générale Ærø", IBAN, Decimal(5))
        self.assertIn("\nSociété Générale Ærø\n", payload)

    def test_amount_validation(self):
        for amount in (
            Decimal(0),
            Decimal(-1),
            Decimal("1000000000.00"),
            Decimal("1.001"),
            Decimal("NaN"),
        ):
            with self.subTest(amount=amount), self.assertRaises(ValueError):
                epc_qr.epc_payload(NAME, IBAN, amount)
        with self.assertRaises(TypeError):
            epc_qr.epc_payload(NAME, IBAN, 12.5)

    def test_name_validation(self):
        epc_qr.epc_payload("x" * 70, IBAN, Decimal(1))
        with self.assertRaisesRegex(ValueError, "70"):
            epc_qr.epc_payload("x" * 71, IBAN, Decimal(1))
        with self.assertRaisesRegex(ValueError, "name is required"):
            epc_qr.epc_payload("  ", IBAN, Decimal(1))
        with self.assertRaisesRegex(ValueError, "line breaks"):
            epc_qr.epc_payload("Evil\nBCD", IBAN, Decimal(1))

    def test_iban_validation(self):
        with self.assertRaisesRegex(ValueError, "IBAN"):
            epc_qr.epc_payload(NAME, "DE89370400440532013001", Decimal(1))

    def test_bic_validation(self):
        with self.assertRaisesRegex(ValueError, "BIC"):
            epc_qr.epc_payload(NAME, IBAN, Decimal(1), bic="COBA")

    def test_currency_must_be_eur(self):
        with self.assertRaisesRegex(ValueError, "EUR"):
            epc_qr.epc_payload(NAME, IBAN, Decimal(1), currency="USD")
        self.assertIn(
            "EUR1.00", epc_qr.epc_payload(NAME, IBAN, Decimal(1), currency="eur")
        )

    def test_reference_and_text_exclusive(self):
        with self.assertRaisesRegex(ValueError, "not both"):
            epc_qr.epc_payload(
                NAME, IBAN, Decimal(1), reference="RF18539007547034", text="Invoice"
            )

    def test_reference_validation(self):
        with self.assertRaisesRegex(ValueError, "check digits"):
            epc_qr.epc_payload(NAME, IBAN, Decimal(1), reference="RF19539007547034")
        with self.assertRaisesRegex(ValueError, "35"):
            epc_qr.epc_payload(NAME, IBAN, Decimal(1), reference="1" * 36)

    def test_text_length(self):
        epc_qr.epc_payload(NAME, IBAN, Decimal(1), text="t" * 140)
        with self.assertRaisesRegex(ValueError, "140"):
            epc_qr.epc_payload(NAME, IBAN, Decimal(1), text="t" * 141)

    def test_payload_byte_limit(self):
        with self.assertRaisesRegex(ValueError, "331 bytes"):
            epc_qr.epc_payload("漢" * 70, IBAN, Decimal(1), text="字" * 140)


if __name__ == "__main__":
    unittest.main()
