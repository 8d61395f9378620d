"""A matching run: one plan of a company's lines, applied by queue jobs.

See ``account_bank_statement_line_matching`` for the design (plan once,
apply disjoint slices in parallel)."""

import logging
import time

from psycopg2 import InterfaceError, OperationalError, errorcodes

from odoo import api, fields, models
from odoo.service.model import PG_CONCURRENCY_ERRORS_TO_RETRY

from odoo.addons.queue_job.exception import RetryableJobError

from ..engine.plan import slices as plan_slices

_logger = logging.getLogger(__name__)

# Attempts of a job (queue_job's max_retries): a job failing on a concurrency
# error is tried again this many times in all, then left failed.
MAX_RETRIES = 5
RETRY_SECONDS = 2
CHANNEL = "root.sales_closing_matching"
# The database ended the job's session (pg_terminate_backend, a restart):
# PostgreSQL rolled its transaction back, so the job is run again whole.
CONNECTION_LOST = (
    errorcodes.ADMIN_SHUTDOWN,
    errorcodes.CRASH_SHUTDOWN,
    errorcodes.CANNOT_CONNECT_NOW,
)


def retryable(error):
    """Tell whether ``error`` of a job's transaction is worth another
    attempt: a concurrency error, or the session lost (an error without a
    PostgreSQL code is the client's: the connection closed under it)."""
    if isinstance(error, InterfaceError):
        return True
    return (
        error.pgcode in PG_CONCURRENCY_ERRORS_TO_RETRY
        or error.pgcode in CONNECTION_LOST
        or error.pgcode is None
    )


def run_attempt(record, work, log_failure):
    """Run ``work()`` as one attempt of ``record``'s job; flush its writes.

    A concurrency error (serialization failure, deadlock, lock timeout) or
    the loss of the database session (found by the fault-injection run: a
    ``pg_terminate_backend`` failed a slice for good, its lines never
    matched) is recorded on ``record`` (``log_failure(message, final)``, in
    a transaction of its own: this one is lost) and raised as queue_job's
    ``RetryableJobError``, tried again up to ``MAX_RETRIES`` attempts; any
    other error is recorded as final and raised (the job fails)."""
    try:
        result = work()
        record.env.flush_all()
        return result
    except (OperationalError, InterfaceError) as error:
        if not retryable(error):
            log_failure(str(error), True)
            raise
        try:
            failed = record._sales_closing_failed_attempts()
        except (OperationalError, InterfaceError):
            # the session is gone: the count is read in a new one
            with record.env.registry.cursor() as cr:
                failed = record.with_env(
                    record.env(cr=cr)
                )._sales_closing_failed_attempts()
        final = failed + 1 >= MAX_RETRIES
        log_failure(str(error), final)
        raise RetryableJobError(str(error), seconds=RETRY_SECONDS) from error
    except RetryableJobError:
        raise
    except Exception as error:
        log_failure(f"{type(error).__name__}: {error}", True)
        raise


def log_failure(record, table, columns, message, final):
    """Record a failed attempt on ``record`` in a transaction of its own
    (the job's is lost), committed at once: the attempt's error stays
    visible on the run."""
    failed_col, error_col, state_col, failed_state = columns
    with record.env.registry.cursor() as cr:
        cr.execute("SET LOCAL lock_timeout = '10s'")
        cr.execute(
            f"""
            UPDATE {table}
               SET {failed_col} = COALESCE({failed_col}, 0) + 1,
                   {error_col} = %(message)s,
                   {state_col} = CASE WHEN %(final)s THEN %(failed)s
                                      ELSE {state_col} END,
                   write_date = now() at time zone 'utc'
             WHERE id = %(id)s
            """,  # noqa: S608 - table and columns are constants of the caller
            {
                "message": message[:4000],
                "final": final,
                "failed": failed_state,
                "id": record.id,
            },
        )
    record.invalidate_recordset()
    _logger.warning(
        "Sales Closing matching: %s failed%s: %s",
        record,
        " (final)" if final else ", tried again",
        message,
    )


