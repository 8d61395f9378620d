from datetime import datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError


class SalesClosingPeriod(models.Model):
    _name = "sales.closing.period"
    _description = "Closing Period"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_from desc, company_id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_from = fields.Date(required=True, tracking=True)
    date_to = fields.Date(required=True, tracking=True)
    kind = fields.Selection(
        [("month", "Month"), ("quarter", "Quarter"), ("year", "Year")],
        required=True,
        default="month",
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("in_progress", "In Progress"),
            ("closed", "Closed"),
            ("reopened", "Reopened"),
        ],
        default="draft",
        required=True,
        tracking=True,
        copy=False,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        tracking=True,
        check_company=True,
    )
    deadline = fields.Date(tracking=True)
    check_line_ids = fields.One2many(
        "sales.closing.check.line", "period_id", string="Checklist"
    )
    audit_log_ids = fields.One2many(
        "sales.closing.audit.log", "period_id", string="Audit Log"
    )
    last_run = fields.Datetime(readonly=True, copy=False)
    progress = fields.Float(compute="_compute_checklist_status")
    blocking_count = fields.Integer(
        string="Blocking Items", compute="_compute_checklist_status"
    )
    is_late = fields.Boolean(compute="_compute_is_late", search="_search_is_late")
    days_to_deadline = fields.Integer(compute="_compute_is_late")
    color = fields.Integer(compute="_compute_checklist_status")

    _sql_constraints = [
        (
            "date_check",
            "CHECK(date_from <= date_to)",
            "A period must start before it ends.",
        ),
        (
            "company_dates_uniq",
            "unique(company_id, date_from, date_to)",
            "This company already has a closing period with these dates.",
        ),
    ]

    @api.depends("check_line_ids.status", "check_line_ids.severity", "state")
    def _compute_checklist_status(self):
        for period in self:
            lines = period.check_line_ids
            done = lines.filtered(lambda line: line.status in ("ok", "waived"))
            period.progress = 100.0 * len(done) / len(lines) if lines else 0.0
            period.blocking_count = len(lines.filtered("is_blocking_open"))
            if period.state == "closed":
                period.color = 10
            elif period.blocking_count:
                period.color = 1
            else:
                period.color = 0

    @api.depends("deadline", "state")
    def _compute_is_late(self):
        today = fields.Date.context_today(self)
        for period in self:
            period.days_to_deadline = (
                (period.deadline - today).days if period.deadline else 0
            )
            period.is_late = bool(
                period.deadline and period.deadline < today and period.state != "closed"
            )

    def _search_is_late(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Operation not supported"))
        late = [
            ("deadline", "<", fields.Date.context_today(self)),
            ("state", "!=", "closed"),
        ]
        if (operator == "=") == value:
            return late
        return [
            "|",
            ("deadline", ">=", fields.Date.context_today(self)),
            "|",
            ("deadline", "=", False),
            ("state", "=", "closed"),
        ]

    @api.constrains("date_from", "date_to", "company_id", "kind")
    def _check_overlap(self):
        for period in self:
            overlapping = self.search_count(
                [
                    ("id", "!=", period.id),
                    ("company_id", "=", period.company_id.id),
                    ("kind", "=", period.kind),
                    ("date_from", "<=", period.date_to),
                    ("date_to", ">=", period.date_from),
                ]
            )
            if overlapping:
                raise ValidationError(
                    self.env._(
                        "Period %(name)s overlaps another %(kind)s period "
                        "of %(company)s.",
                        name=period.name,
                        kind=period.kind,
                        company=period.company_id.name,
                    )
                )

    def _end_datetime(self):
        self.ensure_one()
        return datetime.combine(self.date_to, time.max)

    @api.model
    def _period_bounds(self, day, kind):
        """Return (date_from, date_to, name) of the ``kind`` period holding ``day``."""
        if kind == "year":
            start = day.replace(month=1, day=1)
            end = start + relativedelta(years=1, days=-1)
            return start, end, f"{start.year}"
        if kind == "quarter":
            start = day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
            end = start + relativedelta(months=3, days=-1)
            return start, end, f"{start.year}-Q{(start.month - 1) // 3 + 1}"
        start = day.replace(day=1)
        end = start + relativedelta(months=1, days=-1)
        return start, end, f"{start.year}-{start.month:02d}"

    @api.model
    def _create_for(self, companies, day, kind=None):
        """Create (or return the existing) period holding ``day`` per company."""
        periods = self.browse()
        for company in companies:
            period_kind = kind or company.sales_closing_period_kind
            date_from, date_to, name = self._period_bounds(day, period_kind)
            existing = self.search(
                [
                    ("company_id", "=", company.id),
                    ("date_from", "=", date_from),
                    ("date_to", "=", date_to),
                ],
                limit=1,
            )
            periods |= existing or self.create(
                {
                    "name": name,
                    "company_id": company.id,
                    "date_from": date_from,
                    "date_to": date_to,
                    "kind": period_kind,
                    "deadline": date_to
                    + timedelta(days=company.sales_closing_deadline_days),
                }
            )
        return periods

    @api.model
    def _cron_create_periods(self):
        """Monthly cron: make sure every company has its previous period."""
        last_month = fields.Date.context_today(self) - relativedelta(months=1)
        companies = self.env["res.company"].search([])
        return self._create_for(companies, last_month)

    # ------------------------------------------------------------------
    # Checklist
    # ------------------------------------------------------------------
    def _ensure_check_lines(self):
        kinds = self.env["sales.closing.check.kind"].search([])
        new_lines = []
        for period in self:
            existing = period.check_line_ids.kind_id
            for kind in kinds - existing:
                if kind.company_id and kind.company_id != period.company_id:
                    continue
                new_lines.append(
                    {
                        "period_id": period.id,
                        "kind_id": kind.id,
                        "user_id": (kind.user_id or period.user_id).id,
                        "severity": kind.severity,
                    }
                )
        if new_lines:
            self.env["sales.closing.check.line"].create(new_lines)

    def action_run_checks(self):
        self._check_can_run()
        self._ensure_check_lines()
        for period in self:
            period.check_line_ids.filtered(lambda line: not line.is_manual)._run()
            period.last_run = fields.Datetime.now()
            if period.state == "draft":
                period.state = "in_progress"
        return True

    def _check_can_run(self):
        if not self.env.user.has_group("sales_closing.group_closing_accountant"):
            raise AccessError(
                self.env._("Only closing accountants can run the checks.")
            )
        closed = self.filtered(lambda p: p.state == "closed")
        if closed:
            raise UserError(
                self.env._(
                    "Period %s is closed: reopen it before running checks.",
                    closed[0].name,
                )
            )

    def action_open_check_lines(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Checklist of %s", self.name),
            "res_model": "sales.closing.check.line",
            "view_mode": "list,form",
            "domain": [("period_id", "=", self.id)],
            "context": {"default_period_id": self.id},
        }

    # ------------------------------------------------------------------
    # Close
    # ------------------------------------------------------------------
    def _lock_values(self):
        self.ensure_one()
        company = self.company_id
        values = {}
        for field, enabled in (
            ("sale_lock_date", company.sales_closing_lock_sale),
            ("fiscalyear_lock_date", company.sales_closing_lock_fiscalyear),
            ("tax_lock_date", company.sales_closing_lock_tax),
            ("hard_lock_date", company.sales_closing_lock_hard),
        ):
            if enabled and (not company[field] or company[field] < self.date_to):
                values[field] = self.date_to
        return values

    def action_close(self):
        if not self.env.user.has_group("sales_closing.group_closing_manager"):
            raise AccessError(self.env._("Only closing managers can close a period."))
        for period in self:
            if period.state == "closed":
                raise UserError(self.env._("Period %s is already closed.", period.name))
            if not period.check_line_ids:
                raise UserError(
                    self.env._(
                        "Run the checks of period %s before closing it.", period.name
                    )
                )
            open_items = period.check_line_ids.filtered("is_blocking_open")
            if open_items:
                raise UserError(
                    self.env._(
                        "Period %(period)s cannot be closed: blocking checks are "
                        "not ok or waived: %(checks)s",
                        period=period.name,
                        checks=", ".join(open_items.mapped("name")),
                    )
                )
            lock_values = period._lock_values()
            if lock_values:
                # sudo: closing managers may lock their company without
                # being allowed to edit the company record otherwise.
                period.company_id.sudo().write(lock_values)
            action = "close" if period.state != "reopened" else "reclose"
            period.state = "closed"
            period._log(action, details=str(lock_values))
        return True

    def _log(self, action, reason=False, details=False):
        # sudo: the audit log is append-only and written only by this code.
        self.env["sales.closing.audit.log"].sudo().create(
            [
                {
                    "period_id": period.id,
                    "company_id": period.company_id.id,
                    "user_id": self.env.user.id,
                    "action": action,
                    "reason": reason,
                    "details": details,
                }
                for period in self
            ]
        )
        for period in self:
            period.message_post(
                body=self.env._(
                    "%(action)s by %(user)s. %(reason)s",
                    action=dict(
                        self.env["sales.closing.audit.log"]
                        ._fields["action"]
                        ._description_selection(self.env)
                    )[action],
                    user=self.env.user.name,
                    reason=reason or "",
                )
            )
