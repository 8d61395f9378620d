import logging
import threading

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, formatLang

from ..engine import invoice_layout, numerals
from ..engine.fapiao import FapiaoError, money
from ..engine.fapiao.checks import template_rows
from ..engine.fapiao.nuonuo import NuonuoClient
from ..engine.fapiao.provider import ProviderError, issue_once
from ..tools import check_workflow_write, selection_labels

_logger = logging.getLogger(__name__)

SALES_CLOSING_MOVE_TYPES = ("out_invoice", "out_refund", "out_receipt")
# first key of the advisory lock taken while downloading a company's
# red-letter forms (the second is the company's id)
FAPIAO_BUYER_FORMS_LOCK = 200020
FAPIAO_STATES = [
    ("to_export", "To Export"),
    ("exported", "Exported"),
    ("issued", "Issued"),
    ("failed", "Failed"),
    ("red", "Red-Lettered"),
]
# set by the e-fapiao workflows only (export, import, provider)
FAPIAO_FIELDS = (
    "sales_closing_fapiao_state",
    "sales_closing_fapiao_serial",
    "sales_closing_fapiao_number",
    "sales_closing_fapiao_date",
    "sales_closing_fapiao_amount_total",
    "sales_closing_fapiao_amount_tax",
    "sales_closing_fapiao_sent_date",
)


