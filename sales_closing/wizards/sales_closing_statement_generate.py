from odoo import api, fields, models
from odoo.exceptions import UserError


class SalesClosingStatementGenerate(models.TransientModel):
    """Create the customer statements of a period (or dates) in batch."""

    _name = "sales.closing.statement.generate"
    _description = "Generate Customer Statements"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    period_id = fields.Many2one(
        "sales.closing.period",
        domain="[('company_id', '=', company_id)]",
        help="Statements of this closing period; or give the dates.",
    )
    date_from = fields.Date(
        compute="_compute_dates",
        store=True,
        readonly=False,
        required=True,
        precompute=True,
    )
    date_to = fields.Date(
        compute="_compute_dates",
        store=True,
        readonly=False,
        required=True,
        precompute=True,
    )
    partner_ids = fields.Many2many(
        "res.partner",
        string="Customers",
        help="Leave empty for every customer with a balance or movements.",
    )
    send = fields.Boolean(
        string="Send by Email",
        help="Email the statements with their portal link right away.",
    )

    @api.depends("period_id")
    def _compute_dates(self):
        for wizard in self:
            if wizard.period_id:
                wizard.date_from = wizard.period_id.date_from
                wizard.date_to = wizard.period_id.date_to
            elif not wizard.date_from:
                today = fields.Date.context_today(self)
                wizard.date_from = today.replace(day=1)
                wizard.date_to = today

    def action_generate(self):
        self.ensure_one()
        if not self.env.user.has_group("sales_closing.group_closing_accountant"):
            raise UserError(
                self.env._("Only closing accountants can generate statements.")
            )
        period = self.period_id
        if not period:
            period = self.env["sales.closing.period"].search(
                [
                    ("company_id", "=", self.company_id.id),
                    ("date_from", "=", self.date_from),
                    ("date_to", "=", self.date_to),
                ],
                limit=1,
            )
        Statement = self.env["sales.closing.statement"]
        statements = Statement._generate(
            self.company_id,
            self.date_from,
            self.date_to,
            partners=self.partner_ids or None,
            period=period,
        )
        if self.send and statements:
            statements.action_send()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Customer Statements"),
            "res_model": "sales.closing.statement",
            "view_mode": "list,form",
            "domain": [("id", "in", statements.ids)],
        }
