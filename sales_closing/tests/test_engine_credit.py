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
            draft_invoices=[{"amount": 50.0}, {"amount": -20.0}],
        )
        self.assertEqual(
            parts,
            {
                "receivables": 800.0,
                "draft_invoices": 30.0,
                "uninvoiced_orders": 400.0,
                "current_order": 100.0,
                "total": 1330.0,
            },
        )

    def _line(self, **values):
        line = {
            "ordered": 2.0,
            "delivered": 0.0,
            "invoiced": 0.0,
            "to_invoice": 0.0,
            "policy": "delivery",
            "stock": True,
            "pending": True,
            "rounding": 0.01,
            "price_total": 230.0,
            "price_unit_taxinc": 115.0,
        }
        line.update(values)
        return line

    def test_undelivered_line_counts_its_ordered_quantity(self):
        # issue #16: invoiced on delivery, nothing delivered yet
        line = self._line()
        self.assertEqual(credit.uninvoiced_quantity(line), 2.0)
        self.assertEqual(credit.uninvoiced_amount(line), 230.0)

    def test_partial_delivery_and_invoice(self):
        line = self._line(delivered=1.0, invoiced=1.0, to_invoice=0.0)
        self.assertEqual(credit.uninvoiced_amount(line), 115.0)

    def test_delivered_above_ordered_on_delivery_policy(self):
        line = self._line(delivered=3.0, invoiced=1.0, pending=False, to_invoice=2.0)
        self.assertEqual(credit.uninvoiced_quantity(line), 2.0)
        self.assertEqual(credit.uninvoiced_amount(line), 230.0)
        # invoiced on order: Odoo invoices the ordered quantity only
        line = self._line(
            policy="order", delivered=3.0, invoiced=0.0, pending=False, to_invoice=2.0
        )
        self.assertEqual(credit.uninvoiced_quantity(line), 2.0)

    def test_nothing_left_to_deliver_counts_what_odoo_will_invoice(self):
        # backorder cancelled after 1 of 2: only the delivered one is owed
        line = self._line(delivered=1.0, pending=False, to_invoice=1.0)
        self.assertEqual(credit.uninvoiced_quantity(line), 1.0)
        # 2 delivered and invoiced, 1 returned: owed until the credit note
        # (the receivable still holds it), then the credit note lowers it
        line = self._line(delivered=1.0, invoiced=2.0, pending=False, to_invoice=-1.0)
        self.assertEqual(credit.uninvoiced_amount(line), 0.0)
        # 2 delivered, 1 returned before any invoice: 1 to invoice
        line = self._line(delivered=1.0, pending=False, to_invoice=1.0)
        self.assertEqual(credit.uninvoiced_amount(line), 115.0)
        # a service (no stock move) keeps its ordered quantity
        line = self._line(stock=False, pending=False, to_invoice=0.0)
        self.assertEqual(credit.uninvoiced_quantity(line), 2.0)

    def test_down_payment_line_deducts_what_it_invoiced(self):
        # a down payment invoiced (quantity 1 on a line ordered 0) lowers the
        # order's amount to invoice by the down payment, taxes included
        line = self._line(
            ordered=0.0,
            invoiced=1.0,
            policy="order",
            stock=False,
            price_total=0.0,
            price_unit_taxinc=0.0,  # Odoo's on a line ordered 0
            is_downpayment=True,
            invoiced_amount=57.5,
        )
        self.assertEqual(credit.uninvoiced_amount(line), -57.5)
        # deducted on the final invoice: nothing left to deduct
        line.update(invoiced=0.0, invoiced_amount=0.0)
        self.assertEqual(credit.uninvoiced_amount(line), 0.0)

    def test_quantity_rounded_to_the_uom(self):
        line = self._line(ordered=1.0, invoiced=0.996, rounding=0.01, stock=False)
        self.assertEqual(credit.uninvoiced_quantity(line), 0.0)
        self.assertEqual(credit.round_quantity(-0.335, 0.01), -0.34)

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
