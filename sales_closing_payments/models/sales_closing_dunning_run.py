from datetime import timedelta
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_date

from ..engine import dunning as dunning_engine
from .sales_closing_dunning_line import PENDING_STATES

# advisory lock namespace of the reminder runs (any constant int4)
DUNNING_LOCK = 61_04_2026


class SalesClosingDunningRun(models.Model):
    _name = "sales.closing.dunning.run"
    _description = "Payment Reminder Run"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"

    # in the reader's language and date format (not stored: a run read by a
    # Chinese accountant is named in Chinese, whoever prepared it)
    name = fields.Char(compute="_compute_name")
    date = fields.Date(
        required=True,
        default=fields.Date.context_today,
        readonly=True,
        index=True,
        help="Controlling date: the levels reached at this date are planned.",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    state = fields.Selection(
        [("draft", "To Review"), ("done", "Done")],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
    )
    line_ids = fields.One2many(
        "sales.closing.dunning.line", "run_id", string="Reminders", readonly=True
    )
    line_count = fields.Integer(compute="_compute_totals")
    partner_count = fields.Integer(string="Customers", compute="_compute_totals")
    to_send_count = fields.Integer(string="To Send", compute="_compute_totals")
    amount_total = fields.Monetary(
        string="Amount Reminded",
        compute="_compute_totals",
        currency_field="currency_id",
    )

    _sql_constraints = [
        (
            "date_company_uniq",
            "unique(company_id, date)",
            "A company has one reminder run per day.",
        )
    ]

    @api.depends("date")
    @api.depends_context("lang")
    def _compute_name(self):
        for run in self:
            run.name = self.env._(
                "Reminders of %(date)s", date=format_date(self.env, run.date)
            )

    @api.depends("line_ids.state", "line_ids.amount_company", "line_ids.drop_reason")
    def _compute_totals(self):
        """From the run's lines: the reminders sent (at the amount they
        reminded) and those to send (at what the invoice owes now), not the
        ones skipped or no longer to send."""
        for run in self:
            lines = run.line_ids
            run.line_count = len(lines)
            to_send = lines.filtered(
                lambda line: line.state in PENDING_STATES and not line.drop_reason
            )
            counted = to_send | lines.filtered(lambda line: line.state == "sent")
            run.partner_count = len(counted.partner_id)
            run.to_send_count = len(to_send)
            run.amount_total = run.currency_id.round(
                sum(counted.mapped("amount_company"))
            )

    # ------------------------------------------------------------------
    # Planning
    # ------------------------------------------------------------------
    @api.model
    def _cron_dunning(self, today=None):
        """Daily: plan (and send when the company says so) the reminders.

        Safe run twice or concurrently: a company's planning holds a
        transaction advisory lock and a level is unique per invoice.
        """
        companies = (
            self.env["sales.closing.dunning.level"]
            .sudo()  # sudo: the cron plans for every company with levels
            .search([])
            .company_id
        )
        runs = self.browse()
        for company in companies:
            run = (
                self.with_company(company)
                .with_context(allowed_company_ids=company.ids)
                ._plan(company, today)
            )
            if run and company.sales_closing_dunning_auto_send:
                run.line_ids._send()
            runs |= run
            self.env["sales.closing.collection.case"].with_company(company)._escalate(
                company
            )
        self.env["sales.closing.payment.promise"]._cron_update_states()
        self.env["sales.closing.collection.case"]._cron_close_paid()
        return runs

    @api.model
    def _plan(self, company, today=None):
        """Add the reminders due at ``today`` to ``company``'s run of the day.

        Returns the run (empty when nothing is due or another transaction is
        planning the same company).
        """
        today = today or fields.Date.context_today(self)
        self.env.cr.execute(
            "SELECT pg_try_advisory_xact_lock(%s, %s)", (DUNNING_LOCK, company.id)
        )
        if not self.env.cr.fetchone()[0]:
            return self.browse()
        # the reminders prepared earlier whose invoice was paid since (or
        # blocked, no longer due...) leave their runs first
        self.env["sales.closing.dunning.line"]._pending_of_companies(
            company
        )._drop_stale(today)
        levels = self.env["sales.closing.dunning.level"].search(
            [("company_id", "=", company.id), ("policy_id.active", "=", True)]
        )
        if not levels:
            return self.browse()
        # the first level of a policy counts from the due date: the levels
        # counted from it bound the due dates; an invoice already at a level
        # may reach the next one counted from the day that one was sent
        first_days = min(
            (
                level.days
                for level in levels
                if level.computation_mode != dunning_engine.MODE_PREVIOUS
            ),
            default=0,
        )
        Move = self.env["account.move"]
        invoices = Move.search(
            [
                ("company_id", "=", company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
                "|",
                ("invoice_date_due", "<=", today - timedelta(days=first_days)),
                ("sales_closing_dunning_level_id", "!=", False),
                ("commercial_partner_id.sales_closing_dunning_exclude", "=", False),
            ]
        )
        tolerance = company.sales_closing_dunning_tolerance
        invoices = invoices.filtered(
            lambda inv: abs(inv.amount_residual_signed) > tolerance
        )
        if not invoices:
            return self.browse()
        Line = self.env["sales.closing.dunning.line"]
        sent = {}  # invoice id: {level: when it was sent (None: not sent)}
        for invoice, level, date_sent in Line._read_group(
            [("invoice_id", "in", invoices.ids)],
            ["invoice_id", "level_id"],
            ["date_sent:max"],
        ):
            sent.setdefault(invoice.id, {})[level] = date_sent
        on_hold = self.env["sales.closing.payment.promise"]._partners_on_hold(
            invoices.commercial_partner_id, company, today
        )
        policies = self.env["sales.closing.dunning.policy"]._policies_of(
            invoices.commercial_partner_id - on_hold, company
        )
        to_plan = {}  # policy: engine invoices
        for invoice in invoices:
            policy = policies.get(invoice.commercial_partner_id.id)
            if not policy:
                continue
            sent_levels = {
                level: date_sent
                for level, date_sent in sent.get(invoice.id, {}).items()
                if level.policy_id == policy
            }
            to_plan.setdefault(policy, []).append(
                {
                    "id": invoice.id,
                    "partner_id": invoice.commercial_partner_id.id,
                    "due_date": invoice.invoice_date_due,
                    "residual": Decimal(str(abs(invoice.amount_residual))),
                    "last_level_sent": max(
                        [level.sequence for level in sent_levels], default=0
                    ),
                    "sent_dates": {
                        level.sequence: fields.Datetime.context_timestamp(
                            self, date_sent
                        ).date()
                        for level, date_sent in sent_levels.items()
                        if date_sent
                    },
                }
            )
        plan = []
        by_sequence = {}  # (policy, sequence): level
        for policy, engine_invoices in to_plan.items():
            policy_levels = levels.filtered(
                lambda level, p=policy: level.policy_id == p
            )
            if not policy_levels:
                continue
            by_sequence.update(
                ((policy, level.sequence), level) for level in policy_levels
            )
            plan += [
                (policy, group)
                for group in dunning_engine.plan_run(
                    engine_invoices,
                    today,
                    [level._engine_dict() for level in policy_levels],
                )
            ]
        if not plan:
            return self.browse()
        run = self.search(
            [("company_id", "=", company.id), ("date", "=", today)], limit=1
        )
        if not run:
            run = self.create({"company_id": company.id, "date": today})
        elif run.state == "done":
            run.state = "draft"
        values = []
        for policy, group in plan:
            for line in group["lines"]:
                values.append(
                    {
                        "run_id": run.id,
                        "invoice_id": line["invoice_id"],
                        "partner_id": group["partner_id"],
                        "level_id": by_sequence[policy, line["level"]].id,
                        "days_overdue": line["days_overdue"],
                        "skipped_levels": ", ".join(
                            by_sequence[policy, seq].name for seq in line["skipped"]
                        ),
                    }
                )
        Line.create(values)
        return run

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------
    def action_send(self):
        lines = self.line_ids.filtered(lambda line: line.state in PENDING_STATES)
        if not lines:
            raise UserError(self.env._("Nothing left to send in this run."))
        sent = lines._send()
        for run in self:
            self.env["sales.closing.collection.case"].with_company(
                run.company_id
            )._escalate(run.company_id)
        return lines.browse()._nothing_sent_notification(lines, sent)

    def action_print_letters(self):
        lines = self.line_ids.filtered(
            lambda line: line.state not in ("skipped", "manual")
        )
        return self.env.ref(
            "sales_closing_payments.action_report_dunning_letter"
        ).report_action(lines)

    def action_view_lines(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_closing_payments.action_sales_closing_dunning_line"
        )
        action["domain"] = [("run_id", "=", self.id)]
        action["context"] = {"search_default_group_partner": 1}
        return action

    @api.model
    def action_plan_today(self):
        """Plan today's reminders of the current company now (menu button)."""
        company = self.env.company
        if not self.env["sales.closing.dunning.level"].search_count(
            [("company_id", "=", company.id)]
        ):
            raise UserError(
                self.env._(
                    "%(company)s has no dunning levels: create them in the "
                    "configuration first.",
                    company=company.name,
                )
            )
        run = self._plan(company)
        if not run:
            raise UserError(self.env._("No reminder is due today."))
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": run.id,
            "view_mode": "form",
        }

    def _update_state(self):
        for run in self:
            pending = run.line_ids.filtered(
                lambda line: line.state in ("draft", "error")
            )
            run.state = "draft" if pending else "done"
