import time

from odoo import fields, models

from .sales_closing_match_run import MAX_RETRIES, log_failure, run_attempt


class SalesClosingMatchSlice(models.Model):
    """Part of a matching run's plan that one queue job applies.

    The slices of a run share no line and no open item (nor the journal
    entry of an item): their jobs run at once without waiting on each
    other.  A job writes its own slice only."""

    _name = "sales.closing.match.slice"
    _description = "Bank Matching Run Slice"
    _order = "run_id desc, sequence"

    run_id = fields.Many2one(
        "sales.closing.match.run",
        string="Run",
        required=True,
        readonly=True,
        ondelete="cascade",
        index=True,
    )
    company_id = fields.Many2one(
        "res.company", string="Company", required=True, readonly=True, index=True
    )
    sequence = fields.Integer(readonly=True)
    line_count = fields.Integer(string="Lines", readonly=True)
    plan = fields.Json(
        readonly=True,
        help="The engine's decision for each line of the slice, as planned.",
    )
    state = fields.Selection(
        [("pending", "To Apply"), ("done", "Done"), ("failed", "Failed")],
        default="pending",
        required=True,
        readonly=True,
        index=True,
    )
    attempts = fields.Integer(readonly=True)
    failed_attempts = fields.Integer(readonly=True)
    error = fields.Text(string="Last Error", readonly=True)
    seconds = fields.Float(readonly=True)
    auto_count = fields.Integer(string="Matched Automatically", readonly=True)
    suggested_count = fields.Integer(string="Suggestions", readonly=True)
    unmatched_count = fields.Integer(string="Unmatched", readonly=True)

    def _sales_closing_enqueue_apply(self):
        self.ensure_one()
        return self.with_delay(
            max_retries=MAX_RETRIES,
            identity_key=f"sales_closing_match_apply:{self.id}",
            description=self.env._(
                "Sales Closing: apply the matching of %(count)s statement lines "
                "(run %(run)s, slice %(slice)s)",
                count=self.line_count,
                run=self.run_id.id,
                slice=self.sequence,
            ),
        )._sales_closing_apply_job()

    def _sales_closing_failed_attempts(self):
        return self.failed_attempts

    def _sales_closing_apply_job(self):
        """Queue job: apply this slice of the run's plan."""
        self.ensure_one()
        return run_attempt(
            self,
            self._sales_closing_apply,
            lambda message, final: log_failure(
                self,
                self._table,
                ("failed_attempts", "error", "state", "failed"),
                message,
                final,
            ),
        )

    def _sales_closing_apply(self):
        if self.state == "done":
            return {}
        start = time.perf_counter()
        Line = (
            self.env["account.bank.statement.line"]
            .with_company(self.company_id)
            ._sales_closing_matcher()
        )
        states = tuple((self.run_id.states or "new").split(","))
        stats = Line._sales_closing_apply_plan(self.plan or [], states)
        # the slice is written by the matching workflow only, once its group
        # check (_sales_closing_matcher, just above) passed; last, and only
        # by its own job: no other transaction writes this row
        self.sudo().write(
            {
                "state": "done",
                "attempts": self.failed_attempts + 1,
                "seconds": time.perf_counter() - start,
                "auto_count": stats.get("auto", 0),
                "suggested_count": stats.get("suggested", 0),
                "unmatched_count": stats.get("unmatched", 0),
            }
        )
        return stats
