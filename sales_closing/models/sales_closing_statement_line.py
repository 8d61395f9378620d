from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..tools import check_workflow_write


class SalesClosingStatementLine(models.Model):
    """One receivable movement of a customer statement."""

    _name = "sales.closing.statement.line"
    _description = "Customer Statement Line"
    _order = "statement_id, sequence, id"
    # the movements are written with their statement by its _generate only
    _sales_closing_workflow_fields = frozenset(
        {
            "statement_id",
            "sequence",
            "date",
            "name",
            "ref",
            "date_maturity",
            "move_id",
            "kind",
            "debit",
            "credit",
            "balance",
        }
    )

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

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_workflow_write(self, vals, self._sales_closing_workflow_fields)
        return super().create(vals_list)

    def write(self, vals):
        check_workflow_write(self, vals, self._sales_closing_workflow_fields)
        return super().write(vals)

    def unlink(self):
        if not self.env.su:
            raise AccessError(
                self.env._("Statement movements are removed with their statement.")
            )
        return super().unlink()
