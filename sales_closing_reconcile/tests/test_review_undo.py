"""Undoing a statement's or a selection's matches (issue #13 item 4): all
automatic and manual matches at once, all or none, refused in a closed period
with the period named, each undo in the chatter with who did it and the
engine's score when the line was matched; the closing group checked on the
server for each way in (review screen, statement, statement lines)."""

from datetime import date

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .test_review import ReviewCase


@tagged("post_install", "-at_install")
class TestReviewUndo(ReviewCase):
    def setUp(self):
        super().setUp()
        self.inv_auto = self._invoice(self.customer, 700.0)
        self.inv_manual = self._invoice(self.other_customer, 300.0)
        self.inv_rest = self._invoice(self.other_customer, 55.0)
        self.statement = self.env["account.bank.statement"].create(
            {
                "name": "Undo Statement 7",
                "journal_id": self.bank.id,
                "line_ids": [
                    Command.create(
                        {
                            "date": date(2026, 1, 20),
                            "payment_ref": f"Payment {self.inv_auto.name}",
                            "amount": 700.0,
                        }
                    ),
                    Command.create(
                        {
                            "date": date(2026, 2, 3),
                            "payment_ref": "transfer",
                            "amount": 300.0,
                        }
                    ),
                    Command.create(
                        {
                            "date": date(2026, 2, 4),
                            "payment_ref": "no idea",
                            "amount": 12.34,
                        }
                    ),
                ],
            }
        )
        self.auto_line, self.manual_line, self.open_line = (
            self.statement.line_ids.sorted("date")
        )
        # an automatic match at 97 %, as the engine's plan applies it
        self.auto_line._sales_closing_apply_matches(
            [
                {
                    "line": self.auto_line,
                    "items": self._open_item(self.inv_auto),
                    "score": 0.97,
                }
            ],
            state="auto",
        )
        # a suggestion at 80 % accepted on the review screen
        self.env["sales.closing.match.suggestion"].create(
            {
                "statement_line_id": self.manual_line.id,
                "company_id": self.company.id,
                "move_line_ids": [Command.set(self._open_item(self.inv_manual).ids)],
                "score": 0.8,
                "reasons": "amount:exact",
                "rank": 1,
            }
        )
        self.manual_line.sales_closing_match_state = "suggested"
        self.Review.with_user(self.accountant).accept(self.manual_line.id)
        self.open_line.sales_closing_match_state = "unmatched"
        self.assertEqual(self.auto_line.sales_closing_matched_score, 0.97)
        self.assertEqual(self.manual_line.sales_closing_matched_score, 0.8)

    def _bodies(self, line, text="undone"):
        return [
            body for body in line.move_id.message_ids.mapped("body") if text in body
        ]

    def _close(self, name, date_from, date_to):
        period = self.env["sales.closing.period"].create(
            {
                "name": name,
                "company_id": self.company.id,
                "date_from": date_from,
                "date_to": date_to,
            }
        )
        # closed as action_close leaves it (its checks and package aside)
        period.sudo().write({"state": "closed"})
        return period

    def assertMatched(self):
        self.env.invalidate_all()
        self.assertTrue(self.auto_line.is_reconciled)
        self.assertTrue(self.manual_line.is_reconciled)
        self.assertEqual(self.inv_auto.amount_residual, 0)
        self.assertEqual(self.inv_manual.amount_residual, 0)

    # ------------------------------------------------------------------
    # The statement
    # ------------------------------------------------------------------

    def test_statement_undo_takes_automatic_and_manual_matches(self):
        review = self.Review.with_user(self.accountant)
        preview = review.undo_statement_preview(self.statement.id)
        self.assertEqual(
            (preview["count"], preview["auto"], preview["manual"]), (2, 1, 1)
        )
        self.assertEqual(preview["statement"], "Undo Statement 7")
        self.assertEqual(
            sorted(preview["line_ids"]),
            sorted((self.auto_line | self.manual_line).ids),
        )
        self.assertEqual(preview["totals"][0]["amount"], 1000.0)
        self.assertTrue(self.auto_line.is_reconciled)  # the preview changes nothing

        result = review.undo_statement(self.statement.id)

        self.assertEqual(result["count"], 2)
        self.env.invalidate_all()
        for line in (self.auto_line, self.manual_line):
            self.assertFalse(line.is_reconciled)
            self.assertIn(line.sales_closing_match_state, ("suggested", "unmatched"))
            self.assertFalse(line.sales_closing_matched_score)
        self.assertEqual(self.inv_auto.amount_residual, 700.0)
        self.assertEqual(self.inv_manual.amount_residual, 300.0)
        # the engine proposes again (the invoice number is in the label)
        self.assertEqual(self.auto_line.sales_closing_match_state, "suggested")
        self.assertIn(
            self._open_item(self.inv_auto).id,
            self.auto_line.sales_closing_suggestion_ids.move_line_ids.ids,
        )
        [auto_body] = self._bodies(self.auto_line)
        for text in (
            self.accountant.name,
            "Undo Statement 7",
            "Matched Automatically",
            "engine score 97% when matched",
            self.inv_auto.name,
        ):
            self.assertIn(text, auto_body)
        [manual_body] = self._bodies(self.manual_line)
        for text in ("Matched by Hand", "engine score 80% when matched"):
            self.assertIn(text, manual_body)
        self.assertFalse(self._bodies(self.open_line))
        # nothing left to undo
        self.assertEqual(review.undo_statement(self.statement.id)["count"], 0)

    def test_statement_undo_refused_in_a_closed_period_naming_it(self):
        # the automatic match is dated in January, the manual one in February
        self._close("Undo 2026-01", date(2026, 1, 1), date(2026, 1, 31))
        review = self.Review.with_user(self.accountant)
        with self.assertRaises(UserError) as caught:
            review.undo_statement(self.statement.id)
        self.assertIn("closed period Undo 2026-01", str(caught.exception))
        # all or none: the February match is not undone either
        self.assertMatched()
        with self.assertRaises(UserError):
            review.undo_lines((self.auto_line | self.manual_line).ids)
        with self.assertRaises(UserError):
            self.statement.with_user(
                self.accountant
            ).action_sales_closing_undo_matches()
        # the automatic-only undo follows the same rule
        with self.assertRaises(UserError):
            self.statement.with_user(self.accountant).action_sales_closing_undo_auto()
        self.assertMatched()
        # the February line alone may be undone
        self.assertEqual(review.undo_lines(self.manual_line.ids)["count"], 1)
        self.assertFalse(self.manual_line.is_reconciled)

    def test_statement_form_action(self):
        action = self.env.ref(
            "sales_closing_reconcile.action_server_statement_undo_matches"
        )
        self.assertEqual(action.binding_model_id.model, "account.bank.statement")
        self.assertIn(
            self.env.ref("sales_closing.group_closing_accountant"), action.groups_id
        )
        result = self.statement.with_user(
            self.manager
        ).action_sales_closing_undo_matches()
        self.assertEqual(result["tag"], "display_notification")
        self.assertIn("Matches undone: 2.", result["params"]["message"])
        self.env.invalidate_all()
        self.assertFalse(self.auto_line.is_reconciled)
        self.assertFalse(self.manual_line.is_reconciled)
        [body] = self._bodies(self.manual_line)
        self.assertIn(self.manager.name, body)

    def test_selection_of_lines(self):
        review = self.Review.with_user(self.accountant)
        result = review.undo_lines(
            (self.auto_line | self.manual_line | self.open_line).ids
        )
        self.assertEqual(result["count"], 2)  # the unmatched line is left as is
        self.env.invalidate_all()
        self.assertFalse(self.auto_line.is_reconciled)
        self.assertFalse(self.manual_line.is_reconciled)
        self.assertEqual(self.open_line.sales_closing_match_state, "unmatched")
        [body] = self._bodies(self.auto_line)
        self.assertIn("one of 2 lines undone together", body)
        self.assertIn("engine score 97% when matched", body)
        # the Bank Matching list's button
        self.auto_line._sales_closing_apply_matches(
            [{"line": self.auto_line, "items": self._open_item(self.inv_auto)}],
            state="manual",
        )
        result = self.auto_line.with_user(
            self.accountant
        ).action_sales_closing_undo_matches()
        self.assertIn("Matches undone: 1.", result["params"]["message"])
        self.assertFalse(self.auto_line.is_reconciled)
        # matched by hand with nothing the engine proposed: no score
        self.assertTrue(
            any("without an engine score" in b for b in self._bodies(self.auto_line))
        )

    def test_match_by_hand_keeps_the_score_of_the_same_suggestion(self):
        review = self.Review.with_user(self.accountant)
        review.undo_lines(self.manual_line.ids)
        self.manual_line.sales_closing_suggestion_ids.unlink()
        items = self._open_item(self.inv_manual)
        self.env["sales.closing.match.suggestion"].create(
            {
                "statement_line_id": self.manual_line.id,
                "company_id": self.company.id,
                "move_line_ids": [Command.set(items.ids)],
                "score": 0.66,
                "reasons": "amount:exact",
                "rank": 1,
            }
        )
        review.reconcile(self.manual_line.id, items.ids, "partial", {})
        self.assertEqual(self.manual_line.sales_closing_matched_score, 0.66)
        review.reconcile(
            self.open_line.id, self._open_item(self.inv_rest).ids, "partial", {}
        )
        self.assertFalse(self.open_line.sales_closing_matched_score)

    # ------------------------------------------------------------------
    # Access, as each group
    # ------------------------------------------------------------------

    def test_groups(self):
        calls = (
            (
                "undo_statement_preview",
                lambda r: r.undo_statement_preview(self.statement.id),
            ),
            ("undo_statement", lambda r: r.undo_statement(self.statement.id)),
            ("undo_lines", lambda r: r.undo_lines(self.auto_line.ids)),
        )
        for user in (self.plain, self.sales, self.auditor):
            review = self.Review.with_user(user)
            for name, call in calls:
                with self.subTest(user=user.login, call=name):
                    with self.assertRaises(AccessError):
                        call(review)
            with self.subTest(user=user.login, call="statement button"):
                with self.assertRaises(AccessError):
                    self.statement.with_user(user).action_sales_closing_undo_matches()
            with self.subTest(user=user.login, call="lines button"):
                with self.assertRaises(AccessError):
                    self.auto_line.with_user(user).action_sales_closing_undo_matches()
        self.assertMatched()
        self.assertFalse(self._bodies(self.auto_line))
        # the auditor still sees the statement filter of the review screen
        result = self.Review.with_user(self.auditor).get_lines(
            {"state": "done", "statement_id": self.statement.id}
        )
        self.assertEqual(
            sorted(line["id"] for line in result["lines"]),
            sorted((self.auto_line | self.manual_line).ids),
        )
        self.assertIn(self.statement.id, [s["id"] for s in result["statements"]])
        # accountants and managers undo
        self.assertEqual(
            self.Review.with_user(self.manager).undo_lines(self.auto_line.ids)["count"],
            1,
        )
        self.assertEqual(
            self.Review.with_user(self.accountant).undo_statement(self.statement.id)[
                "count"
            ],
            1,
        )

    def test_another_company_statement_is_refused(self):
        other_bank = self.other_company_data["default_journal_bank"]
        other = self.env["account.bank.statement"].create(
            {
                "name": "Other company statement",
                "journal_id": other_bank.id,
                "line_ids": [
                    Command.create(
                        {
                            "journal_id": other_bank.id,
                            "date": date(2026, 1, 20),
                            "payment_ref": "x",
                            "amount": 5.0,
                        }
                    )
                ],
            }
        )
        self.assertEqual(other.company_id, self.other_company)
        review = self.Review.with_user(self.manager)  # manager: one company
        with self.assertRaises(AccessError):
            review.undo_statement_preview(other.id)
        with self.assertRaises(AccessError):
            review.undo_statement(other.id)
        with self.assertRaises(TypeError):
            review.undo_statement([("id", "!=", 0)])
