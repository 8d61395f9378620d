from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # Capture at delivery and authorization expiry
    sales_closing_capture_on_delivery = fields.Boolean(
        related="company_id.sales_closing_capture_on_delivery", readonly=False
    )
    sales_closing_auth_validity_days = fields.Integer(
        related="company_id.sales_closing_auth_validity_days", readonly=False
    )
    sales_closing_auth_expiry_margin = fields.Integer(
        related="company_id.sales_closing_auth_expiry_margin", readonly=False
    )
    sales_closing_refund_on_credit_note = fields.Boolean(
        related="company_id.sales_closing_refund_on_credit_note", readonly=False
    )

    # Payment reminders and collection
    sales_closing_dunning_auto_send = fields.Boolean(
        related="company_id.sales_closing_dunning_auto_send", readonly=False
    )
    sales_closing_dunning_tolerance = fields.Monetary(
        related="company_id.sales_closing_dunning_tolerance", readonly=False
    )
    sales_closing_dunning_policy_id = fields.Many2one(
        related="company_id.sales_closing_dunning_policy_id",
        readonly=False,
        check_company=True,
    )
    sales_closing_collection_user_id = fields.Many2one(
        related="company_id.sales_closing_collection_user_id", readonly=False
    )
