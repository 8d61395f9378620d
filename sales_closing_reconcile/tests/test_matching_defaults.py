"""The matching works on a new database, nothing configured (issue #12 items
0 and 1): the fee account comes from the chart, partial payments are
reconciled, bank account holder names identify payers."""

from lxml import etree

from odoo import Command
from odoo.tests import tagged

from .common import MatchingCase


@tagged("post_install", "-at_install")
class TestMatchingDefaults(MatchingCase):
    # nothing of ours is configured: the test company as Odoo makes it
    fee_account_name = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Alpine Foods Ltd"})

    def _invoice(self, partner, amount):
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": "2026-01-10",
                "date": "2026-01-10",
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Goods", "price_unit": amount, "tax_ids": []}
                    )
                ],
            }
        )
        move.action_post()
        return move

    def _line(self, amount, label, payer="", **extra):
        return self.Line.create(
            {
                "journal_id": self.bank.id,
                "date": "2026-01-20",
                "payment_ref": label,
                "partner_name": payer,
                "amount": amount,
                **extra,
            }
        )

    def test_defaults_of_every_setting_the_engine_reads(self):
        company = self.company
        self.assertEqual(company.sales_closing_match_threshold, 0.95)
        self.assertEqual(company.sales_closing_match_margin, 0.15)
        self.assertEqual(company.sales_closing_fee_tolerance, 3.0)
        self.assertTrue(company.sales_closing_match_partial)
        # the generic chart's "Bank Fees", set when the chart was loaded
        bank_fees = (
            self.env["account.chart.template"]
            .with_company(company)
            .ref("expense_finance")
        )
        self.assertEqual(company.sales_closing_fee_account_id, bank_fees)

    def test_fee_deducted_line_on_a_new_database(self):
        invoice = self._invoice(self.customer, 1000)
        line = self._line(985, f"Payment {invoice.name}", payer="Alpine Foods")
        line.action_auto_match()
        self.assertEqual(line.sales_closing_match_state, "auto")
        self.assertTrue(line.is_reconciled)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        fee = line.move_id.line_ids.filtered(
            lambda aml: aml.account_id == self.company.sales_closing_fee_account_id
        )
        self.assertEqual(fee.balance, 15.0)

    def test_company_created_later(self):
        company = self.env["res.company"].create({"name": "Later Co"})
        self.assertFalse(company.sales_closing_fee_account_id)  # no chart yet
        self.env["account.chart.template"].try_loading(
            "generic_coa", company, install_demo=False
        )
        account = company.sales_closing_fee_account_id
        self.assertTrue(account)
        self.assertEqual(account.with_context(lang="en_US").name, "Bank Fees")
        self.assertIn(company, account.company_ids)

    def test_chart_without_bank_fees_account(self):
        company = self.company
        company.sales_closing_fee_account_id.deprecated = True
        company.sales_closing_fee_account_id = False
        company._sales_closing_set_fee_account()
        account = company.sales_closing_fee_account_id
        self.assertTrue(account)
        self.assertFalse(account.deprecated)
        self.assertEqual(account.account_type, "expense")
        self.assertEqual(account.with_context(lang="en_US").name, "Bank Fees")
        self.env["res.lang"]._activate_lang("zh_CN")
        self.assertEqual(account.with_context(lang="zh_CN").name, "银行手续费")

    def test_settings_warn_without_fee_account(self):
        admin = self.env(user=self.env.ref("base.user_admin"))
        arch = etree.fromstring(
            admin["res.config.settings"].get_view(None, "form")["arch"]
        )
        [warning] = arch.xpath(
            "//setting[@id='sales_closing_fee_tolerance']"
            "/div[contains(@class, 'text-warning')]"
        )
        self.assertEqual(warning.get("invisible"), "sales_closing_fee_account_id")
        self.assertTrue(arch.xpath("//field[@name='sales_closing_match_partial']"))

    def test_partial_payment_never_closes_the_invoice(self):
        invoice = self._invoice(self.customer, 1000)
        line = self._line(400, f"{invoice.name} first installment")
        line.action_auto_match()
        self.assertEqual(line.sales_closing_match_state, "auto")
        self.assertTrue(line.is_reconciled)
        self.assertEqual(invoice.payment_state, "partial")
        self.assertAlmostEqual(invoice.amount_residual, 600.0)
        fees = line.move_id.line_ids.filtered(
            lambda aml: aml.account_id == self.company.sales_closing_fee_account_id
        )
        self.assertFalse(fees)
        # the rest, later: closes it
        rest = self._line(600, f"Rest {invoice.name}")
        rest.action_auto_match()
        self.assertEqual(rest.sales_closing_match_state, "auto")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))

    def test_partial_payments_switched_off(self):
        self.company.sales_closing_match_partial = False
        invoice = self._invoice(self.customer, 1000)
        line = self._line(400, f"{invoice.name} first installment")
        line.action_auto_match()
        self.assertEqual(line.sales_closing_match_state, "suggested")
        self.assertFalse(line.is_reconciled)
        self.assertEqual(invoice.payment_state, "not_paid")
        [top] = line.sales_closing_suggestion_ids.filtered(lambda s: s.rank == 1)
        self.assertTrue(top.partial)
        self.assertIn("partial payment", top.reasons_display)

    def test_bank_account_holder_name_identifies_the_payer(self):
        customer = self.env["res.partner"].create({"name": "上海华达科技有限公司"})
        self.env["res.partner.bank"].create(
            {
                "partner_id": customer.id,
                "acc_number": "6222020200112233",
                "acc_holder_name": "HD TECH INTERNATIONAL LTD",
            }
        )
        invoice = self._invoice(customer, 2345.67)
        # paid from another account, the holder's name printed
        line = self._line(2345.67, "TRANSFER", payer="HD TECH INTERNATIONAL")
        line.action_auto_match()
        self.assertEqual(line.sales_closing_match_state, "auto")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(line.partner_id, customer)
