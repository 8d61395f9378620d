from odoo import api, fields, models

from ..engine.invoice_layout import DEFAULT_LAYOUT, LAYOUT_SELECTION
from ..engine.invoicing import POLICY_SELECTION
from ..tools import check_workflow_write


class ResCompany(models.Model):
    _inherit = "res.company"

    sales_closing_period_kind = fields.Selection(
        [("month", "Month"), ("quarter", "Quarter"), ("year", "Year")],
        string="Closing Frequency",
        default="month",
        required=True,
        help="Periods the monthly cron creates for this company.",
    )
    sales_closing_deadline_days = fields.Integer(
        string="Closing Deadline (days)",
        default=5,
        help="Days after the period end by which the period must be closed.",
    )
    sales_closing_lock_sale = fields.Boolean(
        string="Lock Sales at Close",
        default=True,
        help="Closing a period sets the sales lock date to its end.",
    )
    sales_closing_lock_fiscalyear = fields.Boolean(
        string="Lock Everything at Close",
        help="Closing a period sets the global lock date to its end.",
    )
    sales_closing_lock_tax = fields.Boolean(
        string="Lock Taxes at Close",
        help="Closing a period sets the tax return lock date to its end.",
    )
    sales_closing_lock_hard = fields.Boolean(
        string="Hard Lock at Close",
        help="Closing a period sets the hard lock date to its end. "
        "A hard lock can never be removed.",
    )
    sales_closing_allow_redate = fields.Boolean(
        string="Re-date into Open Period",
        help="When set, Odoo may re-date entries of a closed period into the "
        "first open period; each re-dating is logged. When not set, such "
        "entries are refused.",
    )
    sales_closing_flux_amount = fields.Monetary(
        string="Materiality Amount",
        currency_field="currency_id",
        default=10000.0,
        help="A flux variance needs an explanation before the close when it "
        "reaches this amount and the materiality percentage.",
    )
    sales_closing_flux_pct = fields.Float(
        string="Materiality (%)",
        default=10.0,
        help="A flux variance needs an explanation before the close when it "
        "reaches this percentage and the materiality amount.",
    )
    # Sales order validation rules (0 or empty: rule off)
    sales_closing_max_discount = fields.Float(
        string="Maximum Discount (%)",
        help="Orders with a line discounted more than this need approval.",
    )
    sales_closing_min_margin = fields.Float(
        string="Minimum Margin (%)",
        help="Orders with a line whose margin over the product cost is below "
        "this need approval.",
    )
    sales_closing_max_below_pricelist = fields.Float(
        string="Maximum Below Pricelist (%)",
        help="Orders with a unit price more than this below the pricelist "
        "price need approval.",
    )
    sales_closing_zero_price = fields.Boolean(
        string="Approve Zero-Price Lines",
        help="Orders with a line at a unit price of zero need approval.",
    )
    sales_closing_qty_factor = fields.Float(
        string="Quantity Above Average (times)",
        help="Orders with a quantity above this many times the customer's "
        "average for the product need approval.",
    )
    sales_closing_check_input = fields.Boolean(
        string="Check Order Input",
        help="Refuse to confirm an order with a negative quantity or in a "
        "currency other than its pricelist's. Off: Odoo's standard, which "
        "accepts both.",
    )
    sales_closing_approver_id = fields.Many2one(
        "res.users",
        string="Order Approver",
        help="Who approves orders breaking a rule; empty: the closing managers.",
    )
    sales_closing_credit_block = fields.Boolean(
        string="Block on Credit",
        help="Refuse to confirm an order when the customer's exposure exceeds "
        "the credit limit or an invoice is overdue too long.",
    )
    sales_closing_credit_overdue_days = fields.Integer(
        string="Overdue Days for Credit Block",
        default=30,
        help="Invoices overdue by more than these days block the customer's "
        "orders (0: any overdue invoice).",
    )
    sales_closing_invoice_layout = fields.Selection(
        LAYOUT_SELECTION,
        string="Default Invoice Layout",
        default=DEFAULT_LAYOUT,
        required=True,
        help="Layout of customer invoices when neither the customer nor the "
        "journal sets one.",
    )

    # Invoicing automation (issue #5 item 3)
    sales_closing_invoice_policy = fields.Selection(
        POLICY_SELECTION,
        string="Invoicing Automation",
        default="manual",
        required=True,
        help="When the scheduled action invoices confirmed orders: never "
        "(Odoo's standard), as soon as they are confirmed, when a delivery is "
        "validated (delivered quantities), or at the end of the closing period "
        "(one invoice per customer and period). A customer can override it.",
    )
    sales_closing_invoice_post = fields.Boolean(
        string="Post Automatic Invoices",
        help="Post the invoices the automation creates. An invoice a user "
        "resets to draft is never posted again by the automation.",
    )
    sales_closing_invoice_send = fields.Boolean(
        string="Send Automatic Invoices by Email",
        help="Send the posted automatic invoices by email with their PDF.",
    )
    sales_closing_invoice_mail_template_id = fields.Many2one(
        "mail.template",
        string="Automatic Invoice Email",
        domain=[("model", "=", "account.move")],
        help="Empty: Odoo's invoice email template.",
    )
    sales_closing_invoice_sms = fields.Boolean(
        string="Send Automatic Invoices by SMS",
        help="Also send a text message with the invoice link, when the SMS "
        "module is installed.",
    )

    # Head of the chain of closing packages (issue #19 item 10): written by
    # the sealing workflow only (sales.closing.package._set_company_head).
    sales_closing_package_head_id = fields.Many2one(
        "sales.closing.package",
        string="Closing Package Chain Head",
        readonly=True,
        copy=False,
        ondelete="restrict",
        groups="sales_closing.group_closing_accountant,"
        "sales_closing.group_closing_auditor",
    )
    sales_closing_package_head_hash = fields.Char(
        string="Chain Head SHA-256",
        readonly=True,
        copy=False,
        groups="sales_closing.group_closing_accountant,"
        "sales_closing.group_closing_auditor",
        help="Chain hash of the newest closing package; Verify compares the "
        "newest package with it.",
    )
    sales_closing_auditor_email = fields.Char(
        string="Auditor Email for the Chain Head",
        help="When a period closes, the new chain head hash is emailed to this "
        "address: a chain rewritten in the database no longer matches it.",
    )

    _sales_closing_workflow_fields = frozenset(
        {"sales_closing_package_head_id", "sales_closing_package_head_hash"}
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_workflow_write(self, vals, self._sales_closing_workflow_fields)
        return super().create(vals_list)

    def write(self, vals):
        check_workflow_write(self, vals, self._sales_closing_workflow_fields)
        return super().write(vals)

    # China e-fapiao (数电票), issue #20: off unless switched on
    sales_closing_fapiao_enabled = fields.Boolean(
        string="Issue E-Fapiao",
        help="Customer invoices of this company are issued as China's fully "
        "digitalised e-invoices (数电票): exported to the tax platform's "
        "batch-issue file (or sent to the provider), issued fapiao imported "
        "back and linked, checked at the close.",
    )
    sales_closing_fapiao_template = fields.Binary(
        string="Batch-Issue Template",
        attachment=True,
        help="The official 批量开票-导入开票模板 (XLSX) downloaded from the "
        "electronic invoice service platform; the export fills it in place.",
    )
    sales_closing_fapiao_template_name = fields.Char(string="Template File Name")
    sales_closing_fapiao_type = fields.Selection(
        [("01", "Special VAT Invoice (专票)"), ("02", "Normal Invoice (普票)")],
        string="Default E-Fapiao Type",
        default="02",
        required=True,
        help="Type of e-fapiao for customers that do not set theirs.",
    )
    sales_closing_fapiao_provider = fields.Selection(
        [("file", "Batch-Issue File"), ("nuonuo", "Nuonuo Open Platform")],
        string="E-Fapiao Provider",
        default="file",
        required=True,
        help="Batch-issue file: export the template, upload it on the platform, "
        "import the issued invoices back. Nuonuo: issue through Nuonuo's API.",
    )
    sales_closing_fapiao_nuonuo_app_key = fields.Char(
        string="Nuonuo App Key", groups="base.group_system"
    )
    sales_closing_fapiao_nuonuo_app_secret = fields.Char(
        string="Nuonuo App Secret", groups="base.group_system"
    )
    sales_closing_fapiao_nuonuo_token = fields.Char(
        string="Nuonuo Access Token", groups="base.group_system"
    )
    sales_closing_fapiao_nuonuo_url = fields.Char(
        string="Nuonuo Endpoint",
        default="https://sdk.nuonuo.com/open/v1/services",
        groups="base.group_system",
    )
