from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    sales_closing_match_threshold = fields.Float(
        string="Automatic Match Threshold",
        default=0.95,
        help="Score (in percent, as on the suggestions) from which the "
        "matching engine reconciles a statement line by itself.",
    )
    sales_closing_match_margin = fields.Float(
        string="Lead over Second Match",
        default=0.15,
        help="How far the best match must be ahead of the second one to be "
        "reconciled automatically.",
    )
    sales_closing_fee_tolerance = fields.Float(
        string="Fee Tolerance (%)",
        default=3.0,
        help="Largest bank or gateway fee, as a percentage of the invoice, "
        "booked as a fee instead of leaving the invoice open.",
    )
    sales_closing_fee_account_id = fields.Many2one(
        "account.account",
        string="Fee Account",
        check_company=True,
        help="Account the engine books bank and gateway fees to.",
    )
