from datetime import date

from odoo import Command
from odoo.tests import TransactionCase, new_test_user


class SalesClosingCase(TransactionCase):
    """Users of each closing group and a period with checklist items."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.other_company = cls.env["res.company"].create({"name": "Other Co"})
        companies = [Command.set((cls.company | cls.other_company).ids)]
        cls.sales_user = new_test_user(
            cls.env,
            "sc_sales",
            groups="sales_closing.group_closing_user",
            company_ids=companies,
        )
        cls.sales_user_2 = new_test_user(
            cls.env, "sc_sales2", groups="sales_closing.group_closing_user"
        )
        cls.accountant = new_test_user(
            cls.env, "sc_accountant", groups="sales_closing.group_closing_accountant"
        )
        cls.manager = new_test_user(
            cls.env,
            "sc_manager",
            groups="sales_closing.group_closing_manager",
            company_ids=companies,
        )
        cls.auditor = new_test_user(
            cls.env, "sc_auditor", groups="sales_closing.group_closing_auditor"
        )
        cls.Period = cls.env["sales.closing.period"]
        cls.period = cls.Period.create(
            {
                "name": "2026-01",
                "date_from": date(2026, 1, 1),
                "date_to": date(2026, 1, 31),
                "user_id": cls.accountant.id,
            }
        )
        cls.manual_kind = cls.env["sales.closing.check.kind"].create(
            {
                "name": "Review commissions",
                "code": "review_commissions",
                "is_manual": True,
            }
        )
        cls.manual_kind_2 = cls.env["sales.closing.check.kind"].create(
            {"name": "Review prices", "code": "review_prices", "is_manual": True}
        )
        cls.own_line = cls.env["sales.closing.check.line"].create(
            {
                "period_id": cls.period.id,
                "kind_id": cls.manual_kind.id,
                "user_id": cls.sales_user.id,
            }
        )
        cls.other_line = cls.env["sales.closing.check.line"].create(
            {
                "period_id": cls.period.id,
                "kind_id": cls.manual_kind_2.id,
                "user_id": cls.sales_user_2.id,
            }
        )
        cls.other_company_period = cls.Period.create(
            {
                "name": "Other 2026-01",
                "company_id": cls.other_company.id,
                "date_from": date(2026, 1, 1),
                "date_to": date(2026, 1, 31),
                "user_id": cls.manager.id,
            }
        )

    @classmethod
    def _pay(cls, invoice, day, amount=None):
        """Register a payment of ``invoice`` (default: its whole residual)."""
        values = {"payment_date": day}
        if amount is not None:
            values["amount"] = amount
        return (
            cls.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(values)
            ._create_payments()
        )
