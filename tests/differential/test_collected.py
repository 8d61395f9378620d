"""Collected amounts of the collection report vs Odoo's payments.

The collection report (``sales.closing.collection.report``, kind
"collected") must total, per customer, what Odoo's posted customer payments
(``amount_company_currency_signed``) and reconciled bank statement lines
bring in, in company currency.
"""

from datetime import timedelta

from odoo import Command
from odoo.tests import tagged

from .common import DifferentialCase, parametrize

CASES = [
    "full_payment",
    "partial_payment",
    "one_payment_two_invoices",
    "unmatched_payment",
    "statement_line_reconciled",
    "credit_note_then_payment",
    "write_off_entry",
    "foreign_currency_moved_rate",
    "two_companies",
    "child_contact",
]


@tagged("post_install", "-at_install")
@parametrize(CASES)
class TestCollectedVsOdoo(DifferentialCase):
    def _ours(self, partner, company):
        self.env.flush_all()
        rows = self.env["sales.closing.collection.report"]._read_group(
            [
                ("partner_id", "=", partner.id),
                ("company_id", "=", company.id),
                ("kind", "=", "collected"),
            ],
            [],
            ["amount_collected:sum"],
        )
        return round(rows[0][0] or 0.0, 2)

    def _odoo(self, partner, company):
        payments = self.env["account.payment"].search(
            [
                ("partner_id", "child_of", partner.id),
                ("company_id", "=", company.id),
                ("partner_type", "=", "customer"),
                ("payment_type", "=", "inbound"),
                ("state", "in", ("in_process", "paid")),
            ]
        )
        lines = self.env["account.bank.statement.line"].search(
            [
                ("partner_id", "child_of", partner.id),
                ("company_id", "=", company.id),
                ("is_reconciled", "=", True),
            ]
        )
        return round(
            sum(payments.mapped("amount_company_currency_signed"))
            + sum(lines.mapped("amount")),
            2,
        )

    def _check(self, name):
        partner, company = getattr(self, f"case_{name}")()
        self.assertEqual(
            self._ours(partner, company), self._odoo(partner, company), name
        )

    def _payment(self, partner, amount, company=None):
        company = company or self.company
        journal = self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
        )
        payment = (
            self.env["account.payment"]
            .with_company(company)
            .create(
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": partner.id,
                    "amount": amount,
                    "journal_id": journal.id,
                }
            )
        )
        payment.action_post()
        return payment

    def case_full_payment(self):
        partner = self._customer()
        self._pay(self._invoice(partner, 300.0, taxes=self.tax))
        return partner, self.company

    def case_partial_payment(self):
        partner = self._customer()
        self._pay(self._invoice(partner, 300.0), amount=120.0)
        return partner, self.company

    def case_one_payment_two_invoices(self):
        partner = self._customer()
        invoices = self._invoice(partner, 100.0) | self._invoice(partner, 50.0)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoices.ids
        ).create({"group_payment": True})._create_payments()
        return partner, self.company

    def case_unmatched_payment(self):
        partner = self._customer()
        self._invoice(partner, 100.0)
        self._payment(partner, 80.0)
        return partner, self.company

    def case_statement_line_reconciled(self):
        partner = self._customer()
        invoice = self._invoice(partner, 200.0)
        line = self.env["account.bank.statement.line"].create(
            {
                "journal_id": self.bank_journal.id,
                "partner_id": partner.id,
                "amount": 200.0,
                "payment_ref": invoice.name,
                "date": self.today,
            }
        )
        receivable = invoice.line_ids.filtered(
            lambda aml: aml.account_type == "asset_receivable"
        )
        line._sales_closing_apply_matches(
            [{"line": line, "items": receivable}], state="manual"
        )
        self.assertTrue(line.is_reconciled)
        return partner, self.company

    def case_credit_note_then_payment(self):
        """A credit note settles part of the invoice: not a collection."""
        partner = self._customer()
        invoice = self._invoice(partner, 300.0)
        refund = self._invoice(partner, 100.0, move_type="out_refund")
        (invoice | refund).line_ids.filtered(
            lambda aml: aml.account_type == "asset_receivable"
        ).reconcile()
        self._pay(invoice)
        return partner, self.company

    def case_write_off_entry(self):
        """A miscellaneous entry writes the invoice off: not a collection."""
        partner = self._customer()
        invoice = self._invoice(partner, 300.0)
        receivable = invoice.line_ids.filtered(
            lambda aml: aml.account_type == "asset_receivable"
        )
        expense = self.env["account.account"].search(
            [("account_type", "=", "expense"), ("company_ids", "in", self.company.ids)],
            limit=1,
        )
        misc = self.env["account.journal"].search(
            [("type", "=", "general"), ("company_id", "=", self.company.id)], limit=1
        )
        entry = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": misc.id,
                "date": self.today,
                "line_ids": [
                    Command.create(
                        {
                            "account_id": receivable.account_id.id,
                            "partner_id": partner.id,
                            "credit": 300.0,
                        }
                    ),
                    Command.create({"account_id": expense.id, "debit": 300.0}),
                ],
            }
        )
        entry.action_post()
        (receivable | entry.line_ids.filtered("credit")).reconcile()
        return partner, self.company

    def case_foreign_currency_moved_rate(self):
        """Invoiced at 2, paid at 4: the exchange difference is no collection."""
        partner = self._customer()
        invoice = self._invoice(
            partner, 200.0, day=self.today - timedelta(days=30), currency=self.foreign
        )
        self._pay(invoice)
        return partner, self.company

    def case_two_companies(self):
        partner = self._customer()
        self._pay(self._invoice(partner, 100.0))
        self._pay(self._invoice(partner, 700.0, company=self.other_company))
        return partner, self.company

    def case_child_contact(self):
        partner = self._customer()
        contact = self.env["res.partner"].create(
            {"name": "Diff Buyer", "parent_id": partner.id}
        )
        self._pay(self._invoice(contact, 140.0))
        return partner, self.company
