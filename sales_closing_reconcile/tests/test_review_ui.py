"""The review screen in headless Chromium: its hoot unit tests, and a tour
reviewing a statement by keyboard only (issue #13)."""

from odoo import Command
from odoo.tests import HttpCase, tagged

from odoo.addons.web.tests.test_js import unit_test_error_checker


def hoot_hash(name):
    """HOOT's id of a suite or test (as odoo.addons.web.tests.test_js)."""
    value = 0
    for char in name:
        value = ((value << 5) - value + ord(char)) & 0xFFFFFFFF
    return f"{value:08x}"


@tagged("post_install", "-at_install")
class TestReviewUnitJs(HttpCase):
    def test_review_hoot(self):
        """Component state, running total, remainder and keys (hoot)."""
        suite = hoot_hash("@sales_closing_reconcile")
        self.browser_js(
            "/web/tests?headless&loglevel=2&preset=desktop&timeout=30000"
            f"&suite={suite}",
            "",
            "",
            login="admin",
            timeout=900,
            success_signal="[HOOT] test suite succeeded",
            error_checker=unit_test_error_checker,
        )


@tagged("post_install", "-at_install")
class TestReviewTour(HttpCase):
    def _invoice(self, partner, amount, ref):
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "company_id": self.company.id,
                "partner_id": partner.id,
                "invoice_date": "2026-01-10",
                "ref": ref,
                "invoice_line_ids": [
                    Command.create({"name": ref, "price_unit": amount, "tax_ids": []})
                ],
            }
        )
        move.action_post()
        return move

    def _item(self, move):
        return move.line_ids.filtered(
            lambda aml: aml.account_id.account_type == "asset_receivable"
        )

    def _line(self, day, label, amount, suggestions=()):
        line = self.env["account.bank.statement.line"].create(
            {
                "journal_id": self.bank.id,
                "date": day,
                "payment_ref": label,
                "amount": amount,
            }
        )
        for rank, (move, score) in enumerate(suggestions, start=1):
            self.env["sales.closing.match.suggestion"].create(
                {
                    "statement_line_id": line.id,
                    "company_id": self.company.id,
                    "move_line_ids": [Command.set(self._item(move).ids)],
                    "score": score,
                    "reasons": "ref:invoice, amount:exact",
                    "rank": rank,
                }
            )
        line.sales_closing_match_state = "suggested" if suggestions else "unmatched"
        return line

    def test_review_by_keyboard_tour(self):
        admin = self.env.ref("base.user_admin")
        admin.groups_id += self.env.ref("sales_closing.group_closing_accountant")
        self.company = admin.company_id
        self.bank = self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.company.id)], limit=1
        )
        # only the tour's lines to review
        self.env["account.bank.statement.line"].search(
            [("company_id", "=", self.company.id)]
        ).write({"sales_closing_match_state": "manual"})
        expense = self.env["account.account"].search(
            [
                ("company_ids", "in", self.company.id),
                ("account_type", "=", "expense"),
            ],
            limit=1,
        )
        self.env["account.reconcile.model"].create(
            {
                "name": "Tour bank charges",
                "rule_type": "writeoff_button",
                "company_id": self.company.id,
                "line_ids": [
                    Command.create({"account_id": expense.id, "label": "Bank charges"})
                ],
            }
        )
        foods = self.env["res.partner"].create({"name": "Tour Review Foods"})
        grouped = self.env["res.partner"].create({"name": "Tour Grouped Ltd"})
        inv_a = self._invoice(foods, 500.0, "TOURA")
        inv_b1 = self._invoice(foods, 250.0, "TOURB1")
        inv_b2 = self._invoice(foods, 250.0, "TOURB2")
        inv_c1 = self._invoice(grouped, 100.0, "TOURGRP-1")
        inv_c2 = self._invoice(grouped, 200.0, "TOURGRP-2")
        inv_d = self._invoice(foods, 80.0, "TOURPART")
        inv_e = self._invoice(foods, 100.0, "TOURWO")
        line_a = self._line("2026-02-01", "TOUR A", 500.0, [(inv_a, 0.95)])
        line_b = self._line(
            "2026-02-02", "TOUR B", 250.0, [(inv_b1, 0.7), (inv_b2, 0.6)]
        )
        line_c = self._line("2026-02-03", "TOUR C GROUPED", 300.0)
        line_d = self._line("2026-02-04", "TOUR D PARTIAL", 50.0)
        line_e = self._line("2026-02-05", "TOUR E WRITEOFF", 95.0)

        self.start_tour("/odoo", "sales_closing_reconcile_review_tour", login="admin")

        self.env.invalidate_all()
        for line in (line_a, line_b, line_c, line_d):
            self.assertTrue(line.is_reconciled, line.payment_ref)
            self.assertEqual(line.sales_closing_match_state, "manual")
        self.assertEqual(inv_a.amount_residual, 0)
        self.assertEqual(inv_b1.amount_residual, 250.0)  # 2 picked the second
        self.assertEqual(inv_b2.amount_residual, 0)
        self.assertEqual(inv_c1.amount_residual + inv_c2.amount_residual, 0)
        self.assertEqual(inv_d.amount_residual, 30.0)
        # the write-off was undone
        self.assertFalse(line_e.is_reconciled)
        self.assertEqual(inv_e.amount_residual, 100.0)
        bodies = line_e.move_id.message_ids.mapped("body")
        self.assertTrue(any("Bank charges" in body for body in bodies))
        self.assertTrue(any("undone" in body for body in bodies))
        bodies = line_a.move_id.message_ids.mapped("body")
        self.assertTrue(any("engine score 95%" in body for body in bodies))
