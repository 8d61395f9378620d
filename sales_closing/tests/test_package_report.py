from datetime import date, datetime

from odoo import SUPERUSER_ID
from odoo.tests import tagged
from odoo.tools import format_amount, format_datetime

from .common import SalesClosingCase


@tagged("post_install", "-at_install")
class TestClosingPackageReport(SalesClosingCase):
    """What the closing package PDF prints: amounts with the currency and
    separators, translated headings, every aging bucket, the closing time in
    the closer's time zone, who closed, in the company's language."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager.write({"tz": "Asia/Shanghai", "name": "Manager Mei"})
        # a customer without country or region: its sales have no region
        cls.customer = cls.env["res.partner"].create({"name": "Nowhere Customer"})
        cls.product = cls.env["product.product"].create(
            {"name": "Package Service", "type": "service", "list_price": 1234.5}
        )
        order = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "order_line": [
                    (0, 0, {"product_id": cls.product.id, "product_uom_qty": 10})
                ],
            }
        )
        order.action_confirm()
        order.date_order = datetime(2026, 1, 10, 9, 0)
        # customers of two countries, without regions
        for country in ("base.be", "base.nl"):
            other = cls.env["sale.order"].create(
                {
                    "partner_id": cls.env["res.partner"]
                    .create(
                        {
                            "name": f"Customer {country}",
                            "country_id": cls.env.ref(country).id,
                        }
                    )
                    .id,
                    "order_line": [(0, 0, {"product_id": cls.product.id})],
                }
            )
            other.action_confirm()
            other.date_order = datetime(2026, 1, 11, 9, 0)
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer.id,
                "invoice_date": date(2026, 1, 5),
                "invoice_date_due": date(2026, 1, 5),
                "invoice_line_ids": [
                    (
                        0,
                        0,
                        {
                            "product_id": cls.product.id,
                            "price_unit": 2500.0,
                            "tax_ids": [(6, 0, [])],
                        },
                    )
                ],
            }
        )
        invoice.action_post()

    def _close(self, period, user):
        period.action_run_checks()
        lines = period.check_line_ids
        lines.filtered(lambda line: line.is_manual).write({"status": "ok"})
        failed = lines.filtered(lambda line: line.status == "failed")
        failed.write({"waiver_reason": "package test"})
        failed.with_user(self.manager).action_waive()
        period.flux_line_ids.write({"explanation": "package test"})
        period.with_user(user).action_close()
        return period.package_ids

    def _html(self, package):
        # Odoo renders HTML instead of PDF in tests
        return package.pdf_attachment_id.raw.decode()

    def test_amounts_times_and_closer(self):
        package = self._close(self.period, self.manager)
        html = self._html(package)
        currency = self.company.currency_id
        # 10 x 1,234.50 with the thousands separator and the currency
        expected = format_amount(self.env, 12345.0, currency)
        # the customers without country or region: a dash; those of a
        # country without region: one row per country, named by it
        regions = [
            row["name"] for row in package._snapshot_data()["sales"]["by_region"]
        ]
        self.assertEqual(
            sorted(regions), ["", "Belgium, no region", "Netherlands, no region"]
        )
        self.assertIn(">Belgium, no region</td>", html)
        self.assertIn(expected, html)
        self.assertNotIn("12345.00", html)
        self.assertIn(format_amount(self.env, 2500.0, currency), html)
        # who closed, not the superuser the package is made with
        self.assertIn("Closed by <span>Manager Mei</span>", html)
        # the closing time in the closer's time zone, not a raw ISO string
        closed_at = package._snapshot_data()["meta"]["closed_at"]
        self.assertIn("T", closed_at)
        self.assertNotIn(closed_at, html)
        shown = format_datetime(
            self.env, datetime.fromisoformat(closed_at), tz="Asia/Shanghai"
        )
        self.assertIn(f"{shown} (Asia/Shanghai)", html)
        # every aging bucket heads the receivables table
        for heading in ("Not Due", "1-30 Days", "31-60 Days", "61-90 Days", "90+ Days"):
            self.assertIn(f">{heading}</th>", html)
        # no "None" for the customer without region or country
        self.assertNotIn(">None<", html)
        self.assertIn(">\N{EM DASH}</td>", html)
        # checks print their labels, not their codes
        self.assertNotIn(">blocking<", html)

    def test_closer_from_the_audit_log(self):
        package = self._close(self.period, self.manager)
        self.assertEqual(package._snapshot_data()["meta"]["closed_by"], "Manager Mei")
        # a package made in a superuser environment (a scheduled action)
        # still names who closed the period
        Package = self.env["sales.closing.package"].with_user(SUPERUSER_ID)
        self.assertEqual(Package._closing_user(self.period), self.manager)
        snapshot = Package._snapshot(self.period, 2)
        self.assertEqual(snapshot["meta"]["closed_by"], "Manager Mei")

    def test_each_version_names_its_closer(self):
        first = self._close(self.period, self.manager)
        other = self.manager.copy(
            {
                "login": "sc_manager_2",
                "name": "Manager Max",
                "email": "max@example.com",
                "tz": "Europe/Berlin",
            }
        )
        # sudo: reopening is the reopen wizard's workflow
        self.period.sudo().state = "reopened"
        second = self._close(self.period, other).filtered(lambda p: p.version == 2)
        self.assertEqual(second._snapshot_data()["meta"]["closed_by"], "Manager Max")
        self.assertIn("(Europe/Berlin)", self._html(second))
        # the first version still names, and is printed for, its own closer
        self.assertEqual(first._report_values()["closed_by"], "Manager Mei")
        self.assertIn("(Asia/Shanghai)", first._report_values()["closed_at"])

    def test_sealed_in_the_company_language(self):
        lang = self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search(
            [("name", "=", "sales_closing")]
        )._update_translations("zh_CN")
        self.company.partner_id.lang = lang.code
        # a closer whose language is not the company's
        self.manager.lang = "en_US"
        package = self._close(self.period, self.manager)
        html = self._html(package)
        labels = package.with_context(lang="zh_CN")._dimension_labels()
        self.assertNotEqual(labels["by_customer"], "Customer")
        self.assertIn(f">{labels['by_customer']}</th>", html)
        self.assertNotIn(">Customer</th>", html)
        self.assertIn(f">{labels['by_salesperson']}</th>", html)
        self.assertNotIn(">Salesperson</th>", html)
        # a customer's own name is kept
        self.assertIn("Nowhere Customer", html)

    def test_snapshot_tab_reads_as_figures(self):
        """The form's Snapshot tab shows the figures as the PDF prints them
        (headings, names, amounts in the currency), not the JSON; the JSON the
        hashes cover is unchanged."""
        package = self._close(self.period, self.manager)
        stored = package.snapshot
        currency = self.company.currency_id
        html = str(package.with_user(self.manager).snapshot_html)
        for text in (
            "Invoicing and Cash",
            "Open Receivables at",
            "Closed by",
            "Manager Mei",
            "Nowhere Customer",
            format_amount(self.env, 12345.0, currency),
            format_amount(self.env, 2500.0, currency),
        ):
            self.assertIn(text, html)
        # no JSON: no braces, keys or bare amounts
        for raw in ("{", '"sales"', "by_customer", "12345.00", "closed_at"):
            self.assertNotIn(raw, html)
        self.assertEqual(package.snapshot, stored)
        package.action_verify()
        self.assertEqual(package.verify_state, "ok")
        # the tab shows the figures; the JSON stays on the Hashes tab
        arch = self.env["sales.closing.package"].get_view(view_type="form")["arch"]
        self.assertIn('<page string="Snapshot" name="snapshot">', arch)
        page = arch.split('name="snapshot">', 1)[1].split("</page>", 1)[0]
        self.assertIn('name="snapshot_html"', page)
        self.assertNotIn('name="snapshot"', page)

    def test_snapshot_tab_in_the_reader_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search(
            [("name", "=", "sales_closing")]
        )._update_translations("zh_CN")
        package = self._close(self.period, self.manager)
        html = str(package.with_context(lang="zh_CN").snapshot_html)
        self.assertIn("开票与收款", html)
        self.assertIn("结账人", html)
        self.assertNotIn("Invoicing and Cash", html)
        self.assertIn(
            format_amount(
                self.env(context={"lang": "zh_CN"}), 12345.0, self.company.currency_id
            ),
            html,
        )

    def test_snapshot_tab_of_an_altered_snapshot(self):
        """A snapshot changed behind the ORM still opens: a message, no
        error (Verify names the change)."""
        package = self._close(self.period, self.manager)
        self.env.cr.execute(
            "UPDATE sales_closing_package SET snapshot = %s WHERE id = %s",
            ['{"period": "broken"}', package.id],
        )
        package.invalidate_recordset(["snapshot"])
        self.assertIn("Hashes", str(package.snapshot_html))
