"""The payments and collection screens in Chinese show none of the addons'
English terms (issue #22): reminder runs and reminders, collection cases
and promises, installment plans, notifications, policies and levels."""

from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged

from odoo.addons.sales_closing.tests.zh_cn_screens import ZhCnScreensCase

from .test_installments import InstallmentCommon


@tagged("post_install", "-at_install")
class TestPaymentScreensInChinese(InstallmentCommon, ZhCnScreensCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        company = env.company
        cls.today = fields.Date.context_today(env["res.partner"])
        cls.customer = env["res.partner"].create(
            {
                "name": "深圳南山科技有限公司",
                "email": "nanshan@example.com",
                "is_company": True,
                "lang": "zh_CN",
            }
        )
        invoices = [
            cls._overdue(amount, days) for amount, days in ((800.0, 8), (1200.0, 35))
        ]
        cls.dunning_run = env["sales.closing.dunning.run"]._plan(company, cls.today)
        case = env["sales.closing.collection.case"].create(
            {
                "partner_id": cls.customer.id,
                "invoice_ids": [Command.set(invoices[1].ids)],
                "user_id": cls.zh_user.id,
            }
        )
        Promise = env["sales.closing.payment.promise"]
        Promise.create(
            {
                "case_id": case.id,
                "date_made": cls.today - timedelta(days=10),
                "date": cls.today - timedelta(days=3),
                "amount": 300.0,
            }
        )
        Promise.create(
            {"case_id": case.id, "date": cls.today + timedelta(days=5), "amount": 500.0}
        )
        # an installment plan charging a saved card
        data = cls._setup_installment_data(env, login="sc_zh_inst_sales")
        data["partner"].write({"name": "杭州西湖文具有限公司", "lang": "zh_CN"})
        data["term"].name = "50% 立即，50% 30 天后"
        cls.plan_invoice = cls._invoice(env, data)
        cls.plan = env["sales.closing.installment.plan"].create(
            {
                "invoice_id": cls.plan_invoice.id,
                "partner_id": data["partner"].id,
                "token_id": cls._token(env, data).id,
                "user_id": cls.zh_user.id,
            }
        )
        cls.plan.action_start()
        env["sales.closing.payment.notification"]._sales_closing_load_demo()

    @classmethod
    def _overdue(cls, amount, days):
        due = cls.today - timedelta(days=days)
        move = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer.id,
                "invoice_date": due,
                "invoice_date_due": due,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "服务费", "price_unit": amount, "tax_ids": False}
                    )
                ],
            }
        )
        move.invoice_date_due = due
        move.action_post()
        return move

    def test_payment_screens_in_chinese(self):
        self.assertTrue(self.dunning_run.line_ids)
        self.assertEqual(self.plan.state, "running")
        act = "sales_closing_payments."
        screens = [
            {
                "name": "Collection",
                "action": act + "action_sales_closing_collection_case",
                "open": True,
            },
            {
                "name": "Reminder Runs",
                "action": act + "action_sales_closing_dunning_run",
                "open": True,
            },
            {
                "name": "Payment Reminders",
                "action": act + "action_sales_closing_dunning_line",
            },
            {
                "name": "Promises to Pay",
                "action": act + "action_sales_closing_payment_promise",
            },
            {
                "name": "Daily Collection",
                "action": act + "action_sales_closing_collection_report_daily",
            },
            {
                "name": "Monthly Collection",
                "action": act + "action_sales_closing_collection_report_monthly",
            },
            {
                "name": "Authorized Payments",
                "action": act + "action_sales_closing_authorized_payments",
            },
            {
                "name": "Installment Plans",
                "action": act + "action_sales_closing_installment_plan",
                "open": True,
            },
            {
                "name": "Payment Notifications",
                "action": act + "action_sales_closing_payment_notification",
                "open": True,
            },
            {
                "name": "Dunning Policies",
                "action": act + "action_sales_closing_dunning_policy",
                "open": True,
            },
            {
                "name": "Dunning Levels",
                "action": act + "action_sales_closing_dunning_level",
                "open": True,
            },
            {
                "name": "Collection Stages",
                "action": act + "action_sales_closing_collection_stage",
            },
            {
                "name": "Invoice in installments",
                "action": self._form(self.plan_invoice),
            },
            {"name": "Customer in collection", "action": self._form(self.customer)},
        ]
        self._zh_cn_tour(screens)
