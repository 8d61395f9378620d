"""Matching of bank statement lines with open items, in Odoo."""

from unittest import SkipTest

from odoo import SUPERUSER_ID, Command, api, fields, sql_db
from odoo.tests import tagged

from .common import MatchingCase


@tagged("post_install", "-at_install")
class TestMatchingOdoo(MatchingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "sales_closing_match_threshold": 0.95,
                "sales_closing_match_margin": 0.15,
                "sales_closing_fee_tolerance": 3.0,
            }
        )
        cls.eur = cls.setup_other_currency(
            "EUR",
            rates=[("2016-01-01", 3.0), ("2026-01-01", 2.0), ("2026-06-01", 2.5)],
        )
        cls.nordic = cls.env["res.partner"].create({"name": "Nordic Trading GmbH"})
        cls.alpine = cls.env["res.partner"].create({"name": "Alpine Foods Ltd"})
        cls.orion = cls.env["res.partner"].create({"name": "Orion Motors SARL"})

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------

    def _invoice(self, partner, amount, date="2026-01-10", currency=None, refund=False):
        move = self.env["account.move"].create(
            {
                "move_type": "out_refund" if refund else "out_invoice",
                "partner_id": partner.id,
                "invoice_date": date,
                "date": date,
                "currency_id": (currency or self.company.currency_id).id,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Goods", "price_unit": amount, "tax_ids": []}
                    )
                ],
            }
        )
        move.action_post()
        return move

    def _line(self, amount, label, payer="", date="2026-01-20", **extra):
        vals = {
            "journal_id": self.bank.id,
            "date": date,
            "payment_ref": label,
            "partner_name": payer,
            "amount": amount,
        }
        vals.update(extra)
        return self.Line.create(vals)

    def _receivable(self, move):
        return move.line_ids.filtered(
            lambda aml: aml.account_id.account_type == "asset_receivable"
        )

    def assertPaid(self, move):
        self.assertIn(move.payment_state, ("paid", "in_payment"), move.name)
        self.assertTrue(move.currency_id.is_zero(move.amount_residual))

    def assertOpen(self, move):
        self.assertEqual(move.payment_state, "not_paid", move.name)

    # ------------------------------------------------------------------
    # automatic matches
    # ------------------------------------------------------------------

    def test_reference_typed_differently(self):
        invoice = self._invoice(self.nordic, 1000)
        typed = invoice.name.lower().replace("/", " ")  # inv 2026 00001
        line = self._line(1000, f"Zahlung {typed}", payer="NORDIC TRADING")
        line.action_auto_match()
        self.assertEqual(line.sales_closing_match_state, "auto")
        self.assertTrue(line.is_reconciled)
        self.assertPaid(invoice)
        self.assertEqual(line.partner_id, self.nordic)
        self.assertFalse(line.sales_closing_suggestion_ids)

    def test_fee_within_tolerance(self):
        invoice = self._invoice(self.alpine, 1000)
        line = self._line(990, f"Payment {invoice.name}", payer="Alpine Foods")
        line.action_auto_match()
        self.assertEqual(line.sales_closing_match_state, "auto")
        self.assertPaid(invoice)
        fee_lines = line.move_id.line_ids.filtered(
            lambda aml: aml.account_id == self.fee_account
        )
        self.assertEqual(fee_lines.balance, 10.0)
        self.assertTrue(line.is_reconciled)

    def test_one_payment_two_invoices(self):
        first = self._invoice(self.orion, 300, date="2026-01-05")
        second = self._invoice(self.orion, 450, date="2026-01-08")
        line = self._line(750, f"{first.name} + {second.name}", payer="Orion Motors")
        line.action_auto_match()
        self.assertEqual(line.sales_closing_match_state, "auto")
        self.assertPaid(first)
        self.assertPaid(second)

    def test_ambiguous_only_suggested(self):
        first = self._invoice(self.alpine, 500, date="2026-01-05")
        second = self._invoice(self.alpine, 500, date="2026-01-06")
        line = self._line(500, "TRANSFER", payer="Alpine Foods Ltd")
        line.action_auto_match()
        self.assertEqual(line.sales_closing_match_state, "suggested")
        self.assertFalse(line.is_reconciled)
        self.assertOpen(first)
        self.assertOpen(second)
        suggestions = line.sales_closing_suggestion_ids
        self.assertGreaterEqual(len(suggestions), 2)
        self.assertLessEqual(len(suggestions), 3)
        self.assertEqual(
            set(suggestions.move_line_ids.move_id.ids) & {first.id, second.id},
            {first.id, second.id},
        )
        self.assertTrue(all(s.reasons and s.score > 0 for s in suggestions))
        self.assertEqual(sorted(suggestions.mapped("rank"))[:2], [1, 2])
        self.assertTrue(line.sales_closing_match_reasons)

    def test_noise_stays_unmatched(self):
        self._invoice(self.nordic, 25)
        fee = self._line(-25, "Bank fee monthly account maintenance", payer="BANK")
        salary = self._line(-3000, "Salary October J. Doe")
        (fee | salary).action_auto_match()
        for line in fee | salary:
            self.assertFalse(line.is_reconciled)
            self.assertEqual(line.sales_closing_match_state, "unmatched")
            self.assertFalse(line.sales_closing_suggestion_ids)

    def test_foreign_currency_at_transaction_rate(self):
        invoice = self._invoice(self.nordic, 1000, currency=self.eur)  # 500 at 2.0
        line = self._line(
            520,
            f"Payment {invoice.name}",
            payer="Nordic Trading",
            foreign_currency_id=self.eur.id,
            amount_currency=1000,
        )
        line.action_auto_match()
        self.assertEqual(line.sales_closing_match_state, "auto")
        self.assertPaid(invoice)
        self.assertTrue(
            self.eur.is_zero(self._receivable(invoice).amount_residual_currency)
        )
        counterpart = line.move_id.line_ids.filtered(
            lambda aml: aml.account_id.account_type == "asset_receivable"
        )
        self.assertEqual(counterpart.currency_id, self.eur)
        self.assertAlmostEqual(counterpart.amount_currency, -1000.0)
        # the bank's own rate (520 for 1,000), not today's 2.5 (400)
        self.assertAlmostEqual(counterpart.balance, -520.0)

    def test_rerun_is_noop(self):
        invoice = self._invoice(self.nordic, 1000)
        first = self._invoice(self.alpine, 500, date="2026-01-05")
        self._invoice(self.alpine, 500, date="2026-01-06")
        auto = self._line(1000, f"Payment {invoice.name}", payer="Nordic")
        ambiguous = self._line(500, "TRANSFER", payer="Alpine Foods Ltd")
        lines = auto | ambiguous
        lines.action_auto_match()
        self.assertEqual(auto.sales_closing_match_state, "auto")
        partials = self._receivable(invoice).matched_credit_ids
        suggestions = ambiguous.sales_closing_suggestion_ids
        self.assertTrue(suggestions)
        runnable = lines._sales_closing_runnable(("new", "suggested", "unmatched"))
        self.assertEqual(runnable, ambiguous)
        lines.action_auto_match()
        self.assertEqual(self._receivable(invoice).matched_credit_ids, partials)
        self.assertEqual(ambiguous.sales_closing_suggestion_ids, suggestions)
        self.assertEqual(auto.sales_closing_match_state, "auto")
        self.assertOpen(first)

    def test_manual_partial_kept(self):
        invoice = self._invoice(self.orion, 1000)
        # a line paying 400 of the invoice, matched by hand (partial)
        partial_line = self._line(400, "acompte", payer="Orion")
        wizard = (
            self.env["sales.closing.match.wizard"]
            .with_context(default_statement_line_id=partial_line.id)
            .create({"move_line_ids": [Command.set(self._receivable(invoice).ids)]})
        )
        wizard.action_validate()
        self.assertEqual(partial_line.sales_closing_match_state, "manual")
        self.assertEqual(invoice.payment_state, "partial")
        self.assertAlmostEqual(invoice.amount_residual, 600.0)
        # a line a human reconciled only in part: the rest stays in suspense
        other_invoice = self._invoice(self.nordic, 200)
        half_line = self._line(500, f"Payment {other_invoice.name}", payer="Nordic")
        self.env["sales.closing.match.wizard"].with_context(
            default_statement_line_id=half_line.id
        ).create(
            {"move_line_ids": [Command.set(self._receivable(other_invoice).ids)]}
        ).action_validate()
        self.assertFalse(half_line.is_reconciled)
        half_line.sales_closing_match_state = "new"  # as if never reviewed
        rest = self._line(600, f"Rest {invoice.name}", payer="Orion Motors")
        (partial_line | half_line | rest).action_auto_match()
        self.assertEqual(half_line.sales_closing_match_state, "manual")
        self.assertEqual(len(half_line.move_id.line_ids), 3)
        self.assertEqual(partial_line.sales_closing_match_state, "manual")
        self.assertEqual(rest.sales_closing_match_state, "auto")
        self.assertPaid(invoice)
        self.assertEqual(len(self._receivable(invoice).matched_credit_ids), 2)

    # ------------------------------------------------------------------
    # review
    # ------------------------------------------------------------------

    def test_accept_and_reject(self):
        first = self._invoice(self.alpine, 500, date="2026-01-05")
        second = self._invoice(self.alpine, 500, date="2026-01-06")
        line = self._line(500, "TRANSFER", payer="Alpine Foods Ltd")
        other = self._line(500, "Zahlung", payer="Alpine Foods")
        (line | other).action_auto_match()
        self.assertEqual(other.sales_closing_match_state, "suggested")
        chosen = line.sales_closing_suggestion_ids.filtered(
            lambda s: s.move_line_ids.move_id == second
        )
        chosen.action_accept()
        self.assertTrue(line.is_reconciled)
        self.assertEqual(line.sales_closing_match_state, "manual")
        self.assertFalse(line.sales_closing_suggestion_ids)
        self.assertPaid(second)
        self.assertOpen(first)
        other.action_sales_closing_reject()
        self.assertEqual(other.sales_closing_match_state, "unmatched")
        self.assertFalse(other.sales_closing_suggestion_ids)
        self.assertFalse(other.is_reconciled)

    def test_match_by_hand_with_writeoff(self):
        invoice = self._invoice(self.orion, 1000)
        line = self._line(950, "virement", payer="Orion")
        action = line.action_sales_closing_match_by_hand()
        wizard = (
            self.env[action["res_model"]]
            .with_context(**action["context"])
            .create({"move_line_ids": [Command.set(self._receivable(invoice).ids)]})
        )
        self.assertAlmostEqual(wizard.difference, 50.0)
        wizard.write(
            {
                "mode": "writeoff",
                "writeoff_account_id": self.fee_account.id,
                "writeoff_label": "Discount agreed",
            }
        )
        wizard.action_validate()
        self.assertPaid(invoice)
        writeoff = line.move_id.line_ids.filtered(
            lambda aml: aml.account_id == self.fee_account
        )
        self.assertEqual(writeoff.balance, 50.0)
        self.assertEqual(writeoff.name, "Discount agreed")
        self.assertEqual(line.sales_closing_match_state, "manual")

    def test_undo_automatic_matches(self):
        auto_invoice = self._invoice(self.nordic, 700)
        manual_invoice = self._invoice(self.orion, 300)
        statement = self.env["account.bank.statement"].create(
            {
                "name": "Statement 1",
                "journal_id": self.bank.id,
                "line_ids": [
                    Command.create(
                        {
                            "date": "2026-01-20",
                            "payment_ref": f"Payment {auto_invoice.name}",
                            "partner_name": "Nordic Trading",
                            "amount": 700,
                        }
                    ),
                    Command.create(
                        {"date": "2026-01-21", "payment_ref": "cash", "amount": 300}
                    ),
                ],
            }
        )
        auto_line, manual_line = statement.line_ids.sorted("date")
        self.env["sales.closing.match.wizard"].with_context(
            default_statement_line_id=manual_line.id
        ).create(
            {"move_line_ids": [Command.set(self._receivable(manual_invoice).ids)]}
        ).action_validate()
        statement.action_sales_closing_auto_match()
        self.assertEqual(auto_line.sales_closing_match_state, "auto")
        self.assertPaid(auto_invoice)
        statement.action_sales_closing_undo_auto()
        self.assertFalse(auto_line.is_reconciled)
        self.assertEqual(auto_line.sales_closing_match_state, "unmatched")
        self.assertOpen(auto_invoice)
        self.assertTrue(manual_line.is_reconciled)
        self.assertEqual(manual_line.sales_closing_match_state, "manual")
        self.assertPaid(manual_invoice)

    # ------------------------------------------------------------------
    # scale, jobs and concurrency
    # ------------------------------------------------------------------

    def _ambiguous_lines(self, count):
        self._invoice(self.alpine, 500, date="2026-01-05")
        self._invoice(self.alpine, 500, date="2026-01-06")
        vals = []
        for i in range(count):
            vals.append(
                {
                    "journal_id": self.bank.id,
                    "date": "2026-01-20",
                    "payment_ref": "TRANSFER" if i % 2 else "Unknown transfer",
                    "partner_name": "Alpine Foods Ltd" if i % 2 else "K. Tanaka",
                    "amount": 500 if i % 2 else 123.45 + i,
                }
            )
        return self.Line.create(vals)

    def _count_queries(self, lines):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        stats = lines._sales_closing_match_chunk()
        self.env.flush_all()
        return self.cr.sql_log_count - before, stats

    def test_query_count_constant(self):
        """Fetching, deciding and storing suggestions of a chunk costs the
        same number of queries for 10 and for 100 lines, except that Odoo
        inserts new records 100 rows per INSERT (one more INSERT per 100
        suggestions).  Reconciling writes each line's journal entry, so the
        auto path is linear and not measured here."""
        self._count_queries(self._ambiguous_lines(2))  # warm the ormcaches
        small = self._ambiguous_lines(10)
        big = self._ambiguous_lines(100)
        count_small, stats_small = self._count_queries(small)
        count_big, stats_big = self._count_queries(big)
        self.assertEqual(stats_small, {"auto": 0, "suggested": 5, "unmatched": 5})
        self.assertEqual(stats_big, {"auto": 0, "suggested": 50, "unmatched": 50})
        inserts_small = -(-len(small.sales_closing_suggestion_ids) // 100)
        inserts_big = -(-len(big.sales_closing_suggestion_ids) // 100)
        self.assertEqual(count_big - count_small, inserts_big - inserts_small)

    def test_cron_enqueues_jobs(self):
        invoice = self._invoice(self.nordic, 1000)
        lines = self._ambiguous_lines(4) | self._line(
            1000, f"Payment {invoice.name}", payer="Nordic"
        )
        Job = self.env["queue.job"].sudo()
        before = Job.search_count([])
        runs = self.Line._cron_sales_closing_match(chunk_size=2)
        self.assertEqual(len(runs), 1)
        self.assertEqual(Job.search_count([]) - before, 1)
        job = Job.search([], order="id desc", limit=1)
        self.assertEqual(job.method_name, "_sales_closing_plan_job")
        # more lines than a chunk: the button hands them to a run too
        others = self._ambiguous_lines(3)
        others.with_context(sales_closing_match_chunk_size=2).action_auto_match()
        self.assertEqual(Job.search_count([]) - before, 2)
        self.assertEqual(set(lines.mapped("sales_closing_match_state")), {"new"})
        # the jobs themselves (run directly here): planning, then a job per
        # slice of about two lines
        runs._sales_closing_plan_job()
        self.assertGreaterEqual(len(runs.slice_ids), 3)
        self.assertEqual(Job.search_count([]) - before, 2 + len(runs.slice_ids))
        for part in runs.slice_ids:
            part._sales_closing_apply_job()
        self.assertPaid(invoice)
        self.assertNotIn("new", lines.mapped("sales_closing_match_state"))
        self.assertEqual(set(others.mapped("sales_closing_match_state")), {"new"})

    def test_concurrent_runs_skip_locked(self):
        """Two transactions on one matchable line: the second never takes
        the line the first holds, and the invoice is reconciled once."""
        dbname = self.env.cr.dbname
        cr_a = sql_db.db_connect(dbname).cursor()
        cr_b = sql_db.db_connect(dbname).cursor()
        line_id = invoice_id = partner_id = None
        try:
            cr_a.execute("SET lock_timeout = '5s'")
            env_a = api.Environment(cr_a, SUPERUSER_ID, {})
            journal = env_a["account.journal"].search(
                [("type", "=", "bank"), ("company_id", "=", env_a.company.id)],
                limit=1,
            )
            if not journal or not journal.suspense_account_id:
                raise SkipTest("no bank journal in the database")
            try:
                partner = env_a["res.partner"].create(
                    {"name": "sales_closing concurrency customer"}
                )
                partner_id = partner.id
                invoice = env_a["account.move"].create(
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": fields.Date.today(),
                        "currency_id": journal.currency_id.id
                        or env_a.company.currency_id.id,
                        "invoice_line_ids": [
                            Command.create(
                                {"name": "Goods", "price_unit": 12.34, "tax_ids": []}
                            )
                        ],
                    }
                )
                invoice.action_post()
                invoice_id = invoice.id
                line = env_a["account.bank.statement.line"].create(
                    {
                        "journal_id": journal.id,
                        "date": fields.Date.today(),
                        "payment_ref": f"sales_closing concurrency {invoice.name}",
                        "amount": 12.34,
                    }
                )
                env_a.flush_all()
                line_id = line.id
                cr_a.commit()
            except Exception as exc:  # pylint: disable=broad-except
                cr_a.rollback()
                raise SkipTest(f"cannot commit test data: {exc}") from exc
            env_b = api.Environment(cr_b, SUPERUSER_ID, {})
            line_a = env_a["account.bank.statement.line"].browse(line_id)
            line_b = env_b["account.bank.statement.line"].browse(line_id)
            self.assertEqual(line_a._sales_closing_lock(), [line_id])
            self.assertEqual(line_b._sales_closing_lock(), [])
            stats = line_b._sales_closing_match_chunk()
            self.assertEqual(stats, {"auto": 0, "suggested": 0, "unmatched": 0})
            stats = line_a._sales_closing_match_chunk()
            self.assertEqual(stats["auto"], 1)
            cr_a.commit()
            cr_b.rollback()
            # once committed the line is processed: a later run skips it
            self.assertEqual(line_b._sales_closing_lock(("new",)), [])
            line_b._sales_closing_match_chunk()
            cr_b.commit()
            receivable = (
                env_b["account.move"]
                .browse(invoice_id)
                .line_ids.filtered(
                    lambda aml: aml.account_id.account_type == "asset_receivable"
                )
            )
            self.assertEqual(len(receivable.matched_credit_ids), 1)
            self.assertTrue(receivable.reconciled)
            self.assertEqual(
                len(line_b.move_id.line_ids.matched_debit_ids), 1, "reconciled once"
            )
        finally:
            cr_b.rollback()
            cr_a.rollback()
            env_a = api.Environment(cr_a, SUPERUSER_ID, {})
            line = env_a["account.bank.statement.line"].browse(line_id).exists()
            if line:
                line.action_undo_reconciliation()
                line.with_context(force_delete=True).unlink()
            invoice = env_a["account.move"].browse(invoice_id).exists()
            if invoice:
                invoice.button_draft()
                invoice.with_context(force_delete=True).unlink()
            env_a["res.partner"].browse(partner_id).exists().unlink()
            cr_a.commit()
            cr_a.close()
            cr_b.close()
