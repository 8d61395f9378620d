from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    sales_closing_match_threshold = fields.Float(
        related="company_id.sales_closing_match_threshold", readonly=False
    )
    sales_closing_match_margin = fields.Float(
        related="company_id.sales_closing_match_margin", readonly=False
    )
    sales_closing_match_partial = fields.Boolean(
        related="company_id.sales_closing_match_partial", readonly=False
    )
    sales_closing_fee_tolerance = fields.Float(
        related="company_id.sales_closing_fee_tolerance", readonly=False
    )
    sales_closing_fee_account_id = fields.Many2one(
        related="company_id.sales_closing_fee_account_id", readonly=False
    )
