from odoo import api, fields, models
from odoo.tools import float_is_zero, formatLang

from ..tools import check_workflow_write, write_in_languages

RULE_SELECTION = [
    ("max_discount", "Maximum Discount"),
    ("min_margin", "Minimum Margin"),
    ("below_pricelist", "Below Pricelist Price"),
    ("zero_price", "Zero Price"),
    ("qty_above_average", "Quantity Above Customer Average"),
]

# rules whose value and limit are percentages (the others: a quantity, or none)
PERCENT_RULES = ("max_discount", "min_margin", "below_pricelist")


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
    value = fields.Float(string="Value (Number)", readonly=True, digits=(16, 4))
    limit = fields.Float(string="Limit (Number)", readonly=True, digits=(16, 4))
    value_display = fields.Char(
        string="Value", compute="_compute_display_values", help="In the rule's unit."
    )
    limit_display = fields.Char(
        string="Limit", compute="_compute_display_values", help="In the rule's unit."
    )
    # in every active language: the order's salesperson, approver and
    # accountant may read different ones (see _localized_message)
    message = fields.Char(readonly=True, translate=True)
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

    @api.depends("rule", "value", "limit")
    def _compute_display_values(self):
        """Value and limit as the user reads them: percentages with a percent
        sign (25%, not 25.0000), quantities as numbers, nothing for the
        zero-price rule."""
        for violation in self:
            if violation.rule == "zero_price":
                violation.value_display = violation.limit_display = False
                continue
            percent = violation.rule in PERCENT_RULES
            violation.value_display = self._display_number(violation.value, percent)
            violation.limit_display = self._display_number(violation.limit, percent)

    @api.model
    def _display_number(self, number, percent):
        """``number`` in the user's language, with no trailing zeros beyond
        what it holds (at most 2 decimals); ``percent`` adds a percent sign."""
        digits = 0 if float_is_zero(number - round(number), precision_digits=2) else 2
        text = formatLang(self.env, number, digits=digits)
        return f"{text}%" if percent else text

    def _localized_message(self):
        """The message of the violation in the environment's language."""
        self.ensure_one()
        env = self.env
        line = self.line_id
        name = env._(
            "Order %(order)s, line %(line)s",
            order=self.order_id.name,
            line=line.product_id.with_env(env).display_name
            if line
            else self.order_id.name,
        )
        percent = self.rule in PERCENT_RULES
        value = self._display_number(self.value, percent)
        limit = self._display_number(self.limit, percent)
        if self.rule == "max_discount":
            return env._(
                "%(line)s: discount %(value)s is above the maximum of %(limit)s.",
                line=name,
                value=value,
                limit=limit,
            )
        if self.rule == "min_margin":
            return env._(
                "%(line)s: margin %(value)s is below the minimum of %(limit)s.",
                line=name,
                value=value,
                limit=limit,
            )
        if self.rule == "below_pricelist":
            return env._(
                "%(line)s: unit price %(value)s below the pricelist price "
                "(maximum %(limit)s).",
                line=name,
                value=value,
                limit=limit,
            )
        if self.rule == "zero_price":
            return env._("%(line)s: unit price is zero.", line=name)
        return env._(
            "%(line)s: quantity %(value)s is above %(limit)s, the allowed "
            "multiple of the customer's average.",
            line=name,
            value=value,
            limit=limit,
        )

    def _write_messages(self):
        """Write each violation's message in every active language."""
        for violation in self:
            # sudo: message is written by the approval workflow only
            write_in_languages(
                violation.sudo(),
                lambda env, violation=violation: {
                    "message": violation.with_env(env)._localized_message()
                },
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_workflow_write(self, vals, self._sales_closing_workflow_fields)
        return super().create(vals_list)

    def write(self, vals):
        check_workflow_write(self, vals, self._sales_closing_workflow_fields)
        return super().write(vals)