class SalesClosingMatchRun(models.Model):
    """Lines of one company handed to the queue: planned by one job, the
    plan applied by one job per slice."""

    _name = "sales.closing.match.run"
    _description = "Bank Matching Run"
    _order = "id desc"

    name = fields.Char(compute="_compute_name")
    company_id = fields.Many2one(
        "res.company", string="Company", required=True, readonly=True, index=True
    )
    states = fields.Char(
        string="Match States Taken",
        readonly=True,
        help="Match states of the lines the run matches (comma-separated).",
    )
    chunk_size = fields.Integer(
        string="Slice Size", readonly=True, help="Lines a job applies, about."
    )
    line_count = fields.Integer(string="Lines", readonly=True)
    line_ids = fields.One2many(
        "account.bank.statement.line",
        "sales_closing_match_run_id",
        string="Statement Lines",
        readonly=True,
    )
    plan_state = fields.Selection(
        [
            ("planning", "Planning"),
            ("planned", "Planned"),
            ("failed", "Planning Failed"),
        ],
        default="planning",
        required=True,
        readonly=True,
    )
    date_planned = fields.Datetime(string="Planned On", readonly=True)
    plan_seconds = fields.Float(string="Planning Seconds", readonly=True)
    planned_auto = fields.Integer(string="Planned Automatic", readonly=True)
    planned_suggested = fields.Integer(string="Planned Suggestions", readonly=True)
    planned_unmatched = fields.Integer(string="Planned Unmatched", readonly=True)
    plan_failed_attempts = fields.Integer(
        string="Failed Planning Attempts", readonly=True
    )
    plan_error = fields.Text(string="Planning Error", readonly=True)
    slice_ids = fields.One2many(
        "sales.closing.match.slice", "run_id", string="Slices", readonly=True
    )
    state = fields.Selection(
        [
            ("planning", "Planning"),
            ("applying", "Applying"),
            ("done", "Done"),
            ("failed", "Failed"),
        ],
        compute="_compute_progress",
    )
    failed_attempts = fields.Integer(
        compute="_compute_progress",
        help="Attempts of the run's jobs that failed (each tried again up to "
        "the retry limit).",
    )
    error = fields.Text(string="Last Error", compute="_compute_progress")

    def _compute_name(self):
        for run in self:
            run.name = self.env._("Matching run %(id)s", id=run.id or "")

    @api.depends(
        "plan_state",
        "plan_error",
        "plan_failed_attempts",
        "slice_ids.state",
        "slice_ids.failed_attempts",
        "slice_ids.error",
    )
    def _compute_progress(self):
        for run in self:
            slice_states = set(run.slice_ids.mapped("state"))
            if run.plan_state == "failed" or "failed" in slice_states:
                run.state = "failed"
            elif run.plan_state == "planning":
                run.state = "planning"
            elif "pending" in slice_states:
                run.state = "applying"
            else:
                run.state = "done"
            run.failed_attempts = run.plan_failed_attempts + sum(
                run.slice_ids.mapped("failed_attempts")
            )
            errors = [run.plan_error] + run.slice_ids.sorted("sequence").mapped("error")
            run.error = "\n".join(e for e in errors if e) or False

    # ------------------------------------------------------------------
    # Jobs
    # ------------------------------------------------------------------

    def _sales_closing_enqueue_plan(self):
        self.ensure_one()
        return self.with_delay(
            priority=5,
            max_retries=MAX_RETRIES,
            identity_key=f"sales_closing_match_plan:{self.id}",
            description=self.env._(
                "Sales Closing: plan the matching of %(count)s statement lines "
                "of %(company)s",
                count=self.line_count,
                company=self.company_id.name,
            ),
        )._sales_closing_plan_job()

    def _sales_closing_failed_attempts(self):
        return self.plan_failed_attempts

    def _sales_closing_plan_job(self):
        """Queue job: decide every line of the run, cut the plan into
        slices and enqueue one job per slice."""
        self.ensure_one()
        return run_attempt(
            self,
            self._sales_closing_plan_run,
            lambda message, final: log_failure(
                self,
                self._table,
                ("plan_failed_attempts", "plan_error", "plan_state", "failed"),
                message,
                final,
            ),
        )

    def _sales_closing_plan_run(self):
        if self.plan_state == "planned":
            return 0
        start = time.perf_counter()
        Line = (
            self.env["account.bank.statement.line"]
            .with_company(self.company_id)
            ._sales_closing_matcher()
        )
        # the run is written by the matching workflow only, once its group
        # check (_sales_closing_matcher, just above) passed
        run = self.sudo()
        states = tuple((run.states or "new").split(","))
        lines = Line.search([("sales_closing_match_run_id", "=", run.id)], order="id")
        entries, stats, moves = lines._sales_closing_plan(states)
        parts = plan_slices(
            [(entry["line"], entry["take"]) for entry in entries],
            moves,
            run.chunk_size or 2000,
        )
        by_line = {entry["line"]: entry for entry in entries}
        slices = (
            self.env["sales.closing.match.slice"]
            .sudo()
            .create(
                [
                    {
                        "run_id": run.id,
                        "company_id": run.company_id.id,
                        "sequence": sequence,
                        "line_count": len(line_ids),
                        "plan": [by_line[line_id] for line_id in line_ids],
                    }
                    for sequence, line_ids in enumerate(parts, start=1)
                ]
            )
        )
        actions = [entry["action"] for entry in entries]
        run.write(
            {
                "plan_state": "planned",
                "date_planned": fields.Datetime.now(),
                "plan_seconds": time.perf_counter() - start,
                "planned_auto": actions.count("auto") + stats["auto"],
                "planned_suggested": actions.count("suggest"),
                "planned_unmatched": actions.count("none"),
            }
        )
        for part in slices:
            part._sales_closing_enqueue_apply()
        return len(slices)
