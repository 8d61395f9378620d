from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    sales_closing_period_kind = fields.Selection(
        related="company_id.sales_closing_period_kind", readonly=False
    )
    sales_closing_deadline_days = fields.Integer(
        related="company_id.sales_closing_deadline_days", readonly=False
    )
    sales_closing_lock_sale = fields.Boolean(
        related="company_id.sales_closing_lock_sale", readonly=False
    )
    sales_closing_lock_fiscalyear = fields.Boolean(
        related="company_id.sales_closing_lock_fiscalyear", readonly=False
    )
    sales_closing_lock_tax = fields.Boolean(
        related="company_id.sales_closing_lock_tax", readonly=False
    )
    sales_closing_lock_hard = fields.Boolean(
        related="company_id.sales_closing_lock_hard", readonly=False
    )
    sales_closing_allow_redate = fields.Boolean(
        related="company_id.sales_closing_allow_redate", readonly=False
    )
    sales_closing_flux_amount = fields.Monetary(
        related="company_id.sales_closing_flux_amount", readonly=False
    )
    sales_closing_flux_pct = fields.Float(
        related="company_id.sales_closing_flux_pct", readonly=False
    )
    sales_closing_max_discount = fields.Float(
        related="company_id.sales_closing_max_discount", readonly=False
    )
    sales_closing_min_margin = fields.Float(
        related="company_id.sales_closing_min_margin", readonly=False
    )
    sales_closing_max_below_pricelist = fields.Float(
        related="company_id.sales_closing_max_below_pricelist", readonly=False
    )
    sales_closing_zero_price = fields.Boolean(
        related="company_id.sales_closing_zero_price", readonly=False
    )
    sales_closing_qty_factor = fields.Float(
        related="company_id.sales_closing_qty_factor", readonly=False
    )
    sales_closing_check_input = fields.Boolean(
        related="company_id.sales_closing_check_input", readonly=False
    )
    sales_closing_approver_id = fields.Many2one(
        related="company_id.sales_closing_approver_id", readonly=False
    )
    sales_closing_credit_block = fields.Boolean(
        related="company_id.sales_closing_credit_block", readonly=False
    )
    sales_closing_credit_overdue_days = fields.Integer(
        related="company_id.sales_closing_credit_overdue_days", readonly=False
    )
    sales_closing_invoice_layout = fields.Selection(
        related="company_id.sales_closing_invoice_layout", readonly=False
    )
    sales_closing_invoice_policy = fields.Selection(
        related="company_id.sales_closing_invoice_policy", readonly=False
    )
    sales_closing_invoice_post = fields.Boolean(
        related="company_id.sales_closing_invoice_post", readonly=False
    )
    sales_closing_invoice_send = fields.Boolean(
        related="company_id.sales_closing_invoice_send", readonly=False
    )
    sales_closing_invoice_mail_template_id = fields.Many2one(
        related="company_id.sales_closing_invoice_mail_template_id", readonly=False
    )
    sales_closing_invoice_sms = fields.Boolean(
        related="company_id.sales_closing_invoice_sms", readonly=False
    )
    sales_closing_sms_installed = fields.Boolean(
        compute="_compute_sales_closing_sms_installed"
    )
    sales_closing_auditor_email = fields.Char(
        related="company_id.sales_closing_auditor_email", readonly=False
    )
    sales_closing_fapiao_enabled = fields.Boolean(
        related="company_id.sales_closing_fapiao_enabled", readonly=False
    )
    sales_closing_fapiao_template = fields.Binary(
        related="company_id.sales_closing_fapiao_template", readonly=False
    )
    sales_closing_fapiao_template_name = fields.Char(
        related="company_id.sales_closing_fapiao_template_name", readonly=False
    )
    sales_closing_fapiao_type = fields.Selection(
        related="company_id.sales_closing_fapiao_type", readonly=False
    )
    sales_closing_fapiao_provider = fields.Selection(
        related="company_id.sales_closing_fapiao_provider", readonly=False
    )
    sales_closing_fapiao_nuonuo_app_key = fields.Char(
        related="company_id.sales_closing_fapiao_nuonuo_app_key",
        readonly=False,
        groups="base.group_system",
    )
    sales_closing_fapiao_nuonuo_app_secret = fields.Char(
        related="company_id.sales_closing_fapiao_nuonuo_app_secret",
        readonly=False,
        groups="base.group_system",
    )
    sales_closing_fapiao_nuonuo_token = fields.Char(
        related="company_id.sales_closing_fapiao_nuonuo_token",
        readonly=False,
        groups="base.group_system",
    )
    sales_closing_fapiao_nuonuo_url = fields.Char(
        related="company_id.sales_closing_fapiao_nuonuo_url",
        readonly=False,
        groups="base.group_system",
    )

    def _compute_sales_closing_sms_installed(self):
        installed = "sms.sms" in self.env
        for settings in self:
            settings.sales_closing_sms_installed = installed
