"""Unit tests of the credit exposure arithmetic (no database)."""

import unittest
from datetime import date

from odoo.addons.sales_closing.engine import credit


class TestCredit(unittest.TestCase):
    def test_exposure_sums_in_company_currency(self):
        parts = credit.exposure(
            [{"amount": 1000.0, "rate": 1.0}, {"amount": -200.0}],
            [{"amount": 300.0, "rate": 1.0}, {"amount": 200.0, "rate": 2.0}],
            {"amount": 150.0, "rate": 1.5},
        )
        self.assertEqual(
            parts,
            {
                "receivables": 800.0,
                "uninvoiced_orders": 400.0,
                "current_order": 100.0,
                "total": 1300.0,
            },
        )

    def test_exposure_without_current_order(self):
        self.assertEqual(credit.exposure([], [])["total"], 0.0)

    def test_bad_rate(self):
        with self.assertRaises(ValueError):
            credit.to_company(10, -1)

    def test_over_limit(self):
        self.assertTrue(credit.over_limit(1000.01, 1000))
        self.assertFalse(credit.over_limit(1000.0, 1000))
        self.assertFalse(credit.over_limit(10**9, 0))

    def test_overdue(self):
        today = date(2026, 3, 31)
        invoices = [
            {"name": "INV/1", "due_date": date(2026, 2, 1)},
            {"name": "INV/2", "due_date": date(2026, 3, 10)},
            {"name": "INV/3", "due_date": date(2026, 4, 10)},
        ]
        late = credit.overdue(invoices, today, 30)
        self.assertEqual(
            [(i["name"], i["days_overdue"]) for i in late], [("INV/1", 58)]
        )
        self.assertEqual(len(credit.overdue(invoices, today, 0)), 2)
        self.assertEqual(credit.days_overdue(date(2026, 4, 10), today), 0)
