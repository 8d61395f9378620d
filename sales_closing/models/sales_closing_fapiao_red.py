from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..tools import check_workflow_write

RED_REASONS = [
    ("01", "01 Invoicing Error (开票有误)"),
    ("02", "02 Goods Returned (销货退回)"),
    ("03", "03 Service Stopped (服务中止)"),
    ("04", "04 Sales Allowance (销售折让)"),
]
BUREAU_STATES = [
    ("01", "01 No Confirmation Needed (无需确认)"),
    ("02", "02 Entered by Seller, Buyer to Confirm (销方录入待购方确认)"),
    ("03", "03 Entered by Buyer, Seller to Confirm (购方录入待销方确认)"),
    ("04", "04 Confirmed by Both (购销双方已确认)"),
    ("05", "05 Void: Buyer Refused (作废（销方录入购方否认）)"),
    ("06", "06 Void: Seller Refused (作废（购方录入销方否认）)"),
    ("07", "07 Void: Not Confirmed in 72 Hours (作废（超72小时未确认）)"),
    ("08", "08 Void: Revoked by Its Author (作废（发起方已撤销）)"),
    ("09", "09 Void: Revoked after Confirmation (作废（确认后撤销）)"),
    ("10", "10 Void: Abnormal Voucher (作废（异常凭证）)"),
]
# the bureau's answers a red e-fapiao may be issued on
BUREAU_ISSUABLE = ("01", "04")
# set by the provider, the import or the accountant's buttons only
WORKFLOW_FIELDS = (
    "bureau_state",
    "form_number",
    "red_number",
    "red_date",
    "move_id",
    "origin_move_id",
    "blue_number",
    "amount_untaxed",
    "amount_tax",
)


class SalesClosingFapiaoRed(models.Model):
    """A red-letter confirmation form (红字确认单): how a credit note reverses
    an invoice whose e-fapiao is issued.  The red e-fapiao number comes back
    by the import (是否正数发票 = 否) or the provider."""

    _name = "sales.closing.fapiao.red"
    _sales_closing_workflow_fields = frozenset(WORKFLOW_FIELDS)
    _description = "E-Fapiao Red-Letter Form"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _rec_name = "display_name"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    move_id = fields.Many2one(
        "account.move",
        string="Credit Note",
        required=True,
        readonly=True,
        ondelete="cascade",
        index=True,
    )
    origin_move_id = fields.Many2one(
        "account.move", string="Reversed Invoice", readonly=True
    )
    partner_id = fields.Many2one(related="move_id.commercial_partner_id")
    currency_id = fields.Many2one(related="move_id.currency_id")
    blue_number = fields.Char(
        string="Blue E-Fapiao Number",
        readonly=True,
        help="The e-fapiao of the invoice this form reverses.",
    )
    reason = fields.Selection(
        RED_REASONS,
        required=True,
        default="01",
        tracking=True,
        help="Why the e-fapiao is reversed, as the bureau codes it.",
    )
    bureau_state = fields.Selection(
        BUREAU_STATES,
        readonly=True,
        tracking=True,
        help="The tax bureau's state of the form; empty until it is entered "
        "on the platform.",
    )
    form_number = fields.Char(
        string="Form Number", readonly=True, help="红字发票信息确认单编号"
    )
    red_number = fields.Char(string="Red E-Fapiao Number", readonly=True, tracking=True)
    red_date = fields.Date(string="Red E-Fapiao Date", readonly=True)
    amount_untaxed = fields.Monetary(readonly=True, currency_field="currency_id")
    amount_tax = fields.Monetary(readonly=True, currency_field="currency_id")
    state = fields.Selection(
        [
            ("draft", "To Enter"),
            ("pending", "Awaiting Confirmation"),
            ("confirmed", "Confirmed"),
            ("issued", "Red E-Fapiao Issued"),
            ("void", "Void"),
        ],
        compute="_compute_state",
        store=True,
    )

    _sql_constraints = [
        (
            "move_uniq",
            "unique(move_id)",
            "A credit note has one red-letter form.",
        ),
    ]

    @api.depends("bureau_state", "red_number")
    def _compute_state(self):
        for form in self:
            if form.red_number:
                form.state = "issued"
            elif not form.bureau_state:
                form.state = "draft"
            elif form.bureau_state in BUREAU_ISSUABLE:
                form.state = "confirmed"
            elif form.bureau_state in ("02", "03"):
                form.state = "pending"
            else:
                form.state = "void"

    @api.depends("move_id", "blue_number")
    def _compute_display_name(self):
        for form in self:
            form.display_name = f"{form.move_id.name or ''} / {form.blue_number or ''}"

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_workflow_write(self, vals, self._sales_closing_workflow_fields)
        return super().create(vals_list)

    def write(self, vals):
        check_workflow_write(self, vals, self._sales_closing_workflow_fields)
        return super().write(vals)

    def unlink(self):
        # a red-letter form is the evidence that a credit note was (or must
        # be) reversed on the tax platform: it is voided, never deleted
        if not self.env.su:
            raise UserError(
                self.env._(
                    "Red-letter form %s cannot be deleted: the bureau's state "
                    "records its outcome (void included).",
                    self[:1].display_name,
                )
            )
        return super().unlink()

    def _check_accountant(self):
        if not self.env.user.has_group("sales_closing.group_closing_accountant"):
            raise AccessError(
                self.env._("Only closing accountants record red-letter forms.")
            )

    def _set_bureau(self, values):
        """Record the bureau's answer (provider, import or accountant)."""
        # sudo: bureau fields are set by this workflow only, after the
        # caller's group check
        self.sudo().write(values)

    def action_entered(self):
        """The accountant entered the form on the platform (file workflow):
        the buyer is to confirm it."""
        self._check_accountant()
        self.filtered(lambda form: not form.bureau_state)._set_bureau(
            {"bureau_state": "02"}
        )

    def action_confirmed(self):
        """Both parties confirmed the form on the platform."""
        self._check_accountant()
        self.filtered(lambda form: form.bureau_state in ("02", "03"))._set_bureau(
            {"bureau_state": "04"}
        )

    def action_revoked(self):
        """The seller revoked the form it entered."""
        self._check_accountant()
        self.filtered(lambda form: not form.red_number)._set_bureau(
            {"bureau_state": "08"}
        )
