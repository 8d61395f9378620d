from datetime import date

from odoo.tests import TransactionCase, tagged

from odoo.addons.sales_closing.tests.currency_totals import (
    monetary_sums,
    two_currency_companies,
)


@tagged("post_install", "-at_install")
class TestCurrencyTotals(TransactionCase):
    """Differences report totals with a company in EUR and one in CNY."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur_company, cls.cny_company = two_currency_companies(cls.env)
        cls.Difference = cls.env["sales.closing.difference"]
        cls.differences = cls.Difference
        amounts = ((cls.eur_company, 30000.0), (cls.cny_company, 34237.76))
        for company, amount in amounts:
            period = cls.env["sales.closing.period"].create(
                {
                    "name": f"{company.name} 2026-01",
                    "company_id": company.id,
                    "date_from": date(2026, 1, 1),
                    "date_to": date(2026, 1, 31),
                }
            )
            cls.differences |= cls.Difference.create(
                [
                    {
                        "period_id": period.id,
                        "company_id": company.id,
                        "area": "invoice",
                        "kind": "invoiced_not_paid",
                        "name": f"{company.name} {index}",
                        "currency_id": company.currency_id.id,
                        "expected_amount": amount / 2,
                        "actual_amount": 0.0,
                        "amount": amount / 2,
                        "amount_company": amount / 2,
                    }
                    for index in range(2)
                ]
            )
        cls.domain = [("id", "in", cls.differences.ids)]

    def test_totals_per_currency(self):
        fields_ = ["amount_company:sum", "amount:sum", "expected_amount:sum"]
        # by area (the report's former default): both companies, no total
        [area] = self.Difference.read_group(self.domain, fields_, ["area"])
        for name in ("amount_company", "amount", "expected_amount"):
            self.assertIs(area[name], False)
        # no grand total adding EUR to CNY (64,237.76) either
        [total] = self.Difference.read_group(self.domain, fields_, [])
        self.assertIs(total["amount_company"], False)
        # the report's default grouping: per company currency, then area
        rows = self.Difference.read_group(
            self.domain, fields_, ["company_currency_id", "area"], lazy=False
        )
        sums = {row["company_currency_id"][0]: row["amount_company"] for row in rows}
        self.assertEqual(
            sums,
            {
                self.eur_company.currency_id.id: 30000.0,
                self.cny_company.currency_id.id: 34237.76,
            },
        )
        self.assertEqual(self.differences[0].company_currency_id.name, "EUR")
        # the report's default grouping is by currency first
        action = self.env.ref("sales_closing_reconcile.sales_closing_difference_action")
        self.assertIn("search_default_group_currency", action.context)

    def test_views_have_no_cross_currency_sums(self):
        self.assertEqual(monetary_sums(self.env, "sales.closing.difference"), [])
        views = self.env.ref(
            "sales_closing_reconcile.sales_closing_match_line_view_list"
        ) | self.env.ref("sales_closing_reconcile.sales_closing_match_line_view_form")
        self.assertEqual(
            monetary_sums(self.env, "account.bank.statement.line", views=views), []
        )
        # the matching list shows the company; candidate amounts their currency
        arch = self.env["account.bank.statement.line"].get_view(views[0].id, "list")[
            "arch"
        ]
        self.assertIn('name="company_id"', arch)
        Suggestion = self.env["sales.closing.match.suggestion"]
        for name in ("items_residual", "fee_amount"):
            self.assertEqual(Suggestion._fields[name].type, "monetary")
