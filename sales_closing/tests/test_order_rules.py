from datetime import datetime

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import SalesClosingCase

RULES_OFF = {
    "sales_closing_max_discount": 0.0,
    "sales_closing_min_margin": 0.0,
    "sales_closing_max_below_pricelist": 0.0,
    "sales_closing_zero_price": False,
    "sales_closing_qty_factor": 0.0,
    "sales_closing_approver_id": False,
}


class OrderRulesCase(SalesClosingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(RULES_OFF)
        cls.customer = cls.env["res.partner"].create({"name": "Rule Customer"})
        cls.product = cls.env["product.product"].create(
            {
                "name": "Rule Good",
                "type": "consu",
                "list_price": 100.0,
                "standard_price": 60.0,
                "invoice_policy": "order",
            }
        )

    def _order(self, user=None, qty=1.0, price=100.0, discount=0.0, partner=None):
        env = self.env(user=user) if user else self.env
        return (
            env["sale.order"]
            .with_company(self.company)
            .create(
                {
                    "partner_id": (partner or self.customer).id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": self.product.id,
                                "product_uom_qty": qty,
                                "price_unit": price,
                                "discount": discount,
                            }
                        )
                    ],
                }
            )
        )

    def _decide(self, user, order, decision, reason=""):
        action = getattr(order.with_user(user), f"action_sales_closing_{decision}")()
        wizard = (
            self.env["sales.closing.order.decision"]
            .with_user(user)
            .with_context(**action["context"])
            .create({"reason": reason})
        )
        return wizard.action_apply()


@tagged("post_install", "-at_install")
class TestOrderRules(OrderRulesCase):
    def _assert_blocked(self, order, rule):
        result = order.action_confirm()
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.sales_closing_approval_state, "to_approve")
        self.assertEqual(order.sales_closing_violation_ids.mapped("rule"), [rule])
        violation = order.sales_closing_violation_ids
        self.assertEqual(violation.line_id, order.order_line)
        self.assertEqual(violation.state, "pending")
        self.assertIn(order.name, violation.message)
        return violation

    def test_rules_off_by_default_confirm(self):
        order = self._order(discount=90, price=0)
        self.assertIs(order.action_confirm(), True)
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.sales_closing_approval_state, "none")

    def test_max_discount(self):
        self.company.sales_closing_max_discount = 10
        ok = self._order(user=self.sales_user, discount=10)
        ok.action_confirm()
        self.assertEqual(ok.state, "sale")
        order = self._order(user=self.sales_user, discount=15)
        violation = self._assert_blocked(order, "max_discount")
        self.assertEqual((violation.value, violation.limit), (15, 10))

    def test_min_margin(self):
        self.company.sales_closing_min_margin = 30
        ok = self._order(price=100)  # margin 40 %
        ok.action_confirm()
        self.assertEqual(ok.state, "sale")
        violation = self._assert_blocked(self._order(price=80), "min_margin")
        self.assertAlmostEqual(violation.value, 25.0)

    def test_below_pricelist(self):
        self.company.sales_closing_max_below_pricelist = 5
        ok = self._order(price=96)
        ok.action_confirm()
        self.assertEqual(ok.state, "sale")
        violation = self._assert_blocked(self._order(price=90), "below_pricelist")
        self.assertAlmostEqual(violation.value, 10.0)

    def test_zero_price(self):
        self.company.sales_closing_zero_price = True
        ok = self._order(price=1)
        ok.action_confirm()
        self.assertEqual(ok.state, "sale")
        self._assert_blocked(self._order(price=0), "zero_price")

    def test_quantity_above_average(self):
        for qty in (2, 4):
            self._order(qty=qty).action_confirm()
        self.company.sales_closing_qty_factor = 3  # average 3, limit 9
        ok = self._order(qty=9)
        ok.action_confirm()
        self.assertEqual(ok.state, "sale")
        # the average is now (2 + 4 + 9) / 3 = 5, limit 15
        violation = self._assert_blocked(self._order(qty=16), "qty_above_average")
        self.assertEqual((violation.value, violation.limit), (16, 15))

    def test_approval_by_manager_only_and_logged(self):
        self.company.sales_closing_max_discount = 10
        order = self._order(user=self.sales_user, discount=20)
        order.with_user(self.sales_user).action_confirm()
        self.assertEqual(order.sales_closing_approval_state, "to_approve")
        activity = order.activity_ids.filtered(
            lambda a: (
                a.activity_type_id
                == self.env.ref("sales_closing.mail_activity_order_approval")
            )
        )
        self.assertIn(self.manager, activity.user_id)
        self.assertIn("discount 20%", " ".join(activity.mapped("note")))
        with self.assertRaises(AccessError):
            self._decide(self.sales_user, order, "approve", "mine")
        with self.assertRaises(AccessError):
            order.with_user(self.sales_user).write(
                {"sales_closing_approval_state": "approved"}
            )
        self._decide(self.manager, order, "approve", "Key account")
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.sales_closing_approval_state, "approved")
        violation = order.sales_closing_violation_ids
        self.assertEqual(violation.state, "approved")
        self.assertEqual(violation.decision_user_id, self.manager)
        self.assertTrue(violation.decision_date)
        self.assertEqual(violation.decision_reason, "Key account")
        body = order.message_ids[:3].mapped("body")
        self.assertTrue(
            any("Approved by" in b and "Key account" in b and "20" in b for b in body),
            body,
        )
        self.assertFalse(
            order.activity_ids.filtered(
                lambda a: (
                    a.activity_type_id
                    == self.env.ref("sales_closing.mail_activity_order_approval")
                )
            )
        )

    def test_rejection_needs_reason_and_is_logged(self):
        self.company.sales_closing_max_discount = 10
        order = self._order(discount=20)
        order.action_confirm()
        with self.assertRaises(UserError):
            self._decide(self.manager, order, "reject", "")
        self._decide(self.manager, order, "reject", "Too generous")
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.sales_closing_approval_state, "rejected")
        self.assertEqual(order.sales_closing_violation_ids.state, "rejected")
        self.assertIn("Too generous", order.message_ids[0].body)
        # fixing the order lets it be confirmed without approval
        order.order_line.discount = 5
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_changed_after_approval_needs_new_approval(self):
        self.company.sales_closing_max_discount = 10
        order = self._order(discount=20)
        order.action_confirm()
        self._decide(self.manager, order, "approve")
        self.assertEqual(order.state, "sale")
        again = self._order(discount=20)
        again.action_confirm()
        self._decide(self.manager, again, "reject", "No")
        again.order_line.discount = 30
        again.action_confirm()
        self.assertEqual(again.sales_closing_approval_state, "to_approve")

    def test_configured_approver(self):
        self.company.write(
            {
                "sales_closing_max_discount": 10,
                "sales_closing_approver_id": self.accountant.id,
            }
        )
        order = self._order(discount=20)
        order.action_confirm()
        self.assertEqual(order.sales_closing_approver_id, self.accountant)
        self._decide(self.accountant, order, "approve", "ok")
        self.assertEqual(order.state, "sale")

    def test_negative_quantity_names_order_and_line(self):
        # the input check is a company setting, off by default (Odoo's way)
        self.company.sales_closing_check_input = True
        order = self._order(qty=-2)
        with self.assertRaisesRegex(UserError, f"{order.name}.*Rule Good.*-2"):
            order.action_confirm()
        self.assertEqual(order.state, "draft")

    def test_currency_mismatch_names_order(self):
        self.company.sales_closing_check_input = True
        eur = self.env.ref("base.EUR")
        eur.active = True
        order = self._order()
        order.currency_id = (
            eur if order.currency_id != eur else self.env.ref("base.USD")
        )
        with self.assertRaisesRegex(UserError, f"{order.name} is in"):
            order.action_confirm()

    def test_settings_form(self):
        with Form(self.env["res.config.settings"]) as settings:
            settings.sales_closing_max_discount = 12
        self.assertEqual(self.company.sales_closing_max_discount, 12)


