from odoo import Command
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestUi(HttpCase):
    def test_accept_suggestion_tour(self):
        """An accountant opens the review screen and accepts a suggestion."""
        admin = self.env.ref("base.user_admin")
        admin.groups_id += self.env.ref("sales_closing.group_closing_accountant")
        company = admin.company_id
        partner = self.env["res.partner"].create({"name": "Tour Alpine Foods Ltd"})
        invoices = self.env["account.move"]
        for day in ("2026-01-05", "2026-01-06"):
            invoices |= self.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "company_id": company.id,
                    "partner_id": partner.id,
                    "invoice_date": day,
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "Goods", "price_unit": 777.0, "tax_ids": []}
                        )
                    ],
                }
            )
        invoices.action_post()
        bank = self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
        )
        line = self.env["account.bank.statement.line"].create(
            {
                "journal_id": bank.id,
                "date": "2026-01-20",
                "payment_ref": "TOUR TRANSFER",
                "partner_name": "Tour Alpine Foods Ltd",
                "amount": 777.0,
            }
        )
        line.action_auto_match()
        self.assertEqual(line.sales_closing_match_state, "suggested")
        self.assertFalse(line.is_reconciled)
        self.start_tour("/odoo", "sales_closing_reconcile_accept_tour", login="admin")
        line.invalidate_recordset()
        self.assertTrue(line.is_reconciled)
        self.assertEqual(line.sales_closing_match_state, "manual")
        states = sorted(invoices.mapped("payment_state"))
        self.assertEqual(states[0], "not_paid")
        self.assertIn(states[1], ("in_payment", "paid"))
