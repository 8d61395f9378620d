import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, float_compare

from ..engine.fapiao.nuonuo import blue_detail_indexes
from ..engine.fapiao.provider import ProviderError, ProviderTimeout
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
    "provider_form_id",
    "provider_date",
    "entered_by",
)
# the form's states the provider is queried for (sent, not final)
PROVIDER_OPEN_STATES = ("submitted", "pending", "confirmed")
# forms buyers entered are downloaded for the days before: one the seller
# leaves unconfirmed 72 hours is void, so a week is enough with margin
BUYER_FORM_DAYS = 7

_logger = logging.getLogger(__name__)


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
        readonly=True,
        ondelete="cascade",
        index=True,
        help="Empty for a form the buyer entered until the credit note "
        "reversing it is posted.",
    )
    origin_move_id = fields.Many2one(
        "account.move", string="Reversed Invoice", readonly=True, index=True
    )
    entered_by = fields.Selection(
        [("seller", "Seller"), ("buyer", "Buyer")],
        default="seller",
        required=True,
        readonly=True,
        help="Who entered the form at the bureau: we (the seller, from a "
        "credit note) or the buyer (downloaded from the provider, for us to "
        "confirm or reject).",
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", compute="_compute_partner_currency"
    )
    currency_id = fields.Many2one("res.currency", compute="_compute_partner_currency")
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
    provider_form_id = fields.Char(
        string="Provider Request",
        readonly=True,
        copy=False,
        index=True,
        help="Our identifier of the form at the API provider (Nuonuo's billId), "
        "recorded before the request is sent: a form sent without an answer is "
        "queried by it, never sent twice.",
    )
    provider_date = fields.Datetime(
        string="Sent to Provider", readonly=True, copy=False
    )
    company_provider = fields.Selection(
        related="company_id.sales_closing_fapiao_provider", string="Provider"
    )
    partial = fields.Boolean(
        string="Partial Reversal",
        compute="_compute_partial",
        help="The credit note reverses only part of the e-fapiao (部分冲红): "
        "the form carries the credit note's amounts.",
    )
    state = fields.Selection(
        [
            ("draft", "To Enter"),
            ("submitted", "Sent to Provider"),
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
        (
            "provider_form_uniq",
            "unique(company_id, provider_form_id)",
            "A red-letter form of the provider is recorded once.",
        ),
    ]

    @api.depends("move_id", "origin_move_id", "company_id")
    def _compute_partner_currency(self):
        for form in self:
            move = form.move_id or form.origin_move_id
            form.partner_id = move.commercial_partner_id
            form.currency_id = move.currency_id or form.company_id.currency_id

    @api.depends("bureau_state", "red_number", "provider_form_id")
    def _compute_state(self):
        for form in self:
            if form.red_number:
                form.state = "issued"
            elif not form.bureau_state:
                form.state = "submitted" if form.provider_form_id else "draft"
            elif form.bureau_state in BUREAU_ISSUABLE:
                form.state = "confirmed"
            elif form.bureau_state in ("02", "03"):
                form.state = "pending"
            else:
                form.state = "void"

    @api.depends("amount_untaxed", "amount_tax", "origin_move_id")
    def _compute_partial(self):
        for form in self:
            form.partial = bool(form.origin_move_id) and form._is_partial()

    @api.depends("move_id", "blue_number", "form_number", "entered_by")
    def _compute_display_name(self):
        for form in self:
            name = form.move_id.name or (
                self.env._("Buyer's form %s", form.form_number or form.provider_form_id)
                if form.entered_by == "buyer"
                else ""
            )
            form.display_name = f"{name} / {form.blue_number or ''}"

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

    def _provider_forms(self):
        """The forms the company's API provider handles (sent to it)."""
        return self.filtered(
            lambda form: (
                form.company_id.sales_closing_fapiao_provider == "nuonuo"
                and form.provider_form_id
            )
        )

    def action_confirmed(self):
        """Confirm the form: with the API provider, the seller's confirmation
        of a form the buyer entered (03 → 04) is sent to it; in the file
        workflow, the accountant records that both parties confirmed it on
        the platform."""
        self._check_accountant()
        api_forms = self._provider_forms()
        (self - api_forms).filtered(
            lambda form: form.bureau_state in ("02", "03")
        )._set_bureau({"bureau_state": "04"})
        return api_forms._provider_act("confirm")

    def action_rejected(self):
        """Refuse a form the buyer entered (03 → 06 作废（购方录入销方否认）):
        sent to the API provider, or recorded in the file workflow."""
        self._check_accountant()
        api_forms = self._provider_forms()
        (self - api_forms).filtered(lambda form: form.bureau_state == "03")._set_bureau(
            {"bureau_state": "06"}
        )
        return api_forms._provider_act("reject")

    def action_revoked(self):
        """The seller revoked the form it entered: sent to the API provider,
        or recorded in the file workflow."""
        self._check_accountant()
        buyers = self.filtered(lambda form: form.entered_by == "buyer")
        if buyers:
            raise UserError(
                self.env._(
                    "Red-letter form %s was entered by the buyer: only the "
                    "buyer revokes it; reject it instead.",
                    buyers[0].display_name,
                )
            )
        api_forms = self._provider_forms()
        (self - api_forms).filtered(lambda form: not form.red_number)._set_bureau(
            {"bureau_state": "08"}
        )
        return api_forms._provider_act("revoke")

    # API provider (Nuonuo) ---------------------------------------------
    @api.model
    def _sales_closing_fapiao_lock_forms(self, limit):
        """Ids of the forms sent to the provider and not final, locked
        (``SKIP LOCKED``) for the scheduled query."""
        return self.env["account.move"]._sales_closing_fapiao_lock(
            self._table,
            SQL(
                "t.provider_form_id IS NOT NULL AND t.state IN %s",
                PROVIDER_OPEN_STATES,
            ),
            limit,
        )

    @api.model
    def _sales_closing_fapiao_download(self, company, date_to=None):
        """Download the forms buyers entered at the bureau for ``company``
        to confirm (03 购方录入待销方确认) from its API provider, for the
        last :data:`BUYER_FORM_DAYS` days to ``date_to``: each becomes a
        form of ours (entered by the buyer) linked to the invoice whose
        e-fapiao it reverses, to confirm or reject with its buttons; one
        known already only gets the provider's state.  Forms of an e-fapiao
        we have no invoice for are recorded too (to be rejected), without
        an invoice.  Returns the forms created.  Provider errors are the
        caller's to handle."""
        client = self.env["account.move"]._sales_closing_fapiao_company_client(company)
        date_to = date_to or fields.Date.context_today(self)
        found = client.list_buyer_red_forms(
            date_to - timedelta(days=BUYER_FORM_DAYS), date_to
        )
        # sudo: the scheduled action (or an accountant's query) records the
        # bureau's forms; their fields are set by this workflow only
        Red = self.sudo().with_company(company)
        Move = self.env["account.move"].sudo()
        created = self.browse()
        for known in found:
            existing = Red.search(
                [
                    ("company_id", "=", company.id),
                    ("provider_form_id", "=", known["form_id"]),
                ],
                limit=1,
            )
            if existing:
                existing._provider_apply(known)
                continue
            origin = Move.browse()
            if known["blue_number"]:
                origin = Move.search(
                    [
                        ("company_id", "=", company.id),
                        ("move_type", "=", "out_invoice"),
                        ("sales_closing_fapiao_number", "=", known["blue_number"]),
                    ],
                    limit=1,
                )
            form = Red.create(
                {
                    "company_id": company.id,
                    "entered_by": "buyer",
                    "origin_move_id": origin.id,
                    "blue_number": known["blue_number"],
                    "reason": known["reason"] or "01",
                    "provider_form_id": known["form_id"],
                    "provider_date": fields.Datetime.now(),
                    "amount_untaxed": float(known["amount_untaxed"]),
                    "amount_tax": float(known["amount_tax"]),
                }
            )
            form._provider_apply(known)
            if origin:
                body = self.env._(
                    "Entered by the buyer %(buyer)s at the bureau for invoice "
                    "%(invoice)s: confirm or reject it.",
                    buyer=known["buyer_name"] or known["buyer_vat"] or "-",
                    invoice=origin.name,
                )
            else:
                body = self.env._(
                    "Entered by the buyer %(buyer)s at the bureau for the "
                    "e-fapiao %(number)s, which no invoice of ours has.",
                    buyer=known["buyer_name"] or known["buyer_vat"] or "-",
                    number=known["blue_number"] or "-",
                )
            form.message_post(body=body)
            created |= form
        return created.sudo(False)

    def _provider_values(self):
        """The form as the provider client reads it (engine.fapiao.provider)."""
        self.ensure_one()
        company = self.company_id
        partner = self.partner_id
        values = {
            "form_id": self.provider_form_id,
            "blue_number": self.blue_number,
            "reason": self.reason,
            "type": partner.sales_closing_fapiao_type
            or company.sales_closing_fapiao_type,
            "date": fields.Datetime.to_string(self.provider_date),
            "seller_vat": company.vat or "",
            "seller_name": company.name or "",
            "buyer_vat": partner.vat or "",
            "buyer_name": partner.name or "",
        }
        if self._is_partial():
            values["lines"] = self._red_lines()
        return values

    def _provider_error(self, error):
        return UserError(
            self.env._(
                "Red-letter form %(form)s: the provider refused the request "
                "(%(code)s): %(message)s",
                form=self.display_name,
                code=error.code,
                message=error.message,
            )
        )

    def _provider_ask(self, call, *args):
        """``call(*args)`` to the provider for this form: its answer, or
        None when it gave none in time; a refusal raised naming the form."""
        self.ensure_one()
        try:
            return call(*args)
        except ProviderTimeout:
            return None
        except ProviderError as error:
            raise self._provider_error(error) from error

    def _check_provider(self):
        for form in self:
            if form.company_id.sales_closing_fapiao_provider != "nuonuo":
                raise UserError(
                    self.env._(
                        "Red-letter form %(form)s: %(company)s issues e-fapiao "
                        "by the batch-issue file; enter the form on the tax "
                        "platform and record its outcome with the buttons.",
                        form=form.display_name,
                        company=form.company_id.name,
                    )
                )
            if not form.blue_number:
                raise UserError(
                    self.env._(
                        "Red-letter form %(form)s has no blue e-fapiao number.",
                        form=form.display_name,
                    )
                )

    def _client(self):
        """The company's API provider client."""
        self.ensure_one()
        return self.env["account.move"]._sales_closing_fapiao_company_client(
            self.company_id
        )

    def _red_lines(self):
        """The detail lines of a partial form (部分冲红): each product line
        of the credit note with the number of the line it reverses on the
        blue e-fapiao, as the invoice's lines were sent (one a line, a
        discount line after a discounted one).  A credit note line is
        matched to the first line of the invoice not yet matched with the
        same product and tax rate; it may not reverse more quantity or
        amount than that line.  Refused naming the form and the line."""
        self.ensure_one()
        refund, origin = self.move_id, self.origin_move_id
        blue = origin._sales_closing_fapiao_values()
        blue_records = origin.invoice_line_ids.filtered(
            lambda line: line.display_type == "product"
        )
        blue_lines = list(
            zip(blue_detail_indexes(blue), blue_records, blue["lines"], strict=True)
        )
        red = refund._sales_closing_fapiao_values()
        red_records = refund.invoice_line_ids.filtered(
            lambda line: line.display_type == "product"
        )
        used, lines = set(), []
        for record, values in zip(red_records, red["lines"], strict=True):
            match = next(
                (
                    (index, blue_record)
                    for index, blue_record, blue_values in blue_lines
                    if index not in used
                    and blue_record.product_id == record.product_id
                    and blue_values["rate"] == values["rate"]
                ),
                None,
            )
            precision = record.product_uom_id.rounding or 0.001
            if match is None or (
                float_compare(
                    abs(record.quantity),
                    abs(match[1].quantity),
                    precision_rounding=precision,
                )
                > 0
                or self.currency_id.compare_amounts(
                    abs(record.price_subtotal), abs(match[1].price_subtotal)
                )
                > 0
            ):
                raise UserError(
                    self.env._(
                        "Red-letter form %(form)s: line %(line)s of credit note "
                        "%(refund)s reverses no line of invoice %(invoice)s "
                        "(e-fapiao %(number)s) with the same product and tax "
                        "rate, or more than that line's quantity or amount.",
                        form=self.display_name,
                        line=record.name or record.product_id.display_name,
                        refund=refund.name,
                        invoice=origin.name,
                        number=self.blue_number,
                    )
                )
            used.add(match[0])
            # a sales allowance (折让) lowers the price, not the quantity
            quantity = 0 if self.reason == "04" else abs(record.quantity)
            lines.append(
                {
                    "index": match[0],
                    "name": values["name"],
                    "tax_code": values["tax_code"],
                    "spec": values["spec"],
                    "uom": values["uom"],
                    "rate": values["rate"],
                    "quantity": quantity,
                    "amount": abs(record.price_subtotal),
                    "tax": abs(record.price_total - record.price_subtotal),
                }
            )
        return lines

    def _is_partial(self):
        """The form reverses less than the whole blue e-fapiao (部分冲红)."""
        self.ensure_one()
        origin = self.origin_move_id
        blue_total = origin.sales_closing_fapiao_amount_total or origin.amount_total
        return bool(
            self.currency_id.compare_amounts(
                -(self.amount_untaxed + self.amount_tax), blue_total
            )
        )

    def action_provider_submit(self):
        """Send the forms to the company's API provider, once: a form sent
        before is queried first and sent again only if the provider never
        received it; without an answer it stays *Sent to Provider* and is
        queried later (button or scheduled action)."""
        self._check_accountant()
        forms = self.filtered(lambda form: form.state in ("draft", "submitted"))
        forms._check_provider()
        unanswered = self.browse()
        for form in forms:
            client = form._client()
            if form.provider_form_id:
                known = form._provider_ask(client.query_red_form, form.provider_form_id)
                if known is None:
                    unanswered |= form
                    continue
                if known.get("bureau_state"):
                    form._provider_apply(known)
                    continue
            # a partial form's lines are checked before anything is recorded
            values = form._provider_values()
            if not form.provider_form_id:
                # recorded before the request: a retry queries this id
                form._set_bureau(
                    {
                        "provider_form_id": f"SCRF{form.id:012d}",
                        "provider_date": fields.Datetime.now(),
                    }
                )
            values["form_id"] = form.provider_form_id
            values["date"] = fields.Datetime.to_string(form.provider_date)
            try:
                client.request_red_form(values)
                known = client.query_red_form(form.provider_form_id)
            except ProviderTimeout:
                unanswered |= form
                continue
            except ProviderError as error:
                raise form._provider_error(error) from error
            form._provider_apply(known)
        return unanswered._provider_unanswered()

    def action_provider_query(self):
        """Ask the provider for the bureau's state of the forms sent."""
        self._check_accountant()
        forms = self.filtered(
            lambda form: form.provider_form_id and form.state in PROVIDER_OPEN_STATES
        )
        forms._check_provider()
        unanswered = self.browse()
        for form in forms:
            known = form._provider_ask(
                form._client().query_red_form,
                form.provider_form_id,
            )
            if known is None:
                unanswered |= form
                continue
            form._provider_apply(known)
        return unanswered._provider_unanswered()

    def _provider_act(self, action):
        """Confirm, reject or revoke the forms at the provider.  Each form
        is queried first (the bureau's state may have moved: the buyer
        revoked it, a click before timed out and arrived); the request is
        sent only when the state still allows it, and a request without an
        answer is resolved by querying, never sent again blindly."""
        allowed = {
            "confirm": ("03",),
            "reject": ("03",),
            "revoke": ("01", "02", "03", "04"),
        }[action]
        self._check_provider()
        unanswered = self.browse()
        for form in self:
            client = form._client()
            call = {
                "confirm": client.confirm_red_form,
                "reject": client.reject_red_form,
                "revoke": client.revoke_red_form,
            }[action]
            known = form._provider_ask(client.query_red_form, form.provider_form_id)
            if known is None:
                unanswered |= form
                continue
            form._provider_apply(known)
            if form.red_number or form.bureau_state not in allowed:
                continue
            try:
                known = call(form.provider_form_id)
            except ProviderTimeout:
                known = form._provider_ask(client.query_red_form, form.provider_form_id)
                if known is None:
                    unanswered |= form
                    continue
                if known.get("bureau_state") == form.bureau_state:
                    # not (yet) received: queried again before any new click
                    unanswered |= form
            except ProviderError as error:
                raise form._provider_error(error) from error
            form._provider_apply(known)
        return unanswered._provider_unanswered()

    def _provider_unanswered(self):
        """A warning naming the forms the provider did not answer for."""
        if not self:
            return True
        for form in self:
            form.message_post(
                body=self.env._(
                    "The provider did not answer; the form is queried again "
                    "later (never sent twice)."
                )
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning",
                "sticky": True,
                "title": self.env._("No answer from the provider"),
                "message": self.env._(
                    "%(forms)s: the provider did not answer. The forms are "
                    "queried again by the scheduled action or the Query button.",
                    forms=", ".join(self.mapped("display_name")),
                ),
            },
        }

    def _provider_apply(self, known):
        """Record the provider's answer: the bureau's state, the form number
        and, once issued, the red e-fapiao on the form and its credit note."""
        self.ensure_one()
        values = {}
        state = known.get("bureau_state")
        if state and state in dict(BUREAU_STATES) and state != self.bureau_state:
            values["bureau_state"] = state
        if known.get("form_number") and known["form_number"] != self.form_number:
            values["form_number"] = known["form_number"]
        red = known.get("red_number")
        if red and not self.red_number:
            values["red_number"] = red
            values["red_date"] = known.get("red_date") or fields.Date.context_today(
                self
            )
        if not values:
            return
        self._set_bureau(values)
        if red and not self.move_id.sales_closing_fapiao_number:
            # sudo: the credit note's e-fapiao fields are set by this
            # workflow only, after the caller's group check
            self.move_id.sudo().write(
                {
                    "sales_closing_fapiao_number": red,
                    "sales_closing_fapiao_date": values["red_date"],
                    "sales_closing_fapiao_state": "red",
                }
            )
        labels = dict(self._fields["bureau_state"]._description_selection(self.env))
        self.message_post(
            body=self.env._(
                "Provider: %(state)s, form %(number)s, red e-fapiao %(red)s.",
                state=labels.get(self.bureau_state, self.bureau_state or "-"),
                number=self.form_number or "-",
                red=self.red_number or "-",
            )
        )
