from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

#: The account types of the open items a bank line may pay (the view's domain).
ITEM_ACCOUNT_TYPES = ("asset_receivable", "asset_current")


class SalesClosingMatchWizard(models.TransientModel):
    """Match a statement line by hand with open items."""

    _name = "sales.closing.match.wizard"
    _description = "Match a Statement Line by Hand"
    _check_company_auto = True

    statement_line_id = fields.Many2one(
        "account.bank.statement.line", required=True, readonly=True
    )
    company_id = fields.Many2one(related="statement_line_id.company_id")
    currency_id = fields.Many2one(
        "res.currency", compute="_compute_amounts", string="Currency"
    )
    amount = fields.Monetary(compute="_compute_amounts", string="Amount Received")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        help="Only to narrow the open items proposed.",
    )
    move_line_ids = fields.Many2many(
        "account.move.line",
        string="Open Items",
        domain="[('company_id', '=', company_id), ('parent_state', '=', 'posted'),"
        " ('reconciled', '=', False), ('account_id.reconcile', '=', True),"
        " ('amount_residual_currency', '!=', 0),"
        " ('currency_id', '=', currency_id),"
        " ('account_id.account_type', 'in', ('asset_receivable', 'asset_current')),"
        " ('statement_line_id', '=', False),"
        " ('partner_id.commercial_partner_id', '=?', partner_id)]",
    )
    items_amount = fields.Monetary(
        compute="_compute_amounts", string="Open Amount of the Items"
    )
    difference = fields.Monetary(
        compute="_compute_amounts",
        help="Open amount of the items minus the amount received.",
    )
    mode = fields.Selection(
        [
            ("partial", "Keep the Difference Open (partial payment)"),
            ("writeoff", "Book the Difference"),
        ],
        default="partial",
        required=True,
    )
    writeoff_account_id = fields.Many2one(
        "account.account",
        string="Difference Account",
        default=lambda self: self.env.company.sales_closing_fee_account_id,
        check_company=True,
    )
    writeoff_label = fields.Char(string="Reason")

    def _sales_closing_item_domain(self):
        """The open items this wizard may match: the view's domain, enforced
        on the server too (constraint and validation)."""
        self.ensure_one()
        domain = [
            ("company_id", "=", self.statement_line_id.company_id.id),
            ("parent_state", "=", "posted"),
            ("reconciled", "=", False),
            ("account_id.reconcile", "=", True),
            ("amount_residual_currency", "!=", 0),
            ("currency_id", "=", self.currency_id.id),
            ("account_id.account_type", "in", ITEM_ACCOUNT_TYPES),
            ("statement_line_id", "=", False),
        ]
        if self.partner_id:
            domain.append(
                (
                    "partner_id.commercial_partner_id",
                    "=",
                    self.partner_id.commercial_partner_id.id,
                )
            )
        return domain

    @api.constrains("statement_line_id", "move_line_ids", "partner_id")
    def _check_move_line_ids(self):
        for wizard in self:
            wizard._sales_closing_check_items()

    def _sales_closing_check_items(self):
        """Refuse a statement line or open items the user may not match."""
        self.ensure_one()
        line = self.statement_line_id
        if line.company_id not in self.env.companies:
            raise ValidationError(
                self.env._("The statement line belongs to a company you cannot use.")
            )
        if not self.move_line_ids:
            return
        # sudo: the check must see every selected item, even one the user
        # cannot read, to refuse it; nothing of it is returned.
        items = self.move_line_ids.sudo()
        allowed = items.filtered_domain(self._sales_closing_item_domain())
        refused = items - allowed
        if refused:
            raise ValidationError(
                self.env._(
                    "These journal items cannot be matched with statement line "
                    "%(line)s (another company, currency or customer, not an "
                    "open receivable, or already reconciled): %(items)s",
                    line=line.display_name,
                    items=", ".join(refused.mapped("display_name")),
                )
            )

    @api.depends("statement_line_id", "move_line_ids")
    def _compute_amounts(self):
        for wizard in self:
            line = wizard.statement_line_id
            if line:
                amount, currency, _liquidity = line._sales_closing_transaction()
            else:
                amount, currency = 0.0, self.env.company.currency_id
            wizard.currency_id = currency
            wizard.amount = amount
            wizard.items_amount = sum(
                wizard.move_line_ids.mapped("amount_residual_currency")
            )
            wizard.difference = wizard.items_amount - amount

    @api.onchange("statement_line_id")
    def _onchange_statement_line_id(self):
        partner = self.statement_line_id.partner_id.commercial_partner_id
        if partner and not self.partner_id:
            self.partner_id = partner

    def action_validate(self):
        self.ensure_one()
        if not self.move_line_ids:
            raise UserError(self.env._("Select the open items this line pays."))
        # again here: the items may have been reconciled since the wizard opened
        self._sales_closing_check_items()
        match = {
            "line": self.statement_line_id,
            "items": self.move_line_ids,
            "partial": self.mode == "partial",
        }
        if self.mode == "writeoff" and not self.currency_id.is_zero(self.difference):
            if not self.writeoff_label:
                raise UserError(self.env._("Give the reason of the difference."))
            match.update(
                fee=self.difference,
                writeoff_account=self.writeoff_account_id,
                label=self.writeoff_label,
            )
        self.statement_line_id._sales_closing_apply_matches([match], state="manual")
        return {"type": "ir.actions.act_window_close"}
