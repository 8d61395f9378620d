"""Invoice layouts printed by wkhtmltopdf through Odoo's report engine.

Each layout's PDF is read back with ``pdftotext`` and its payment QR code
is decoded from the images of the PDF (``pdfimages`` and zxing-cpp).
"""

import glob
import os
import re
import subprocess
import tempfile
from datetime import date
from unittest.mock import patch

import zxingcpp
from PIL import Image

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools.misc import format_date

from ..engine import invoice_layout

INVOICE_REPORT = "account.account_invoices"
COMPANY_VAT = "91310115MA1K4ABC2X"
CUSTOMER_VAT = "91110108MA01ABCD3Y"
IBAN = "DE89 3704 0044 0532 0130 00"


def pdf_text(pdf):
    """The text of a PDF as pdftotext gives it, with no Unicode
    normalisation (an ideograph read back as a CJK radical fails), no-break
    spaces read as spaces and whitespace runs collapsed."""
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return re.sub(r"[ \t\xa0]+", " ", text)


def pdf_qr_codes(pdf):
    """The texts of the QR codes among the images of a PDF."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "invoice.pdf")
        with open(path, "wb") as stream:
            stream.write(pdf)
        subprocess.run(
            ["pdfimages", "-png", path, os.path.join(folder, "img")], check=True
        )
        texts = []
        for name in sorted(glob.glob(os.path.join(folder, "img-*.png"))):
            with Image.open(name) as image:
                texts += [code.text for code in zxingcpp.read_barcodes(image)]
        return texts


@tagged("post_install", "-at_install")
class TestInvoiceLayout(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.company.write(
            {
                "name": "上海闭环贸易有限公司",
                "vat": COMPANY_VAT,
                "street": "浦东新区世纪大道100号",
                "city": "Shanghai",
                "zip": "200120",
                "phone": "+86 21 5555 0100",
                "email": "ar@closing.example.com",
                "sales_closing_invoice_layout": "classic",
            }
        )
        cls.bank = cls.env["res.bank"].create(
            {"name": "中国工商银行上海浦东支行", "bic": "ICBKCNBJSHI"}
        )
        cls.account = cls.env["res.partner.bank"].create(
            {
                "acc_number": "6222 0210 0112 3456 789",
                "partner_id": cls.company.partner_id.id,
                "bank_id": cls.bank.id,
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "北京华信科技有限公司",
                "is_company": True,
                "vat": CUSTOMER_VAT,
                "street": "海淀区中关村大街1号",
                "city": "Beijing",
                "phone": "010-8888 0000",
                "email": "finance@huaxin.example.com",
            }
        )
        cls.term = cls.env["account.payment.term"].create(
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
        group = cls.env["account.tax.group"].create({"name": "VAT 13%"})
        cls.tax = cls.env["account.tax"].create(
            {
                "name": "VAT 13%",
                "amount": 13,
                "type_tax_use": "sale",
                "tax_group_id": group.id,
            }
        )
        cls.journal = cls.env["account.journal"].search(
            [("company_id", "=", cls.company.id), ("type", "=", "sale")], limit=1
        )
        # 3 x 450 less 10% = 1,215.00 and 5 x 45 = 225.00; VAT 187.20;
        # total 1,627.20 in two installments of 813.60
        cls.invoice = cls._invoice(cls.customer)

    @classmethod
    def _invoice(cls, partner, currency=None, bank=None):
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "journal_id": cls.journal.id,
                "invoice_date": date(2026, 3, 10),
                "invoice_payment_term_id": cls.term.id,
                "currency_id": (currency or cls.company.currency_id).id,
                "partner_bank_id": (bank or cls.account).id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Standing Desk 升降办公桌",
                            "quantity": 3,
                            "price_unit": 450.0,
                            "discount": 10.0,
                            "tax_ids": [Command.set(cls.tax.ids)],
                        }
                    ),
                    Command.create(
                        {
                            "name": "LED Desk Lamp",
                            "quantity": 5,
                            "price_unit": 45.0,
                            "tax_ids": [Command.set(cls.tax.ids)],
                        }
                    ),
                ],
            }
        )
        invoice.action_post()
        return invoice

    def _set_layout(self, layout):
        self.customer.sales_closing_invoice_layout = layout

    def _render(self, invoice=None):
        invoice = invoice or self.invoice
        # without the flag, tests get the HTML instead of running wkhtmltopdf
        pdf, report_type = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(INVOICE_REPORT, invoice.ids)
        )
        self.assertEqual(report_type, "pdf")
        return pdf

    def _portal_pay_url(self, invoice):
        """The portal page with the Pay button, built independently of the
        code under test."""
        return (
            f"{invoice.get_base_url()}/my/invoices/{invoice.id}"
            f"?access_token={invoice.access_token}&payment=True#portal_pay"
        )

    def _assert_common(self, text, dates):
        for expected in (
            # company: name, address, contact, tax ID
            "上海闭环贸易有限公司",
            "世纪大道100号",
            "+86 21 5555 0100",
            COMPANY_VAT,
            # customer: name, address, tax ID
            "北京华信科技有限公司",
            "中关村大街1号",
            CUSTOMER_VAT,
            # lines: quantities, unit prices, discount, taxes, amounts
            "升降办公桌",
            "LED Desk Lamp",
            "3.00",
            "5.00",
            "450.00",
            "45.00",
            "10.00",
            "VAT 13%",
            "1,215.00",
            "225.00",
            # totals
            "1,440.00",
            "187.20",
            "1,627.20",
            # installments
            "813.60",
            # bank details
            "6222 0210 0112 3456 789",
            "中国工商银行上海浦东支行",
        ):
            self.assertIn(expected, text)
        for day in dates:
            self.assertIn(day, text)
        self.assertEqual(text.count("813.60"), 2, "one line per installment")

    # ------------------------------------------------------------------
    def test_installments_of_the_invoice(self):
        self.assertEqual(
            [
                (line["number"], line["date"], line["amount"])
                for line in self.invoice._sales_closing_installments()
            ],
            [(1, date(2026, 3, 10), 813.6), (2, date(2026, 4, 9), 813.6)],
        )

    def test_layout_classic_pdf(self):
        self._set_layout("classic")
        self.assertEqual(
            self.invoice._get_name_invoice_report(),
            "sales_closing.report_invoice_classic",
        )
        pdf = self._render()
        text = pdf_text(pdf)
        dates = [
            format_date(self.env, date(2026, 3, 10)),
            format_date(self.env, date(2026, 4, 9)),
        ]
        self._assert_common(text, dates)
        self.assertIn("Invoice INV/2026/", text)
        self.assertIn("Bill To", text)
        self.assertIn("Installment", text)
        self.assertIn("Disc.%", text)
        self.assertEqual(pdf_qr_codes(pdf), [self._portal_pay_url(self.invoice)])

    def test_layout_modern_pdf(self):
        self._set_layout("modern")
        pdf = self._render()
        text = pdf_text(pdf)
        dates = [
            format_date(self.env, date(2026, 3, 10)),
            format_date(self.env, date(2026, 4, 9)),
        ]
        self._assert_common(text, dates)
        self.assertIn("BILLED TO", text.upper())
        self.assertIn("AMOUNT DUE", text.upper())
        self.assertNotIn("Bill To", text)  # not the classic layout
        self.assertEqual(pdf_qr_codes(pdf), [self._portal_pay_url(self.invoice)])

    def test_layout_cn_vat_pdf(self):
        self._set_layout("cn_vat")
        pdf = self._render()
        text = pdf_text(pdf)
        self._assert_common(text, ["2026年03月10日", "2026年04月09日"])
        for expected in (
            "增值税发票",
            "购",
            "销",
            "名称",
            "纳税人识别号",
            "地址、电话",
            "开户行及账号",
            "价税合计（大写）",
            "壹仟陆佰贰拾柒元贰角",
            "（小写）",
            "第1期",
            "第2期",
            "010-8888 0000",
        ):
            self.assertIn(expected, text)
        self.assertEqual(pdf_qr_codes(pdf), [self._portal_pay_url(self.invoice)])

    def test_html_holds_the_qr_image_of_the_portal_url(self):
        self._set_layout("modern")
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html(INVOICE_REPORT, self.invoice.ids)[0]
            .decode()
        )
        url = self._portal_pay_url(self.invoice)
        self.assertIn(invoice_layout.qr_png_data_uri(url), html)
        self.assertIn('data-payload-kind="url"', html)

    def test_proforma_title_in_every_layout(self):
        """The portal's download of an invoice without PDF prints PROFORMA
        (Odoo's TestPortalInvoice checks the same markup)."""
        for layout in ("classic", "modern", "cn_vat"):
            self._set_layout(layout)
            html = (
                self.env["ir.actions.report"]
                .with_context(proforma_invoice=True)
                ._render_qweb_html(INVOICE_REPORT, self.invoice.ids)[0]
                .decode()
            )
            self.assertIn("<span>PROFORMA</span>", html, layout)
            html = (
                self.env["ir.actions.report"]
                ._render_qweb_html(INVOICE_REPORT, self.invoice.ids)[0]
                .decode()
            )
            self.assertNotIn("PROFORMA", html, layout)

    def test_epc_qr_for_eur_invoice_to_iban(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        iban = self.env["res.partner.bank"].create(
            {
                "acc_number": IBAN,
                "partner_id": self.company.partner_id.id,
                "allow_out_payment": True,
            }
        )
        invoice = self._invoice(self.customer, currency=eur, bank=iban)
        self._set_layout("classic")
        expected = (
            "BCD\n002\n1\nSCT\n\n上海闭环贸易有限公司\nDE89370400440532013000\n"
            f"EUR{invoice.amount_residual:.2f}\n\n\n{invoice.payment_reference}"
        )
        qr = invoice._sales_closing_payment_qr()
        self.assertEqual((qr["kind"], qr["payload"]), ("epc", expected))
        pdf = self._render(invoice)
        self.assertEqual(pdf_qr_codes(pdf), [expected])
        self.assertIn("SEPA credit transfer", pdf_text(pdf))

    def test_no_qr_once_paid(self):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=self.invoice.ids
        ).create(
            {"payment_date": date(2026, 3, 12), "amount": self.invoice.amount_residual}
        )._create_payments()
        self.assertEqual(self.invoice.payment_state, "paid")
        self.assertEqual(self.invoice._sales_closing_payment_qr(), {})
        self._set_layout("classic")
        self.assertEqual(pdf_qr_codes(self._render()), [])

    def test_fallback_customer_journal_company(self):
        invoice = self.invoice
        self.customer.sales_closing_invoice_layout = False
        self.journal.sales_closing_invoice_layout = False
        self.company.sales_closing_invoice_layout = "modern"
        self.assertEqual(invoice._sales_closing_invoice_layout(), "modern")
        self.journal.sales_closing_invoice_layout = "cn_vat"
        self.assertEqual(invoice._sales_closing_invoice_layout(), "cn_vat")
        self.customer.sales_closing_invoice_layout = "classic"
        self.assertEqual(invoice._sales_closing_invoice_layout(), "classic")
        self.assertEqual(
            invoice._get_name_invoice_report(), "sales_closing.report_invoice_classic"
        )
        # a contact of the customer prints with the customer's layout
        contact = self.env["res.partner"].create(
            {"name": "Buyer Wang", "parent_id": self.customer.id}
        )
        self.assertEqual(
            self._invoice(contact)._sales_closing_invoice_layout(), "classic"
        )
        # the customer's choice is per company
        other = self.env["res.company"].create({"name": "Other Co"})
        self.assertFalse(self.customer.with_company(other).sales_closing_invoice_layout)
        # "standard" hands over to Odoo's (or a localisation's) own report
        self.customer.sales_closing_invoice_layout = "standard"
        self.assertEqual(
            invoice._get_name_invoice_report(), "account.report_invoice_document"
        )
        self.assertIn("Invoice INV/2026/", pdf_text(self._render()))

    def test_default_is_odoo_invoice(self):
        """Installing the addon changes no invoice: a new company prints
        Odoo's own report until a company, journal or customer chooses ours."""
        company = self.env["res.company"].create({"name": "Fresh Co"})
        self.assertEqual(company.sales_closing_invoice_layout, "standard")
        self.customer.sales_closing_invoice_layout = False
        self.journal.sales_closing_invoice_layout = False
        self.company.sales_closing_invoice_layout = "standard"
        self.assertEqual(self.invoice._sales_closing_invoice_layout(), "standard")
        self.assertEqual(
            self.invoice._get_name_invoice_report(), "account.report_invoice_document"
        )

    def test_layouts_keep_what_modules_add_to_odoos_document(self):
        """Each layout is Odoo's invoice document in another frame: what an
        installed module adds to account.report_invoice_document (here
        stock_account's lot and serial number table) is in every layout."""
        odoo_document = self.env.ref("account.report_invoice_document")
        extensions = odoo_document.inherit_children_ids.filtered(
            lambda view: view.mode == "extension" and view.active
        )
        self.assertIn(
            "stock_account.stock_account_report_invoice_document",
            extensions.get_external_id().values(),
        )
        for layout in ("classic", "modern", "cn_vat"):
            arch = self.env.ref(
                f"sales_closing.report_invoice_{layout}"
            ).get_combined_arch()
            self.assertIn('name="invoice_snln_table"', arch, layout)
            self.assertIn("_get_invoiced_lot_values", arch, layout)
            self.assertNotIn("web.external_layout", arch, layout)

    def test_lot_numbers_print_in_a_layout(self):
        """A module's addition renders: stock_account's lot table, fed here
        with one lot, prints in the classic layout."""
        self.env.user.groups_id += self.env.ref("stock_account.group_lot_on_invoice")
        self._set_layout("classic")
        lots = [
            {
                "product_name": "升降办公桌",
                "quantity": "3.00",
                "uom_name": "Units",
                "lot_name": "LOT-SC-0042",
            }
        ]
        with patch.object(
            type(self.env["account.move"]),
            "_get_invoiced_lot_values",
            lambda move: lots,
        ):
            html = (
                self.env["ir.actions.report"]
                ._render_qweb_html(INVOICE_REPORT, self.invoice.ids)[0]
                .decode()
            )
        self.assertIn("LOT-SC-0042", html)
        self.assertIn("o_sc_invoice_classic", html)

    def test_fallback_is_what_prints(self):
        """The journal's layout prints when the customer has none."""
        self.customer.sales_closing_invoice_layout = False
        self.journal.sales_closing_invoice_layout = "cn_vat"
        self.assertIn("壹仟陆佰贰拾柒元贰角", pdf_text(self._render()))
        self.journal.sales_closing_invoice_layout = False
        self.company.sales_closing_invoice_layout = "modern"
        text = pdf_text(self._render())
        self.assertIn("BILLED TO", text.upper())
        self.assertNotIn("价税合计", text)

    def test_missing_tax_id_raises_naming_the_partner(self):
        self._set_layout("cn_vat")
        self.customer.vat = False
        with self.assertRaisesRegex(UserError, "北京华信科技有限公司"):
            self._render()
        self.customer.vat = CUSTOMER_VAT
        self.company.vat = False
        with self.assertRaisesRegex(UserError, "上海闭环贸易有限公司") as error:
            self._render()
        self.assertNotIn("北京华信科技有限公司", str(error.exception))
        self.assertIn(self.invoice.name, str(error.exception))
        # the other layouts print without tax IDs
        self._set_layout("modern")
        self.assertIn("北京华信科技有限公司", pdf_text(self._render()))

    def test_send_and_print_uses_the_layout(self):
        self._set_layout("cn_vat")
        self.env["account.move.send"].with_context(
            force_report_rendering=True
        )._generate_and_send_invoices(self.invoice, sending_methods={"manual"})
        attachment = self.invoice.invoice_pdf_report_id
        self.assertTrue(attachment)
        self.assertIn("壹仟陆佰贰拾柒元贰角", pdf_text(attachment.raw))

    def test_send_and_print_refuses_missing_tax_id(self):
        self._set_layout("cn_vat")
        self.customer.vat = False
        with self.assertRaisesRegex(UserError, "北京华信科技有限公司"):
            self.env["account.move.send"].with_context(
                force_report_rendering=True
            )._generate_and_send_invoices(self.invoice, sending_methods={"manual"})
        self.assertFalse(self.invoice.invoice_pdf_report_id)

    def test_credit_note_capitals_are_negative(self):
        refund = self.invoice._reverse_moves()
        refund.action_post()
        self._set_layout("cn_vat")
        text = pdf_text(self._render(refund))
        self.assertIn("负壹仟陆佰贰拾柒元贰角", text)
        self.assertIn("Credit Note", text)
