from odoo import fields, models


class SalesClosingMatchSuggestion(models.Model):
    """A candidate reconciliation of a statement line proposed by the engine."""

    _name = "sales.closing.match.suggestion"
    _description = "Bank Matching Suggestion"
    _order = "statement_line_id, rank, id"

    statement_line_id = fields.Many2one(
        "account.bank.statement.line",
        string="Statement Line",
        required=True,
        ondelete="cascade",
        index=True,
    )
    company_id = fields.Many2one(
        "res.company", string="Company", required=True, index=True
    )
    move_line_ids = fields.Many2many(
        "account.move.line",
        "sales_closing_match_suggestion_aml_rel",
        "suggestion_id",
        "move_line_id",
        string="Open Items",
    )
    rank = fields.Integer(default=1)
    score = fields.Float(digits=(3, 4))
    reasons = fields.Char()
    currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_currency_id",
        help="The currency the line is matched in (its foreign currency, else "
        "its own).",
    )
    fee_amount = fields.Monetary(
        string="Fee",
        currency_field="currency_id",
        help="Fee booked to the fee account, in the line's currency.",
    )
    partial = fields.Boolean(help="The line pays only part of the open item.")
    items_display = fields.Char(string="Candidates", compute="_compute_items_display")
    partner_id = fields.Many2one(
        "res.partner", string="Partner", compute="_compute_items_display"
    )
    items_residual = fields.Monetary(
        string="Open Amount",
        compute="_compute_items_display",
        currency_field="currency_id",
    )

    def _compute_currency_id(self):
        for suggestion in self:
            line = suggestion.statement_line_id
            suggestion.currency_id = line.foreign_currency_id or line.currency_id

    def _compute_items_display(self):
        for suggestion in self:
            items = suggestion.move_line_ids
            suggestion.items_display = ", ".join(
                items.mapped(lambda aml: aml.move_id.name or "")
            )
            suggestion.partner_id = items.partner_id.commercial_partner_id[:1]
            suggestion.items_residual = sum(items.mapped("amount_residual_currency"))

    def action_accept(self):
        """Reconcile the statement line with the suggested items."""
        for suggestion in self:
            line = suggestion.statement_line_id
            line._sales_closing_apply_matches(
                [
                    {
                        "line": line,
                        "items": suggestion.move_line_ids,
                        "fee": suggestion.fee_amount,
                        "partial": suggestion.partial,
                    }
                ],
                state="manual",
            )
        return True
