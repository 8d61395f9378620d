import io
import subprocess
from datetime import date, datetime, timedelta

from openpyxl import load_workbook

from odoo import Command
from odoo.tests import BaseCase, tagged

from ..engine import aging as aging_engine
from ..engine import xlsx_table
from .common import SalesClosingCase


@tagged("post_install", "-at_install")
class TestClosingReports(SalesClosingCase):
    """Sales analysis, collection and aging views, their PDF and XLSX."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.usd = cls.company.currency_id
        cls.eur = cls.env.ref("base.EUR")
        if cls.usd == cls.eur:
            cls.eur = cls.env.ref("base.USD")
        cls.eur.active = True
        cls.env["res.currency.rate"].search(
            [("currency_id", "in", cls.eur.ids)]
        ).unlink()
        cls.env["res.currency.rate"].create(
            [
                {
                    "name": date(2025, 1, 1),
                    "rate": 2.0,
                    "currency_id": cls.eur.id,
                    "company_id": cls.company.id,
                },
                {
                    "name": date(2026, 2, 1),
                    "rate": 2.5,
                    "currency_id": cls.eur.id,
                    "company_id": cls.company.id,
                },
            ]
        )
        cls.eur_pricelist = cls.env["product.pricelist"].create(
            {"name": "EUR prices", "currency_id": cls.eur.id}
        )
        belgium = cls.env.ref("base.be")
        cls.us_state = cls.env.ref("base.state_us_5")
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Report Customer One",
                "is_company": True,
                "country_id": cls.us_state.country_id.id,
                "state_id": cls.us_state.id,
                "user_id": cls.sales_user.id,
            }
        )
        cls.customer_2 = cls.env["res.partner"].create(
            {
                "name": "Report Customer Two",
                "is_company": True,
                "country_id": belgium.id,
                "user_id": cls.sales_user_2.id,
            }
        )
        cls.aging_customer = cls.env["res.partner"].create(
            {"name": "Aging Customer", "is_company": True}
        )
        cls.categ_a = cls.env["product.category"].create({"name": "Report Cat A"})
        cls.categ_b = cls.env["product.category"].create({"name": "Report Cat B"})
        cls.product_a = cls.env["product.product"].create(
            {
                "name": "Report Product A",
                "type": "consu",
                "categ_id": cls.categ_a.id,
                "list_price": 100.0,
                "standard_price": 60.0,
                "taxes_id": [Command.clear()],
            }
        )
        cls.product_b = cls.env["product.product"].create(
            {
                "name": "Report Product B",
                "type": "consu",
                "categ_id": cls.categ_b.id,
                "list_price": 40.0,
                "standard_price": 30.0,
                "taxes_id": [Command.clear()],
            }
        )
        # sales: order 1 in company currency (January), order 2 in EUR (February)
        cls.order_1 = cls._order(
            cls.customer,
            cls.sales_user,
            datetime(2026, 1, 15, 10, 0),
            [(cls.product_a, 2, 100.0), (cls.product_b, 1, 40.0)],
        )
        cls.order_2 = cls._order(
            cls.customer_2,
            cls.sales_user_2,
            datetime(2026, 2, 10, 10, 0),
            [(cls.product_b, 3, 50.0)],
            pricelist=cls.eur_pricelist,
        )
        # collection: inv_1 1000 due 01-20, paid 400 on 01-25 and 600 on 02-10
        cls.term_50_50 = cls.env["account.payment.term"].create(
            {
                "name": "Half now, half in 30 days",
                "line_ids": [
                    Command.create(
                        {"value": "percent", "value_amount": 50, "nb_days": 0}
                    ),
                    Command.create(
                        {"value": "percent", "value_amount": 50, "nb_days": 30}
                    ),
                ],
            }
        )
        cls.inv_1 = cls._invoice(
            cls.customer, date(2026, 1, 5), 1000.0, due=date(2026, 1, 20)
        )
        cls._pay(cls.inv_1, date(2026, 1, 25), 400.0)
        cls._pay(cls.inv_1, date(2026, 2, 10), 600.0)
        # inv_3 600 in two installments: 300 due 01-10 (paid 01-12), 300 due 02-09
        cls.inv_3 = cls._invoice(
            cls.customer, date(2026, 1, 10), 600.0, term=cls.term_50_50
        )
        cls._pay(cls.inv_3, date(2026, 1, 12), 300.0)
        # inv_2 EUR 500 at 2.0 (250) due 01-31, paid on 02-15 at 2.5 (200)
        cls.inv_2 = cls._invoice(
            cls.customer_2,
            date(2026, 1, 10),
            500.0,
            due=date(2026, 1, 31),
            currency=cls.eur,
            user=cls.sales_user_2,
        )
        cls._pay(cls.inv_2, date(2026, 2, 15))

    @classmethod
    def _order(cls, partner, user, when, lines, pricelist=None):
        values = {
            "partner_id": partner.id,
            "user_id": user.id,
            "order_line": [
                Command.create(
                    {
                        "product_id": product.id,
                        "product_uom_qty": qty,
                        "price_unit": price,
                        "tax_id": [Command.clear()],
                    }
                )
                for product, qty, price in lines
            ],
        }
        if pricelist:
            values["pricelist_id"] = pricelist.id
        order = cls.env["sale.order"].create(values)
        order.action_confirm()
        order.date_order = when
        return order

    @classmethod
    def _invoice(
        cls,
        partner,
        day,
        amount,
        due=None,
        term=None,
        currency=None,
        user=None,
        move_type="out_invoice",
    ):
        values = {
            "move_type": move_type,
            "partner_id": partner.id,
            "invoice_date": day,
            "invoice_user_id": (user or cls.sales_user).id,
            "invoice_line_ids": [
                Command.create({"name": "Goods", "price_unit": amount, "tax_ids": []})
            ],
        }
        if term:
            values["invoice_payment_term_id"] = term.id
        else:
            values["invoice_date_due"] = due or day
        if currency:
            values["currency_id"] = currency.id
        move = cls.env["account.move"].create(values)
        move.action_post()
        return move

    def _groups(self, model, domain, groupby, aggregates, user=None):
        report = self.env[model]
        if user:
            report = report.with_user(user)
        return {
            key: values
            for key, *values in report._read_group(domain, [groupby], aggregates)
        }

    # ------------------------------------------------------------------
    # Sales analysis
    # ------------------------------------------------------------------
    def _sales_domain(self):
        return [("order_id", "in", (self.order_1 | self.order_2).ids)]

    def test_sales_margin_in_company_currency(self):
        aggregates = [
            "price_subtotal:sum",
            "cost:sum",
            "margin:sum",
            "margin_percent:sum",
        ]
        by_customer = self._groups(
            "sales.closing.sales.report",
            self._sales_domain(),
            "commercial_partner_id",
            aggregates,
        )
        # order 1: 2 x 100 + 40 = 240, cost 2 x 60 + 30 = 150, margin 90
        self.assertEqual(
            [round(v, 2) for v in by_customer[self.customer]],
            [240.0, 150.0, 90.0, 37.5],
        )
        # order 2: 3 x 50 EUR at 2.5 = 60, cost 3 x 30 = 90, margin -30
        self.assertEqual(
            [round(v, 2) for v in by_customer[self.customer_2]],
            [60.0, 90.0, -30.0, -50.0],
        )
        (totals,) = self.env["sales.closing.sales.report"]._read_group(
            self._sales_domain(), [], aggregates
        )
        # margin % of the whole is 60 / 300, not the mean of 37.5 and -50
        self.assertEqual([round(v, 2) for v in totals], [300.0, 240.0, 60.0, 20.0])
        # the pivot asks with the field's aggregator (avg): same ratio
        groups = self.env["sales.closing.sales.report"].web_read_group(
            self._sales_domain(), ["margin_percent:avg"], ["user_id"]
        )["groups"]
        self.assertEqual(
            sorted(round(group["margin_percent"], 2) for group in groups), [-50.0, 37.5]
        )

    def test_sales_groupings(self):
        report = "sales.closing.sales.report"
        domain = self._sales_domain()
        by_month = self._groups(report, domain, "date:month", ["price_subtotal:sum"])
        self.assertEqual(
            {k: round(v[0], 2) for k, v in by_month.items()},
            {datetime(2026, 1, 1): 240.0, datetime(2026, 2, 1): 60.0},
        )
        by_categ = self._groups(report, domain, "categ_id", ["margin:sum"])
        # A: 2 x (100 - 60) = 80; B: (40 - 30) + (20 - 30) x 3 = -20
        self.assertEqual(
            {k: round(v[0], 2) for k, v in by_categ.items()},
            {self.categ_a: 80.0, self.categ_b: -20.0},
        )
        by_state = self._groups(report, domain, "state_id", ["product_uom_qty:sum"])
        self.assertEqual(by_state[self.us_state], [3.0])
        by_country = self._groups(report, domain, "country_id", ["__count"])
        self.assertEqual(by_country[self.env.ref("base.be")], [1])
        by_user = self._groups(report, domain, "user_id", ["price_subtotal:sum"])
        self.assertEqual(set(by_user), {self.sales_user, self.sales_user_2})
        line = self.env[report].search(
            domain + [("product_id", "=", self.product_b.id)], order="date"
        )
        self.assertEqual(line.mapped("cost_source"), ["product", "product"])
        self.assertEqual(line[1].order_currency_id, self.eur)

    def test_sales_cost_from_stock_valuation(self):
        """A delivered storable product is costed at its valuation, not the
        product's later standard price."""
        product = self.env["product.product"].create(
            {
                "name": "Report Storable",
                "is_storable": True,
                "standard_price": 70.0,
                "taxes_id": [Command.clear()],
            }
        )
        warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", self.company.id)], limit=1
        )
        self.env["stock.quant"]._update_available_quantity(
            product, warehouse.lot_stock_id, 5.0
        )
        order = self._order(
            self.customer, self.sales_user, datetime(2026, 3, 1), [(product, 2, 100.0)]
        )
        picking = order.picking_ids
        picking.move_ids.write({"quantity": 2.0, "picked": True})
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        product.standard_price = 99.0
        line = self.env["sales.closing.sales.report"].search(
            [("order_id", "=", order.id)]
        )
        self.assertEqual(line.cost_source, "valuation")
        self.assertAlmostEqual(line.cost, 140.0)
        self.assertAlmostEqual(line.margin, 60.0)

    # ------------------------------------------------------------------
    # Collection
    # ------------------------------------------------------------------
    def _collection_domain(self):
        return [("move_id", "in", (self.inv_1 | self.inv_2 | self.inv_3).ids)]

    def test_collection_due_vs_collected_per_month(self):
        by_month = self._groups(
            "sales.closing.collection.analysis",
            self._collection_domain(),
            "date:month",
            ["amount_due:sum", "amount_collected:sum", "amount_open:sum"],
        )
        self.assertEqual(
            {k: [round(x, 2) for x in v] for k, v in by_month.items()},
            {
                # due: 1000 (01-20) + 300 (01-10) + 250 EUR invoice;
                # collected 300 (01-12) + 400 (01-25)
                date(2026, 1, 1): [1550.0, 700.0, 0.0],
                # due: the second installment, still open; collected
                # 600 (02-10) + EUR 500 at the payment's rate 2.5: 200 (the
                # exchange loss of 50 is not a collection)
                date(2026, 2, 1): [300.0, 800.0, 300.0],
            },
        )

    def test_collection_per_day_customer_salesperson(self):
        report = "sales.closing.collection.analysis"
        domain = self._collection_domain()
        aggregates = ["amount_due:sum", "amount_collected:sum"]
        by_day = self._groups(report, domain, "date:day", aggregates)
        self.assertEqual(by_day[date(2026, 1, 25)], [0.0, 400.0])
        self.assertEqual(by_day[date(2026, 1, 20)], [1000.0, 0.0])
        self.assertEqual(by_day[date(2026, 2, 9)], [300.0, 0.0])
        by_customer = self._groups(report, domain, "partner_id", aggregates)
        self.assertEqual(by_customer[self.customer], [1600.0, 1300.0])
        self.assertEqual(by_customer[self.customer_2], [250.0, 200.0])
        by_user = self._groups(report, domain, "user_id", aggregates)
        self.assertEqual(by_user[self.sales_user_2], [250.0, 200.0])
        late = self.env[report].search(domain + [("kind", "=", "collected")])
        self.assertEqual(
            sorted(late.mapped("days_late")), [2, 5, 15, 21]
        )  # 01-12 vs 01-10, 01-25 vs 01-20, 02-15 vs 01-31, 02-10 vs 01-20

    # ------------------------------------------------------------------
    # Aging
    # ------------------------------------------------------------------
    def _aging_data(self):
        today = self.env.cr.now().date()
        self.env.cr.execute("SELECT CURRENT_DATE")
        today = self.env.cr.fetchone()[0]
        customer = self.aging_customer
        self._invoice(customer, today, 100.0, due=today + timedelta(days=10))
        self._invoice(customer, today - timedelta(days=10), 200.0)
        self._invoice(
            customer,
            today - timedelta(days=5),
            50.0,
            move_type="out_refund",
            user=self.sales_user_2,
        )
        partly = self._invoice(customer, today - timedelta(days=45), 300.0)
        self._pay(partly, today - timedelta(days=1), 100.0)
        # EUR 400 booked at 2.5: 160
        self._invoice(
            customer,
            date(2026, 3, 1),
            400.0,
            due=today - timedelta(days=75),
            currency=self.eur,
        )
        self._invoice(customer, today - timedelta(days=120), 500.0)
        return today

    def test_aging_buckets(self):
        today = self._aging_data()
        fields_ = [
            "amount_not_due",
            "amount_1_30",
            "amount_31_60",
            "amount_61_90",
            "amount_90",
            "amount_residual",
        ]
        report = self.env["sales.closing.aging.report"]
        domain = [("partner_id", "=", self.aging_customer.id)]
        (totals,) = report._read_group(domain, [], [f"{f}:sum" for f in fields_])
        self.assertEqual(
            [round(v, 2) for v in totals], [100.0, 150.0, 200.0, 160.0, 500.0, 1110.0]
        )
        # the view agrees with the engine on the same journal items
        lines = self.env["account.move.line"].search(
            [
                ("partner_id", "=", self.aging_customer.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
            ]
        )
        engine = aging_engine.aging(
            (
                (
                    line.partner_id.id,
                    line.date_maturity,
                    round(line.amount_residual * 100),
                )
                for line in lines
            ),
            today,
        )["totals"]
        labels = aging_engine.bucket_labels()
        self.assertEqual(
            [round(v * 100) for v in totals[:5]], [engine[label] for label in labels]
        )
        by_bucket = self._groups(
            "sales.closing.aging.report",
            domain,
            "aging_bucket",
            ["amount_residual:sum"],
        )
        self.assertEqual(
            {k: round(v[0], 2) for k, v in by_bucket.items()},
            {
                "current": 100.0,
                "1-30": 150.0,
                "31-60": 200.0,
                "61-90": 160.0,
                "90+": 500.0,
            },
        )
        by_user = self._groups(
            "sales.closing.aging.report", domain, "user_id", ["amount_residual:sum"]
        )
        self.assertEqual(by_user[self.sales_user_2], [-50.0])

    # ------------------------------------------------------------------
    # Security
    # ------------------------------------------------------------------
    def test_sales_user_sees_own_rows(self):
        self._aging_data()
        sales = self._groups(
            "sales.closing.sales.report",
            self._sales_domain(),
            "user_id",
            ["price_subtotal:sum"],
            user=self.sales_user,
        )
        self.assertEqual(list(sales), [self.sales_user])
        collection = self._groups(
            "sales.closing.collection.analysis",
            [],
            "partner_id",
            ["amount_due:sum"],
            user=self.sales_user,
        )
        self.assertNotIn(self.customer_2, collection)
        self.assertEqual(collection[self.customer], [1600.0])
        aging = self._groups(
            "sales.closing.aging.report",
            [("partner_id", "=", self.aging_customer.id)],
            "aging_bucket",
            ["amount_residual:sum"],
            user=self.sales_user,
        )
        # without the other salesperson's credit note of 50
        self.assertEqual(aging["1-30"], [200.0])
        # the accountant and the auditor see both salespersons' rows
        for user in (self.accountant, self.auditor):
            everyone = self._groups(
                "sales.closing.sales.report",
                self._sales_domain(),
                "user_id",
                ["price_subtotal:sum"],
                user=user,
            )
            self.assertEqual(set(everyone), {self.sales_user, self.sales_user_2})

    def test_views_open_for_each_group(self):
        for xmlid in (
            "sales_closing.sales_closing_sales_report_action",
            "sales_closing.sales_closing_collection_analysis_action",
            "sales_closing.sales_closing_aging_report_action",
        ):
            action = self.env.ref(xmlid)
            for user in (self.sales_user, self.accountant, self.auditor):
                views = (
                    self.env[action.res_model]
                    .with_user(user)
                    .get_views([(False, "pivot"), (False, "graph"), (False, "list")])
                )
                self.assertEqual(set(views["views"]), {"pivot", "graph", "list"})
                # what the pivot asks: its measures by month or customer
                arch = views["views"]["pivot"]["arch"]
                self.assertIn('type="measure"', arch)
                self.env[action.res_model].with_user(user).web_read_group(
                    [],
                    ["amount_residual:sum"]
                    if action.res_model == "sales.closing.aging.report"
                    else ["__count"],
                    ["company_id"],
                )

    def test_other_company_rows_hidden(self):
        order = (
            self.env["sale.order"]
            .with_company(self.other_company)
            .create(
                {
                    "partner_id": self.customer.id,
                    "company_id": self.other_company.id,
                    "user_id": self.sales_user.id,
                    "order_line": [
                        Command.create(
                            {"product_id": self.product_a.id, "price_unit": 10.0}
                        )
                    ],
                }
            )
        )
        order.action_confirm()
        Report = self.env["sales.closing.sales.report"]
        domain = [("order_id", "=", order.id)]
        self.assertEqual(Report.search_count(domain), 1)
        self.assertEqual(Report.with_user(self.accountant).search_count(domain), 0)
        self.assertEqual(
            Report.with_user(self.manager)
            .with_context(allowed_company_ids=self.company.ids)
            .search_count(domain),
            0,
        )
        self.assertEqual(
            Report.with_user(self.manager)
            .with_context(allowed_company_ids=self.other_company.ids)
            .search_count(domain),
            1,
        )

    # ------------------------------------------------------------------
    # PDF and XLSX
    # ------------------------------------------------------------------
    def _wizard(self, report, user=None, **values):
        Wizard = self.env["sales.closing.report.wizard"]
        if user:
            Wizard = Wizard.with_user(user)
        return Wizard.create(
            {
                "report": report,
                "date_from": date(2026, 1, 1),
                "date_to": date(2026, 2, 28),
                **values,
            }
        )

    def _xlsx(self, wizard):
        action = wizard.action_export_xlsx()
        attachment_id = int(action["url"].split("/")[3].split("?")[0])
        attachment = self.env["ir.attachment"].browse(attachment_id)
        self.assertEqual(
            (attachment.res_model, attachment.res_id), (wizard._name, wizard.id)
        )
        return load_workbook(io.BytesIO(attachment.raw), read_only=True)

    @staticmethod
    def _rows(sheet):
        return [
            [round(v, 2) if isinstance(v, float) else v for v in row]
            for row in sheet.iter_rows(values_only=True)
        ]

    def test_collection_pdf(self):
        wizard = self._wizard(
            "collection",
            partner_ids=[Command.set((self.customer | self.customer_2).ids)],
        )
        action = wizard.action_print_pdf()
        # without a document layout Odoo first opens the layout configurator
        action = action.get("context", {}).get("report_action", action)
        self.assertEqual(action["report_name"], "sales_closing.report_collection")
        pdf, __ = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf("sales_closing.action_report_collection", wizard.ids)
        )
        self.assertTrue(pdf.startswith(b"%PDF"))
        text = subprocess.run(
            ["pdftotext", "-layout", "-", "-"],
            input=pdf,
            capture_output=True,
            check=True,
        ).stdout.decode()
        self.assertIn("Collection Report", text)
        lines = [" ".join(line.split()) for line in text.splitlines()]

        def line_of(start):
            return next(line for line in lines if line.startswith(start))

        self.assertRegex(
            line_of("Report Customer One"), r"1,600\.00 .*1,300\.00 .*300\.00"
        )
        self.assertRegex(line_of("Report Customer Two"), r"250\.00 .*200\.00 .*0\.00")
        self.assertRegex(line_of("Total"), r"1,850\.00 .*1,500\.00 .*300\.00")
        self.assertRegex(line_of("2026-01"), r"1,550\.00 .*700\.00")
        self.assertRegex(line_of("2026-02"), r"300\.00 .*800\.00 .*300\.00")

    def test_xlsx_collection(self):
        book = self._xlsx(
            self._wizard(
                "collection",
                partner_ids=[Command.set((self.customer | self.customer_2).ids)],
            )
        )
        self.assertEqual(
            book.sheetnames, ["By Customer", "By Salesperson", "By Day", "By Month"]
        )
        rows = self._rows(book["By Customer"])
        self.assertEqual(rows[2], ["Customer", "Due", "Collected", "Still Open"])
        self.assertIn(["Report Customer One", 1600.0, 1300.0, 300.0], rows)
        self.assertIn(["Report Customer Two", 250.0, 200.0, 0.0], rows)
        self.assertEqual(rows[-1], ["Total", 1850.0, 1500.0, 300.0])
        months = self._rows(book["By Month"])
        self.assertIn(["2026-01", 1550.0, 700.0, 0.0], months)

    def test_xlsx_collection_sales_user_own_rows(self):
        book = self._xlsx(self._wizard("collection", user=self.sales_user))
        names = [row[0] for row in self._rows(book["By Customer"])[3:]]
        self.assertIn("Report Customer One", names)
        self.assertNotIn("Report Customer Two", names)

    def test_xlsx_aging_and_sales(self):
        self._aging_data()
        book = self._xlsx(
            self._wizard("aging", partner_ids=[Command.set(self.aging_customer.ids)])
        )
        self.assertEqual(
            book.sheetnames, ["By Customer", "By Salesperson", "Open Items"]
        )
        rows = self._rows(book["By Customer"])
        self.assertEqual(rows[-1], ["Total", 100.0, 150.0, 200.0, 160.0, 500.0, 1110.0])
        items = self._rows(book["Open Items"])
        self.assertEqual(len(items), 1 + 6)  # header + 6 open items
        self.assertEqual(sum(row[-1] for row in items[1:]), 1110.0)
        book = self._xlsx(
            self._wizard(
                "sales",
                partner_ids=[Command.set((self.customer | self.customer_2).ids)],
            )
        )
        rows = self._rows(book["By Customer"])
        self.assertIn(["Report Customer One", 3.0, 240.0, 150.0, 90.0, 37.5], rows)
        self.assertEqual(rows[-1], ["Total", 6.0, 300.0, 240.0, 60.0, 20.0])
        self.assertIn("By Region", book.sheetnames)


