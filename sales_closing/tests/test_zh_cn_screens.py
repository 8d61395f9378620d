"""The closing screens in Chinese show none of the addons' English terms
(issue #22): periods, checklist, packages, statements, reports, wizards,
settings, and the order's validation, credit and invoicing automation."""

from datetime import date

from odoo import Command
from odoo.tests import tagged

from ..engine import invoicing as invoicing_engine
from .zh_cn_screens import ZhCnScreensCase


@tagged("post_install", "-at_install")
class TestClosingScreensInChinese(ZhCnScreensCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        company = env.company
        company.write(
            {
                "sales_closing_max_discount": 10.0,
                "sales_closing_approver_id": cls.zh_user.id,
            }
        )
        cls.customer = env["res.partner"].create(
            {
                "name": "上海华东贸易有限公司",
                "email": "huadong@example.com",
                "lang": "zh_CN",
            }
        )
        cls.product = env["product.product"].create(
            {
                "name": "办公椅",
                "type": "consu",
                "list_price": 450.0,
                "standard_price": 300.0,
                "invoice_policy": "order",
                "taxes_id": [Command.clear()],
            }
        )
        # a closed period with its package, an open one with its checks
        Period = env["sales.closing.period"]
        cls.closed = Period.create(
            {
                "name": "2026-10",
                "date_from": date(2026, 10, 1),
                "date_to": date(2026, 10, 31),
                "user_id": cls.zh_user.id,
            }
        )
        cls.open = Period.create(
            {
                "name": "2026-11",
                "date_from": date(2026, 11, 1),
                "date_to": date(2026, 11, 30),
                "user_id": cls.zh_user.id,
            }
        )
        invoice = cls._invoice(date(2026, 10, 20), 900.0)
        cls._invoice(date(2026, 11, 5), 450.0)
        env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create(
            {"amount": 300.0, "payment_date": date(2026, 10, 25)}
        )._create_payments()
        cls._close(cls.closed)
        cls.open.action_run_checks()
        env["sales.closing.statement"]._generate(
            company, date(2026, 10, 1), date(2026, 11, 30), partners=cls.customer
        )
        # an order waiting for approval (discount above the maximum), an
        # order the automation flagged, a quotation over the credit limit
        cls.to_approve = cls._order(discount=25.0)
        cls.to_approve.action_confirm()
        cls.flagged = cls._order()
        cls.flagged.action_confirm()
        Invoicing = env["sales.closing.invoicing"].with_context(lang="en_US")
        cls.flagged.sales_closing_invoice_error = Invoicing._failure_text(
            Invoicing._input_error(
                cls.flagged, [(invoicing_engine.ZERO_PRICE, cls.flagged.order_line.id)]
            )
        )
        company.write(
            {"sales_closing_credit_block": True, "account_use_credit_limit": True}
        )
        cls.customer.credit_limit = 1000.0
        cls.over_limit = cls._order(qty=5)

    @classmethod
    def _invoice(cls, day, price):
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer.id,
                "invoice_date": day,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": cls.product.id,
                            "price_unit": price,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        invoice.action_post()
        return invoice

    @classmethod
    def _order(cls, qty=1.0, discount=0.0):
        return cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "user_id": cls.zh_user.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": cls.product.id,
                            "product_uom_qty": qty,
                            "price_unit": 450.0,
                            "discount": discount,
                        }
                    )
                ],
            }
        )

    @classmethod
    def _close(cls, period):
        period.action_run_checks()
        lines = period.check_line_ids
        lines.filtered("is_manual").write({"status": "ok"})
        failed = lines.filtered(lambda line: line.status == "failed")
        failed.write({"waiver_reason": "已复核"})
        failed = failed.with_context(lang="zh_CN")
        failed.with_user(cls.zh_user).action_waive()
        if "flux_line_ids" in period._fields:
            period.flux_line_ids.write({"explanation": "已复核"})
        period.with_user(cls.zh_user).action_close()

    def test_closing_screens_in_chinese(self):
        self.assertTrue(self.closed.package_ids)
        self.assertEqual(self.to_approve.sales_closing_approval_state, "to_approve")
        self.assertTrue(self.over_limit.sales_closing_over_limit)
        screens = [
            {
                "name": "Dashboard",
                "action": "sales_closing.sales_closing_period_action_dashboard",
                "open": True,
            },
            {
                "name": "Closing Periods",
                "action": "sales_closing.sales_closing_period_action",
                "open": True,
            },
            {
                "name": "Checklist Items",
                "action": "sales_closing.sales_closing_check_line_action_my",
                "open": True,
            },
            {
                "name": "Audit Log",
                "action": "sales_closing.sales_closing_audit_log_action",
            },
            {
                "name": "Closing Packages",
                "action": "sales_closing.sales_closing_package_action",
                "open": True,
            },
            {
                "name": "Customer Statements",
                "action": "sales_closing.sales_closing_statement_action",
                "open": True,
            },
            {
                "name": "Generate Statements",
                "action": "sales_closing.sales_closing_statement_generate_action",
                "dialog": True,
            },
            {
                "name": "Aging",
                "action": "sales_closing.sales_closing_aging_report_action",
            },
            {
                "name": "Collection Analysis",
                "action": "sales_closing.sales_closing_collection_analysis_action",
            },
            {
                "name": "Sales Analysis",
                "action": "sales_closing.sales_closing_sales_report_action",
            },
            {
                "name": "Export / Print",
                "action": "sales_closing.sales_closing_report_wizard_action",
                "dialog": True,
            },
            {
                "name": "E-Fapiao export",
                "action": "sales_closing.sales_closing_fapiao_export_action",
                "dialog": True,
            },
            {
                "name": "E-Fapiao import",
                "action": "sales_closing.sales_closing_fapiao_import_action",
                "dialog": True,
            },
            {
                "name": "Red-Letter Forms",
                "action": "sales_closing.sales_closing_fapiao_red_action",
            },
            {
                "name": "Generate Periods",
                "action": "sales_closing.sales_closing_period_generate_action",
                "dialog": True,
            },
            {
                "name": "Checks",
                "action": "sales_closing.sales_closing_check_kind_action",
                "open": True,
            },
            {
                "name": "Import Orders",
                "action": "sales_closing.sales_closing_order_import_action",
                "dialog": True,
            },
            {"name": "Order to approve", "action": self._form(self.to_approve)},
            {
                "name": "Quotation over the credit limit",
                "action": self._form(self.over_limit),
            },
            {
                "name": "Order flagged by the invoicing automation",
                "action": self._form(self.flagged),
            },
            {"name": "Customer", "action": self._form(self.customer)},
            {
                "name": "Settings",
                "action": "sales_closing.sales_closing_config_settings_action",
            },
        ]
        menus = [
            ["account.menu_finance", ["sales_closing.menu_closing_root"]],
            ["sale.sale_menu_root", ["sale.sale_order_menu", "sale.menu_sale_report"]],
        ]
        self._zh_cn_tour(screens, menus)
