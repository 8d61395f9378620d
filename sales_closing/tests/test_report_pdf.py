"""Every PDF of sales_closing as a reader gets it from a running server.

Rendered by wkhtmltopdf against the test server (report stylesheets and
their web fonts loaded), for a Chinese and an English reader; page 1 read
back with ``pdftotext`` without normalisation must hold the letterhead
(company name, address line, footer contact), the document's title as the
template or its translation types it, and the amounts in the document's
currency.
"""

from datetime import date

from odoo import Command
from odoo.tests import new_test_user, tagged

from .report_pdf_common import ReportPdfCase, pdf_image_count, po_msgstr

AMOUNT = 12345.67
PAID = 2000.0


@tagged("post_install", "-at_install")
class TestReportPdfText(ReportPdfCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.currency = cls.company.currency_id
        groups = (
            "sales_closing.group_closing_manager,account.group_account_invoice,"
            "sales_team.group_sale_manager"
        )
        cls.users = {
            lang: new_test_user(cls.env, f"pdf_reader_{lang}", groups=groups, lang=lang)
            for lang in ("zh_CN", "en_US")
        }
        cls.customers = {
            "zh_CN": cls.env["res.partner"].create(
                {
                    "name": "北京星辰科技有限公司",
                    "lang": "zh_CN",
                    "is_company": True,
                    "street": "海淀区中关村大街1号",
                    "city": "北京",
                    "zip": "100080",
                    "country_id": cls.env.ref("base.cn").id,
                    "vat": "91110108MA01ABCD3Y",
                }
            ),
            "en_US": cls.env["res.partner"].create(
                {
                    "name": "Northwind Traders Ltd",
                    "lang": "en_US",
                    "is_company": True,
                    "street": "1 Harbour Road",
                    "city": "Boston",
                    "zip": "02110",
                    "country_id": cls.env.ref("base.us").id,
                    "vat": "US123456789",
                }
            ),
        }
        cls.invoices = {}
        for lang, customer in cls.customers.items():
            invoice = cls.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "invoice_date": date(2026, 1, 10),
                    "invoice_date_due": date(2026, 1, 20),
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "咨询服务 Consulting", "price_unit": AMOUNT}
                        )
                    ],
                }
            )
            invoice.action_post()
            (
                cls.env["account.payment.register"]
                .with_context(active_model="account.move", active_ids=invoice.ids)
                .create({"payment_date": date(2026, 1, 25), "amount": PAID})
                ._create_payments()
            )
            cls.invoices[lang] = invoice

    def _pdf(self, report, records, lang):
        user = self.users[lang]
        env = self.env(user=user, context=dict(self.env.context, lang=lang))
        pdf, kind = (
            env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(report, records.ids)
        )
        self.assertEqual(kind, "pdf")
        return pdf

    def _letterhead(self):
        return [self.company.name, "世纪大道100号", self.company.email]

    def test_customer_statement(self):
        """In the customer's language: letterhead, title, closing balance."""
        for lang, customer in self.customers.items():
            with self.subTest(lang=lang):
                statement = self.env["sales.closing.statement"]._generate(
                    self.company,
                    date(2026, 1, 1),
                    date(2026, 1, 31),
                    partners=customer,
                )
                pdf = self._pdf(
                    "sales_closing.action_report_customer_statement", statement, lang
                )
                title = "Statement of Account"
                if lang == "zh_CN":
                    title = po_msgstr("sales_closing", title)
                self.assertReadable(
                    pdf,
                    [
                        *self._letterhead(),
                        title,
                        customer.name,
                        self.money(AMOUNT, self.currency, lang),
                        self.money(AMOUNT - PAID, self.currency, lang),
                    ],
                    lang,
                )
                self.assertEqual(pdf_image_count(pdf), 1, "the company logo")

    def test_collection_report(self):
        """In the reader's language: letterhead, title, due and collected."""
        for lang in self.customers:
            with self.subTest(lang=lang):
                wizard = (
                    self.env["sales.closing.report.wizard"]
                    .with_user(self.users[lang])
                    .create(
                        {
                            "report": "collection",
                            "date_from": date(2026, 1, 1),
                            "date_to": date(2026, 1, 31),
                        }
                    )
                )
                pdf = self._pdf("sales_closing.action_report_collection", wizard, lang)
                title = "Collection Report"
                if lang == "zh_CN":
                    title = po_msgstr("sales_closing", title)
                self.assertReadable(
                    pdf,
                    [
                        *self._letterhead(),
                        title,
                        self.customers["zh_CN"].name,
                        self.customers["en_US"].name,
                        self.money(2 * PAID, self.currency, lang),
                    ],
                    lang,
                )

    def test_invoice_layouts(self):
        """Each layout of ours, in the customer's language: the seller's
        name, address and footer, the total in the invoice's currency; no
        placeholder logo."""
        self.company.logo = False  # Odoo's "Your logo" placeholder
        self.assertTrue(self.company.uses_default_logo)
        for layout in ("classic", "modern", "cn_vat"):
            self.company.sales_closing_invoice_layout = layout
            for lang, invoice in self.invoices.items():
                with self.subTest(layout=layout, lang=lang):
                    self.assertEqual(
                        invoice._get_name_invoice_report(),
                        f"sales_closing.report_invoice_{layout}",
                    )
                    pdf = self._pdf("account.account_invoices", invoice, lang)
                    expected = [
                        self.company.name,
                        "世纪大道100号",
                        self.money(AMOUNT, self.currency, lang),
                        invoice.name,
                    ]
                    if layout != "cn_vat":
                        expected.append(self.company.email)
                        title = "Invoice"
                        if lang == "zh_CN":
                            title = po_msgstr("sales_closing", title)
                        expected.append(title)
                    else:
                        expected += ["增值税发票", "价税合计（大写）"]
                    self.assertReadable(pdf, expected, lang)
                    # the payment QR code only, no placeholder logo
                    qr = invoice._sales_closing_invoice_values()["qr"]
                    self.assertEqual(pdf_image_count(pdf), 1 if qr else 0)

    def test_closing_package(self):
        """Sealed in the company's language, whoever prints it: letterhead,
        title, net invoiced and collected in the company's currency."""
        period = self.env["sales.closing.period"].create(
            {
                "name": "2026-01",
                "date_from": date(2026, 1, 1),
                "date_to": date(2026, 1, 31),
                "user_id": self.users["en_US"].id,
            }
        )
        period.action_run_checks()
        lines = period.check_line_ids
        lines.filtered(lambda line: line.is_manual).write({"status": "ok"})
        failed = lines.filtered(lambda line: line.status == "failed")
        failed.write({"waiver_reason": "report test"})
        failed.with_user(self.users["en_US"]).action_waive()
        if "flux_line_ids" in period._fields:
            period.flux_line_ids.write({"explanation": "report test"})
        period.with_user(self.users["en_US"]).action_close()
        package = period.package_ids
        self.assertEqual(len(package), 1)
        for company_lang in ("zh_CN", "en_US"):
            self.company.partner_id.lang = company_lang
            title = "Closing Package"
            if company_lang == "zh_CN":
                title = po_msgstr("sales_closing", title)
            for reader_lang in ("zh_CN", "en_US"):
                with self.subTest(company=company_lang, reader=reader_lang):
                    pdf = self._pdf(
                        "sales_closing.action_report_closing_package",
                        package,
                        reader_lang,
                    )
                    self.assertReadable(
                        pdf,
                        [
                            *self._letterhead(),
                            title,
                            self.money(2 * AMOUNT, self.currency, company_lang),
                            self.money(2 * PAID, self.currency, company_lang),
                        ],
                        reader_lang,
                    )
