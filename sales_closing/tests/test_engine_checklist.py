"""Unit tests of the closing checklist engine (no database)."""

import unittest
from datetime import date
from decimal import Decimal

from odoo.addons.sales_closing.engine import checklist


class TestBlockedItems(unittest.TestCase):
    def test_unmet_dependencies(self):
        items = {
            "invoice": ("ok", []),
            "deliveries": ("failed", []),
            "bank": ("pending", ["invoice"]),
            "revenue": ("pending", ["invoice", "deliveries", "bank"]),
            "report": ("waived", ["deliveries"]),
            "sign": ("pending", ["report"]),
        }
        self.assertEqual(
            checklist.blocked_items(items),
            {"revenue": ["deliveries", "bank"]},
        )

    def test_waived_dependency_unblocks(self):
        items = {1: ("waived", ()), 2: ("pending", (1,))}
        self.assertEqual(checklist.blocked_items(items), {})
        items[1] = ("failed", ())
        self.assertEqual(checklist.blocked_items(items), {2: [1]})

    def test_none_dependencies(self):
        self.assertEqual(checklist.blocked_items({1: ("pending", None)}), {})

    def test_cycle_detected_and_named(self):
        items = {
            "a": ("pending", ["b"]),
            "b": ("pending", ["c"]),
            "c": ("ok", ["a"]),
            "d": ("pending", []),
        }
        with self.assertRaises(ValueError) as caught:
            checklist.blocked_items(items)
        message = str(caught.exception)
        self.assertIn("cycle", message)
        self.assertIn("a -> b -> c -> a", message)

    def test_self_dependency_is_a_cycle(self):
        with self.assertRaisesRegex(ValueError, "x -> x"):
            checklist.blocked_items({"x": ("pending", ["x"])})

    def test_unknown_dependency(self):
        with self.assertRaisesRegex(ValueError, "unknown item ghost"):
            checklist.blocked_items({"a": ("pending", ["ghost"])})

    def test_long_chain_without_cycle(self):
        items = {n: ("pending", [n - 1] if n else []) for n in range(3000)}
        blocked = checklist.blocked_items(items)
        self.assertEqual(len(blocked), 2999)
        self.assertEqual(blocked[2999], [2998])


class TestCanClose(unittest.TestCase):
    def test_all_done(self):
        items = {
            1: {"name": "Draft invoices", "severity": "blocking", "status": "ok"},
            2: {"name": "Bank", "severity": "blocking", "status": "waived"},
            3: {"name": "Late deliveries", "severity": "warning", "status": "failed"},
        }
        self.assertEqual(checklist.can_close(items), (True, []))

    def test_open_blocking_items(self):
        allowed, reasons = checklist.can_close(
            [
                {"name": "Draft invoices", "severity": "blocking", "status": "failed"},
                {"name": "Bank", "status": "pending"},
                {"name": "Stock", "severity": "warning", "status": "pending"},
            ]
        )
        self.assertFalse(allowed)
        self.assertEqual(len(reasons), 2)
        self.assertIn("Draft invoices", reasons[0])
        self.assertIn("failed", reasons[0])
        self.assertIn("Bank", reasons[1])

    def test_reviewer_sign_offs_required(self):
        item = {"name": "Revenue", "severity": "warning", "status": "ok", "reviewer": 7}
        allowed, reasons = checklist.can_close({1: item})
        self.assertFalse(allowed)
        self.assertEqual(len(reasons), 2)
        self.assertIn("preparer", reasons[0])
        self.assertIn("reviewer", reasons[1])
        item["prepared_by"] = 3
        self.assertEqual(len(checklist.can_close({1: item})[1]), 1)
        item["reviewed_by"] = 7
        self.assertEqual(checklist.can_close({1: item}), (True, []))

    def test_same_preparer_and_reviewer_refused(self):
        item = {
            "name": "Revenue",
            "status": "ok",
            "reviewer": 3,
            "prepared_by": 3,
            "reviewed_by": 3,
        }
        allowed, reasons = checklist.can_close([item])
        self.assertFalse(allowed)
        self.assertIn("same person", reasons[0])

    def test_stale_review_refused(self):
        item = {
            "name": "Overdue",
            "status": "ok",
            "reviewer": 7,
            "prepared_by": 3,
            "reviewed_by": 7,
            "count": 4,
            "amount": Decimal("100.00"),
            "review_fingerprint": checklist.fingerprint(4, Decimal("100.00")),
        }
        self.assertEqual(checklist.can_close([item]), (True, []))
        item["amount"] = Decimal("100.01")
        allowed, reasons = checklist.can_close([item])
        self.assertFalse(allowed)
        self.assertIn("changed after its review", reasons[0])

    def test_unnamed_items_labelled(self):
        _allowed, reasons = checklist.can_close([{"status": "failed"}])
        self.assertIn("#1", reasons[0])
        _allowed, reasons = checklist.can_close({42: {"status": "failed"}})
        self.assertIn("42", reasons[0])


class TestFingerprint(unittest.TestCase):
    def test_stable_across_representations(self):
        expected = "12|1500.00"
        self.assertEqual(checklist.fingerprint(12, Decimal(1500)), expected)
        self.assertEqual(checklist.fingerprint(12, 1500.0), expected)
        self.assertEqual(checklist.fingerprint(12, 1500.0000000001), expected)
        self.assertEqual(checklist.fingerprint(0, None), "0|0.00")
        self.assertEqual(checklist.fingerprint(0, -0.0), "0|0.00")

    def test_changes_with_figures(self):
        base = checklist.fingerprint(12, Decimal("1500.00"))
        self.assertNotEqual(base, checklist.fingerprint(13, Decimal("1500.00")))
        self.assertNotEqual(base, checklist.fingerprint(12, Decimal("1500.01")))
        self.assertNotEqual(base, checklist.fingerprint(12, Decimal("-1500.00")))

    def test_signoff_is_current(self):
        stored = checklist.fingerprint(2, Decimal(10))
        self.assertTrue(checklist.signoff_is_current(stored, 2, 10.0))
        self.assertFalse(checklist.signoff_is_current(stored, 3, 10.0))
        self.assertFalse(checklist.signoff_is_current("", 2, 10.0))


class TestRollForward(unittest.TestCase):
    def test_due_dates(self):
        templates = [
            ("Invoice all deliveries", "alice", 0),
            {"name": "Bank reconciliation", "owner": "bob", "due_days": 33},
            ("Accrual review", None, -1),
        ]
        self.assertEqual(
            checklist.roll_forward(templates, date(2026, 2, 1)),
            [
                ("Invoice all deliveries", "alice", date(2026, 2, 1)),
                ("Bank reconciliation", "bob", date(2026, 3, 6)),
                ("Accrual review", None, date(2026, 1, 31)),
            ],
        )

    def test_invalid_input(self):
        with self.assertRaises(TypeError):
            checklist.roll_forward([("x", None, "3")], date(2026, 1, 1))
        with self.assertRaises(TypeError):
            checklist.roll_forward([("x", None, 3)], "2026-01-01")


if __name__ == "__main__":
    unittest.main()
