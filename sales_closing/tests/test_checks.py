from datetime import date, datetime

from odoo.tests import tagged

from .common import SalesClosingCase


@tagged("post_install", "-at_install")
class TestBuiltInChecks(SalesClosingCase):
    """Each built-in check on data that passes and on data that fails."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Check Customer"})
        cls.product = cls.env["product.product"].create(
            {
                "name": "Checked Good",
                "is_storable": True,
                "list_price": 50.0,
                "invoice_policy": "delivery",
            }
        )
        cls.bank = cls.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", cls.company.id)], limit=1
        )

    def _result(self, code):
        kind = self.env["sales.closing.check.kind"].search([("code", "=", code)])
        return kind._evaluate(self.period)

    def _assert_fails(self, code, count, amount=None):
        result = self._result(code)
        self.assertEqual(result["count"], count, code)
        if amount is not None:
            self.assertAlmostEqual(result["amount"], amount, places=2, msg=code)
        return result

    def _order(self, qty=4, when=datetime(2026, 1, 10, 9, 0)):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [
                    (0, 0, {"product_id": self.product.id, "product_uom_qty": qty})
                ],
            }
        )
        order.action_confirm()
        order.date_order = when
        return order

    def _deliver(self, order, qty):
        picking = order.picking_ids
        picking.move_ids.write({"quantity": qty, "picked": True})
        picking.with_context(cancel_backorder=False)._action_done()
        return picking

    def test_all_built_in_checks_pass_on_clean_period(self):
        for code in (
            "uninvoiced_lines",
            "draft_invoices",
            "late_deliveries",
            "negative_stock",
            "overdue_invoices",
            "unreconciled_bank_lines",
            "invoice_sequence",
        ):
            with self.subTest(code=code):
                self.assertEqual(self._result(code)["count"], 0)

    def test_late_delivery_then_uninvoiced_then_negative_stock(self):
        order = self._order(qty=4)
        self._assert_fails("late_deliveries", 1)
        self.assertEqual(self._result("uninvoiced_lines")["count"], 0)
        # delivering more than the stock makes the quant negative
        self._deliver(order, 4)
        self.assertEqual(self._result("late_deliveries")["count"], 0)
        result = self._assert_fails("uninvoiced_lines", 1, amount=200.0)
        lines = self.env[result["res_model"]].search(result["domain"])
        self.assertEqual(lines, order.order_line)
        result = self._assert_fails("negative_stock", 1)
        quant = self.env[result["res_model"]].search(result["domain"])
        self.assertEqual(quant.quantity, -4.0)
        # invoiced: nothing left to invoice
        order._create_invoices().action_post()
        self.assertEqual(self._result("uninvoiced_lines")["count"], 0)

    def test_orders_after_the_period_are_not_counted(self):
        self._order(when=datetime(2026, 2, 3, 9, 0))
        self.assertEqual(self._result("late_deliveries")["count"], 0)

    def test_overdue_invoice(self):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": date(2025, 12, 1),
                "invoice_date_due": date(2026, 1, 15),
                "invoice_line_ids": [(0, 0, {"name": "Old", "price_unit": 300.0})],
            }
        )
        invoice.action_post()
        self._assert_fails("overdue_invoices", 1, amount=invoice.amount_total)
        self._pay(invoice, date(2026, 1, 20))
        self.assertEqual(self._result("overdue_invoices")["count"], 0)

    def test_unreconciled_bank_line(self):
        self.env["account.bank.statement.line"].create(
            [
                {
                    "journal_id": self.bank.id,
                    "date": date(2026, 1, 12),
                    "payment_ref": "Customer transfer",
                    "amount": 120.0,
                },
                {
                    "journal_id": self.bank.id,
                    "date": date(2026, 2, 2),
                    "payment_ref": "Next month",
                    "amount": 50.0,
                },
            ]
        )
        self._assert_fails("unreconciled_bank_lines", 1, amount=120.0)


@tagged("post_install", "-at_install")
class TestCheckQueryCount(SalesClosingCase):
    """A checklist run costs the same queries for 10 and 1,000 offenders."""

    def _queries_of_run(self):
        """Queries of evaluating every automatic check of the period."""
        kinds = self.period.check_line_ids.kind_id.filtered(lambda k: not k.is_manual)
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        for kind in kinds:
            kind._evaluate(self.period)
        return self.env.cr.sql_log_count - before

    def _draft_invoices(self, count):
        customer = self.env["res.partner"].create({"name": "Bulk Customer"})
        self.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "invoice_date": date(2026, 1, 5),
                    "date": date(2026, 1, 5),
                }
                for _index in range(count)
            ]
        )

    def test_same_query_count_for_10_and_1000_records(self):
        self.period.action_run_checks()
        self._draft_invoices(10)
        small = self._queries_of_run()
        self.period.action_run_checks()
        line = self.period.check_line_ids.filtered(
            lambda line: line.kind_id.code == "draft_invoices"
        )
        self.assertEqual(line.count, 10)
        self._draft_invoices(990)
        large = self._queries_of_run()
        self.period.action_run_checks()
        self.assertEqual(line.count, 1000)
        self.assertEqual(small, large)
        # one query per check, plus reading the period and the kinds; the
        # differences check of sales_closing_reconcile, when installed,
        # recomputes its report with one query per kind of difference (10)
        kinds = self.period.check_line_ids.kind_id.mapped("code")
        extra = 10 if "reconcile_differences" in kinds else 0
        self.assertLessEqual(large, len(self.period.check_line_ids) + 4 + extra)
