"""Matching runs on queue jobs: plan once, apply slices in parallel."""

import random
import secrets
import threading
from unittest.mock import patch

from psycopg2 import OperationalError

from odoo import SUPERUSER_ID, Command, api
from odoo.tests import TransactionCase, tagged

from odoo.addons.queue_job.exception import RetryableJobError

from ..models.account_bank_statement_line_matching import RUN_STATES
from ..models.sales_closing_match_run import CHANNEL, MAX_RETRIES
from .common import MatchingCase


class FakeSerializationFailure(OperationalError):
    """What PostgreSQL raises when a concurrent transaction changed a row."""

    pgcode = "40001"


def line_outcome(line):
    """(match state, items reconciled with the line, suggested item sets by
    rank) of a statement line."""
    amls = line.move_id.line_ids
    partials = amls.matched_debit_ids | amls.matched_credit_ids
    items = (partials.debit_move_id | partials.credit_move_id) - amls
    return (
        line.sales_closing_match_state,
        tuple(sorted(items.ids)),
        tuple(
            tuple(sorted(s.move_line_ids.ids))
            for s in line.sales_closing_suggestion_ids.sorted("rank")
        ),
    )


@tagged("post_install", "-at_install")
class TestMatchingJobs(MatchingCase):
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
        cls.partners = cls.env["res.partner"].create(
            [
                {"name": name}
                for name in (
                    "Nordic Trading GmbH",
                    "Alpine Foods Ltd",
                    "Orion Motors SARL",
                    "Baltic Shipping AB",
                )
            ]
        )
        cls.Job = cls.env["queue.job"].sudo()

    def _invoice(self, partner, amount, date="2026-01-10", term=None):
        vals = {
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "invoice_date": date,
            "date": date,
            "invoice_line_ids": [
                Command.create({"name": "Goods", "price_unit": amount, "tax_ids": []})
            ],
        }
        if term:
            vals["invoice_payment_term_id"] = term.id
        move = self.env["account.move"].create(vals)
        move.action_post()
        return move

    def _lines(self, specs):
        return self.Line.create(
            [
                {
                    "journal_id": self.bank.id,
                    "date": "2026-01-20",
                    "payment_ref": label,
                    "partner_name": payer,
                    "amount": amount,
                }
                for amount, label, payer in specs
            ]
        )

    def _competing_data(self):
        """Lines that compete for items (a payment sent twice, two lines
        paying one invoice's two installments, namesakes), with others that
        only get suggestions or nothing."""
        nordic, alpine, orion, baltic = self.partners
        invoices = [
            self._invoice(partner, amount)
            for partner, amount in (
                (nordic, 1000),
                (nordic, 1000),
                (alpine, 250),
                (alpine, 480),
                (orion, 730),
                (baltic, 90),
            )
        ]
        split = self._invoice(
            baltic,
            1000,
            term=self.env.ref("account.account_payment_term_advance_60days"),
        )
        specs = [
            (1000, f"Payment {invoices[0].name}", "Nordic Trading"),
            (1000, f"Payment {invoices[0].name} again", "Nordic Trading"),
            (1000, "Transfer", "Nordic Trading"),
            (250, f"Invoice {invoices[2].name}", "Alpine Foods"),
            (480, "Alpine order", "Alpine Foods Ltd"),
            (480, "Alpine order", "Alpine Foods Ltd"),
            (730, f"{invoices[4].name}", "ORION MOTORS"),
            (90, "Baltic", "Baltic Shipping"),
            (300, f"{split.name} first installment", "Baltic Shipping"),
            (700, f"{split.name} balance", "Baltic Shipping"),
            (123.45, "Unknown transfer", "K. Tanaka"),
            (55, "Bank fee", ""),
        ]
        return self._lines(specs), split

    def assertRaisesNoRollback(self, exception, func):
        """``func()`` raises ``exception``; unlike Odoo's ``assertRaises``,
        what was committed meanwhile (the failure recorded in a cursor of
        its own) is not rolled back."""
        try:
            func()
        except exception:
            return
        self.fail(f"{exception.__name__} not raised")

    def _outcomes(self, lines):
        self.env.flush_all()
        self.env.invalidate_all()
        return {line.id: line_outcome(line) for line in lines}

    def _in_savepoint(self, work):
        """Run ``work()``, read the outcome, roll back."""
        self.env.flush_all()
        self.cr.execute("SAVEPOINT sales_closing_jobs_test")
        try:
            return work()
        finally:
            self.env.flush_all()
            self.cr.execute("ROLLBACK TO SAVEPOINT sales_closing_jobs_test")
            self.env.invalidate_all()

    def _queued(self, lines, chunk_size, order):
        """The queue's way: a run, its planning job, then its slices'
        jobs (run here in ``order``: 'reverse' or a random seed)."""
        runs = lines._sales_closing_start_runs(RUN_STATES, chunk_size)
        self.assertEqual(len(runs), 1)
        runs._sales_closing_plan_job()
        slices = runs.slice_ids.sorted("sequence")
        jobs = list(slices)
        if order == "reverse":
            jobs.reverse()
        else:
            random.Random(order).shuffle(jobs)
        for part in jobs:
            part._sales_closing_apply_job()
        self.assertEqual(set(slices.mapped("state")), {"done"})
        self.assertEqual(runs.state, "done")
        cut = [{entry["line"] for entry in part.plan} for part in slices]
        return cut, self._outcomes(lines)

    # ------------------------------------------------------------------

    def test_same_decisions_whatever_the_cut_and_order(self):
        """One inline run, and queued runs cut in slices of 1, 3 and 5 lines
        (the unit-test scale of 500, 2,000 and 5,000: the benchmark cuts 8,000
        lines) applied in reverse or shuffled order: the same decisions for
        every line; the installments of one invoice go to one slice."""
        lines, split = self._competing_data()
        inline = self._in_savepoint(
            lambda: (
                lines.with_context(sales_closing_match_now=True).action_auto_match(),
                self._outcomes(lines),
            )[1]
        )
        states = [outcome[0] for outcome in inline.values()]
        self.assertGreaterEqual(states.count("auto"), 5)
        self.assertIn("suggested", states)
        self.assertIn("unmatched", states)
        # the payment sent twice: one line takes the invoice, the other is
        # left with it as a suggestion
        first, second = lines[0], lines[1]
        self.assertEqual(inline[first.id][0], "auto")
        self.assertEqual(inline[second.id][0], "suggested")
        installment_lines = lines[8] | lines[9]
        self.assertEqual(
            {inline[line.id][0] for line in installment_lines}, {"auto"}, inline
        )
        for chunk_size, order in ((1, "reverse"), (3, 7), (5, 11)):
            slices, queued = self._in_savepoint(
                lambda c=chunk_size, o=order: self._queued(lines, c, o)
            )
            self.assertEqual(queued, inline, f"slices of {chunk_size}")
            if chunk_size == 1:
                self.assertGreater(len(slices), 4)
                together = [
                    part for part in slices if set(installment_lines.ids) <= part
                ]
                self.assertEqual(len(together), 1, split.name)

    def test_enqueue_twice_makes_no_more_jobs(self):
        lines, _split = self._competing_data()
        before = self.Job.search_count([])
        runs = self.Line._cron_sales_closing_match(chunk_size=4)
        self.assertEqual(len(runs), 1)
        self.assertEqual(runs.line_count, len(lines))
        plan_jobs = self.Job.search([], order="id desc", limit=1)
        self.assertEqual(self.Job.search_count([]) - before, 1)
        self.assertEqual(plan_jobs.method_name, "_sales_closing_plan_job")
        self.assertEqual(plan_jobs.channel, CHANNEL)
        self.assertEqual(plan_jobs.max_retries, MAX_RETRIES)
        self.assertTrue(plan_jobs.identity_key)
        # the cron again, the button, the run's own enqueueing again: the
        # lines are held by the open run, the job exists
        self.assertFalse(self.Line._cron_sales_closing_match(chunk_size=4))
        lines.with_context(sales_closing_match_chunk_size=4).action_auto_match()
        runs._sales_closing_enqueue_plan()
        self.assertEqual(self.Job.search_count([]) - before, 1)
        self.assertEqual(set(lines.mapped("sales_closing_match_state")), {"new"})
        # planning enqueues one job per slice, once
        runs._sales_closing_plan_job()
        runs._sales_closing_plan_job()
        slices = runs.slice_ids
        self.assertGreaterEqual(len(slices), 3)
        self.assertEqual(self.Job.search_count([]) - before, 1 + len(slices))
        for part in slices:
            part._sales_closing_enqueue_apply()
        self.assertEqual(self.Job.search_count([]) - before, 1 + len(slices))
        apply_jobs = self.Job.search([("method_name", "=", "_sales_closing_apply_job")])
        self.assertEqual(set(apply_jobs.mapped("channel")), {CHANNEL})
        self.assertEqual(len(set(apply_jobs.mapped("identity_key"))), len(slices))
        self.assertFalse(self.Line._cron_sales_closing_match(chunk_size=4))
        for part in slices:
            part._sales_closing_apply_job()
        self.assertEqual(runs.state, "done")
        self.assertNotIn("new", lines.mapped("sales_closing_match_state"))
        # a run done lets its lines go (none is new any more: no run)
        self.assertFalse(self.Line._cron_sales_closing_match(chunk_size=4))
        self.assertEqual(self.Job.search_count([]) - before, 1 + len(slices))

    def test_failed_attempts_are_retried_a_bounded_number_of_times(self):
        """A concurrency error: recorded on the run (in a transaction of its
        own), the job tried again; at the last attempt the slice fails with
        its error shown on the run."""
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)
        lines, _split = self._competing_data()
        runs = lines._sales_closing_start_runs(RUN_STATES, 100)
        runs._sales_closing_plan_job()
        part = runs.slice_ids
        self.assertEqual(len(part), 1)
        Line = type(self.Line)
        failure = FakeSerializationFailure("could not serialize access")
        with patch.object(Line, "_sales_closing_apply_plan", side_effect=failure):
            for attempt in range(1, MAX_RETRIES + 1):
                self.assertRaisesNoRollback(
                    RetryableJobError, part._sales_closing_apply_job
                )
                part.invalidate_recordset()
                self.assertEqual(part.failed_attempts, attempt)
                expected = "failed" if attempt == MAX_RETRIES else "pending"
                self.assertEqual(part.state, expected)
        runs.invalidate_recordset()
        self.assertEqual(runs.state, "failed")
        self.assertEqual(runs.failed_attempts, MAX_RETRIES)
        self.assertIn("could not serialize access", runs.error)
        # a failed run lets its lines go to the next run
        self.assertTrue(self.Line._cron_sales_closing_match())

    def test_lost_database_session_is_retried(self):
        """The job's session cut (pg_terminate_backend, a database restart:
        psycopg2 raises an error without a PostgreSQL code): PostgreSQL
        rolled the job's transaction back, so it is tried again, not failed
        for good (found by the fault-injection run: a slice failed at once,
        its 2,000 lines never matched)."""
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)
        lines, _split = self._competing_data()
        runs = lines._sales_closing_start_runs(RUN_STATES, 100)
        runs._sales_closing_plan_job()
        part = runs.slice_ids
        lost = OperationalError(
            "server closed the connection unexpectedly\n"
            "\tThis probably means the server terminated abnormally"
        )
        with patch.object(
            type(self.Line), "_sales_closing_apply_plan", side_effect=lost
        ):
            self.assertRaisesNoRollback(
                RetryableJobError, part._sales_closing_apply_job
            )
        part.invalidate_recordset()
        self.assertEqual(part.failed_attempts, 1)
        self.assertEqual(part.state, "pending")
        self.assertIn("server closed the connection", part.error)
        part._sales_closing_apply_job()
        self.assertEqual(part.state, "done")
        self.assertNotIn("new", lines.mapped("sales_closing_match_state"))

    def test_error_that_is_not_concurrency_fails_at_once(self):
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)
        lines, _split = self._competing_data()
        runs = lines._sales_closing_start_runs(RUN_STATES, 100)
        with patch.object(
            type(self.Line), "_sales_closing_plan", side_effect=ValueError("broken")
        ):
            self.assertRaisesNoRollback(ValueError, runs._sales_closing_plan_job)
        runs.invalidate_recordset()
        self.assertEqual(runs.plan_state, "failed")
        self.assertEqual(runs.state, "failed")
        self.assertIn("ValueError: broken", runs.error)


