from odoo import fields, models


class SalesClosingStatementLine(models.Model):
    """One receivable movement of a customer statement."""

    _name = "sales.closing.statement.line"
    _description = "Customer Statement Line"
    _order = "statement_id, sequence, id"

    statement_id = fields.Many2one(
        "sales.closing.statement", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        related="statement_id.company_id", store=True, index=True
    )
    currency_id = fields.Many2one(related="statement_id.currency_id")
    sequence = fields.Integer()
    date = fields.Date(required=True)
    name = fields.Char(string="Document")
    ref = fields.Char(string="Reference")
    date_maturity = fields.Date(string="Due Date")
    move_id = fields.Many2one("account.move", string="Journal Entry", readonly=True)
    kind = fields.Selection(
        [
            ("invoice", "Invoice"),
            ("credit_note", "Credit Note"),
            ("payment", "Payment"),
        ],
        required=True,
    )
    debit = fields.Monetary(currency_field="currency_id")
    credit = fields.Monetary(currency_field="currency_id")
    balance = fields.Monetary(
        string="Running Balance",
        currency_field="currency_id",
        help="Receivable balance of the customer after this movement.",
    )
