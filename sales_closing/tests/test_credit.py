from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .test_order_rules import OrderRulesCase


@tagged("post_install", "-at_install")
class TestCredit(OrderRulesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "sales_closing_credit_block": True,
                "sales_closing_credit_overdue_days": 30,
            }
        )
        cls.customer.credit_limit = 1000.0
        cls.today = fields.Date.context_today(cls.env["res.partner"])

    def _invoice(self, amount, due_days_ago=0):
        date = self.today - timedelta(days=due_days_ago)
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": date,
                "invoice_date_due": date,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Service", "price_unit": amount, "tax_ids": False}
                    )
                ],
            }
        )
        move.invoice_date_due = date
        move.action_post()
        return move

    def _no_tax(self, order):
        order.order_line.tax_id = False
        return order

    def test_exposure_with_foreign_currency_order(self):
        self._invoice(400.0)
        # a confirmed order in a currency at 2 per company unit: 300 -> 150
        foreign = self.env["res.currency"].create(
            {"name": "XFC", "symbol": "F", "rate_ids": [Command.create({"rate": 2.0})]}
        )
        pricelist = self.env["product.pricelist"].create(
            {"name": "Foreign", "currency_id": foreign.id}
        )
        order = self._order(price=150.0, qty=2)
        order.pricelist_id = pricelist
        order.order_line.price_unit = 150.0
        self._no_tax(order)
        self.assertEqual(order.currency_rate, 2.0)
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertAlmostEqual(self.customer.sales_closing_exposure, 550.0)
        # this quotation: 300 more, within the limit (850)
        quotation = self._no_tax(self._order(price=300.0))
        self.assertAlmostEqual(quotation.sales_closing_exposure, 850.0)
        self.assertEqual(quotation.sales_closing_credit_limit, 1000.0)
        self.assertFalse(quotation.sales_closing_over_limit)
        quotation.action_confirm()
        self.assertEqual(quotation.state, "sale")
        # 1150 > 1000: blocked, naming the partner, exposure and limit
        blocked = self._no_tax(self._order(price=300.0))
        self.assertTrue(blocked.sales_closing_over_limit)
        with self.assertRaisesRegex(UserError, "Rule Customer.*1,150.00.*1,000.00"):
            blocked.action_confirm()
        self.assertEqual(blocked.state, "draft")

    def test_overdue_invoice_blocks(self):
        self._invoice(10.0, due_days_ago=10)
        order = self._no_tax(self._order(price=10.0))
        order.action_confirm()  # 10 days overdue: allowed with 30 days
        self.assertEqual(order.state, "sale")
        late = self._invoice(10.0, due_days_ago=45)
        order = self._no_tax(self._order(price=10.0))
        self.assertIn(late.name, order.sales_closing_overdue_invoices)
        with self.assertRaisesRegex(UserError, f"Rule Customer.*{late.name}.*45 days"):
            order.action_confirm()

    def test_block_off_only_warns(self):
        self.company.sales_closing_credit_block = False
        order = self._no_tax(self._order(price=5000.0))
        self.assertTrue(order.sales_closing_over_limit)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_manager_override_once_with_reason(self):
        order = self._no_tax(self._order(user=self.sales_user, price=5000.0))
        with self.assertRaises(AccessError):
            self._decide(self.sales_user, order, "override", "please")
        with self.assertRaises(UserError):
            self._decide(self.manager, order, "override", " ")
        self._decide(self.manager, order, "override", "Prepaid by wire")
        self.assertTrue(order.sales_closing_credit_override)
        order.with_user(self.sales_user).action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertFalse(order.sales_closing_credit_override)
        self.assertEqual(order.sales_closing_override_user_id, self.manager)
        self.assertTrue(
            any("Prepaid by wire" in b for b in order.message_ids.mapped("body"))
        )
        # the override was used up: the next order is blocked again
        with self.assertRaisesRegex(UserError, "Rule Customer"):
            self._no_tax(self._order(price=10.0)).action_confirm()

    def test_undelivered_confirmed_order_counts_in_exposure(self):
        """Issue #16: an order invoiced on delivery counts before it ships."""
        self.customer.credit_limit = 300.0
        storable = self.env["product.product"].create(
            {
                "name": "Storable Good",
                "type": "consu",
                "is_storable": True,
                "list_price": 100.0,
                "invoice_policy": "delivery",
                "taxes_id": False,
            }
        )
        self.product = storable
        first = self._no_tax(self._order(qty=2, price=100.0))
        first.action_confirm()
        self.assertEqual(first.state, "sale")
        self.assertEqual(first.order_line.qty_delivered, 0.0)
        self.assertAlmostEqual(self.customer.sales_closing_exposure, 200.0)
        second = self._no_tax(self._order(qty=2, price=100.0))
        self.assertAlmostEqual(second.sales_closing_exposure, 400.0)
        self.assertTrue(second.sales_closing_over_limit)
        with self.assertRaisesRegex(UserError, "Rule Customer.*400.00.*300.00"):
            second.action_confirm()
        self.assertEqual(second.state, "draft")

    def test_exposure_parts_and_batch_confirmation(self):
        """Parts on partner and order; quotations confirmed together add up."""
        self.customer.credit_limit = 300.0
        self._invoice(50.0)
        draft = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Draft", "price_unit": 30.0, "tax_ids": False}
                    )
                ],
            }
        )
        self.assertEqual(draft.state, "draft")
        confirmed = self._no_tax(self._order(price=100.0))
        confirmed.action_confirm()
        contact = self.env["res.partner"].create(
            {"name": "Buyer", "parent_id": self.customer.id}
        )
        first = self._no_tax(self._order(price=70.0, partner=contact))
        second = self._no_tax(self._order(price=70.0))
        self.assertEqual(
            (
                first.sales_closing_exposure_receivables,
                first.sales_closing_exposure_drafts,
                first.sales_closing_exposure_orders,
                first.sales_closing_exposure_current,
                first.sales_closing_exposure,
            ),
            (50.0, 30.0, 100.0, 70.0, 250.0),
        )
        self.assertEqual(
            (
                contact.sales_closing_exposure_receivables,
                contact.sales_closing_exposure_drafts,
                contact.sales_closing_exposure_orders,
                contact.sales_closing_exposure,
            ),
            (50.0, 30.0, 100.0, 180.0),
        )
        # each alone fits (250 <= 300), both together do not (250 + 70)
        self.assertFalse(second.sales_closing_over_limit)
        with self.assertRaisesRegex(UserError, f"{second.name}.*320.00.*300.00"):
            (first | second).action_confirm()
        self.assertEqual((first | second).mapped("state"), ["draft", "draft"])
        first.action_confirm()
        self.assertEqual(first.state, "sale")
