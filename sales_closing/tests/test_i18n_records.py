"""Texts the addon stores for someone else read in that person's language
(issue #22 item 6): rule messages and the approver's activity."""

from odoo.tests import tagged

from .report_pdf_common import po_msgstr
from .test_order_rules import OrderRulesCase


@tagged("post_install", "-at_install")
class TestRuleMessagesInEveryLanguage(OrderRulesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.manager.lang = "zh_CN"
        cls.sales_user.lang = "en_US"
        cls.company.write(
            {
                "sales_closing_max_discount": 10.0,
                "sales_closing_approver_id": cls.manager.id,
            }
        )

    def test_discount_message_and_activity(self):
        """An English salesperson breaks the discount rule: the violation
        reads in English and in Chinese, the Chinese approver's activity is
        in Chinese."""
        order = self._order(user=self.sales_user, discount=25.0)
        order.with_user(self.sales_user).action_confirm()
        self.assertEqual(order.sales_closing_approval_state, "to_approve")
        violation = order.sales_closing_violation_ids
        self.assertEqual(violation.rule, "max_discount")
        english = violation.with_context(lang="en_US").message
        chinese = violation.with_context(lang="zh_CN").message
        self.assertEqual(
            english,
            f"Order {order.name}, line Rule Good: discount 25% is above the "
            "maximum of 10%.",
        )
        template = po_msgstr(
            "sales_closing",
            "%(line)s: discount %(value)s is above the maximum of %(limit)s.",
        )
        line = po_msgstr("sales_closing", "Order %(order)s, line %(line)s") % {
            "order": order.name,
            "line": "Rule Good",
        }
        self.assertEqual(
            chinese, template % {"line": line, "value": "25%", "limit": "10%"}
        )
        activity = order.activity_ids.filtered(lambda a: a.user_id == self.manager)
        self.assertEqual(len(activity), 1)
        self.assertIn(chinese, activity.note)
        self.assertNotIn("discount", activity.note)
