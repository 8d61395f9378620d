from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.safe_eval import safe_eval

from ..engine.checklist import fingerprint
from ..tools import check_workflow_write

# Set by the checklist's methods only (run, sign-offs, mark done, waive),
# each after its own group check, in sudo: the sealed package records them.
WORKFLOW_FIELDS = frozenset(
    {
        "period_id",
        "kind_id",
        "status",
        "count",
        "amount",
        "res_model",
        "res_domain",
        "last_run",
        "prepared_by_id",
        "prepared_date",
        "reviewed_by_id",
        "reviewed_date",
        "review_fingerprint",
    }
)
# Set by closing managers only: how much the item blocks, who reviews it and
# why it is waived (frozen once the item is waived).
MANAGER_FIELDS = frozenset({"severity", "reviewer_id", "waiver_reason"})
MANAGER_GROUP = "sales_closing.group_closing_manager"


class SalesClosingCheckLine(models.Model):
    _name = "sales.closing.check.line"
    _description = "Closing Checklist Item"
    _inherit = ["mail.thread"]
    _order = "period_id, sequence, id"
    _check_company_auto = True
    _sales_closing_workflow_fields = WORKFLOW_FIELDS
    _sales_closing_manager_fields = MANAGER_FIELDS

    period_id = fields.Many2one(
        "sales.closing.period", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="period_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    kind_id = fields.Many2one(
        "sales.closing.check.kind", string="Check", required=True, ondelete="restrict"
    )
    name = fields.Char(related="kind_id.name")
    sequence = fields.Integer(related="kind_id.sequence", store=True)
    is_manual = fields.Boolean(related="kind_id.is_manual")
    user_id = fields.Many2one(
        "res.users", string="Responsible", tracking=True, check_company=True, index=True
    )
    severity = fields.Selection(
        [("blocking", "Blocking"), ("warning", "Warning")],
        required=True,
        default="blocking",
        tracking=True,
    )
    status = fields.Selection(
        [
            ("pending", "Not Run"),
            ("ok", "OK"),
            ("failed", "Failed"),
            ("waived", "Waived"),
        ],
        default="pending",
        required=True,
        tracking=True,
    )
    count = fields.Integer(readonly=True)
    amount = fields.Monetary(readonly=True, currency_field="currency_id")
    res_model = fields.Char(readonly=True)
    res_domain = fields.Char(readonly=True)
    last_run = fields.Datetime(readonly=True)
    waiver_reason = fields.Text(tracking=True)
    comment = fields.Text(help="Comment of the responsible on a manual task.")
    is_blocking_open = fields.Boolean(compute="_compute_is_blocking_open")
    due_date = fields.Date()
    reviewer_id = fields.Many2one(
        "res.users", string="Reviewer", tracking=True, check_company=True
    )
    prepared_by_id = fields.Many2one(
        "res.users", string="Prepared By", readonly=True, copy=False
    )
    prepared_date = fields.Datetime(readonly=True, copy=False)
    reviewed_by_id = fields.Many2one(
        "res.users", string="Reviewed By", readonly=True, copy=False, tracking=True
    )
    reviewed_date = fields.Datetime(readonly=True, copy=False)
    review_fingerprint = fields.Char(readonly=True, copy=False)
    blocked_by_ids = fields.Many2many(
        "sales.closing.check.line",
        compute="_compute_blocked_by_ids",
        string="Waiting For",
        help="Items this one depends on that are not OK or waived yet.",
    )

    _sql_constraints = [
        (
            "period_kind_uniq",
            "unique(period_id, kind_id)",
            "A check appears once per period.",
        ),
    ]

    # ------------------------------------------------------------------
    # Controls: the fields behind the buttons are refused to direct writes
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_control_write(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_control_write(vals)
        return super().write(vals)

    def unlink(self):
        if not self.env.su:
            raise AccessError(
                self.env._(
                    "Checklist items are removed with their period only: "
                    "waive a check instead."
                )
            )
        return super().unlink()

    def _check_control_write(self, vals):
        check_workflow_write(self, vals, WORKFLOW_FIELDS)
        if self.env.su:
            return
        check_workflow_write(
            self, vals, MANAGER_FIELDS, allowed=self.env.user.has_group(MANAGER_GROUP)
        )
        if "waiver_reason" in vals and any(line.status == "waived" for line in self):
            raise UserError(
                self.env._("The reason of a waived check cannot be changed.")
            )
        closed = self.filtered(lambda line: line.period_id.state == "closed")
        if closed:
            raise UserError(
                self.env._(
                    "Period %s is closed: its checklist cannot change.",
                    closed[0].period_id.name,
                )
            )

    @api.depends("severity", "status")
    def _compute_is_blocking_open(self):
        for line in self:
            line.is_blocking_open = line.severity == "blocking" and line.status not in (
                "ok",
                "waived",
            )

    @api.depends("kind_id.depends_on_ids", "period_id.check_line_ids.status")
    def _compute_blocked_by_ids(self):
        for line in self:
            line.blocked_by_ids = line.period_id.check_line_ids.filtered(
                lambda other, line=line: (
                    other.kind_id in line.kind_id.depends_on_ids
                    and other.status not in ("ok", "waived")
                )
            )

    def _run(self):
        now = fields.Datetime.now()
        for line in self:
            result = line.kind_id._evaluate(line.period_id)
            values = {
                "count": result["count"],
                "amount": result["amount"],
                "res_model": result["res_model"],
                "res_domain": repr(result["domain"]),
                "last_run": now,
            }
            if line.status != "waived" or not result["count"]:
                values["status"] = "failed" if result["count"] else "ok"
            stale = line.review_fingerprint and line.review_fingerprint != fingerprint(
                values["count"], values["amount"]
            )
            if stale:
                values.update(
                    reviewed_by_id=False, reviewed_date=False, review_fingerprint=False
                )
            # sudo: workflow-only fields; callers check the group first
            # (period.action_run_checks: closing accountants)
            line.sudo().write(values)
            if stale:
                line.message_post(
                    body=self.env._(
                        "The figures changed since the review: the reviewer must "
                        "sign off again."
                    )
                )

    def _check_not_blocked(self):
        for line in self:
            if line.blocked_by_ids:
                raise UserError(
                    self.env._(
                        "%(item)s waits for: %(others)s.",
                        item=line.name,
                        others=", ".join(line.blocked_by_ids.mapped("name")),
                    )
                )
            if line.period_id.state == "closed":
                raise UserError(self.env._("Period %s is closed.", line.period_id.name))

    def action_sign_prepare(self):
        """The preparer signs the item off as done on their side."""
        self._check_not_blocked()
        is_manager = self.env.user.has_group("sales_closing.group_closing_manager")
        for line in self:
            if line.user_id != self.env.user and not is_manager:
                raise AccessError(
                    self.env._("Only %s can sign off as preparer.", line.user_id.name)
                )
            if line.status not in ("ok", "waived"):
                raise UserError(
                    self.env._(
                        "%s is not OK or waived: it cannot be signed off.", line.name
                    )
                )
        # sudo: workflow-only fields, written after the responsible check
        self.sudo().write(
            {"prepared_by_id": self.env.uid, "prepared_date": fields.Datetime.now()}
        )
        return True

    def action_sign_review(self):
        """The reviewer approves the preparer's work on these figures."""
        self._check_not_blocked()
        is_manager = self.env.user.has_group("sales_closing.group_closing_manager")
        for line in self:
            if not line.prepared_by_id:
                raise UserError(
                    self.env._(
                        "%s must be signed off by its preparer first.", line.name
                    )
                )
            if line.prepared_by_id == self.env.user:
                raise UserError(
                    self.env._(
                        "%s was prepared by you: another person must review it.",
                        line.name,
                    )
                )
            if line.reviewer_id != self.env.user and not is_manager:
                raise AccessError(
                    self.env._("Only %s can review this item.", line.reviewer_id.name)
                )
            # sudo: workflow-only fields, written after the reviewer check
            line.sudo().write(
                {
                    "reviewed_by_id": self.env.uid,
                    "reviewed_date": fields.Datetime.now(),
                    "review_fingerprint": fingerprint(line.count, line.amount),
                }
            )
        return True

    def action_open_records(self):
        """Open exactly the records that made this check fail."""
        self.ensure_one()
        if not self.res_model:
            raise UserError(self.env._("Run the check %s first.", self.name))
        return {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": self.res_model,
            "view_mode": "list,form",
            "domain": safe_eval(self.res_domain),
        }

    def action_mark_done(self):
        """The responsible (or a closing accountant) ticks a manual task."""
        self._check_not_blocked()
        is_accountant = self.env.user.has_group(
            "sales_closing.group_closing_accountant"
        )
        for line in self:
            if not line.is_manual:
                raise UserError(
                    self.env._("Only manual tasks are ticked by hand: %s", line.name)
                )
            if line.user_id != self.env.user and not is_accountant:
                raise AccessError(
                    self.env._("Only %s can mark this task done.", line.user_id.name)
                )
        self.check_access("write")
        # sudo: the status is a workflow-only field, written after the checks
        self.sudo().write({"status": "ok"})
        return True

    def action_waive(self):
        if not self.env.user.has_group("sales_closing.group_closing_manager"):
            raise AccessError(self.env._("Only closing managers can waive a check."))
        for line in self:
            if not line.waiver_reason:
                raise UserError(
                    self.env._("Give a reason to waive the check %s.", line.name)
                )
            if line.status != "failed":
                raise UserError(
                    self.env._("Only a failed check can be waived: %s.", line.name)
                )
            # sudo: workflow-only field, written after the manager check
            line.sudo().status = "waived"
            line.period_id._log("waive", reason=line.waiver_reason, details=line.name)
        return True
