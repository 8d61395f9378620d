from datetime import timedelta

from odoo import Command, fields
from odoo.tests import TransactionCase, tagged
from odoo.tools.safe_eval import safe_eval

from odoo.addons.sales_closing.tests.currency_totals import (
    monetary_sums,
    two_currency_companies,
)


@tagged("post_install", "-at_install")
class TestCurrencyTotalsLists(TransactionCase):
    """Installment plans and payment transactions in EUR and in CNY."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.eur_company, cls.cny_company = two_currency_companies(cls.env)
        cls.customer = cls.env["res.partner"].create(
            {"name": "Two Currency Customer", "is_company": True}
        )
        Plan = cls.env["sales.closing.installment.plan"]
        cls.plans = Plan
        for company in (cls.eur_company, cls.cny_company):
            cls.plans |= Plan.with_company(company).create(
                {
                    "company_id": company.id,
                    "currency_id": company.currency_id.id,
                    "partner_id": cls.customer.id,
                    "plan_type": "recurring",
                    "line_ids": [
                        Command.create(
                            {
                                "due_date": cls.today + timedelta(days=30 * index),
                                "amount": 300.0,
                            }
                        )
                        for index in range(3)
                    ],
                }
            )
        provider = cls.env.ref("payment.payment_provider_demo")
        cls.transactions = cls.env["payment.transaction"]
        for currency in (cls.env.ref("base.EUR"), cls.env.ref("base.CNY")):
            cls.transactions |= cls.env["payment.transaction"].create(
                {
                    "provider_id": provider.id,
                    "payment_method_id": cls.env.ref(
                        "payment.payment_method_unknown"
                    ).id,
                    "amount": 250.0,
                    "currency_id": currency.id,
                    "partner_id": cls.customer.id,
                    "reference": f"TOTALS-{currency.name}",
                }
            )

    def test_installment_plan_totals(self):
        Plan = self.env["sales.closing.installment.plan"]
        domain = [("id", "in", self.plans.ids)]
        specs = ["amount_total:sum", "amount_due:sum"]
        [total] = Plan.read_group(domain, specs, [])
        self.assertIs(total["amount_total"], False)
        self.assertIs(total["amount_due"], False)
        [group] = Plan.read_group(domain, specs, ["state"])
        self.assertIs(group["amount_total"], False)
        rows = Plan.read_group(domain, specs, ["currency_id"])
        self.assertEqual(
            {row["currency_id"][0]: row["amount_total"] for row in rows},
            {
                self.eur_company.currency_id.id: 900.0,
                self.cny_company.currency_id.id: 900.0,
            },
        )

    def test_transaction_totals_on_the_addon_screen(self):
        Tx = self.env["payment.transaction"]
        domain = [("id", "in", self.transactions.ids)]
        # the authorized payments screen asks for totals in one currency
        action = self.env.ref(
            "sales_closing_payments.action_sales_closing_authorized_payments"
        )
        context = safe_eval(action.context)
        self.assertTrue(context.get("sales_closing_one_currency_totals"))
        [total] = Tx.with_context(**context).read_group(domain, ["amount:sum"], [])
        self.assertIs(total["amount"], False)
        rows = Tx.with_context(**context).read_group(
            domain, ["amount:sum"], ["currency_id"]
        )
        self.assertEqual(sorted(row["amount"] for row in rows), [250.0, 250.0])
        # Odoo's own screens keep Odoo's totals
        [total] = Tx.read_group(domain, ["amount:sum"], [])
        self.assertEqual(total["amount"], 500.0)

    def test_views_have_no_cross_currency_sums(self):
        self.assertEqual(
            monetary_sums(self.env, "sales.closing.installment.plan"),
            [],
        )
        view = self.env.ref(
            "sales_closing_payments.payment_transaction_authorized_view_list"
        )
        self.assertEqual(monetary_sums(self.env, "payment.transaction", views=view), [])