@tagged("post_install", "-at_install")
class TestUnapprovedOrdersCheck(OrderRulesCase):
    def _result(self):
        kind = self.env.ref("sales_closing.check_unapproved_orders")
        return kind._evaluate(self.period)

    def _confirmed(self, **values):
        order = self._order(**values)
        order.action_confirm()
        order.date_order = datetime(2026, 1, 15, 10, 0)
        return order

    def test_clean_period_passes(self):
        self._confirmed(discount=5)
        self.company.sales_closing_max_discount = 10
        self.assertEqual(self._result()["count"], 0)

    def test_order_breaking_rule_without_approval_fails(self):
        # confirmed while the rules were off, then the rule switched on
        bad = self._confirmed(discount=20)
        self._confirmed(discount=5)
        self.company.sales_closing_max_discount = 10
        result = self._result()
        self.assertEqual(result["count"], 1)
        self.assertEqual(self.env["sale.order"].search(result["domain"]), bad)
        self.assertAlmostEqual(result["amount"], 80.0)

    def test_approved_order_passes_and_outside_period_ignored(self):
        self.company.sales_closing_max_discount = 10
        order = self._order(discount=20)
        order.action_confirm()
        self._decide(self.manager, order, "approve", "ok")
        order.date_order = datetime(2026, 1, 20)
        outside = self._confirmed(discount=5)
        self.company.sales_closing_max_discount = 0
        outside.order_line.discount = 50  # bypass: edited after confirmation
        outside.date_order = datetime(2026, 2, 2)
        self.company.sales_closing_max_discount = 10
        self.assertEqual(self._result()["count"], 0)
        # the approved value no longer covers a larger discount
        order.order_line.discount = 30
        self.assertEqual(self._result()["count"], 1)

    def test_same_query_count_for_few_and_many_orders(self):
        """The check costs the same queries for 2 and 20 orders.

        Every rule is on but the one below the pricelist price, which asks
        Odoo's pricelist for each line (see README, known limits).
        """

        def queries():
            kind = self.env.ref("sales_closing.check_unapproved_orders")
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            result = kind._evaluate(self.period)
            return self.env.cr.sql_log_count - before, result["count"]

        def confirmed_orders(count):
            orders = self.env["sale.order"].create(
                [
                    {
                        "partner_id": self.customer.id,
                        "order_line": [
                            Command.create(
                                {"product_id": self.product.id, "product_uom_qty": 2}
                            )
                        ],
                    }
                    for _index in range(count)
                ]
            )
            orders.action_confirm()
            # edited after confirmation: bypasses the approval
            orders.order_line.write({"discount": 30, "price_unit": 70})
            orders.date_order = datetime(2026, 1, 15, 10, 0)

        rules = {
            "sales_closing_max_discount": 10,
            "sales_closing_min_margin": 5,
            "sales_closing_zero_price": True,
            "sales_closing_qty_factor": 3,
        }
        confirmed_orders(2)
        self.company.write(rules)
        queries()  # fills Odoo's registry caches (access rules, ormcache)
        few, count = queries()
        self.assertEqual(count, 2)
        self.company.write(RULES_OFF)
        confirmed_orders(18)
        self.company.write(rules)
        many, count = queries()
        self.assertEqual(count, 20)
        self.assertEqual(few, many)
