import io
from decimal import Decimal

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import format_date, xlsxwriter

from ..engine.aging import DEFAULT_BUCKETS, aging, bucket_labels
from ..engine.statement import movement_kind, open_amount, statement
from ..tools import (
    check_workflow_write,
    safe_text,
    selection_label,
    selection_labels,
)

# aging bucket label (engine) -> field of the statement
AGING_FIELDS = dict(
    zip(
        bucket_labels(DEFAULT_BUCKETS),
        ("aging_current", "aging_1_30", "aging_31_60", "aging_61_90", "aging_90"),
        strict=True,
    )
)
# Written by the workflow only, in sudo: the figures by _generate, the
# sending by action_send/action_reset_draft (closing accountants), the answer
# by _portal_answer (the portal controller, after checking the access token).
# A forged confirmation would be false closing evidence.
WORKFLOW_FIELDS = frozenset(
    {
        "company_id",
        "partner_id",
        "period_id",
        "date_from",
        "date_to",
        "state",
        "opening_balance",
        "invoice_amount",
        "credit_note_amount",
        "payment_amount",
        "closing_balance",
        "line_ids",
        *AGING_FIELDS.values(),
        "sent_date",
        "answer_date",
        "answered_by",
        "dispute_comment",
    }
)


class SalesClosingStatement(models.Model):
    """A customer statement (客户对账) for a period, confirmed on the portal.

    Balances come from the posted receivable journal items of the
    commercial partner in company currency (receivable items always carry
    the commercial partner).  The customer answers through the portal with
    the statement's access token: ``confirmed`` or ``disputed`` with a
    comment.  Answers are accepted only while the statement is ``sent``; a
    repeated identical answer changes nothing, a different one (confirm
    after dispute, dispute after confirm) is refused with a message: the
    accountant fixes the figures and sends the statement again, which asks
    for a new answer.
    """

    _name = "sales.closing.statement"
    _description = "Customer Statement"
    _inherit = [
        "portal.mixin",
        "mail.thread",
        "mail.activity.mixin",
        # a group of statements in several currencies gets no total
        "sales.closing.currency.totals.mixin",
    ]
    _order = "date_to desc, partner_id, id"
    _check_company_auto = True
    _sales_closing_workflow_fields = WORKFLOW_FIELDS

    # in the reader's language and date format (not stored: a statement read
    # by a Chinese accountant is named in Chinese, whoever generated it)
    name = fields.Char(compute="_compute_name")
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
        readonly=True,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        readonly=True,
        domain="[('is_company', '=', True)]",
    )
    period_id = fields.Many2one(
        "sales.closing.period",
        readonly=True,
        index=True,
        check_company=True,
        ondelete="set null",
    )
    date_from = fields.Date(required=True, readonly=True)
    date_to = fields.Date(required=True, readonly=True)
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        index=True,
        help="The customer's salesperson; sales users see their customers' statements.",
    )
    state = fields.Selection(
        [
            ("draft", "To Send"),
            ("sent", "Sent"),
            ("confirmed", "Confirmed"),
            ("disputed", "Disputed"),
        ],
        default="draft",
        required=True,
        tracking=True,
        copy=False,
        readonly=True,
    )
    opening_balance = fields.Monetary(readonly=True)
    invoice_amount = fields.Monetary(string="Invoices", readonly=True)
    credit_note_amount = fields.Monetary(string="Credit Notes", readonly=True)
    payment_amount = fields.Monetary(string="Payments", readonly=True)
    closing_balance = fields.Monetary(readonly=True)
    line_ids = fields.One2many(
        "sales.closing.statement.line", "statement_id", string="Movements"
    )
    aging_current = fields.Monetary(string="Not Due", readonly=True)
    aging_1_30 = fields.Monetary(string="1-30 Days", readonly=True)
    aging_31_60 = fields.Monetary(string="31-60 Days", readonly=True)
    aging_61_90 = fields.Monetary(string="61-90 Days", readonly=True)
    aging_90 = fields.Monetary(string="Over 90 Days", readonly=True)
    sent_date = fields.Datetime(readonly=True, copy=False)
    answer_date = fields.Datetime(
        string="Answered On",
        readonly=True,
        copy=False,
        help="When the customer confirmed or disputed the statement.",
    )
    answered_by = fields.Char(
        readonly=True,
        copy=False,
        help="Portal user (or customer, through the link) and IP address that "
        "confirmed or disputed the statement.",
    )
    dispute_comment = fields.Text(readonly=True, copy=False)

    # ------------------------------------------------------------------
    # Controls: figures, sending and answers are written by the workflow
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_workflow_write(self, vals, WORKFLOW_FIELDS)
        return super().create(vals_list)

    def write(self, vals):
        check_workflow_write(self, vals, WORKFLOW_FIELDS)
        return super().write(vals)

    def unlink(self):
        if not self.env.su and any(stmt.state != "draft" for stmt in self):
            raise UserError(
                self.env._(
                    "A statement sent to the customer is kept as closing "
                    "evidence: only a draft can be deleted."
                )
            )
        return super().unlink()

    @api.depends("partner_id.name", "date_from", "date_to")
    @api.depends_context("lang")
    def _compute_name(self):
        for stmt in self:
            stmt.name = self.env._(
                "Statement %(partner)s %(date_from)s - %(date_to)s",
                partner=stmt.partner_id.name or "",
                date_from=format_date(self.env, stmt.date_from),
                date_to=format_date(self.env, stmt.date_to),
            )

    def _compute_access_url(self):  # pylint: disable=missing-return
        super()._compute_access_url()
        for stmt in self:
            stmt.access_url = f"/my/statements/{stmt.id}"

    def _get_report_base_filename(self):
        self.ensure_one()
        return f"statement-{self.partner_id.name}-{self.date_to}"

    def _aging_rows(self):
        """(label, amount) of the aging buckets, for the reports."""
        self.ensure_one()
        return [
            (self._fields[name].get_description(self.env)["string"], self[name])
            for name in AGING_FIELDS.values()
        ]

    # ------------------------------------------------------------------
    # Figures, in batch for many partners
    # ------------------------------------------------------------------
    @api.model
    def _receivable_domain(self, company):
        return [
            ("company_id", "=", company.id),
            ("parent_state", "=", "posted"),
            ("account_id.account_type", "=", "asset_receivable"),
            ("partner_id", "!=", False),
        ]

    @api.model
    def _statement_values(self, company, date_from, date_to, partners=None):
        """Figures of the statements of ``partners`` (commercial partners).

        Without ``partners``: every partner with an opening balance or a
        movement in the period.  Returns ``{partner_id: values}`` with the
        engine's figures (``Decimal``), its ``lines`` and ``aging`` row.

        Runs a constant number of queries whatever the number of partners:
        opening balances (one grouped query), movements (one query plus
        one to read their entries' types), open items at ``date_to`` (one
        query) and the reconciliations up to ``date_to`` (two grouped
        queries): nine queries in all with a cold cache (see
        ``test_batch_default_partners_and_constant_queries``).
        """
        currency = company.currency_id
        digits = currency.decimal_places

        def dec(value):
            return Decimal(str(round(value or 0.0, digits)))

        domain = self._receivable_domain(company)
        if partners is not None:
            domain.append(("partner_id", "in", partners.ids))
        Line = self.env["account.move.line"]
        # 1. opening balances
        openings = {
            partner.id: dec(total)
            for partner, total in Line._read_group(
                domain + [("date", "<", date_from)], ["partner_id"], ["balance:sum"]
            )
        }
        # 2. movements of the period
        movements = {}
        for row in Line.search_read(
            domain + [("date", ">=", date_from), ("date", "<=", date_to)],
            ["date", "move_id", "move_name", "ref", "date_maturity", "partner_id"]
            + ["debit", "credit", "move_type"],
            order="date, move_name, id",
        ):
            movements.setdefault(row["partner_id"][0], []).append(
                {
                    "date": row["date"],
                    "kind": movement_kind(row["move_type"]),
                    "debit": dec(row["debit"]),
                    "credit": dec(row["credit"]),
                    "name": row["move_name"],
                    "ref": row["ref"] or "",
                    "date_maturity": row["date_maturity"],
                    "move_id": row["move_id"][0],
                }
            )
        # 3. open items at date_to: unreconciled, or reconciled after it
        items = Line.search_read(
            domain
            + [
                ("date", "<=", date_to),
                "|",
                ("reconciled", "=", False),
                "|",
                ("matched_debit_ids.max_date", ">", date_to),
                ("matched_credit_ids.max_date", ">", date_to),
            ],
            ["partner_id", "date_maturity", "balance"],
        )
        item_ids = [item["id"] for item in items]
        Partial = self.env["account.partial.reconcile"]
        matched = {}
        for side in ("debit_move_id", "credit_move_id"):
            matched[side] = {
                line.id: dec(amount)
                for line, amount in Partial._read_group(
                    [(side, "in", item_ids), ("max_date", "<=", date_to)],
                    [side],
                    ["amount:sum"],
                )
            }
        aged = aging(
            (
                (
                    item["partner_id"][0],
                    item["date_maturity"],
                    open_amount(
                        dec(item["balance"]),
                        matched["debit_move_id"].get(item["id"], 0),
                        matched["credit_move_id"].get(item["id"], 0),
                    ),
                )
                for item in items
            ),
            date_to,
        )["partners"]
        partner_ids = (
            partners.ids
            if partners is not None
            else sorted(
                {pid for pid, total in openings.items() if total} | set(movements)
            )
        )
        result = {}
        for partner_id in partner_ids:
            values = statement(
                openings.get(partner_id, Decimal(0)), movements.get(partner_id, [])
            )
            values["aging"] = aged.get(partner_id, {})
            result[partner_id] = values
        return result

    @api.model
    def _prepare_vals(self, company, date_from, date_to, partner, values, period):
        vals = {
            "company_id": company.id,
            "partner_id": partner.id,
            "period_id": period.id,
            "date_from": date_from,
            "date_to": date_to,
            "user_id": partner.user_id.id,
            "opening_balance": float(values["opening"]),
            "invoice_amount": float(values["invoices"]),
            "credit_note_amount": float(values["credit_notes"]),
            "payment_amount": float(values["payments"]),
            "closing_balance": float(values["closing"]),
            "line_ids": [
                fields.Command.create(
                    {
                        "sequence": index,
                        "date": line["date"],
                        "name": line["name"],
                        "ref": line["ref"],
                        "date_maturity": line["date_maturity"],
                        "move_id": line["move_id"],
                        "kind": line["kind"],
                        "debit": float(line["debit"]),
                        "credit": float(line["credit"]),
                        "balance": float(line["balance"]),
                    }
                )
                for index, line in enumerate(values["lines"])
            ],
        }
        for label, name in AGING_FIELDS.items():
            vals[name] = float(values["aging"].get(label, 0))
        return vals

    @api.model
    def _generate(self, company, date_from, date_to, partners=None, period=None):
        """Create the statements of ``partners`` (default: all with a balance
        or movements) for the dates; drafts of the same dates are replaced,
        partners whose statement was already sent are skipped."""
        self._check_accountant()
        if date_from > date_to:
            raise UserError(self.env._("The statement must start before it ends."))
        if partners is not None:
            partners = partners.commercial_partner_id
        figures = self._statement_values(company, date_from, date_to, partners)
        existing = self.search(
            [
                ("company_id", "=", company.id),
                ("date_from", "=", date_from),
                ("date_to", "=", date_to),
                ("partner_id", "in", list(figures)),
            ]
        )
        # sudo: the figures and the replacement of drafts are this workflow's
        # own (write() refuses them otherwise), after the accountant check
        existing.filtered(lambda s: s.state == "draft").sudo().unlink()
        done = set(existing.exists().partner_id.ids)
        partner_records = self.env["res.partner"].browse(list(figures))
        period = period or self.env["sales.closing.period"]
        return (
            self.sudo()
            .create(
                [
                    self._prepare_vals(
                        company,
                        date_from,
                        date_to,
                        partner,
                        figures[partner.id],
                        period,
                    )
                    for partner in partner_records
                    if partner.id not in done
                ]
            )
            .sudo(False)
        )

    # ------------------------------------------------------------------
    # Actions of the accountant
    # ------------------------------------------------------------------
    def _check_accountant(self):
        if not self.env.user.has_group("sales_closing.group_closing_accountant"):
            raise AccessError(
                self.env._("Only closing accountants can send customer statements.")
            )

    def action_send(self):
        """Email each statement with its portal link and mark it sent.

        A statement sent again (after a dispute, once the figures are fixed)
        asks the customer for a new answer.
        """
        self._check_accountant()
        template = self.env.ref("sales_closing.mail_template_customer_statement")
        for stmt in self:
            if not stmt.partner_id.email:
                raise UserError(
                    self.env._(
                        "Customer %s has no email address.", stmt.partner_id.name
                    )
                )
        for stmt in self:
            stmt.message_post_with_source(
                template, subtype_xmlid="mail.mt_comment", message_type="comment"
            )
        # sudo: workflow-only fields, written after the accountant check
        self.sudo().write(
            {
                "state": "sent",
                "sent_date": fields.Datetime.now(),
                "answer_date": False,
                "answered_by": False,
                "dispute_comment": False,
            }
        )
        return True

    def action_reset_draft(self):
        self._check_accountant()
        # sudo: workflow-only field, written after the accountant check
        self.sudo().write({"state": "draft"})
        return True

    def action_preview(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "target": "self",
            "url": self.get_portal_url(),
        }

    def action_download_xlsx(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "target": "self",
            "url": f"/my/statements/{self.id}/xlsx",
        }

    # ------------------------------------------------------------------
    # Answers of the customer (portal)
    # ------------------------------------------------------------------
    def _closing_accountant(self):
        """The user who handles disputes: the responsible of the period's
        customer statements check, else that check's responsible for the
        company, else the first closing accountant of the company."""
        self.ensure_one()
        company = self.company_id
        kind = self.env.ref(
            "sales_closing.check_customer_statements", raise_if_not_found=False
        )
        if kind:
            line = self.period_id.check_line_ids.filtered(lambda c: c.kind_id == kind)
            setting = kind.company_setting_ids.filtered(
                lambda s: s.company_id == company
            )
            users = line.user_id | setting.user_id | kind.user_id
            users = users.filtered(lambda u: company in u.company_ids)
            if users:
                return users[0]
        group = self.env.ref("sales_closing.group_closing_accountant")
        return self.env["res.users"].search(
            [
                ("groups_id", "in", group.id),
                ("company_ids", "in", company.id),
                ("share", "=", False),
            ],
            order="id",
            limit=1,
        )

    def _portal_answer(self, answer, comment=None, answered_by=None, author=None):
        """Record the customer's answer; return an error message or False.

        Called by the portal controller on the record it checked with the
        access token; ``author`` (default: the customer) signs the message.
        """
        self.ensure_one()
        # the controller passes the record in sudo once the access token is
        # checked; anybody else is refused by write() below
        if self.state == answer:
            return False  # idempotent: the answer is already recorded
        if self.state != "sent":
            if self.state == "draft":
                return self.env._("This statement has not been sent yet.")
            return self.env._(
                "This statement was already %(state)s on %(date)s. Please "
                "contact us if your answer changed.",
                state=selection_label(self, "state", self.state),
                date=fields.Date.to_string(
                    fields.Datetime.to_datetime(self.answer_date)
                ),
            )
        comment = (comment or "").strip()
        if answer == "disputed" and not comment:
            return self.env._("Please explain what is wrong with the statement.")
        self.write(
            {
                "state": answer,
                "answer_date": fields.Datetime.now(),
                "answered_by": answered_by,
                "dispute_comment": comment if answer == "disputed" else False,
            }
        )
        author = author or self.partner_id
        if answer == "confirmed":
            body = self.env._("Statement confirmed by %s.", answered_by)
        else:
            body = Markup("%s<br/>%s") % (
                self.env._("Statement disputed by %s:", answered_by),
                comment,
            )
            accountant = self._closing_accountant()
            # in the language of the accountant who gets the activity
            reader = accountant or self.env.user
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=accountant.id or self.env.uid,
                summary=reader.with_context(lang=reader.lang).env._(
                    "Customer disputes the statement"
                ),
                note=comment,
            )
        self.message_post(
            author_id=author.id,
            body=body,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        return False

    # ------------------------------------------------------------------
    # XLSX
    # ------------------------------------------------------------------
    def _xlsx_content(self):
        """The statement as an XLSX workbook (bytes)."""
        self.ensure_one()
        output = io.BytesIO()
        book = xlsxwriter.Workbook(
            output, {"in_memory": True, "strings_to_formulas": False}
        )
        sheet = book.add_worksheet(self.env._("Statement"))
        bold = book.add_format({"bold": True})
        money = book.add_format({"num_format": "#,##0.00"})
        money_bold = book.add_format({"num_format": "#,##0.00", "bold": True})
        day = book.add_format({"num_format": "yyyy-mm-dd"})
        kinds = selection_labels(self.env["sales.closing.statement.line"], "kind")
        # every text cell goes through write_string and safe_text: a name
        # like "=HYPERLINK(...)" stays text, never a formula
        text = sheet.write_string
        text(0, 0, safe_text(self.env._("Customer Statement")), bold)
        text(1, 0, safe_text(self.company_id.name))
        text(2, 0, safe_text(self.env._("Customer")))
        text(2, 1, safe_text(self.partner_id.display_name))
        text(3, 0, safe_text(self.env._("Period")))
        text(3, 1, safe_text(f"{self.date_from} - {self.date_to}"))
        text(4, 0, safe_text(self.env._("Currency")))
        text(4, 1, safe_text(self.currency_id.name))
        row = 6
        headers = [
            self.env._("Date"),
            self.env._("Document"),
            self.env._("Reference"),
            self.env._("Type"),
            self.env._("Due Date"),
            self.env._("Debit"),
            self.env._("Credit"),
            self.env._("Balance"),
        ]
        for col, title in enumerate(headers):
            text(row, col, safe_text(title), bold)
        row += 1
        text(row, 1, safe_text(self.env._("Opening Balance")), bold)
        sheet.write_number(row, 7, self.opening_balance, money_bold)
        for line in self.line_ids:
            row += 1
            sheet.write_datetime(row, 0, fields.Datetime.to_datetime(line.date), day)
            text(row, 1, safe_text(line.name))
            text(row, 2, safe_text(line.ref))
            text(row, 3, safe_text(kinds[line.kind]))
            if line.date_maturity:
                sheet.write_datetime(
                    row, 4, fields.Datetime.to_datetime(line.date_maturity), day
                )
            sheet.write_number(row, 5, line.debit, money)
            sheet.write_number(row, 6, line.credit, money)
            sheet.write_number(row, 7, line.balance, money)
        row += 1
        text(row, 1, safe_text(self.env._("Closing Balance")), bold)
        sheet.write_number(row, 7, self.closing_balance, money_bold)
        row += 2
        text(row, 0, safe_text(self.env._("Aging at %s", self.date_to)), bold)
        for label, amount in self._aging_rows():
            row += 1
            text(row, 0, safe_text(label))
            sheet.write_number(row, 1, amount, money)
        sheet.set_column(0, 0, 14)
        sheet.set_column(1, 3, 18)
        sheet.set_column(4, 7, 14)
        book.close()
        return output.getvalue()
