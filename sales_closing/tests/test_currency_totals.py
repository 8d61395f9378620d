from datetime import date

from odoo.tests import TransactionCase, tagged

from .currency_totals import monetary_sums, two_currency_companies


@tagged("post_install", "-at_install")
class TestCurrencyTotals(TransactionCase):
    """Flux analysis totals: one currency, one kind."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur_company, cls.cny_company = two_currency_companies(cls.env)
        cls.Flux = cls.env["sales.closing.flux.line"]
        for company, amount in ((cls.eur_company, 100.0), (cls.cny_company, 800.0)):
            period = cls.env["sales.closing.period"].create(
                {
                    "name": f"{company.name} 2026-01",
                    "company_id": company.id,
                    "date_from": date(2026, 1, 1),
                    "date_to": date(2026, 1, 31),
                }
            )
            cls.Flux.create(
                [
                    {
                        "period_id": period.id,
                        "dimension": dimension,
                        "name": dimension,
                        "key": dimension,
                        "current": amount,
                        "var_prev_pct": 50.0,
                    }
                    for dimension in ("revenue", "receivable")
                ]
            )
        cls.domain = [("company_id", "in", (cls.eur_company | cls.cny_company).ids)]

    def test_group_totals_never_add_currencies(self):
        # per kind, across the two companies: no total (EUR + CNY)
        by_kind = self.Flux.read_group(
            self.domain, ["current:sum"], ["dimension"], lazy=False
        )
        self.assertEqual(len(by_kind), 2)
        for group in by_kind:
            self.assertIs(group["current"], False)
        # the grand total neither
        [total] = self.Flux.read_group(self.domain, ["current:sum"], [])
        self.assertIs(total["current"], False)
        # per company (one currency), then per kind: the right sums
        rows = self.Flux.read_group(
            self.domain,
            ["current:sum"],
            ["company_id", "dimension"],
            lazy=False,
        )
        sums = {
            (row["company_id"][0], row["dimension"]): row["current"] for row in rows
        }
        self.assertEqual(sums[self.eur_company.id, "revenue"], 100.0)
        self.assertEqual(sums[self.cny_company.id, "receivable"], 800.0)
        # one company: per kind still sums
        [revenue, _receivable] = self.Flux.read_group(
            [("company_id", "=", self.cny_company.id)],
            ["current:sum"],
            ["dimension"],
        )
        self.assertEqual(revenue["current"], 800.0)
        # percentages are never added up
        rows = self.Flux.read_group(self.domain, ["var_prev_pct"], ["company_id"])
        self.assertNotIn("var_prev_pct", rows[0])

    def test_views_have_no_cross_currency_sums(self):
        for model in ("sales.closing.flux.line", "sales.closing.period"):
            with self.subTest(model=model):
                self.assertEqual(monetary_sums(self.env, model), [])
