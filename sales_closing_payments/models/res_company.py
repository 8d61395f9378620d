from odoo import api, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    # Capture at delivery and authorization expiry
    sales_closing_capture_on_delivery = fields.Boolean(
        string="Capture at Delivery",
        default=True,
        help="Validating a delivery captures the delivered amount of the order's "
        "authorized online payments; cancelling the rest voids it.",
    )
    sales_closing_auth_validity_days = fields.Integer(
        string="Authorization Validity (days)",
        default=7,
        help="How long providers keep a payment authorized (7 days for most "
        "cards). 0 disables the expiry check.",
    )
    sales_closing_auth_expiry_margin = fields.Integer(
        string="Authorization Renewal Margin (days)",
        default=1,
        help="Authorizations are renewed on a saved payment method, or flagged, "
        "this many days before they expire.",
    )
    sales_closing_refund_on_credit_note = fields.Boolean(
        string="Refund Credit Notes Online",
        default=True,
        help="Posting a credit note of an invoice paid online refunds it through "
        "the payment provider when the provider supports refunds.",
    )

    # Payment reminders and collection
    sales_closing_dunning_auto_send = fields.Boolean(
        string="Send Reminders Automatically",
        help="The daily reminder run is sent at once; otherwise it waits for review.",
    )
    sales_closing_dunning_tolerance = fields.Monetary(
        string="Reminder Tolerance",
        currency_field="currency_id",
        default=1.0,
        help="Invoices with no more than this amount left to pay get no reminder.",
    )
    sales_closing_dunning_policy_id = fields.Many2one(
        "sales.closing.dunning.policy",
        string="Default Dunning Policy",
        check_company=True,
        help="Reminder levels of the customers that have no dunning policy of "
        "their own.",
    )
    sales_closing_collection_user_id = fields.Many2one(
        "res.users",
        string="Collection Owner",
        help="Owner of the collection cases opened automatically; empty: the "
        "customer's salesperson.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        self.env["sales.closing.dunning.level"].sudo()._create_default_levels(
            companies
        )  # sudo: the levels of a new company are created with it
        return companies