class AccountMove(models.Model):
    _inherit = "account.move"

    # the e-fapiao fields: set by the export, import and provider workflows
    _sales_closing_workflow_fields = frozenset(FAPIAO_FIELDS)

    sales_closing_auto = fields.Boolean(
        string="Created by Invoicing Automation", readonly=True, copy=False
    )
    sales_closing_user_reset = fields.Boolean(
        string="Reset to Draft by a User",
        readonly=True,
        copy=False,
        help="The invoicing automation never posts this invoice again.",
    )
    # China e-fapiao (数电票), issue #20
    sales_closing_fapiao_enabled = fields.Boolean(
        related="company_id.sales_closing_fapiao_enabled"
    )
    sales_closing_fapiao_provider = fields.Selection(
        related="company_id.sales_closing_fapiao_provider"
    )
    sales_closing_fapiao_state = fields.Selection(
        FAPIAO_STATES,
        string="E-Fapiao",
        readonly=True,
        copy=False,
        index=True,
        help="China e-fapiao of the invoice: to export (posted, not yet sent "
        "to the tax platform), exported (in a batch-issue file or sent to the "
        "provider), issued (its 20-digit number linked), failed, or "
        "red-lettered (a credit note's red e-fapiao issued).",
    )
    sales_closing_fapiao_serial = fields.Char(
        string="E-Fapiao Serial",
        readonly=True,
        copy=False,
        help="Our 发票流水号, given at the first export and kept across "
        "re-exports: the platform issues one e-fapiao per serial.",
    )
    sales_closing_fapiao_number = fields.Char(
        string="E-Fapiao Number",
        readonly=True,
        copy=False,
        index=True,
        help="The 20-digit 数电发票号码 the tax platform issued.",
    )
    sales_closing_fapiao_date = fields.Date(
        string="E-Fapiao Date", readonly=True, copy=False
    )
    sales_closing_fapiao_amount_total = fields.Monetary(
        string="E-Fapiao Total",
        readonly=True,
        copy=False,
        help="Total with tax of the issued e-fapiao (价税合计), as the platform "
        "or the provider gives it; negative for a red e-fapiao. Empty when "
        "not given.",
    )
    sales_closing_fapiao_amount_tax = fields.Monetary(
        string="E-Fapiao Tax",
        readonly=True,
        copy=False,
        help="Tax of the issued e-fapiao (税额); negative for a red e-fapiao.",
    )
    sales_closing_fapiao_sent_date = fields.Datetime(
        string="E-Fapiao Sent to Provider",
        readonly=True,
        copy=False,
        help="When the invoice was last sent to the API provider; until its "
        "e-fapiao is issued or refused, the scheduled action queries it.",
    )
    sales_closing_fapiao_red_state = fields.Selection(
        [
            ("draft", "To Enter"),
            ("submitted", "Sent to Provider"),
            ("pending", "Awaiting Confirmation"),
            ("confirmed", "Confirmed"),
            ("issued", "Red E-Fapiao Issued"),
            ("void", "Void"),
        ],
        string="Red-Letter Form",
        compute="_compute_sales_closing_fapiao_red_state",
        help="State of the credit note's red-letter form (红字确认单).",
    )
    sales_closing_fapiao_red_ids = fields.One2many(
        "sales.closing.fapiao.red",
        "move_id",
        string="Red-Letter Forms",
        groups="sales_closing.group_closing_user",
    )

    @api.depends("sales_closing_fapiao_red_ids.state")
    def _compute_sales_closing_fapiao_red_state(self):
        # sudo: the state of the form is shown on the credit note to anyone
        # who reads it; the form itself stays for closing users
        for move in self:
            move.sales_closing_fapiao_red_state = (
                move.sudo().sales_closing_fapiao_red_ids[:1].state or False
            )

    _sql_constraints = [
        (
            "sales_closing_fapiao_serial_uniq",
            "unique(sales_closing_fapiao_serial)",
            "An e-fapiao serial is used by one invoice only.",
        ),
        (
            "sales_closing_fapiao_number_uniq",
            "unique(company_id, sales_closing_fapiao_number)",
            "An e-fapiao number is linked to one invoice only.",
        ),
    ]

    def _sales_closing_documents(self):
        """The moves a closed period protects.

        Customer invoices, credit notes and receipts, the entries of
        customer payments and the entries of bank statement lines.
        """
        return self.filtered(
            lambda move: (
                move.move_type in SALES_CLOSING_MOVE_TYPES
                or move.statement_line_id
                or move.origin_payment_id.partner_type == "customer"
            )
        )

    def _sales_closing_check(self, redate=False):
        documents = self._sales_closing_documents()
        self.env["sales.closing.period"]._check_documents_open(
            [(move, move.company_id, move.date) for move in documents], redate=redate
        )

    def _post(self, soft=True):
        """Refuse posting into a closed period; log Odoo's re-dating out of it.

        Odoo's ``_post`` moves the date of an entry violating a lock date to
        the first open date (``_get_accounting_date``). This happens for
        invoices and for statement lines, which are posted when created.
        Intercepted here, around ``super()``, because only here is the
        re-dating distinguishable from a user's own edit of a draft date.
        """
        documents = self._sales_closing_documents()
        Period = self.env["sales.closing.period"]
        before = {move: move.date for move in documents}
        closed = Period._closed_period_for(documents.company_id, list(before.values()))
        in_closed = {}
        for move, old_date in before.items():
            period = closed._covering(move.company_id, old_date)
            if not period:
                continue
            if not move.company_id.sales_closing_allow_redate:
                raise period._closed_error(Period._document_label(move), old_date)
            in_closed[move] = period
        posted = super()._post(soft=soft)
        posted._sales_closing_fapiao_posted()
        # Refuse what is still in, or was re-dated into, a closed period:
        # Odoo re-dates only past its own lock dates (a bank journal is not
        # under the sales lock date, for instance).
        documents.filtered(
            lambda move: (
                move.state == "posted"
                and (move in in_closed or move.date != before[move])
            )
        )._sales_closing_check()
        redates = [
            (period, Period._document_label(move), before[move], move.date)
            for move, period in in_closed.items()
            if move.state == "posted" and move.date != before[move]
        ]
        if redates:
            Period._log_redates(redates)
        return posted

    @api.depends("sales_closing_fapiao_number")
    def _compute_show_reset_to_draft_button(self):
        """No *Reset to Draft* on an invoice with an issued e-fapiao: the
        server refuses it (``_sales_closing_fapiao_check_write``)."""
        res = super()._compute_show_reset_to_draft_button()
        for move in self.filtered("sales_closing_fapiao_number"):
            move.show_reset_to_draft_button = False
        return res

    def button_draft(self):
        self._sales_closing_check()
        # an automatic invoice a user reset is never posted again by the
        # automation (OCA sale-workflow #1492); sudo: a technical flag
        self.filtered("sales_closing_auto").sudo().write(
            {"sales_closing_user_reset": True}
        )
        return super().button_draft()

    def unlink(self):
        self._sales_closing_check()
        return super().unlink()

    def write(self, vals):
        """Refuse cancelling or re-dating a posted document of a closed period."""
        self._sales_closing_fapiao_check_write(vals)
        if "state" in vals or "date" in vals:
            new_date = fields.Date.to_date(vals.get("date"))
            posted = self.filtered(
                lambda move: (
                    move.state == "posted"
                    and (
                        vals.get("state", "posted") != "posted"
                        or ("date" in vals and new_date != move.date)
                    )
                )
            )._sales_closing_documents()
            if posted:
                items = [(move, move.company_id, move.date) for move in posted]
                if "date" in vals:
                    items += [(move, move.company_id, new_date) for move in posted]
                self.env["sales.closing.period"]._check_documents_open(items)
        return super().write(vals)

    # Invoice layouts (classic, modern, Chinese VAT style) -------------------
    def _sales_closing_invoice_layout(self):
        """The layout printing this invoice: the customer's, the journal's,
        then the company's."""
        self.ensure_one()
        return invoice_layout.choose_layout(
            self.commercial_partner_id.with_company(
                self.company_id
            ).sales_closing_invoice_layout,
            self.journal_id.sales_closing_invoice_layout,
            self.company_id.sales_closing_invoice_layout,
        )

    def _get_name_invoice_report(self):
        self.ensure_one()
        if self.is_sale_document(include_receipts=True):
            template = invoice_layout.TEMPLATES.get(
                self._sales_closing_invoice_layout()
            )
            if template:
                return template
        return super()._get_name_invoice_report()

    def _sales_closing_check_invoice_layout(self):
        """Refuse printing a layout that needs a tax ID the company or the
        customer lacks, naming the invoice and the partner."""
        layouts = selection_labels(
            self.env["res.company"], "sales_closing_invoice_layout"
        )
        for move in self.filtered(lambda m: m.is_sale_document(include_receipts=True)):
            layout = move._sales_closing_invoice_layout()
            company = move.company_id.partner_id
            customer = move.commercial_partner_id
            missing = invoice_layout.missing_tax_ids(
                layout, [(company.name, company.vat), (customer.name, customer.vat)]
            )
            if missing:
                raise UserError(
                    self.env._(
                        "The invoice %(invoice)s prints with the layout %(layout)s, "
                        "which needs the tax ID of the seller and of the buyer. "
                        "Set the tax ID of %(partners)s.",
                        invoice=move.name or move.display_name,
                        layout=layouts.get(layout, layout),
                        partners=", ".join(missing),
                    )
                )

    def _sales_closing_installments(self):
        """The due dates of the invoice: one dict per payment term line
        (number, date, amount and residual in the invoice currency)."""
        self.ensure_one()
        lines = self.line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        ).sorted(lambda line: (line.date_maturity or line.date, line.id))
        return [
            {
                "number": number,
                "date": line.date_maturity or line.date,
                "amount": abs(line.amount_currency),
                "residual": abs(line.amount_residual_currency),
            }
            for number, line in enumerate(lines, start=1)
        ]

    def _sales_closing_payment_qr(self):
        """The payment QR code of a posted invoice with an amount due.

        Returns ``{"kind", "payload", "image", "url"}`` (``kind`` is ``epc``
        for a SEPA transfer to an IBAN in EUR, ``url`` for the portal payment
        page) or ``{}`` when nothing is to be paid.
        """
        self.ensure_one()
        if (
            self.state != "posted"
            or not self.is_inbound(include_receipts=True)
            or self.currency_id.is_zero(self.amount_residual)
        ):
            return {}
        url = invoice_layout.absolute_url(
            self.get_base_url(),
            self.get_portal_url(
                anchor=invoice_layout.PORTAL_PAY_ANCHOR,
                query_string=invoice_layout.PORTAL_PAY_QUERY,
            ),
        )
        bank = self.partner_bank_id
        kind, payload = invoice_layout.payment_qr_payload(
            url,
            self.currency_id.name,
            invoice_layout.money(self.amount_residual),
            name=bank.acc_holder_name or bank.partner_id.name or self.company_id.name,
            iban=bank.acc_number or "",
            bic=bank.bank_bic or "",
            reference=self.payment_reference or self.name,
        )
        return {
            "kind": kind,
            "payload": payload,
            "image": invoice_layout.qr_png_data_uri(payload),
            "url": url,
        }

    def _sales_closing_invoice_values(self):
        """What the invoice layouts print besides the invoice's own fields."""
        self.ensure_one()
        company = self.company_id
        customer = self.commercial_partner_id
        sign = -1 if self.move_type == "out_refund" else 1
        return {
            "layout": self._sales_closing_invoice_layout(),
            "installments": self._sales_closing_installments(),
            "qr": self._sales_closing_payment_qr(),
            "vat_label": company.account_fiscal_country_id.vat_label
            or self.env._("Tax ID"),
            "company_address": self._sales_closing_address(company.partner_id),
            "customer_address": self._sales_closing_address(self.partner_id),
            "company_contact": [
                value
                for value in (company.phone, company.email, company.website)
                if value
            ],
            "customer_bank": customer.bank_ids[:1],
            "amount_capital": numerals.amount_to_chinese_capital(
                invoice_layout.money(sign * self.amount_total)
            ),
        }

    @api.model
    def _sales_closing_address(self, partner):
        """The address lines of ``partner``, without its name."""
        return [
            line.strip()
            for line in partner._display_address(without_company=True).splitlines()
            if line.strip()
        ]

    @api.model
    def _sales_closing_cn_date(self, day):
        """``day`` written the Chinese way: 2026年01月31日."""
        return f"{day.year}年{day.month:02d}月{day.day:02d}日" if day else ""

    # China e-fapiao (数电票), issue #20 -------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_workflow_write(self, vals, self._sales_closing_workflow_fields)
        return super().create(vals_list)

    def _sales_closing_fapiao_check_write(self, vals):
        """E-fapiao fields are set by their workflows only; an invoice with
        an issued e-fapiao is never reset to draft or cancelled."""
        check_workflow_write(self, vals, self._sales_closing_workflow_fields)
        if vals.get("state", "posted") != "posted":
            issued = self.filtered("sales_closing_fapiao_number")
            if issued:
                raise UserError(
                    self.env._(
                        "%(invoice)s has the issued e-fapiao %(number)s: it "
                        "cannot be reset to draft or cancelled. Reverse it with "
                        "a credit note (a red-letter form).",
                        invoice=issued[0].name,
                        number=issued[0].sales_closing_fapiao_number,
                    )
                )

    def _sales_closing_fapiao_posted(self):
        """Posted customer invoices of a company issuing e-fapiao are to
        export; a credit note of an invoice with an e-fapiao gets its
        red-letter form (红字确认单)."""
        moves = self.filtered(
            lambda move: (
                move.company_id.sales_closing_fapiao_enabled
                and move.move_type in ("out_invoice", "out_refund")
            )
        )
        if not moves:
            return
        # sudo: the e-fapiao state is set by this workflow only
        moves.filtered(lambda move: not move.sales_closing_fapiao_state).sudo().write(
            {"sales_closing_fapiao_state": "to_export"}
        )
        moves.filtered(
            lambda move: (
                move.move_type == "out_refund"
                and move.reversed_entry_id.sales_closing_fapiao_number
                and not move.sudo().sales_closing_fapiao_red_ids
            )
        )._sales_closing_fapiao_red_attach()
        refunds = moves.filtered(
            lambda move: (
                move.move_type == "out_refund"
                and move.reversed_entry_id.sales_closing_fapiao_number
                and not move.sudo().sales_closing_fapiao_red_ids
            )
        )
        # a credit note reset to draft, changed and posted again: its form
        # follows while it is not yet entered or sent
        reposted = moves.filtered(
            lambda move: (
                move.move_type == "out_refund"
                and move.sudo().sales_closing_fapiao_red_ids.filtered(
                    lambda form: (
                        (form.amount_untaxed, form.amount_tax)
                        != (-move.amount_untaxed, -move.amount_tax)
                    )
                )
            )
        )
        for refund in reposted:
            form = refund.sudo().sales_closing_fapiao_red_ids[:1]
            if form.state != "draft":
                raise UserError(
                    self.env._(
                        "Credit note %(refund)s changed, but its red-letter "
                        "form %(form)s is already entered or sent: revoke it "
                        "on the platform and reverse the rest with another "
                        "credit note.",
                        refund=refund.name,
                        form=form.display_name,
                    )
                )
        if reposted:
            reposted._sales_closing_fapiao_red_check()
            for refund in reposted:
                values = refund._sales_closing_fapiao_red_values()
                refund.sudo().sales_closing_fapiao_red_ids[:1]._set_bureau(
                    {
                        "amount_untaxed": values["amount_untaxed"],
                        "amount_tax": values["amount_tax"],
                    }
                )
        if refunds:
            refunds._sales_closing_fapiao_red_check()
            # sudo: the form is created by the posting workflow; its bureau
            # fields are set by the provider or the import only
            self.env["sales.closing.fapiao.red"].sudo().create(
                [refund._sales_closing_fapiao_red_values() for refund in refunds]
            )

    def _sales_closing_fapiao_red_attach(self):
        """A credit note posted for a form the buyer entered (downloaded
        from the provider, not void) takes that form instead of a new one:
        the form of the same invoice without a credit note whose amounts
        are the credit note's.  A red e-fapiao the form already has is
        linked to the credit note."""
        # sudo: the forms are matched and linked by the posting workflow
        Red = self.env["sales.closing.fapiao.red"].sudo()
        for refund in self:
            form = Red.search(
                [
                    ("origin_move_id", "=", refund.reversed_entry_id.id),
                    ("move_id", "=", False),
                    ("entered_by", "=", "buyer"),
                    ("state", "!=", "void"),
                ],
                order="id",
            ).filtered(
                lambda form, refund=refund: (
                    not refund.currency_id.compare_amounts(
                        form.amount_untaxed, -refund.amount_untaxed
                    )
                    and not refund.currency_id.compare_amounts(
                        form.amount_tax, -refund.amount_tax
                    )
                )
            )[:1]
            if not form:
                continue
            form._set_bureau({"move_id": refund.id})
            if form.red_number and not refund.sales_closing_fapiao_number:
                refund.sudo().write(
                    {
                        "sales_closing_fapiao_number": form.red_number,
                        "sales_closing_fapiao_date": form.red_date,
                        "sales_closing_fapiao_state": "red",
                    }
                )
            refund.invalidate_recordset(["sales_closing_fapiao_red_ids"])

    def _sales_closing_fapiao_red_check(self):
        """A credit note may reverse part of an invoice (部分冲红): its
        red-letter form carries the credit note's amounts.  Refused when the
        red total exceeds what is still un-reversed of the original
        e-fapiao: its total less the red-letter forms before (void forms
        excepted), credit notes posted together included."""
        # sudo: earlier forms are read to check the amount, whoever posts
        Red = self.env["sales.closing.fapiao.red"].sudo()
        reversed_by = {}
        for refund in self:
            origin = refund.reversed_entry_id
            currency = refund.currency_id
            if origin not in reversed_by:
                earlier = Red.search(
                    [
                        ("origin_move_id", "=", origin.id),
                        ("state", "!=", "void"),
                        ("move_id", "not in", self.ids),
                    ]
                )
                reversed_by[origin] = -sum(
                    form.amount_untaxed + form.amount_tax for form in earlier
                )
            blue_total = origin.sales_closing_fapiao_amount_total or origin.amount_total
            left = blue_total - reversed_by[origin]
            if currency.compare_amounts(refund.amount_total, left) > 0:
                raise UserError(
                    self.env._(
                        "Credit note %(refund)s reverses %(amount)s of invoice "
                        "%(invoice)s (e-fapiao %(number)s, total %(total)s), "
                        "but only %(left)s of it is not yet reversed "
                        "(%(reversed)s by earlier red-letter forms).",
                        refund=refund.name,
                        amount=formatLang(
                            self.env, refund.amount_total, currency_obj=currency
                        ),
                        invoice=origin.name,
                        number=origin.sales_closing_fapiao_number,
                        total=formatLang(self.env, blue_total, currency_obj=currency),
                        left=formatLang(self.env, left, currency_obj=currency),
                        reversed=formatLang(
                            self.env, reversed_by[origin], currency_obj=currency
                        ),
                    )
                )
            reversed_by[origin] += refund.amount_total

    def _sales_closing_fapiao_red_values(self):
        self.ensure_one()
        return {
            "company_id": self.company_id.id,
            "move_id": self.id,
            "origin_move_id": self.reversed_entry_id.id,
            "blue_number": self.reversed_entry_id.sales_closing_fapiao_number,
            "reason": "01",
            "amount_untaxed": -self.amount_untaxed,
            "amount_tax": -self.amount_tax,
        }

    def _sales_closing_fapiao_serial_new(self):
        """Our 发票流水号: 20 characters at most, unique, never changed."""
        self.ensure_one()
        return self.sales_closing_fapiao_serial or f"SCFP{self.id:012d}"

    def _sales_closing_fapiao_values(self):
        """The invoice as the e-fapiao engine reads it (engine.fapiao.checks)."""
        self.ensure_one()
        company = self.company_id
        partner = self.commercial_partner_id
        serial = self._sales_closing_fapiao_serial_new()
        bank = partner.bank_ids[:1]
        lines = []
        for line in self.invoice_line_ids.filtered(
            lambda line: line.display_type == "product"
        ):
            taxes = line.tax_ids.flatten_taxes_hierarchy()
            percent = taxes.filtered(lambda tax: tax.amount_type == "percent")
            rate = percent.amount / 100 if len(taxes) == 1 and percent else None
            included = any(taxes.mapped("price_include"))
            price = line.price_unit
            if rate is not None and included != self._sales_closing_fapiao_included():
                price = price / (1 + rate) if included else price * (1 + rate)
            lines.append(
                {
                    "name": (line.product_id.name or line.name or "").split("\n")[0],
                    "product": line.product_id.display_name or line.name or "",
                    "tax_code": line.product_id.sales_closing_fapiao_tax_code or "",
                    "spec": "",
                    "uom": line.product_uom_id.name or "",
                    "quantity": line.quantity,
                    "price_unit": price,
                    "net": line.price_total
                    if self._sales_closing_fapiao_included()
                    else line.price_subtotal,
                    "rate": rate,
                }
            )
        return {
            "ref": self.name,
            "serial": serial,
            "type": partner.sales_closing_fapiao_type
            or company.sales_closing_fapiao_type,
            "tax_included": self._sales_closing_fapiao_included(),
            "currency": self.currency_id.name,
            "issued_number": self.sales_closing_fapiao_number or "",
            "refund": self.move_type != "out_invoice",
            "buyer": {
                "name": partner.name or "",
                "vat": partner.vat or "",
                "address": " ".join(self._sales_closing_address(partner)),
                "phone": partner.phone or partner.mobile or "",
                "bank": bank.bank_id.name or "",
                "account": bank.acc_number or "",
                "email": partner.email or "",
            },
            "remark": " ".join(part for part in (self.name, self.ref, serial) if part),
            "lines": lines,
        }

    def _sales_closing_fapiao_included(self):
        """Prices with tax (是否含税) when the lines' taxes include the price."""
        self.ensure_one()
        taxes = self.invoice_line_ids.tax_ids.flatten_taxes_hierarchy()
        return bool(taxes) and all(taxes.mapped("price_include"))

    def _sales_closing_fapiao_candidate(self):
        """The invoice as the matching engine reads it (signed amounts)."""
        self.ensure_one()
        sign = -1 if self.move_type == "out_refund" else 1
        return {
            "id": self.id,
            "ref": self.name,
            "serial": self.sales_closing_fapiao_serial or "",
            "buyer_vat": self.commercial_partner_id.vat or "",
            "date": self.invoice_date,
            "number": self.sales_closing_fapiao_number or "",
            "total": money(sign * self.amount_total),
            "tax": money(sign * self.amount_tax),
            "refund": self.move_type == "out_refund",
            "blue_number": self.reversed_entry_id.sales_closing_fapiao_number or "",
        }

    def _sales_closing_fapiao_client(self):
        """The company's API provider client (Nuonuo)."""
        return self._sales_closing_fapiao_company_client(self.company_id)

    @api.model
    def _sales_closing_fapiao_company_client(self, company):
        """The API provider client (Nuonuo) of ``company``."""
        # sudo: the credentials are readable by administrators only; the
        # client is built for the issuing workflow after its group check
        company = company.sudo()
        return NuonuoClient(
            company.sales_closing_fapiao_nuonuo_app_key or "",
            company.sales_closing_fapiao_nuonuo_app_secret or "",
            company.sales_closing_fapiao_nuonuo_token or "",
            user_tax=company.vat or "",
            url=company.sales_closing_fapiao_nuonuo_url,
            seller={"vat": company.vat or "", "phone": company.phone or ""},
            timeout=float(
                self.env["ir.config_parameter"]
                .sudo()
                .get_param("sales_closing.fapiao_provider_timeout", "30")
            ),
        )

    def action_sales_closing_fapiao_issue(self):
        """Issue through the company's API provider; an invoice sent before
        without an answer is queried first (never issued twice)."""
        from ..fapiao_messages import fapiao_error_text

        if not self.env.user.has_group("sales_closing.group_closing_accountant"):
            raise UserError(
                self.env._("Only closing accountants export and import e-fapiao.")
            )
        for move in self:
            if (
                move.company_id.sales_closing_fapiao_provider != "nuonuo"
                or move.state != "posted"
                or move.sales_closing_fapiao_number
            ):
                continue
            values = move._sales_closing_fapiao_values()
            try:
                template_rows([values])
            except FapiaoError as error:
                raise UserError(fapiao_error_text(self.env, error)) from error
            sent_before = move.sales_closing_fapiao_state == "exported"
            # sudo: serial and state are set by this workflow only; the
            # serial is recorded before the call so a retry queries it
            move.sudo().write(
                {
                    "sales_closing_fapiao_serial": values["serial"],
                    "sales_closing_fapiao_state": "exported",
                    "sales_closing_fapiao_sent_date": fields.Datetime.now(),
                }
            )
            try:
                result = issue_once(
                    move._sales_closing_fapiao_client(), values, sent_before
                )
            except ProviderError as error:
                raise UserError(
                    self.env._(
                        "%(invoice)s: the provider refused the request: %(error)s",
                        invoice=move.name,
                        error=str(error),
                    )
                ) from error
            move._sales_closing_fapiao_apply(result)

    def _sales_closing_fapiao_apply(self, result):
        """Record a provider's answer (see engine.fapiao.provider)."""
        self.ensure_one()
        if result["state"] == "issued":
            values = {
                "sales_closing_fapiao_state": "issued",
                "sales_closing_fapiao_number": result["number"],
                "sales_closing_fapiao_date": result.get("date"),
            }
            if result.get("total") is not None:
                values["sales_closing_fapiao_amount_total"] = float(result["total"])
            if result.get("tax") is not None:
                values["sales_closing_fapiao_amount_tax"] = float(result["tax"])
        elif result["state"] == "failed":
            values = {"sales_closing_fapiao_state": "failed"}
            self.message_post(
                body=self.env._(
                    "E-fapiao not issued: %(error)s", error=result.get("error")
                )
            )
        else:  # pending, sent: query again later
            values = {"sales_closing_fapiao_state": "exported"}
        # sudo: e-fapiao fields are set by this workflow only
        self.sudo().write(values)

    # Red-letter forms from the credit note -----------------------------
    def _sales_closing_fapiao_red_forms(self):
        # sudo: the forms of the credit notes shown; their buttons check the
        # accountant group before anything is sent
        return self.sudo().sales_closing_fapiao_red_ids.sudo(False)

    def action_sales_closing_fapiao_red_submit(self):
        """Send the credit note's red-letter form to the API provider."""
        return self._sales_closing_fapiao_red_forms().action_provider_submit()

    def action_sales_closing_fapiao_red_query(self):
        """Ask the API provider for the state of the credit note's form."""
        return self._sales_closing_fapiao_red_forms().action_provider_query()

    # Scheduled query of the provider ------------------------------------
    @api.model
    def _sales_closing_fapiao_lock(self, table, where, limit):
        """Ids of the rows of ``table`` matching ``where`` that no other
        transaction holds, locked until this one ends (``SKIP LOCKED``: two
        runs at the same time take different rows and never wait)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT t.id FROM %s t JOIN res_company c ON c.id = t.company_id "
                "WHERE c.sales_closing_fapiao_enabled "
                "AND c.sales_closing_fapiao_provider = 'nuonuo' AND %s "
                "ORDER BY t.id LIMIT %s FOR UPDATE OF t SKIP LOCKED",
                SQL.identifier(table),
                where,
                limit,
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _cron_sales_closing_fapiao_query(self, limit=200, commit=None):
        """Query the API provider for the invoices sent and not yet issued
        or refused, and for the red-letter forms sent and not yet final.
        Nothing is ever sent: queries only, so running twice, or two runs at
        once, change nothing twice (rows locked with ``SKIP LOCKED``).
        Returns ``(invoices, forms)`` queried."""
        if commit is None:  # commit what was learnt, except inside tests
            commit = not getattr(threading.current_thread(), "testing", False)
        ids = self._sales_closing_fapiao_lock(
            "account_move",
            SQL(
                "t.state = 'posted' AND t.sales_closing_fapiao_state = 'exported' "
                "AND t.sales_closing_fapiao_sent_date IS NOT NULL "
                "AND t.sales_closing_fapiao_serial IS NOT NULL "
                "AND t.sales_closing_fapiao_number IS NULL"
            ),
            limit,
        )
        moves = self.browse(ids)
        moves.invalidate_recordset()
        for move in moves:
            try:
                result = move._sales_closing_fapiao_client().query(
                    move.sales_closing_fapiao_serial
                )
            except ProviderError as error:  # timeouts included: next run
                _logger.info("E-fapiao query of %s not answered: %s", move.name, error)
                continue
            if result["state"] in ("issued", "failed", "pending"):
                move._sales_closing_fapiao_apply(result)
        form_ids = self.env[
            "sales.closing.fapiao.red"
        ]._sales_closing_fapiao_lock_forms(limit)
        forms = self.env["sales.closing.fapiao.red"].browse(form_ids)
        forms.invalidate_recordset()
        for form in forms:
            try:
                known = form._client().query_red_form(form.provider_form_id)
            except ProviderError as error:
                _logger.info(
                    "Red-letter form query of %s not answered: %s",
                    form.display_name,
                    error,
                )
                continue
            form._provider_apply(known)
        self._sales_closing_fapiao_download_red_forms()
        if commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        return moves, forms

    @api.model
    def _sales_closing_fapiao_download_red_forms(self):
        """Download the forms buyers entered for each company issuing
        through its API provider (see ``sales.closing.fapiao.red``); one
        company at a time per transaction (an advisory lock: a second run at
        the same time skips it, nothing is recorded twice).  Returns the
        forms created."""
        Red = self.env["sales.closing.fapiao.red"]
        created = Red.browse()
        companies = (
            self.env["res.company"]
            .sudo()
            .search(
                [
                    ("sales_closing_fapiao_enabled", "=", True),
                    ("sales_closing_fapiao_provider", "=", "nuonuo"),
                ]
            )
        )
        for company in companies:
            self.env.cr.execute(
                SQL(
                    "SELECT pg_try_advisory_xact_lock(%s, %s)",
                    FAPIAO_BUYER_FORMS_LOCK,
                    company.id,
                )
            )
            if not self.env.cr.fetchone()[0]:
                continue
            try:
                created |= Red._sales_closing_fapiao_download(company)
            except ProviderError as error:  # timeouts included: next run
                _logger.info(
                    "Red-letter forms of %s not downloaded: %s", company.name, error
                )
        return created
