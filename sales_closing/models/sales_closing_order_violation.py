from odoo import api, fields, models

from ..tools import check_workflow_write

RULE_SELECTION = [
    ("max_discount", "Maximum Discount"),
    ("min_margin", "Minimum Margin"),
    ("below_pricelist", "Below Pricelist Price"),
    ("zero_price", "Zero Price"),
    ("qty_above_average", "Quantity Above Customer Average"),
]


class SalesClosingOrderViolation(models.Model):
    """A validation rule a sales order broke, and the decision taken on it."""

    _name = "sales.closing.order.violation"
    _description = "Sales Order Rule Violation"
    _order = "order_id, id"

    order_id = fields.Many2one(
        "sale.order", required=True, index=True, ondelete="cascade", readonly=True
    )
    line_id = fields.Many2one(
        "sale.order.line", string="Order Line", ondelete="set null", readonly=True
    )
    company_id = fields.Many2one(
        related="order_id.company_id", store=True, index=True, readonly=True
    )
    rule = fields.Selection(RULE_SELECTION, required=True, readonly=True)
    value = fields.Float(readonly=True, digits=(16, 4))
    limit = fields.Float(readonly=True, digits=(16, 4))
    message = fields.Char(readonly=True)
    state = fields.Selection(
        [("pending", "Pending"), ("approved", "Approved"), ("rejected", "Rejected")],
        default="pending",
        required=True,
        readonly=True,
    )
    decision_user_id = fields.Many2one("res.users", string="Decided By", readonly=True)
    decision_date = fields.Datetime(string="Decided On", readonly=True)
    decision_reason = fields.Text(string="Reason", readonly=True)

    # Recorded by sale.order._sales_closing_request_approval and decided by
    # sale.order._sales_closing_decide only, both in sudo after their checks:
    # a self-approved violation would let its order be confirmed.
    _sales_closing_workflow_fields = frozenset(
        {
            "order_id",
            "line_id",
            "rule",
            "value",
            "limit",
            "message",
            "state",
            "decision_user_id",
            "decision_date",
            "decision_reason",
        }
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_workflow_write(self, vals, self._sales_closing_workflow_fields)
        return super().create(vals_list)

    def write(self, vals):
        check_workflow_write(self, vals, self._sales_closing_workflow_fields)
        return super().write(vals)
