"""Gateway payouts: a bank line paying out a platform balance."""

from odoo import Command
from odoo.tests import tagged

from .common import MatchingCase


@tagged("post_install", "-at_install")
class TestPayouts(MatchingCase):
    fee_account_name = "Gateway Fees"
    fee_account_code = "626200"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.sales_closing_fee_tolerance = 3.0
        cls.anna = cls.env["res.partner"].create({"name": "Anna Schmidt"})
        cls.li = cls.env["res.partner"].create({"name": "Li Wei"})
        cls.stripe = cls.env["account.journal"].create(
            {"name": "Stripe", "code": "TSTP", "type": "bank"}
        )
        cls.alipay = cls.env["account.journal"].create(
            {"name": "Alipay", "code": "TALP", "type": "bank"}
        )

    def _invoice(self, partner, amount):
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": "2026-09-01",
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Goods", "price_unit": amount, "tax_ids": []}
                    )
                ],
            }
        )
        move.action_post()
        return move

    def _row(self, journal, platform, kind, amount, gross, fee, **extra):
        vals = {
            "journal_id": journal.id,
            "date": "2026-09-05",
            "amount": amount,
            "payment_ref": extra.pop("label", kind),
            "sales_closing_platform": platform,
            "sales_closing_kind": kind,
            "sales_closing_gross": gross,
            "sales_closing_fee": fee,
            "sales_closing_net": amount,
        }
        vals.update(extra)
        return self.Line.create(vals)

    def _account_balance(self, account, moves):
        lines = moves.line_ids.filtered(lambda aml: aml.account_id == account)
        return self.company.currency_id.round(sum(lines.mapped("balance")))

    def test_stripe_payout_by_payout_id(self):
        first = self._invoice(self.anna, 120.0)
        second = self._invoice(self.li, 45.5)
        payout_id = "po_1QxAbc2eZvKYlo2C0a1b2c3d"
        rows = self._row(
            self.stripe,
            "stripe",
            "payment",
            116.22,
            120.0,
            3.78,
            label=first.name,
            partner_name="Anna Schmidt",
            sales_closing_transaction_id="pi_3QxA1a",
            sales_closing_payout_ref=payout_id,
        ) | self._row(
            self.stripe,
            "stripe",
            "payment",
            43.92,
            45.5,
            1.58,
            label=second.name.replace("/", " "),
            partner_name="Li Wei",
            sales_closing_transaction_id="pi_3QxB2b",
            sales_closing_payout_ref=payout_id,
        )
        bank_line = self.Line.create(
            {
                "journal_id": self.bank.id,
                "date": "2026-09-08",
                "payment_ref": f"STRIPE PAYMENTS UK {payout_id.upper()}",
                "amount": 160.14,
            }
        )
        bank_line.action_auto_match()
        self.assertTrue(bank_line.is_reconciled)
        self.assertEqual(bank_line.sales_closing_match_state, "auto")
        self.assertEqual(bank_line.sales_closing_payout_row_ids, rows)
        self.assertTrue(all(rows.mapped("is_reconciled")))
        self.assertEqual(set(rows.mapped("sales_closing_match_state")), {"auto"})
        for invoice in first | second:
            self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        moves = (rows | bank_line).move_id
        # fees booked at the platform's own figures
        self.assertAlmostEqual(self._account_balance(self.fee_account, moves), 5.36)
        # the Stripe balance is paid out to zero
        self.assertAlmostEqual(
            self._account_balance(self.stripe.default_account_id, moves), 0.0
        )
        # a second run changes nothing
        (rows | bank_line).action_auto_match()
        self.assertEqual(bank_line.sales_closing_payout_row_ids, rows)
        self.assertEqual(len(bank_line.move_id.line_ids), 2)

    def test_alipay_withdrawal(self):
        invoice = self._invoice(self.li, 560.0)
        pay = self._row(
            self.alipay,
            "alipay",
            "payment",
            560.0,
            560.0,
            0.0,
            label=invoice.name.lower(),
            partner_name="Li Wei",
            sales_closing_transaction_id="2026090222001456785500001111",
        )
        fee = self._row(self.alipay, "alipay", "fee", -3.36, 0.0, 3.36, label="收费")
        withdrawal = self._row(
            self.alipay,
            "alipay",
            "payout",
            -500.0,
            -500.0,
            0.0,
            label="提现",
            date="2026-09-15",
        )
        # the same amount without a word of Alipay is not taken for a payout
        other = self.Line.create(
            {
                "journal_id": self.bank.id,
                "date": "2026-09-16",
                "payment_ref": "TRANSFER",
                "amount": 500.0,
            }
        )
        other.action_auto_match()
        self.assertFalse(other.is_reconciled)
        self.assertFalse(other.sales_closing_payout_row_ids)
        bank_line = self.Line.create(
            {
                "journal_id": self.bank.id,
                "date": "2026-09-16",
                "payment_ref": "支付宝提现 ALIPAY WITHDRAWAL",
                "amount": 500.0,
            }
        )
        bank_line.action_auto_match()
        self.assertTrue(bank_line.is_reconciled)
        self.assertEqual(bank_line.sales_closing_payout_row_ids, pay | fee | withdrawal)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertTrue(fee.is_reconciled)
        self.assertTrue(withdrawal.is_reconciled)
        transfer = self.company.transfer_account_id
        self.assertTrue(transfer)
        transfer_lines = (bank_line | withdrawal).move_id.line_ids.filtered(
            lambda aml: aml.account_id == transfer
        )
        self.assertEqual(len(transfer_lines), 2)
        self.assertTrue(all(transfer_lines.mapped("reconciled")))
        moves = (pay | fee | withdrawal | bank_line).move_id
        self.assertAlmostEqual(self._account_balance(self.fee_account, moves), 3.36)
        # what stays on Alipay is the platform's balance: 560 - 3.36 - 500
        self.assertAlmostEqual(
            self._account_balance(self.alipay.default_account_id, moves), 56.64
        )

    def test_payment_found_by_gateway_reference(self):
        """A platform line citing only the gateway's payment id finds the
        invoice of that payment transaction."""
        invoice = self._invoice(self.anna, 80.0)
        provider = self.env["payment.provider"].create(
            {"name": "Test Gateway", "code": "none", "state": "test"}
        )
        transaction = self.env["payment.transaction"].create(
            {
                "provider_id": provider.id,
                "payment_method_id": self.env["payment.method"].search([], limit=1).id,
                "reference": "TX-PAYOUT-1",
                "provider_reference": "pi_3QzZ9z8eZvKYlo2C",
                "amount": 80.0,
                "currency_id": self.company.currency_id.id,
                "partner_id": self.anna.id,
                "invoice_ids": [Command.set(invoice.ids)],
            }
        )
        transaction.state = "done"
        row = self._row(
            self.stripe,
            "stripe",
            "payment",
            77.38,
            80.0,
            2.62,
            label="Charge",
            sales_closing_transaction_id="pi_3QzZ9z8eZvKYlo2C",
            sales_closing_payout_ref="po_1QzZ",
        )
        bank_line = self.Line.create(
            {
                "journal_id": self.bank.id,
                "date": "2026-09-08",
                "payment_ref": "PO_1QZZ STRIPE",
                "amount": 77.38,
            }
        )
        bank_line.action_auto_match()
        self.assertTrue(bank_line.is_reconciled)
        self.assertTrue(row.is_reconciled)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
