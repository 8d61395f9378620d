from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from .currency_totals import monetary_sums


@tagged("post_install", "-at_install")
class TestCurrencyTotalsReports(AccountTestInvoicingCommon):
    """Aging, sales and collection analysis, customer statements: a company
    in EUR and one in CNY, each with an invoice partly paid and an order."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.eur = cls.setup_other_company(
            name="Totals EUR Co", currency_id=cls.env.ref("base.EUR").id
        )["company"]
        cls.cny = cls.setup_other_company(
            name="Totals CNY Co", currency_id=cls.env.ref("base.CNY").id
        )["company"]
        cls.env.user.company_ids |= cls.eur | cls.cny
        # statements are made by closing accountants
        cls.env.user.groups_id |= cls.env.ref("sales_closing.group_closing_accountant")
        cls.customer = cls.env["res.partner"].create(
            {"name": "Two Currency Customer", "is_company": True}
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Totals Service", "type": "service", "list_price": 500.0}
        )
        cls.invoices = cls.env["account.move"]
        for company in (cls.eur, cls.cny):
            env = cls.env(
                context=dict(cls.env.context, allowed_company_ids=company.ids)
            )
            invoice = (
                env["account.move"]
                .with_company(company)
                .create(
                    {
                        "move_type": "out_invoice",
                        "partner_id": cls.customer.id,
                        "invoice_date": cls.today - relativedelta(days=45),
                        "invoice_date_due": cls.today - relativedelta(days=40),
                        "invoice_line_ids": [
                            (
                                0,
                                0,
                                {
                                    "name": "Totals",
                                    "quantity": 1,
                                    "price_unit": 1000.0,
                                    "tax_ids": [(6, 0, [])],
                                },
                            )
                        ],
                    }
                )
            )
            invoice.action_post()
            cls.invoices |= invoice
            env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create(
                {"payment_date": cls.today - relativedelta(days=10), "amount": 400.0}
            )._create_payments()
            order = (
                env["sale.order"]
                .with_company(company)
                .create(
                    {
                        "partner_id": cls.customer.id,
                        "company_id": company.id,
                        "order_line": [
                            (
                                0,
                                0,
                                {
                                    "product_id": cls.product.id,
                                    "price_unit": 500.0,
                                    "tax_id": [(6, 0, [])],
                                },
                            )
                        ],
                    }
                )
            )
            order.action_confirm()
            env["sales.closing.statement"].with_company(company)._generate(
                company,
                cls.today - relativedelta(days=60),
                cls.today,
                partners=cls.customer,
            )
        cls.companies = cls.eur | cls.cny

    def _check_totals(self, model, domain, amounts):
        """No total across the two companies; per company, each its own."""
        Model = self.env[model].with_context(allowed_company_ids=self.companies.ids)
        specs = [f"{name}:sum" for name in amounts]
        [total] = Model.read_group(domain, specs, [])
        for name in amounts:
            self.assertIs(total[name], False, f"{model}.{name}: EUR + CNY added")
        # grouped by a field that does not split the currencies: no total
        rows = Model.read_group(domain, specs, ["partner_id"])
        self.assertEqual(len(rows), 1)
        for name in amounts:
            self.assertIs(rows[0][name], False)
        # per company: the company's amounts, in its currency
        rows = Model.read_group(domain, specs, ["company_id"])
        self.assertEqual(len(rows), 2)
        for row in rows:
            for name, expected in amounts.items():
                self.assertAlmostEqual(row[name], expected, msg=f"{model}.{name}")
        # one company selected: the total is there again
        [total] = Model.read_group(
            domain + [("company_id", "=", self.cny.id)], specs, []
        )
        for name, expected in amounts.items():
            self.assertAlmostEqual(total[name], expected)

    def test_aging_totals(self):
        self._check_totals(
            "sales.closing.aging.report",
            [("partner_id", "=", self.customer.id)],
            {"amount_residual": 600.0, "amount_31_60": 600.0},
        )

    def test_collection_analysis_totals(self):
        self._check_totals(
            "sales.closing.collection.analysis",
            [("partner_id", "=", self.customer.id)],
            {"amount_due": 1000.0, "amount_collected": 400.0, "amount_open": 600.0},
        )

    def test_sales_analysis_totals(self):
        self._check_totals(
            "sales.closing.sales.report",
            [("partner_id", "=", self.customer.id)],
            {"price_subtotal": 500.0},
        )
        # the margin % of a group is a ratio of its sums: none across
        # currencies either, per company it is there
        Report = self.env["sales.closing.sales.report"].with_context(
            allowed_company_ids=self.companies.ids
        )
        domain = [("partner_id", "=", self.customer.id)]
        [total] = Report.read_group(domain, ["margin_percent"], [])
        self.assertIs(total["margin_percent"], False)
        [cny] = Report.read_group(
            domain + [("company_id", "=", self.cny.id)], ["margin_percent"], []
        )
        self.assertIsNot(cny["margin_percent"], False)

    def test_statement_totals(self):
        self._check_totals(
            "sales.closing.statement",
            [("partner_id", "=", self.customer.id)],
            {"closing_balance": 600.0},
        )

    def test_pivot_and_graph_by_month_never_add_currencies(self):
        # a month holds both companies' installments
        Report = self.env["sales.closing.collection.analysis"].with_context(
            allowed_company_ids=self.companies.ids
        )
        rows = Report.read_group(
            [("partner_id", "=", self.customer.id), ("kind", "=", "due")],
            ["amount_due:sum"],
            ["date:month"],
        )
        self.assertEqual(len(rows), 1)
        self.assertIs(rows[0]["amount_due"], False)

    def test_views_have_no_cross_currency_sums(self):
        for model in (
            "sales.closing.aging.report",
            "sales.closing.collection.analysis",
            "sales.closing.sales.report",
            "sales.closing.statement",
        ):
            with self.subTest(model=model):
                # a statement's own lines are in its currency: they add up
                found = [
                    found
                    for found in monetary_sums(self.env, model)
                    if found[1] != "sales.closing.statement.line"
                ]
                self.assertEqual(found, [])
