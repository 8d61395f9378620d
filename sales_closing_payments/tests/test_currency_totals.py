from datetime import timedelta

from odoo import fields
from odoo.tests import TransactionCase, tagged

from odoo.addons.sales_closing.tests.currency_totals import (
    monetary_sums,
    two_currency_companies,
)


@tagged("post_install", "-at_install")
class TestCurrencyTotals(TransactionCase):
    """Collection totals with a company in EUR and one in CNY."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.eur_company, cls.cny_company = two_currency_companies(cls.env)
        cls.Case = cls.env["sales.closing.collection.case"]
        cls.Promise = cls.env["sales.closing.payment.promise"]
        cls.customer = cls.env["res.partner"].create(
            {"name": "Two Currency Customer", "is_company": True}
        )
        cls.cases = cls.Case
        for company, amount in ((cls.eur_company, 4870.0), (cls.cny_company, 4870.0)):
            case = cls.Case.with_company(company).create(
                {
                    "partner_id": cls.customer.id,
                    "company_id": company.id,
                    "amount_escalated": amount,
                }
            )
            cls.cases |= case
            cls.Promise.create(
                [
                    {
                        "case_id": case.id,
                        "date_made": cls.today - timedelta(days=12),
                        "date": cls.today - timedelta(days=3),
                        "amount": 1000.0,
                    },
                    {
                        "case_id": case.id,
                        "date_made": cls.today - timedelta(days=1),
                        "date": cls.today + timedelta(days=7),
                        "amount": 2000.0,
                    },
                ]
            )
        cls.domain = [("id", "in", cls.cases.ids)]

    def test_kanban_and_list_group_totals(self):
        # the kanban columns (per stage) hold both companies: no EUR + CNY
        [column] = [
            group
            for group in self.Case.read_group(
                self.domain,
                ["amount_escalated:sum", "amount_promised:sum"],
                ["stage_id"],
            )
            if group["stage_id_count"]
        ]
        self.assertEqual(column["stage_id_count"], 2)
        self.assertIs(column["amount_escalated"], False)
        self.assertIs(column["amount_promised"], False)
        # per company: the amounts in its currency
        rows = self.Case.read_group(
            self.domain, ["amount_escalated:sum"], ["company_id"]
        )
        self.assertEqual(
            {row["company_id"][0]: row["amount_escalated"] for row in rows},
            {self.eur_company.id: 4870.0, self.cny_company.id: 4870.0},
        )

    def test_promise_total_excludes_broken_promises(self):
        for case in self.cases:
            states = sorted(case.promise_ids.mapped("state"))
            self.assertEqual(states, ["broken", "open"])
            # the open promise only, in the case's currency
            self.assertEqual(case.amount_promised, 2000.0)
            self.assertEqual(case.currency_id, case.company_id.currency_id)
        # promises of both companies: no total across their currencies
        promises = self.cases.promise_ids
        [group] = self.Promise.read_group(
            [("id", "in", promises.ids), ("state", "=", "open")],
            ["amount:sum"],
            [],
        )
        self.assertIs(group["amount"], False)
        [group] = self.Promise.read_group(
            [
                ("id", "in", promises.ids),
                ("state", "=", "open"),
                ("company_id", "=", self.cny_company.id),
            ],
            ["amount:sum"],
            [],
        )
        self.assertEqual(group["amount"], 2000.0)

    def test_collection_report_totals_per_company(self):
        Report = self.env["sales.closing.collection.report"]
        domain = [("partner_id", "=", self.customer.id), ("kind", "=", "escalated")]
        [total] = Report.read_group(domain, ["amount_escalated:sum"], [])
        self.assertIs(total["amount_escalated"], False)
        rows = Report.read_group(domain, ["amount_escalated:sum"], ["company_id"])
        self.assertEqual(
            sorted(row["amount_escalated"] for row in rows), [4870.0, 4870.0]
        )

    def test_views_have_no_cross_currency_sums(self):
        # the invoices of one case are of its company: their company
        # currency amounts add up
        allowed = {
            ("form", "account.move", "amount_total_signed"),
            ("form", "account.move", "amount_residual_signed"),
        }
        for model in (
            "sales.closing.collection.case",
            "sales.closing.payment.promise",
            "sales.closing.dunning.run",
            "sales.closing.dunning.line",
            "sales.closing.collection.report",
        ):
            with self.subTest(model=model):
                found = set(monetary_sums(self.env, model)) - allowed
                self.assertFalse(found)
