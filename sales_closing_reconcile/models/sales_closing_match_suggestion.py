from odoo import api, fields, models


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
    reasons = fields.Char(
        string="Reason Codes", help="The matching engine's reasons, as codes."
    )
    reasons_display = fields.Char(
        string="Reasons",
        compute="_compute_reasons_display",
        help="Why the engine proposes these open items.",
    )
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

    @api.model
    def _reason_labels(self):
        """``{reason code of the matching engine: words}``, translated."""
        return {
            "ref:invoice": self.env._("invoice number in the label"),
            "ref:order": self.env._("order number in the label"),
            "ref:tx": self.env._("payment reference in the label"),
            "partner": self.env._("partner of the line"),
            "payer_account": self.env._("payer's bank account"),
            "payer_name": self.env._("payer's name"),
            "amount:exact": self.env._("same amount"),
            "amount:fee": self.env._("amount less a fee"),
            "amount:partial": self.env._("partial payment: the rest stays open"),
            "amount:over": self.env._("pays more than due"),
            "amount:nearest": self.env._(
                "nothing explains the amount: the payer's invoice nearest to it"
            ),
            "amount:subset": self.env._("several invoices add up to the amount"),
            "date": self.env._("date close to the due date"),
            "currency": self.env._("same currency"),
        }

    @api.model
    def _reasons_text(self, codes):
        """The reason codes ``codes`` ("ref:invoice, partner") in words."""
        labels = self._reason_labels()
        words = [
            labels.get(code.strip(), code.strip())
            for code in (codes or "").split(",")
            if code.strip()
        ]
        return "; ".join(words)

    @api.depends("reasons")
    def _compute_reasons_display(self):
        for suggestion in self:
            suggestion.reasons_display = suggestion._reasons_text(suggestion.reasons)

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
                        "score": suggestion.score,
                    }
                ],
                state="manual",
            )
        return True
