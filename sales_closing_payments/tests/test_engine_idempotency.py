"""Unit tests of idempotency keys and the shared money / key helpers (no Odoo model)."""

import hashlib
import json
import os
import unittest
from datetime import date
from decimal import Decimal

from odoo.addons.sales_closing_payments.engine import common, idempotency

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


class TestIdempotencyKey(unittest.TestCase):
    """idempotency_key / operation_key / provider_reference."""

    def test_stable_and_fixed(self):
        """Same parts, same key; the encoding is pinned by a regression vector."""
        key = idempotency.idempotency_key("alipay", "SO0042", "pay", 8880, "")
        self.assertEqual(
            key, idempotency.idempotency_key("alipay", "SO0042", "pay", 8880, "")
        )
        payload = json.dumps(["v1", "s:alipay", "s:SO0042", "s:pay", "i:8880", "s:"])
        self.assertEqual(key, hashlib.sha256(payload.encode("utf-8")).hexdigest())
        self.assertEqual(
            key, idempotency.operation_key("alipay", "SO0042", "pay", 8880)
        )
        self.assertEqual(len(key), 64)

    def test_every_part_matters(self):
        """Provider, reference, operation, amount and scope each change the key."""
        base = ("alipay", "SO0042", "pay", 8880, "inst-1")
        keys = {idempotency.idempotency_key(*base)}
        for index, other in enumerate(
            ("wechatpay", "SO0043", "refund", 8881, "inst-2")
        ):
            changed = list(base)
            changed[index] = other
            keys.add(idempotency.idempotency_key(*changed))
        self.assertEqual(len(keys), 6)

    def test_unambiguous_encoding(self):
        """Separators inside parts and types cannot collide."""
        self.assertNotEqual(
            idempotency.idempotency_key("a|b", "c"),
            idempotency.idempotency_key("a", "b|c"),
        )
        self.assertNotEqual(
            idempotency.idempotency_key("1"), idempotency.idempotency_key(1)
        )
        self.assertNotEqual(
            idempotency.idempotency_key(None), idempotency.idempotency_key("")
        )
        self.assertNotEqual(
            idempotency.idempotency_key(True), idempotency.idempotency_key(1)
        )

    def test_decimal_and_dates(self):
        """Equal Decimals give equal keys; dates are accepted; floats are refused."""
        self.assertEqual(
            idempotency.idempotency_key(Decimal("10.0")),
            idempotency.idempotency_key(Decimal("10.00")),
        )
        self.assertEqual(
            idempotency.idempotency_key(Decimal("0")),
            idempotency.idempotency_key(Decimal("-0.00")),
        )
        self.assertTrue(idempotency.idempotency_key(date(2024, 5, 1)))
        with self.assertRaises(TypeError):
            idempotency.idempotency_key(10.0)
        with self.assertRaises(TypeError):
            idempotency.idempotency_key(object())
        with self.assertRaises(ValueError):
            idempotency.idempotency_key()

    def test_operation_key_validation(self):
        """Amounts must be integer minor units; required parts must be present."""
        with self.assertRaises(TypeError):
            idempotency.operation_key("alipay", "SO1", "pay", Decimal("88.80"))
        with self.assertRaises(ValueError):
            idempotency.operation_key("alipay", "", "pay", 100)

    def test_provider_reference(self):
        """References fit provider limits and keep the prefix."""
        key = idempotency.operation_key("wechatpay", "SO0042", "pay", 8880)
        reference = idempotency.provider_reference(key, prefix="SO42-", length=32)
        self.assertEqual(len(reference), 32)
        self.assertTrue(reference.startswith("SO42-"))
        self.assertEqual(reference, "SO42-" + key[:27])
        self.assertEqual(len(idempotency.provider_reference("not hex at all")), 32)
        with self.assertRaises(ValueError):
            idempotency.provider_reference(key, prefix="bad prefix!")
        with self.assertRaises(ValueError):
            idempotency.provider_reference(key, prefix="X" * 20, length=32)
        with self.assertRaises(ValueError):
            idempotency.provider_reference("")


class TestCommonHelpers(unittest.TestCase):
    """Money conversions and key loading shared by the engines."""

    def test_minor_units(self):
        """Exact conversions both ways; sub-unit amounts and floats refused."""
        self.assertEqual(common.to_minor_units(Decimal("12.34")), 1234)
        self.assertEqual(common.to_minor_units("-0.5"), -50)
        self.assertEqual(common.to_minor_units(Decimal("1000"), 0), 1000)
        self.assertEqual(common.from_minor_units(1234), Decimal("12.34"))
        self.assertEqual(str(common.from_minor_units(5)), "0.05")
        with self.assertRaises(ValueError):
            common.to_minor_units(Decimal("0.001"))
        with self.assertRaises(TypeError):
            common.to_minor_units(0.1)
        with self.assertRaises(ValueError):
            common.to_minor_units("abc")
        with self.assertRaises(ValueError):
            common.to_minor_units(Decimal("NaN"))
        with self.assertRaises(TypeError):
            common.from_minor_units(Decimal("1"))

    def test_format_and_round(self):
        """'%.2f' formatting without floats, half-up rounding to any step."""
        self.assertEqual(common.format_amount(Decimal("5")), "5.00")
        self.assertEqual(common.format_amount("0.1"), "0.10")
        self.assertEqual(common.round_to(Decimal("2.675")), Decimal("2.68"))
        self.assertEqual(common.round_to(Decimal("-2.675")), Decimal("-2.68"))
        self.assertEqual(
            common.round_to(Decimal("1.024"), Decimal("0.05")), Decimal("1.00")
        )
        self.assertEqual(
            common.round_to(Decimal("1.025"), Decimal("0.05")), Decimal("1.05")
        )
        with self.assertRaises(ValueError):
            common.round_to(Decimal("1"), Decimal("0"))

    def test_key_formats(self):
        """PEM and bare base64 bodies (as shown in provider consoles) both load."""
        with open(
            os.path.join(DATA_DIR, "test_only_rsa2048_private_key.pem"),
            encoding="ascii",
        ) as handle:
            private_pem = handle.read()
        with open(
            os.path.join(DATA_DIR, "test_only_rsa2048_public_key.pem"), encoding="ascii"
        ) as handle:
            public_pem = handle.read()
        bare_private = "".join(
            line for line in private_pem.splitlines() if not line.startswith("-----")
        )
        bare_public = "".join(
            line for line in public_pem.splitlines() if not line.startswith("-----")
        )
        signature = common.rsa_sha256_sign("message", bare_private)
        self.assertEqual(
            signature, common.rsa_sha256_sign(b"message", private_pem.encode("ascii"))
        )
        self.assertTrue(common.rsa_sha256_verify("message", signature, bare_public))
        self.assertFalse(common.rsa_sha256_verify("message", "", bare_public))
        with self.assertRaises(common.PaymentEngineError):
            common.load_private_key("not a key")
        with self.assertRaises(common.PaymentEngineError):
            common.load_public_key("not a key")

    def test_status_messages(self):
        """Every status has a plain English message."""
        for status in (
            "ok",
            "bad_signature",
            "unknown_reference",
            "amount_mismatch",
            "currency_mismatch",
            "replay",
            "not_paid",
            "stale",
        ):
            self.assertTrue(common.status_message(status).endswith("."))
        self.assertIn("Unknown", common.status_message("nope"))


if __name__ == "__main__":
    unittest.main()
