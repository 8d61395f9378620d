import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_amount, html2plaintext

_logger = logging.getLogger(__name__)


class SalesClosingDunningLine(models.Model):
    _name = "sales.closing.dunning.line"
    _description = "Payment Reminder"
    _order = "run_id desc, partner_id, level_sequence desc, due_date, id"
    _rec_name = "invoice_id"

    run_id = fields.Many2one(
        "sales.closing.dunning.run",
        string="Run",
        ondelete="cascade",
        index=True,
        readonly=True,
        help="Empty for a level set by hand.",
    )
    company_id = fields.Many2one(
        "res.company",
        compute="_compute_company_id",
        store=True,
        index=True,
        readonly=True,
        precompute=True,
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, readonly=True
    )
    invoice_id = fields.Many2one(
        "account.move",
        string="Invoice",
        required=True,
        index=True,
        readonly=True,
        ondelete="cascade",
    )
    level_id = fields.Many2one(
        "sales.closing.dunning.level",
        string="Level",
        required=True,
        readonly=True,
        ondelete="restrict",
    )
    level_sequence = fields.Integer(
        related="level_id.sequence", store=True, readonly=True
    )
    state = fields.Selection(
        [
            ("draft", "To Send"),
            ("sent", "Sent"),
            ("skipped", "Skipped"),
            ("error", "Error"),
            ("manual", "Set by Hand"),
        ],
        default="draft",
        required=True,
        readonly=True,
        index=True,
    )
    due_date = fields.Date(related="invoice_id.invoice_date_due", string="Due Date")
    days_overdue = fields.Integer(
        readonly=True, help="Negative: days before the due date."
    )
    currency_id = fields.Many2one(related="invoice_id.currency_id")
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    amount_residual = fields.Monetary(
        related="invoice_id.amount_residual",
        string="Amount Due",
        currency_field="currency_id",
    )
    amount_company = fields.Monetary(
        string="Amount Due (Company Currency)",
        currency_field="company_currency_id",
        readonly=True,
        help="Amount due when the reminder was planned, in company currency.",
    )
    skipped_levels = fields.Char(
        readonly=True,
        help="Levels reached at the same time and jumped over: only the "
        "highest one is sent.",
    )
    date_sent = fields.Datetime(
        readonly=True, help="For a level set by hand: when it was set."
    )
    note = fields.Text(readonly=True, help="Why the level was set by hand.")
    mail_message_id = fields.Many2one("mail.message", readonly=True)
    error = fields.Text(readonly=True)
    group_line_ids = fields.Many2many(
        "sales.closing.dunning.line",
        compute="_compute_group_line_ids",
        string="Reminders of the Customer",
        help="The lines of the same run and customer (what one email lists).",
    )

    _sql_constraints = [
        (
            "invoice_level_uniq",
            "unique(invoice_id, level_id)",
            "An invoice is reminded once per level.",
        )
    ]

    @api.depends("run_id.company_id", "invoice_id.company_id")
    def _compute_company_id(self):
        for line in self:
            line.company_id = line.run_id.company_id or line.invoice_id.company_id

    @api.constrains("run_id", "state")
    def _check_run(self):
        for line in self:
            if not line.run_id and line.state != "manual":
                raise ValidationError(
                    self.env._(
                        "The reminder of %(invoice)s belongs to no run: only a "
                        "level set by hand can.",
                        invoice=line.invoice_id.display_name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        invoices = self.env["account.move"].browse(
            [vals["invoice_id"] for vals in vals_list]
        )
        residuals = {inv.id: abs(inv.amount_residual_signed) for inv in invoices}
        for vals in vals_list:
            vals.setdefault("amount_company", residuals[vals["invoice_id"]])
        return super().create(vals_list)

    @api.depends("run_id", "partner_id")
    @api.depends_context("sales_closing_dunning_line_ids")
    def _compute_group_line_ids(self):
        # while sending: exactly the lines sent together, else the run's
        sending = self.env.context.get("sales_closing_dunning_line_ids")
        candidates = self.browse(sending) if sending else self.run_id.line_ids
        groups = {}
        for line in candidates:
            if line.state not in ("skipped", "manual"):
                key = (line.run_id.id, line.partner_id.id)
                groups[key] = groups.get(key, self.browse()) | line
        for line in self:
            line.group_line_ids = groups.get(
                (line.run_id.id, line.partner_id.id), line
            ).sorted(lambda item: (item.due_date, item.id))

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------
    def action_send(self):
        lines = self.filtered(lambda line: line.state in ("draft", "error"))
        if not lines:
            raise UserError(self.env._("These reminders are already sent or skipped."))
        lines._send()
        for company in lines.company_id:
            self.env["sales.closing.collection.case"].with_company(company)._escalate(
                company
            )
        return True

    def action_skip(self):
        sent = self.filtered(lambda line: line.state == "sent")
        if sent:
            raise UserError(
                self.env._(
                    "The reminder of %(invoice)s is already sent.",
                    invoice=sent[0].invoice_id.name,
                )
            )
        self.write({"state": "skipped"})
        self.run_id._update_state()
        return True

    def action_reset(self):
        self.filtered(lambda line: line.state == "skipped").write({"state": "draft"})
        self.run_id._update_state()
        return True

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------
    def _send(self):
        """Send the reminders: one message per run and customer.

        The email (highest level of the customer's lines, its template and
        letter) is posted on the customer's chatter and a note on each
        invoice's; each invoice records its new level. A customer whose
        message fails gets its lines in error, the others go on.
        """
        lines = self.filtered(lambda line: line.state in ("draft", "error"))
        groups = {}
        for line in lines:
            key = (line.run_id, line.partner_id)
            groups[key] = groups.get(key, self.browse()) | line
        for (_run, partner), group in groups.items():
            try:
                with self.env.cr.savepoint():
                    group._send_group(partner)
            except Exception as error:  # noqa: BLE001 - any failure of one customer
                _logger.warning("Reminder to %s failed: %s", partner.name, error)
                group.write({"state": "error", "error": str(error)})
        lines.run_id._update_state()
        return True

    def _send_group(self, partner):
        """Send the reminder of ``self`` (lines of one run and customer)."""
        main = self.sorted(lambda line: (-line.level_sequence, line.id))[0]
        level = main.level_id
        attachments = []
        if any(self.level_id.mapped("send_letter")):
            report = self.env.ref("sales_closing_payments.action_report_dunning_letter")
            pdf, _format = self.env["ir.actions.report"]._render_qweb_pdf(
                report, self.ids
            )
            attachments.append(
                (
                    self.env._(
                        "Payment reminder %(partner)s.pdf", partner=partner.name
                    ),
                    pdf,
                )
            )
        # sudo: the reminder is logged on the customer's card, which
        # accountants may read but not edit; the author stays the sender
        poster = partner.sudo().with_context(mail_post_autofollow=False)
        author = self.env.user.partner_id.id
        message = self.env["mail.message"]
        if level.send_email or not attachments:
            if not partner.email:
                if not attachments:
                    raise UserError(
                        self.env._(
                            "%(partner)s has no email address and the level "
                            "%(level)s has no letter.",
                            partner=partner.display_name,
                            level=level.name,
                        )
                    )
            template = level.mail_template_id or self.env.ref(
                "sales_closing_payments.mail_template_dunning"
            )
            rendered = template.with_context(
                sales_closing_dunning_line_ids=self.ids
            )._generate_template(
                [main.id], ("subject", "body_html", "email_from", "reply_to")
            )[main.id]
            message = poster.message_post(
                author_id=author,
                subject=rendered.get("subject"),
                body=rendered.get("body_html"),
                email_from=rendered.get("email_from") or None,
                reply_to=rendered.get("reply_to") or None,
                partner_ids=partner.ids if partner.email else [],
                attachments=attachments,
                message_type="comment",
                subtype_xmlid="mail.mt_comment" if partner.email else "mail.mt_note",
            )
        else:
            message = poster.message_post(
                author_id=author,
                body=self.env._(
                    "Reminder letter %(level)s to print and post.", level=level.name
                ),
                attachments=attachments,
                subtype_xmlid="mail.mt_note",
            )
        if (
            level.send_sms
            and level._sms_installed()
            and (partner.mobile or partner.phone)
        ):
            poster._message_sms(
                body=self.env._(
                    "%(company)s: %(count)s invoice(s) totalling %(amount)s are "
                    "due. %(text)s",
                    company=main.company_id.name,
                    count=len(self),
                    amount=format_amount(
                        self.env,
                        sum(self.mapped("amount_company")),
                        main.company_currency_id,
                    ),
                    text=html2plaintext(level.message or ""),
                ),
                partner_ids=partner.ids,
            )
        now = fields.Datetime.now()
        for line in self:
            line.invoice_id.message_post(
                body=Markup("%s")
                % self.env._(
                    "Payment reminder %(level)s sent to %(partner)s.",
                    level=line.level_id.name,
                    partner=partner.display_name,
                ),
                attachment_ids=message.attachment_ids.ids,
                subtype_xmlid="mail.mt_note",
            )
        self.write(
            {
                "state": "sent",
                "date_sent": now,
                "mail_message_id": message.id,
                "error": False,
            }
        )
        for level_line in self:
            invoice = level_line.invoice_id
            if (
                not invoice.sales_closing_dunning_level_id
                or invoice.sales_closing_dunning_level_id.sequence
                < level_line.level_sequence
            ):
                invoice.write(
                    {
                        "sales_closing_dunning_level_id": level_line.level_id.id,
                        "sales_closing_dunning_date": now,
                    }
                )