@tagged("post_install", "-at_install")
class TestUnapprovedOrdersQueryCount(SalesClosingCase):
    """The unapproved-orders check with the below-pricelist rule on runs a
    number of queries that does not grow with the orders and lines."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.sales_closing_max_below_pricelist = 10.0
        cls.period.write({"date_from": date(2026, 3, 1), "date_to": date(2026, 3, 31)})
        parent = cls.env["product.category"].create({"name": "Priced Parent"})
        child = cls.env["product.category"].create(
            {"name": "Priced Child", "parent_id": parent.id}
        )
        cls.base_pricelist = cls.env["product.pricelist"].create(
            {
                "name": "Base prices",
                "item_ids": [
                    Command.create(
                        {
                            "applied_on": "2_product_category",
                            "categ_id": parent.id,
                            "compute_price": "percentage",
                            "percent_price": 20,
                        }
                    ),
                    Command.create(
                        {
                            "applied_on": "3_global",
                            "compute_price": "percentage",
                            "percent_price": 5,
                        }
                    ),
                ],
            }
        )
        cls.based_pricelist = cls.env["product.pricelist"].create(
            {
                "name": "Based on base prices",
                "item_ids": [
                    Command.create(
                        {
                            "applied_on": "3_global",
                            "compute_price": "fixed",
                            "fixed_price": 33,
                            "min_quantity": 3,
                            "date_start": datetime(2026, 3, 1),
                            "date_end": datetime(2026, 3, 31),
                        }
                    ),
                    Command.create(
                        {
                            "applied_on": "3_global",
                            "compute_price": "formula",
                            "base": "pricelist",
                            "base_pricelist_id": cls.base_pricelist.id,
                            "price_discount": 10,
                        }
                    ),
                ],
            }
        )
        cls.customer = cls.env["res.partner"].create({"name": "Priced Customer"})
        cls.products = cls.env["product.product"].create(
            [
                {
                    "name": f"Priced {i}",
                    "list_price": 100.0,
                    "categ_id": child.id
                    if i % 2
                    else cls.env.ref("product.product_category_all").id,
                }
                for i in range(4)
            ]
        )
        cls.kind = cls.env.ref("sales_closing.check_unapproved_orders")

    def _orders(self, count, price):
        orders = self.env["sale.order"].create(
            [
                {
                    "partner_id": self.customer.id,
                    "pricelist_id": (
                        self.based_pricelist if i % 2 else self.base_pricelist
                    ).id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "product_uom_qty": 1 + i,
                                "price_unit": price,
                                "tax_id": [Command.clear()],
                            }
                        )
                        for product in self.products
                    ],
                }
                for i in range(count)
            ]
        )
        # confirmed directly: the check looks for orders that skipped approval
        orders.write({"state": "sale", "date_order": datetime(2026, 3, 10)})
        return orders

    def _queries(self):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        result = self.kind._check_unapproved_orders(self.period)
        return self.env.cr.sql_log_count - before, result

    def test_query_count_constant(self):
        # each count is taken on a second run, Odoo's caches (xmlids, the
        # users just written by the creation) being warm in both
        self._orders(4, 40.0)
        self._queries()
        queries_4, result_4 = self._queries()
        self._orders(8, 40.0)
        self._queries()
        queries_12, result_12 = self._queries()
        # every order is below its pricelist but those at the fixed price of
        # 33 for 3 units or more (odd orders from the fourth)
        self.assertEqual(result_4["count"], 3)
        self.assertEqual(result_12["count"], 8)
        self.assertEqual(queries_12, queries_4)

    def test_cached_rules_price_like_odoo(self):
        lines = self._orders(6, 40.0).order_line
        self.env.invalidate_all()
        plain = [
            (line.pricelist_item_id, line._get_pricelist_price()) for line in lines
        ]
        self.env.invalidate_all()
        cache = self.env["product.pricelist"]._sales_closing_rules_cache(
            lines.order_id.pricelist_id
        )
        cached = [
            (line.pricelist_item_id, line._get_pricelist_price())
            for line in lines.with_context(sales_closing_pricelist_rules=cache)
        ]
        self.assertEqual(cached, plain)
        # the fixed, category, global and based-on-pricelist rules all apply
        self.assertEqual(
            {round(price, 2) for __, price in plain}, {33.0, 72.0, 80.0, 85.5, 95.0}
        )


class TestEngineXlsxTable(BaseCase):
    """``engine.xlsx_table`` without a database."""

    def test_workbook_read_back(self):
        content = xlsx_table.workbook(
            [
                {
                    "title": "By Customer",
                    "heading": "Collection",
                    "columns": [
                        ("Customer", "text"),
                        ("Due", "money"),
                        ("Days", "int"),
                        ("Due Date", "date"),
                    ],
                    "rows": [
                        ["Azure", 12.5, 3, date(2026, 1, 31)],
                        ["Deco", 0, None, None],
                    ],
                    "totals": ["Total", 12.5, 3, None],
                },
                {"title": "By Customer", "columns": [("A", "text")], "rows": [["x"]]},
            ]
        )
        book = load_workbook(io.BytesIO(content))
        # the second sheet of the same title gets a unique name
        self.assertEqual(book.sheetnames, ["By Customer", "By Customer (2)"])
        rows = list(book["By Customer"].iter_rows(values_only=True))
        self.assertEqual(rows[0][0], "Collection")
        self.assertEqual(rows[2], ("Customer", "Due", "Days", "Due Date"))
        self.assertEqual(rows[3], ("Azure", 12.5, 3, datetime(2026, 1, 31)))
        self.assertEqual(rows[4], ("Deco", 0, None, None))
        self.assertEqual(rows[5], ("Total", 12.5, 3, None))

    def test_sheet_names_are_valid(self):
        used = set()
        self.assertEqual(xlsx_table.sheet_name("a/b: [c]?", used), "a b   c")
        long = "x" * 40
        self.assertEqual(xlsx_table.sheet_name(long, used), "x" * 31)
        self.assertEqual(xlsx_table.sheet_name(long, used), "x" * 27 + " (2)")
        self.assertEqual(xlsx_table.sheet_name("", used), "Sheet")

    def test_bad_input(self):
        with self.assertRaisesRegex(ValueError, "2 values for 1 columns"):
            xlsx_table.workbook(
                [{"title": "T", "columns": [("A", "text")], "rows": [["a", "b"]]}]
            )
        with self.assertRaisesRegex(ValueError, "Unknown column kind"):
            xlsx_table.workbook(
                [{"title": "T", "columns": [("A", "euros")], "rows": []}]
            )
        with self.assertRaisesRegex(TypeError, "Expected a date"):
            xlsx_table.workbook(
                [{"title": "T", "columns": [("A", "date")], "rows": [["2026-01-01"]]}]
            )
