from odoo import fields, models
from odoo.exceptions import UserError


class SalesClosingOrderDecision(models.TransientModel):
    _name = "sales.closing.order.decision"
    _description = "Approve, Reject or Override a Sales Order"

    order_ids = fields.Many2many("sale.order", string="Orders", readonly=True)
    decision = fields.Selection(
        [
            ("approved", "Approve"),
            ("rejected", "Reject"),
            ("override", "Override Credit Block"),
        ],
        required=True,
        readonly=True,
    )
    violation_ids = fields.Many2many(
        "sales.closing.order.violation",
        compute="_compute_violation_ids",
        string="Pending Violations",
    )
    reason = fields.Text(help="Logged in the chatter and on the violations.")

    def _compute_violation_ids(self):
        for wizard in self:
            wizard.violation_ids = (
                wizard.order_ids.sales_closing_violation_ids.filtered(
                    lambda v: v.state == "pending"
                )
            )

    def action_apply(self):
        self.ensure_one()
        reason = (self.reason or "").strip()
        if self.decision != "approved" and not reason:
            raise UserError(self.env._("Give a reason."))
        if self.decision == "override":
            return self.order_ids._sales_closing_set_override(reason)
        result = self.order_ids._sales_closing_decide(self.decision, reason)
        if isinstance(result, dict):
            return result
        return {"type": "ir.actions.act_window_close"}
