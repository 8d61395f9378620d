"""The bank matching review screen's server side (issue #13): every call checks
the closing group on the server, takes ids, applies decisions through the
matching and writes them to the chatter with the engine's score."""

from datetime import date

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .test_security_controls import ReconcileSecurityCase

READS = (
    ("get_lines", lambda case: ([{}],)),
    ("get_line", lambda case: (case.line.id,)),
    ("search_items", lambda case: (case.line.id, {})),
    ("writeoff_options", lambda case: (case.line.id,)),
    ("search_partners", lambda case: ("Nordic",)),
)
DECISIONS = (
    ("accept", lambda case: (case.line.id,)),
    ("reconcile", lambda case: (case.line.id, case.items.ids, "partial", {})),
    ("undo", lambda case: (case.line.id,)),
    ("set_partner", lambda case: (case.line.id, case.customer.id)),
    ("bulk_preview", lambda case: ({}, 0.5)),
    ("bulk_accept", lambda case: ([case.line.id], 0.5)),
)


class ReviewCase(ReconcileSecurityCase):
    """The review screen's model, the company's fee account and one user of
    each group (sales, auditor, manager, plain) of the company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Review = cls.env["sales.closing.review"]
        cls.company.sales_closing_fee_account_id = cls.company_data[
            "default_account_expense"
        ]
        users = {
            "sales": "sales_closing.group_closing_user",
            "auditor": "sales_closing.group_closing_auditor",
            "manager": "sales_closing.group_closing_manager",
            "plain": "base.group_user",
        }
        for key, groups in users.items():
            user = new_test_user(
                cls.env,
                f"rev_{key}",
                groups=groups,
                company_id=cls.company.id,
                company_ids=[Command.set(cls.company.ids)],
            )
            setattr(cls, key, user)


@tagged("post_install", "-at_install")
class TestReview(ReviewCase):
    def setUp(self):
        super().setUp()
        self.invoice = self._invoice(self.customer, 100.0)
        self.items = self._open_item(self.invoice)
        self.line = self._line(100.0, label=f"Payment {self.invoice.name}")
        self.line.action_auto_match()
        if self.line.sales_closing_match_state == "auto":
            self.line.action_sales_closing_undo_auto()
        self.line.sales_closing_suggestion_ids.unlink()
        self._suggest(self.line, self.items, 0.8)

    def _suggest(self, line, items, score, rank=1):
        suggestion = self.env["sales.closing.match.suggestion"].create(
            {
                "statement_line_id": line.id,
                "company_id": line.company_id.id,
                "move_line_ids": [Command.set(items.ids)],
                "score": score,
                "reasons": "ref:invoice, amount:exact",
                "rank": rank,
            }
        )
        line.sales_closing_match_state = "suggested"
        return suggestion

    def _messages(self, line):
        return line.move_id.message_ids.mapped("body")

    # ------------------------------------------------------------------
    # Access
    # ------------------------------------------------------------------

    def test_users_without_closing_group_are_refused(self):
        for user in (self.sales, self.plain):
            review = self.Review.with_user(user)
            for method, args in READS + DECISIONS:
                with self.subTest(user=user.login, method=method):
                    with self.assertRaises(AccessError):
                        getattr(review, method)(*args(self))
        self.assertFalse(self.line.is_reconciled)

    def test_auditor_reads_but_cannot_decide(self):
        review = self.Review.with_user(self.auditor)
        result = review.get_lines({})
        self.assertIn(self.line.id, [line["id"] for line in result["lines"]])
        self.assertFalse(result["can_decide"])
        detail = review.get_line(self.line.id)
        self.assertEqual(detail["suggestions"][0]["score"], 0.8)
        self.assertIn(
            "invoice number in the label", detail["suggestions"][0]["reasons"]
        )
        self.assertIn(
            self.items.id, [item["id"] for item in review.search_items(self.line.id)]
        )
        for method, args in DECISIONS:
            with self.subTest(method=method), self.assertRaises(AccessError):
                getattr(review, method)(*args(self))
        self.assertFalse(self.line.is_reconciled)

    def test_accountant_and_manager_decide(self):
        for user in (self.accountant, self.manager):
            with self.subTest(user=user.login):
                self.assertTrue(self.Review.with_user(user).get_lines({})["can_decide"])
        result = self.Review.with_user(self.manager).accept(self.line.id)
        self.assertEqual(result["state"], "manual")
        self.assertTrue(self.line.is_reconciled)

    def test_another_company_line_is_refused(self):
        other_bank = self.other_company_data["default_journal_bank"]
        other_line = self._line(50.0, journal=other_bank)
        review = self.Review.with_user(self.manager)  # manager: one company
        with self.assertRaises(AccessError):
            review.get_line(other_line.id)
        with self.assertRaises(AccessError):
            review.undo(other_line.id)

    def test_filters_are_values_not_domains(self):
        review = self.Review.with_user(self.accountant)
        with self.assertRaises(UserError):
            review.get_lines({"state": "auto') or ('id', '>', 0"})
        with self.assertRaises(TypeError):
            review.get_lines({"journal_id": [("id", "!=", 0)]})

    # ------------------------------------------------------------------
    # Reading
    # ------------------------------------------------------------------

    def test_lines_count_and_amount_left_per_currency(self):
        self.other_currency = self.setup_other_currency("HRK")
        usd_bank = self.env["account.journal"].create(
            {
                "name": "USD Bank",
                "code": "RVUSD",
                "type": "bank",
                "company_id": self.company.id,
                "currency_id": self.other_currency.id,
            }
        )
        self._line(40.0, label="usd one", journal=usd_bank)
        self._line(2.5, label="usd two", journal=usd_bank)
        result = self.Review.with_user(self.accountant).get_lines({"state": "todo"})
        totals = {t["currency"]["name"]: t for t in result["totals"]}
        self.assertEqual(totals[self.other_currency.name]["amount"], 42.5)
        self.assertEqual(totals[self.other_currency.name]["count"], 2)
        self.assertEqual(totals[self.company.currency_id.name]["amount"], 100.0)
        self.assertEqual(result["count"], 3)
        only_usd = self.Review.with_user(self.accountant).get_lines(
            {"journal_id": usd_bank.id, "amount_min": 10}
        )
        self.assertEqual([line["label"] for line in only_usd["lines"]], ["usd one"])
        searched = self.Review.with_user(self.accountant).get_lines(
            {"search": "usd tw"}
        )
        self.assertEqual(searched["count"], 1)

    def test_search_items_by_partner_amount_and_reference(self):
        other = self._open_item(self._invoice(self.other_customer, 55.0))
        review = self.Review.with_user(self.accountant)
        found = review.search_items(self.line.id, {"amount": 55})
        self.assertEqual([item["id"] for item in found], other.ids)
        found = review.search_items(self.line.id, {"partner_id": self.customer.id})
        self.assertEqual([item["id"] for item in found], self.items.ids)
        found = review.search_items(self.line.id, {"text": self.invoice.name})
        self.assertEqual([item["id"] for item in found], self.items.ids)

    # ------------------------------------------------------------------
    # Decisions
    # ------------------------------------------------------------------

    def test_accept_posts_who_and_score(self):
        self.Review.with_user(self.accountant).accept(self.line.id)
        self.assertTrue(self.line.is_reconciled)
        self.assertEqual(self.line.sales_closing_match_state, "manual")
        [body] = [b for b in self._messages(self.line) if "accepted" in b]
        self.assertIn(self.accountant.name, body)
        self.assertIn("engine score 80%", body)
        self.assertIn(self.invoice.name, body)

    def test_accept_a_suggestion_another_line_took(self):
        """The engine suggested one invoice to two lines: once the first
        line took it, accepting the second's renews its suggestions."""
        other = self._line(100.0, label="Payment")
        self._suggest(other, self.items, 0.7)
        review = self.Review.with_user(self.accountant)
        review.accept(self.line.id)
        result = review.accept(other.id)
        self.assertTrue(result["stale"])
        self.assertFalse(other.is_reconciled)
        self.assertNotIn(self.items, other.sales_closing_suggestion_ids.move_line_ids)
        self.assertEqual(result["state"], other.sales_closing_match_state)

    def test_pick_a_suggestion_by_rank(self):
        second = self._open_item(self._invoice(self.other_customer, 100.0))
        suggestion = self._suggest(self.line, second, 0.6, rank=2)
        self.Review.with_user(self.accountant).accept(self.line.id, suggestion.id)
        self.assertEqual(second.amount_residual, 0)
        self.assertEqual(self.items.amount_residual, 100.0)

    def test_grouped_payment_of_two_customers(self):
        first = self._open_item(self._invoice(self.customer, 60.0))
        second = self._open_item(self._invoice(self.other_customer, 40.0))
        self.Review.with_user(self.accountant).reconcile(
            self.line.id, (first | second).ids, "partial", {}
        )
        self.assertTrue(self.line.is_reconciled)
        self.assertEqual(first.amount_residual, 0)
        self.assertEqual(second.amount_residual, 0)
        self.assertFalse(self.line.sales_closing_suggestion_ids)
        [body] = [b for b in self._messages(self.line) if "Matched by hand" in b]
        self.assertIn("engine score 80%", body)

    def test_partial_payment_leaves_the_invoice_open(self):
        big = self._open_item(self._invoice(self.customer, 150.0))
        self.Review.with_user(self.accountant).reconcile(
            self.line.id, big.ids, "partial", {}
        )
        self.assertTrue(self.line.is_reconciled)
        self.assertEqual(big.amount_residual, 50.0)

    def test_writeoff_with_account_tax_and_reason(self):
        tax = self.env["account.tax"].create(
            {
                "name": "Review VAT 10%",
                "amount": 10.0,
                "type_tax_use": "purchase",
                "company_id": self.company.id,
            }
        )
        account = self.company_data["default_account_expense"]
        big = self._open_item(self._invoice(self.customer, 111.0))
        self.Review.with_user(self.accountant).reconcile(
            self.line.id,
            big.ids,
            "writeoff",
            {"account_id": account.id, "tax_id": tax.id, "label": "Bank charges"},
        )
        self.assertEqual(big.amount_residual, 0)
        lines = self.line.move_id.line_ids
        base = lines.filtered(lambda aml: aml.tax_ids == tax)
        tax_line = lines.filtered(lambda aml: aml.tax_line_id == tax)
        self.assertEqual(base.account_id, account)
        self.assertEqual(base.name, "Bank charges")
        self.assertAlmostEqual(base.balance, 10.0)
        self.assertAlmostEqual(tax_line.balance, 1.0)
        self.assertTrue(self.line.is_reconciled)
        with self.assertRaises(UserError):
            self.Review.with_user(self.accountant).reconcile(
                self._line(10.0).id, big.ids, "writeoff", {"account_id": account.id}
            )

    def test_writeoff_needs_a_reason(self):
        big = self._open_item(self._invoice(self.customer, 103.0))
        account = self.company_data["default_account_expense"]
        with self.assertRaises(UserError):
            self.Review.with_user(self.accountant).reconcile(
                self.line.id, big.ids, "writeoff", {"account_id": account.id}
            )
        self.assertFalse(self.line.is_reconciled)

    def test_writeoff_presets_are_reconcile_models(self):
        account = self.company_data["default_account_expense"]
        self.env["account.reconcile.model"].create(
            {
                "name": "Bank fee preset",
                "rule_type": "writeoff_button",
                "company_id": self.company.id,
                "line_ids": [
                    Command.create({"account_id": account.id, "label": "Bank fee"})
                ],
            }
        )
        options = self.Review.with_user(self.accountant).writeoff_options(self.line.id)
        [preset] = [p for p in options["presets"] if p["name"] == "Bank fee preset"]
        self.assertEqual(preset["account_id"], account.id)
        self.assertEqual(preset["label"], "Bank fee")
        self.assertIn(account.id, [a["id"] for a in options["accounts"]])

    def test_foreign_items_are_refused(self):
        other = self._open_item(
            self._invoice(self.customer, 100.0, company_data=self.other_company_data)
        )
        with self.assertRaises(Exception):  # noqa: B017 (ValidationError or access)
            self.Review.with_user(self.accountant).reconcile(
                self.line.id, other.ids, "partial", {}
            )
        self.assertFalse(self.line.is_reconciled)

    def test_undo_restores_suggestions_and_logs(self):
        review = self.Review.with_user(self.accountant)
        review.accept(self.line.id)
        self.assertEqual(self.items.amount_residual, 0)
        result = review.undo(self.line.id)
        self.assertFalse(self.line.is_reconciled)
        self.assertEqual(self.items.amount_residual, 100.0)
        self.assertIn(result["state"], ("suggested", "unmatched"))
        self.assertEqual(result["state"], self.line.sales_closing_match_state)
        # the engine finds the invoice again (its number is in the label)
        self.assertIn(
            self.items.id, self.line.sales_closing_suggestion_ids.move_line_ids.ids
        )
        # (setUp's undo of the engine's automatic match is in the chatter too)
        [body] = [
            b
            for b in self._messages(self.line)
            if f"undone by {self.accountant.name}" in b
        ]
        self.assertIn("engine score 80% when matched", body)
        self.assertIn(self.invoice.name, body)
        with self.assertRaises(UserError):
            review.undo(self.line.id)  # not matched any more

    def test_undo_automatic_match(self):
        self.line.sales_closing_suggestion_ids.unlink()
        self.line._sales_closing_apply_matches(
            [{"line": self.line, "items": self.items}], state="auto"
        )
        self.Review.with_user(self.accountant).undo(self.line.id)
        self.assertFalse(self.line.is_reconciled)

    def test_undo_refused_in_closed_period_naming_it(self):
        self.Review.with_user(self.accountant).accept(self.line.id)
        period = self.env["sales.closing.period"].create(
            {
                "name": "Review 2026-01",
                "company_id": self.company.id,
                "date_from": date(2026, 1, 1),
                "date_to": date(2026, 1, 31),
            }
        )
        # closed as action_close leaves it (its checks and package aside)
        period.sudo().write({"state": "closed"})
        with self.assertRaises(UserError) as caught:
            self.Review.with_user(self.accountant).undo(self.line.id)
        self.assertIn("closed period Review 2026-01", str(caught.exception))
        self.assertTrue(self.line.is_reconciled)

    def test_set_partner_and_save_bank_account(self):
        line = self._line(70.0, label="unknown payer")
        line.write({"account_number": "CH93 0076 2011 6238 5295 7"})
        review = self.Review.with_user(self.accountant)
        # creating a contact stays Odoo's "Contact Creation" right
        self.assertFalse(review.get_line(line.id)["can_create_partner"])
        with self.assertRaises(AccessError):
            review.set_partner(line.id, name="Fresh Payer AG")
        self.accountant.groups_id += self.env.ref("base.group_partner_manager")
        self.assertTrue(review.get_line(line.id)["can_create_partner"])
        result = review.set_partner(line.id, name="Fresh Payer AG")
        partner = line.partner_id
        self.assertEqual(partner.name, "Fresh Payer AG")
        self.assertEqual(result["partner"]["id"], partner.id)
        bank = self.env["res.partner.bank"].search([("partner_id", "=", partner.id)])
        self.assertEqual(bank.sanitized_acc_number, "CH9300762011623852957")
        self.assertEqual(result["bank_account_partner"], partner.display_name)
        # the engine knows the payer by the account next time
        _items, accounts = line._sales_closing_fetch_candidates(self.company)
        self.assertEqual(accounts["CH9300762011623852957"], partner.id)
        # the same account on another partner is refused
        line2 = self._line(20.0)
        line2.write({"account_number": "CH93 0076 2011 6238 5295 7"})
        with self.assertRaises(UserError):
            review.set_partner(line2.id, self.other_customer.id)
        self.assertTrue(
            any("Fresh Payer AG" in b for b in self._messages(line)),
        )

    def test_a_masked_account_is_not_saved(self):
        line = self._line(70.0, label="unknown payer")
        line.write({"account_number": "6222 02** **** *** 6789"})
        review = self.Review.with_user(self.accountant)
        result = review.set_partner(line.id, self.other_customer.id)
        self.assertEqual(line.partner_id, self.other_customer)
        self.assertEqual(result["partner"]["id"], self.other_customer.id)
        self.assertFalse(
            self.env["res.partner.bank"].search(
                [("partner_id", "=", self.other_customer.id)]
            )
        )

    def test_bulk_accepts_above_the_score_only(self):
        low_invoice = self._invoice(self.other_customer, 30.0)
        low_line = self._line(30.0, label="low")
        low_line.sales_closing_suggestion_ids.unlink()
        self._suggest(low_line, self._open_item(low_invoice), 0.5)
        review = self.Review.with_user(self.accountant)
        preview = review.bulk_preview({}, 0.75)
        self.assertIn(self.line.id, preview["line_ids"])
        self.assertNotIn(low_line.id, preview["line_ids"])
        total = next(
            t
            for t in preview["totals"]
            if t["currency"]["id"] == self.company.currency_id.id
        )
        self.assertEqual(total["amount"], 100.0)
        # the server checks the score again, whatever ids it is given
        result = review.bulk_accept([self.line.id, low_line.id], 0.75)
        self.assertEqual(result["count"], 1)
        self.assertTrue(self.line.is_reconciled)
        self.assertFalse(low_line.is_reconciled)
        self.assertTrue(any("in bulk" in b for b in self._messages(self.line)))