@tagged("post_install", "-at_install")
class TestMatchingJobsConcurrency(TransactionCase):
    """Two jobs apply two slices of one company's run at the same time, each
    on its own database cursor, as two queue_job workers do.

    Real cursors cannot see the test's transaction: the data (a customer,
    euro invoices of January, statement lines of February paying them at
    another rate, so that each job books exchange-difference entries in the
    same journal) is committed under a unique name and deleted at the end."""

    def setUp(self):
        super().setUp()
        self.cursors = []
        self.ids = {}
        self.addCleanup(self._cleanup)
        suffix = secrets.token_hex(4).upper()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.ref("base.main_company")
            bank = env["account.journal"].search(
                [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
            )
            if not (bank and company.currency_exchange_journal_id):
                self.skipTest("the main company has no bank or exchange journal")
            cr.execute("SELECT COALESCE(MAX(id), 0) FROM account_move")
            self.ids["move_before"] = cr.fetchone()[0]
            eur = env.ref("base.EUR")
            self.ids["eur_active"] = eur.active
            eur.active = True
            rates = env["res.currency.rate"].create(
                [
                    {
                        "currency_id": eur.id,
                        "company_id": company.id,
                        "name": day,
                        "rate": rate,
                    }
                    for day, rate in (("2001-01-01", 0.9), ("2001-02-01", 0.8))
                ]
            )
            # two customers: a slice each (a customer's lines stay together)
            partners = env["res.partner"].create(
                [{"name": f"Concurrent Buyer {n} {suffix}"} for n in "AB"]
            )
            invoices = env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": "2001-01-10",
                        "date": "2001-01-10",
                        "currency_id": eur.id,
                        "invoice_line_ids": [
                            Command.create(
                                {"name": "Goods", "price_unit": amount, "tax_ids": []}
                            )
                        ],
                    }
                    for partner, amount in zip(
                        (partners[0], partners[0], partners[1], partners[1]),
                        (100, 200, 300, 400),
                        strict=True,
                    )
                ]
            )
            invoices.action_post()
            lines = env["account.bank.statement.line"].create(
                [
                    {
                        "journal_id": bank.id,
                        "date": "2001-02-10",
                        "payment_ref": f"Payment {invoice.name}",
                        "partner_name": invoice.partner_id.name,
                        "amount": invoice.amount_total / 0.8,
                        "foreign_currency_id": eur.id,
                        "amount_currency": invoice.amount_total,
                    }
                    for invoice in invoices
                ]
            )
            runs = lines._sales_closing_start_runs(("new",), chunk_size=2)
            runs._sales_closing_plan_job()
            env.flush_all()
            self.ids.update(
                company=company.id,
                exchange_journal=company.currency_exchange_journal_id.id,
                rates=rates.ids,
                partners=partners.ids,
                invoices=invoices.ids,
                lines=lines.ids,
                run=runs.id,
                slices=runs.slice_ids.sorted("sequence").ids,
            )
            cr.commit()  # pylint: disable=invalid-commit

    def _cleanup(self):
        for cr in self.cursors:
            if not cr.closed:
                cr.rollback()
                cr.close()
        if "partners" not in self.ids:
            if "eur_active" in self.ids:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    env.ref("base.EUR").active = self.ids["eur_active"]
            return
        ids = self.ids
        with self.registry.cursor() as cr:
            # the moves of the test: its invoices, its lines' entries and
            # the exchange-difference entries booked since it started
            cr.execute(
                """
                SELECT id FROM account_move
                 WHERE id > %(before)s
                   AND (partner_id = ANY(%(partners)s) OR journal_id = %(exchange)s)
                UNION
                SELECT move_id FROM account_bank_statement_line
                 WHERE id = ANY(%(lines)s)
                """,
                {
                    "before": ids["move_before"],
                    "partners": ids["partners"],
                    "exchange": ids["exchange_journal"],
                    "lines": ids["lines"],
                },
            )
            moves = [row[0] for row in cr.fetchall()]
            cr.execute(
                "SELECT id FROM account_move_line WHERE move_id = ANY(%s)", [moves]
            )
            amls = [row[0] for row in cr.fetchall()]
            cr.execute(
                """
                DELETE FROM account_partial_reconcile
                 WHERE debit_move_id = ANY(%(amls)s) OR credit_move_id = ANY(%(amls)s)
                """,
                {"amls": amls},
            )
            cr.execute(
                """
                SELECT DISTINCT full_reconcile_id FROM account_move_line
                 WHERE id = ANY(%s) AND full_reconcile_id IS NOT NULL
                """,
                [amls],
            )
            fulls = [row[0] for row in cr.fetchall()]
            cr.execute(
                "UPDATE account_move_line SET full_reconcile_id = NULL"
                " WHERE full_reconcile_id = ANY(%s)",
                [fulls],
            )
            cr.execute("DELETE FROM account_full_reconcile WHERE id = ANY(%s)", [fulls])
            cr.execute(
                "DELETE FROM queue_job WHERE identity_key = ANY(%s)",
                [
                    [f"sales_closing_match_plan:{ids['run']}"]
                    + [f"sales_closing_match_apply:{sid}" for sid in ids["slices"]]
                ],
            )
            cr.execute(
                "DELETE FROM sales_closing_match_suggestion"
                " WHERE statement_line_id = ANY(%s)",
                [ids["lines"]],
            )
            cr.execute(
                "DELETE FROM account_bank_statement_line WHERE id = ANY(%s)",
                [ids["lines"]],
            )
            cr.execute(
                "DELETE FROM sales_closing_match_run WHERE id = %s", [ids["run"]]
            )
            cr.execute(
                "DELETE FROM mail_message"
                " WHERE model = 'account.move' AND res_id = ANY(%s)",
                [moves],
            )
            cr.execute("DELETE FROM account_move WHERE id = ANY(%s)", [moves])
            cr.execute(
                "DELETE FROM res_currency_rate WHERE id = ANY(%s)", [ids["rates"]]
            )
            cr.execute(
                "DELETE FROM mail_message"
                " WHERE model = 'res.partner' AND res_id = ANY(%s)",
                [ids["partners"]],
            )
            cr.execute("DELETE FROM res_partner WHERE id = ANY(%s)", [ids["partners"]])
            env = api.Environment(cr, SUPERUSER_ID, {})
            env.ref("base.EUR").active = ids["eur_active"]
            cr.commit()  # pylint: disable=invalid-commit

    def _cursor(self):
        cr = self.registry.cursor()
        self.cursors.append(cr)
        # a job that would wait for the other one fails instead of hanging
        cr.execute("SET lock_timeout = '5s'")
        return cr

    def _apply(self, cr, slice_id):
        env = api.Environment(cr, SUPERUSER_ID, {})
        return (
            env["sales.closing.match.slice"].browse(slice_id)._sales_closing_apply_job()
        )

    def _check_result(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            slices = env["sales.closing.match.slice"].browse(self.ids["slices"])
            self.assertEqual(slices.mapped("state"), ["done", "done"])
            self.assertEqual(slices.mapped("failed_attempts"), [0, 0])
            lines = env["account.bank.statement.line"].browse(self.ids["lines"])
            self.assertEqual(set(lines.mapped("sales_closing_match_state")), {"auto"})
            self.assertTrue(all(lines.mapped("is_reconciled")))
            invoices = env["account.move"].browse(self.ids["invoices"])
            self.assertTrue(
                all(invoices.mapped(lambda m: m.currency_id.is_zero(m.amount_residual)))
            )
            exchange = env["account.move"].search(
                [
                    ("journal_id", "=", self.ids["exchange_journal"]),
                    ("id", ">", self.ids["move_before"]),
                ]
            )
            # one exchange-difference entry per invoice, each numbered
            self.assertEqual(len(exchange), 4)
            self.assertEqual(set(exchange.mapped("state")), {"posted"})
            names = exchange.mapped("name")
            self.assertEqual(len(set(names)), 4, names)
            self.assertNotIn("/", names)

    def test_second_job_runs_while_first_holds_its_transaction(self):
        """Job A applies its slice (reconciles, books and numbers its
        exchange-difference entries) and keeps its transaction open; job B
        applies the other slice meanwhile and finishes: it waits on nothing of
        A's (a wait would end in a lock timeout after 5 s), and neither
        fails when both commit."""
        cr_a, cr_b = self._cursor(), self._cursor()
        stats_a = self._apply(cr_a, self.ids["slices"][0])
        api.Environment(cr_a, SUPERUSER_ID, {}).flush_all()
        stats_b = self._apply(cr_b, self.ids["slices"][1])
        cr_b.commit()  # pylint: disable=invalid-commit
        cr_a.commit()  # pylint: disable=invalid-commit
        self.assertEqual(stats_a["auto"], 2)
        self.assertEqual(stats_b["auto"], 2)
        self._check_result()

    def test_two_jobs_at_the_same_instant(self):
        barrier = threading.Barrier(2)
        outcomes = [{}, {}]

        def run(index):
            try:
                cr = self._cursor()
                barrier.wait(timeout=20)
                outcomes[index]["stats"] = self._apply(cr, self.ids["slices"][index])
                cr.commit()  # pylint: disable=invalid-commit
            except Exception as error:  # noqa: BLE001 - asserted below
                outcomes[index]["error"] = error

        threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertFalse(any(thread.is_alive() for thread in threads))
        self.assertEqual([o.get("error") for o in outcomes], [None, None])
        self.assertEqual([o["stats"]["auto"] for o in outcomes], [2, 2])
        self._check_result()
