from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.safe_eval import safe_eval


class SalesClosingCheckLine(models.Model):
    _name = "sales.closing.check.line"
    _description = "Closing Checklist Item"
    _inherit = ["mail.thread"]
    _order = "period_id, sequence, id"
    _check_company_auto = True

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

    _sql_constraints = [
        (
            "period_kind_uniq",
            "unique(period_id, kind_id)",
            "A check appears once per period.",
        ),
    ]

    @api.depends("severity", "status")
    def _compute_is_blocking_open(self):
        for line in self:
            line.is_blocking_open = line.severity == "blocking" and line.status not in (
                "ok",
                "waived",
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
            line.write(values)

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
        for line in self:
            if not line.is_manual:
                raise UserError(
                    self.env._("Only manual tasks are ticked by hand: %s", line.name)
                )
            if line.period_id.state == "closed":
                raise UserError(self.env._("Period %s is closed.", line.period_id.name))
            line.status = "ok"
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
            line.status = "waived"
            line.period_id._log("waive", reason=line.waiver_reason, details=line.name)
        return True
