import logging
from decimal import Decimal

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_amount, html2plaintext

from ..engine import dunning as dunning_engine

_logger = logging.getLogger(__name__)

# reminders waiting to be sent; the others keep the amount they reminded
PENDING_STATES = ("draft", "error")
FROZEN_STATES = ("sent", "manual")


class SalesClosingDunningLine(models.Model):
    _name = "sales.closing.dunning.line"
    # group totals per currency (invoices in several currencies)
    _inherit = ["sales.closing.currency.totals.mixin"]
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
        string="Amount Due",
        compute="_compute_amounts",
        store=True,
        precompute=True,
        currency_field="currency_id",
        help="What the invoice still owes: until the reminder is sent, the "
        "invoice's open amount now; once sent, the amount it reminded.",
    )
    amount_company = fields.Monetary(
        string="Amount Due (Company Currency)",
        compute="_compute_amounts",
        store=True,
        precompute=True,
        currency_field="company_currency_id",
        help="The amount due in company currency: until the reminder is sent, "
        "the invoice's open amount now; once sent, the amount it reminded.",
    )
    drop_reason = fields.Selection(
        [
            (dunning_engine.DROP_CANCELLED, "Invoice no longer posted"),
            (dunning_engine.DROP_PAID, "Paid"),
            (dunning_engine.DROP_BLOCKED, "Payment blocked"),
            (dunning_engine.DROP_EXCLUDED, "Customer without reminders"),
            (dunning_engine.DROP_ON_HOLD, "Promise to pay"),
            (dunning_engine.DROP_NOT_DUE, "Level no longer reached"),
        ],
        string="Not to Send",
        compute="_compute_drop_reason",
        help="Why this reminder, waiting to be sent, will not be: it leaves the "
        "run when reminders are sent or planned.",
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

    @api.depends(
        "state", "invoice_id.amount_residual", "invoice_id.amount_residual_signed"
    )
    def _compute_amounts(self):
        for line in self:
            if line.state in FROZEN_STATES and isinstance(line.id, int):
                # sent (or set by hand): keeps the amount it reminded
                continue
            line.amount_residual = abs(line.invoice_id.amount_residual)
            line.amount_company = abs(line.invoice_id.amount_residual_signed)

    @api.depends(
        "state",
        "invoice_id.state",
        "invoice_id.payment_state",
        "invoice_id.amount_residual_signed",
        "invoice_id.invoice_date_due",
    )
    def _compute_drop_reason(self):
        reasons = self._drop_reasons()
        for line in self:
            line.drop_reason = reasons.get(line.id, False)

    def _drop_reasons(self, today=None):
        """``{line id: reason}`` of the reminders of ``self`` waiting to be
        sent that must not be sent at ``today`` (see the engine's
        :func:`~..engine.dunning.drop_reason`), read from the invoices now."""
        pending = self.filtered(
            lambda line: line.state in PENDING_STATES and isinstance(line.id, int)
        )
        if not pending:
            return {}
        today = today or fields.Date.context_today(self)
        on_hold = {
            company: self.env["sales.closing.payment.promise"]._partners_on_hold(
                pending.invoice_id.commercial_partner_id, company, today
            )
            for company in pending.company_id
        }
        sent = {}  # (invoice id, level id): day the level was sent
        for line in self.search(
            [
                ("invoice_id", "in", pending.invoice_id.ids),
                ("date_sent", "!=", False),
            ]
        ):
            sent[line.invoice_id.id, line.level_id.id] = (
                fields.Datetime.context_timestamp(self, line.date_sent).date()
            )
        reasons = {}
        for line in pending:
            invoice = line.invoice_id
            company = line.company_id
            customer = invoice.commercial_partner_id.with_company(company)
            level = line.level_id
            below = level.policy_id.level_ids.filtered(
                lambda other, level=level: other.sequence < level.sequence
            ).sorted("sequence")[-1:]
            reason = dunning_engine.drop_reason(
                {
                    "posted": invoice.state == "posted",
                    "residual": Decimal(str(abs(invoice.amount_residual_signed))),
                    "tolerance": Decimal(
                        str(company.sales_closing_dunning_tolerance or 0)
                    ),
                    "blocked": invoice.payment_state == "blocked",
                    "excluded": customer.sales_closing_dunning_exclude,
                    "on_hold": invoice.commercial_partner_id in on_hold[company],
                    "due_date": invoice.invoice_date_due,
                    "level": level._engine_dict(),
                    "previous_sent": sent.get((invoice.id, below.id)),
                },
                # a run planned ahead controls its levels at its own date
                max(today, line.run_id.date or today),
            )
            if reason:
                reasons[line.id] = reason
        return reasons

    def _drop_stale(self, today=None):
        """Remove from their runs the reminders of ``self`` waiting to be
        sent that must not be sent at ``today`` (invoice paid, blocked, no
        longer due...); each run logs which left and why. Returns how many
        left."""
        pending = self.filtered(lambda line: line.state in PENDING_STATES)
        if not pending:
            return 0
        invoices = pending.invoice_id
        # re-read what the invoices owe now, not what the cache holds
        invoices.flush_recordset()
        invoices.invalidate_recordset(
            [
                "state",
                "payment_state",
                "amount_residual",
                "amount_residual_signed",
                "invoice_date_due",
            ]
        )
        reasons = pending._drop_reasons(today)
        stale = pending.filtered(lambda line: line.id in reasons)
        if not stale:
            return 0
        labels = dict(self._fields["drop_reason"]._description_selection(self.env))
        runs = stale.run_id
        for run in runs:
            run_lines = stale.filtered(lambda line, run=run: line.run_id == run)
            items = Markup().join(
                Markup("<li>%s</li>")
                % self.env._(
                    "%(invoice)s (%(customer)s, %(level)s): %(reason)s",
                    invoice=line.invoice_id.display_name,
                    customer=line.partner_id.display_name,
                    level=line.level_id.name,
                    reason=labels[reasons[line.id]],
                )
                for line in run_lines
            )
            run.message_post(
                body=Markup("<p>%s</p><ul>%s</ul>")
                % (
                    self.env._("Reminders removed from the run, not to be sent:"),
                    items,
                ),
                subtype_xmlid="mail.mt_note",
            )
        for line in stale:
            _logger.info(
                "Reminder %s of %s removed from run %s: %s",
                line.level_id.name,
                line.invoice_id.name,
                line.run_id.name,
                reasons[line.id],
            )
        count = len(stale)
        # sudo: accountants may not delete reminders by hand, but one that
        # must not be sent leaves its run whoever sends or plans (logged above)
        stale.sudo().unlink()
        runs._update_state()
        return count

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
        lines = self.filtered(lambda line: line.state in PENDING_STATES)
        if not lines:
            raise UserError(self.env._("These reminders are already sent or skipped."))
        companies = lines.company_id
        sent = lines._send()
        for company in companies:
            self.env["sales.closing.collection.case"].with_company(company)._escalate(
                company
            )
        return self._nothing_sent_notification(lines, sent)

    def _nothing_sent_notification(self, lines, sent):
        """True, or a notification when some of ``lines`` left their run
        instead of being sent (their invoice paid, blocked...)."""
        dropped = len(lines) - len(sent)
        if not dropped:
            return True
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Payment Reminders"),
                "message": self.env._(
                    "%(dropped)s reminder(s) not sent and removed from their run "
                    "(invoice paid, blocked or no longer due: see the run's log); "
                    "%(sent)s sent.",
                    dropped=dropped,
                    sent=len(sent.filtered(lambda line: line.state == "sent")),
                ),
                "type": "warning",
                "sticky": False,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

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

        A reminder is built from what is due when it is sent: first the
        reminders of every pending run of the companies whose invoice is
        paid, blocked or no longer due leave their run (logged there); the
        others list the invoices' open amounts now.
        """
        pending = self.filtered(lambda line: line.state in PENDING_STATES)
        # what is due now: paid, blocked... invoices leave every pending run
        self._pending_of_companies(pending.company_id)._drop_stale()
        lines = pending.exists()
        groups = {}
        for line in lines:
            key = (line.run_id, line.partner_id)
            groups[key] = groups.get(key, self.browse()) | line
        for (_run, partner), group in groups.items():
            try:
                with self.env.cr.savepoint():
                    group._send_group(partner)
                    # flushed in the sender's name: the savepoint flushes in
                    # the name of the transaction's first environment
                    self.env.flush_all()
            except Exception as error:  # noqa: BLE001 - any failure of one customer
                _logger.warning("Reminder to %s failed: %s", partner.name, error)
                group.write({"state": "error", "error": str(error)})
        lines.run_id._update_state()
        return lines

    @api.model
    def _pending_of_companies(self, companies):
        """The reminders of ``companies`` waiting to be sent in a run."""
        return self.search(
            [
                ("company_id", "in", companies.ids),
                ("run_id", "!=", False),
                ("state", "in", PENDING_STATES),
            ]
        )

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
            # no_new_invoice: the reminder's PDF is no document to import
            # into the posted invoice (Odoo would try, then log as OdooBot
            # that the invoice is not a draft)
            line.invoice_id.with_context(no_new_invoice=True).message_post(
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
