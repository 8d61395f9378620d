"""The payment reminder letter as the customer reads it (see
sales_closing/tests/report_pdf_common.py): rendered by wkhtmltopdf against
the test server, page 1 read back with ``pdftotext`` as typed."""

from datetime import timedelta

from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from odoo.addons.sales_closing.tests.report_pdf_common import (
    ReportPdfCase,
    po_msgstr,
)

AMOUNT = 12345.67
PAID = 2000.0


@tagged("post_install", "-at_install")
class TestDunningLetterPdf(ReportPdfCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        Level = cls.env["sales.closing.dunning.level"]
        Level.search([("company_id", "=", cls.company.id)]).unlink()
        Level._create_default_levels(cls.company)
        cls.user = new_test_user(
            cls.env,
            "pdf_dunning",
            groups="sales_closing.group_closing_manager,account.group_account_invoice",
        )
        cls.customers = {
            lang: cls.env["res.partner"].create(
                {
                    "name": name,
                    "lang": lang,
                    "is_company": True,
                    "email": f"ap-{lang}@example.com",
                    "street": street,
                    "city": city,
                    "country_id": cls.env.ref(country).id,
                }
            )
            for lang, name, street, city, country in (
                ("zh_CN", "北京星辰科技有限公司", "中关村大街1号", "北京", "base.cn"),
                ("en_US", "Northwind Traders", "1 Harbour Road", "Boston", "base.us"),
            )
        }
        cls.invoices = {}
        for lang, customer in cls.customers.items():
            due = cls.today - timedelta(days=20)
            invoice = cls.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "invoice_date": due,
                    "invoice_date_due": due,
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "Service", "price_unit": AMOUNT, "tax_ids": False}
                        )
                    ],
                }
            )
            invoice.invoice_date_due = due
            invoice.action_post()
            (
                cls.env["account.payment.register"]
                .with_context(active_model="account.move", active_ids=invoice.ids)
                .create({"payment_date": cls.today, "amount": PAID})
                ._create_payments()
            )
            cls.invoices[lang] = invoice
        Run = cls.env["sales.closing.dunning.run"]
        cls.dunning_run = Run._plan(cls.company, cls.today)

    def test_letter_in_customer_language(self):
        """Whoever prints it, the letter is in the customer's language with
        the sender's letterhead and the amount due in the invoice currency."""
        currency = self.company.currency_id
        for lang, customer in self.customers.items():
            lines = self.dunning_run.line_ids.filtered_domain(
                [("partner_id", "=", customer.id)]
            )
            self.assertTrue(lines, f"no reminder for {customer.name}")
            amount_due = "Amount Due"
            if lang == "zh_CN":
                amount_due = po_msgstr("sales_closing_payments", amount_due)
            for reader in ("zh_CN", "en_US"):
                with self.subTest(customer=lang, reader=reader):
                    env = self.env(
                        user=self.user, context=dict(self.env.context, lang=reader)
                    )
                    pdf, kind = (
                        env["ir.actions.report"]
                        .with_context(force_report_rendering=True)
                        ._render_qweb_pdf(
                            "sales_closing_payments.action_report_dunning_letter",
                            lines.ids,
                        )
                    )
                    self.assertEqual(kind, "pdf")
                    self.assertReadable(
                        pdf,
                        [
                            self.company.name,
                            "世纪大道100号",
                            self.company.email,
                            customer.name,
                            self.invoices[lang].name,
                            amount_due,
                            lines[0].level_id.with_context(lang=lang).name,
                            self.money(AMOUNT - PAID, currency, lang),
                        ],
                        reader,
                    )
