"""The bank matching screens in Chinese show none of the addons' English
terms (issue #22): bank matching and its suggestions, matching runs, the
statement import, statement profiles and the differences report."""

from datetime import date, datetime

from odoo import Command
from odoo.tests import tagged

from odoo.addons.sales_closing.tests.zh_cn_screens import ZhCnScreensCase


@tagged("post_install", "-at_install")
class TestMatchingScreensInChinese(ZhCnScreensCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        company = env.company
        cls.customer = env["res.partner"].create(
            {"name": "成都锦江食品有限公司", "lang": "zh_CN"}
        )
        product = env["product.product"].create(
            {
                "name": "火锅底料",
                "is_storable": True,
                "list_price": 50.0,
                "invoice_policy": "delivery",
                "taxes_id": [Command.clear()],
            }
        )
        cls.period = env["sales.closing.period"].create(
            {
                "name": "2026-01",
                "date_from": date(2026, 1, 1),
                "date_to": date(2026, 1, 31),
                "user_id": cls.zh_user.id,
            }
        )
        # delivered 3 of 4, nothing invoiced: a difference of the period
        order = env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": 4,
                            "price_unit": 50.0,
                            "tax_id": [Command.clear()],
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        order.date_order = datetime(2026, 1, 10, 9, 0)
        order.picking_ids.move_ids.write({"quantity": 3, "picked": True})
        order.picking_ids.with_context(cancel_backorder=False)._action_done()
        # two invoices of 777 and a transfer of 777: a suggestion to review
        invoices = env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": cls.customer.id,
                    "invoice_date": day,
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "货款", "price_unit": 777.0, "tax_ids": []}
                        )
                    ],
                }
                for day in ("2026-01-05", "2026-01-06")
            ]
        )
        invoices.action_post()
        bank = env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
        )
        cls.line = env["account.bank.statement.line"].create(
            {
                "journal_id": bank.id,
                "date": "2026-01-20",
                "payment_ref": "货款 成都锦江",
                "partner_name": "成都锦江食品有限公司",
                "amount": 777.0,
            }
        )
        cls.line.action_auto_match()
        env["sales.closing.statement.profile"].create(
            {
                "name": "招商银行 CSV",
                "journal_id": bank.id,
                "date_column": "交易日期",
                "amount_column": "交易金额",
                "label_column": "摘要",
            }
        )
        cls.period.action_run_checks()
        cls.period.action_compute_differences()

    def test_matching_screens_in_chinese(self):
        self.assertEqual(self.line.sales_closing_match_state, "suggested")
        self.assertTrue(self.period.difference_ids)
        act = "sales_closing_reconcile."
        importer = "account_statement_import_file.account_statement_import_action"
        screens = [
            {
                "name": "Bank Matching",
                "action": act + "sales_closing_match_line_action",
                "open": True,
            },
            {"name": "Matching Runs", "action": act + "sales_closing_match_run_action"},
            {"name": "Differences", "action": act + "sales_closing_difference_action"},
            {
                "name": "Statement Profiles",
                "action": act + "sales_closing_statement_profile_action",
                "open": True,
            },
            {
                "name": "Statement import",
                "action": importer,
                "dialog": True,
            },
            {"name": "Period with differences", "action": self._form(self.period)},
        ]
        self._zh_cn_tour(screens)
