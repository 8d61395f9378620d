from datetime import datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..tools import check_workflow_write, selection_label

# Set by the close, reopen and run-checks methods only (after their group
# checks, in sudo): a period set back to draft would lift the posting guards.
WORKFLOW_FIELDS = frozenset(
    {
        "state",
        "reopen_user_id",
        "reopen_end_datetime",
        "last_run",
        "package_ids",
        "lock_exception_ids",
        "audit_log_ids",
    }
)
# What the period covers: free while it is a draft without checklist.
SCOPE_FIELDS = frozenset({"company_id", "date_from", "date_to", "kind"})


class SalesClosingPeriod(models.Model):
    _name = "sales.closing.period"
    _description = "Closing Period"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_from desc, company_id"
    _check_company_auto = True
    _sales_closing_workflow_fields = WORKFLOW_FIELDS
    _sales_closing_scope_fields = SCOPE_FIELDS

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
    reopen_user_id = fields.Many2one(
        "res.users",
        string="Reopened For",
        readonly=True,
        copy=False,
        help="While reopened: the only user who may change its documents. "
        "Empty: everyone.",
    )
    reopen_end_datetime = fields.Datetime(
        string="Reopened Until", readonly=True, copy=False
    )
    lock_exception_ids = fields.One2many(
        "account.lock_exception",
        "sales_closing_period_id",
        string="Lock Date Exceptions",
        readonly=True,
    )
    hard_lock_at_close = fields.Boolean(
        related="company_id.sales_closing_lock_hard",
        help="Closing sets the hard lock date: it cannot be undone.",
    )
    check_line_ids = fields.One2many(
        "sales.closing.check.line", "period_id", string="Checklist"
    )
    flux_line_ids = fields.One2many(
        "sales.closing.flux.line", "period_id", string="Flux Analysis"
    )
    blocking_summary = fields.Html(
        compute="_compute_blocking_summary",
        help="Blocking items and their owners, for the dashboard.",
    )
    audit_log_ids = fields.One2many(
        "sales.closing.audit.log", "period_id", string="Audit Log"
    )
    package_ids = fields.One2many(
        "sales.closing.package",
        "period_id",
        string="Closing Packages",
        groups="sales_closing.group_closing_accountant,"
        "sales_closing.group_closing_auditor",
    )
    package_count = fields.Integer(compute="_compute_package_count")
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

    # ------------------------------------------------------------------
    # Controls: state, reopening and scope are changed by the workflow only
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_workflow_write(self, vals, WORKFLOW_FIELDS)
        return super().create(vals_list)

    def write(self, vals):
        check_workflow_write(self, vals, WORKFLOW_FIELDS)
        if SCOPE_FIELDS.intersection(vals) and not self.env.su:
            started = self.filtered(
                lambda p: p.state != "draft" or p.check_line_ids or p.flux_line_ids
            )
            if started:
                check_workflow_write(started, vals, SCOPE_FIELDS)
        return super().write(vals)

    def unlink(self):
        if not self.env.su and any(period.state != "draft" for period in self):
            raise UserError(self.env._("Only a draft closing period can be deleted."))
        return super().unlink()

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

    @api.depends("check_line_ids.status", "check_line_ids.user_id")
    def _compute_blocking_summary(self):
        for period in self:
            items = period.check_line_ids.filtered("is_blocking_open")
            period.blocking_summary = Markup("").join(
                Markup("<div>%s: %s</div>")
                % (item.name, item.user_id.name or self.env._("nobody"))
                for item in items
            )

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
        """Create the missing checklist items, manual tasks rolled forward."""
        kinds = self.env["sales.closing.check.kind"].search([])
        new_lines = []
        for period in self:
            for kind in kinds - period.check_line_ids.kind_id:
                if kind.company_id and kind.company_id != period.company_id:
                    continue
                if not kind._applies_to(period.company_id):
                    continue
                new_lines.append(kind._line_values(period))
        if new_lines:
            # sudo: checklist items are created by this workflow only (kind,
            # severity, reviewer); callers check the group (action_run_checks)
            self.env["sales.closing.check.line"].sudo().create(new_lines)

    def action_run_checks(self):
        self._check_can_run()
        self._ensure_check_lines()
        for period in self:
            period.check_line_ids.filtered(lambda line: not line.is_manual)._run()
            period._compute_flux()
            # sudo: workflow-only fields, written after _check_can_run
            values = {"last_run": fields.Datetime.now()}
            if period.state == "draft":
                values["state"] = "in_progress"
            period.sudo().write(values)
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
            reasons = period._close_blockers()
            if reasons:
                raise UserError(
                    self.env._(
                        "Period %(period)s cannot be closed:\n%(reasons)s",
                        period=period.name,
                        reasons="\n".join(reasons),
                    )
                )
            lock_values = period._lock_values()
            if lock_values:
                # sudo: closing managers may lock their company without
                # being allowed to edit the company record otherwise.
                period.company_id.sudo().write(lock_values)
            action = "close" if period.state != "reopened" else "reclose"
            if action == "reclose":
                revoked = period._revoke_lock_exceptions()
                lock_values = {**lock_values, "revoked_lock_exceptions": revoked.ids}
            # sudo: workflow-only field, written after the manager check
            period.sudo().state = "closed"
            period._log(action, details=str(lock_values))
            # sudo: packages are sealed records that only the close writes;
            # nobody, managers included, has create access on them.
            self.env["sales.closing.package"].sudo()._create_for_period(period)
        return True

    def _compute_package_count(self):
        # sudo: only a count, shown to whoever can read the period.
        counts = dict(
            self.env["sales.closing.package"]
            .sudo()
            ._read_group([("period_id", "in", self.ids)], ["period_id"], ["__count"])
        )
        for period in self:
            period.package_count = counts.get(period._origin, 0)

    def action_open_packages(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Closing Packages of %s", self.name),
            "res_model": "sales.closing.package",
            "view_mode": "list,form",
            "domain": [("period_id", "=", self.id)],
        }

    def _compute_flux(self):
        self.env["sales.closing.flux.line"]._refresh(self)

    def _close_blockers(self):
        """Everything that prevents closing this period, in plain words."""
        self.ensure_one()
        reasons = []
        for line in self.check_line_ids:
            if line.is_blocking_open:
                reasons.append(
                    self.env._(
                        "%(item)s is %(status)s: it must be OK or waived.",
                        item=line.name,
                        status=selection_label(line, "status", line.status),
                    )
                )
            if line.reviewer_id:
                if not line.prepared_by_id:
                    reasons.append(
                        self.env._("%s is not signed off by its preparer.", line.name)
                    )
                if not line.reviewed_by_id:
                    reasons.append(
                        self.env._("%s is not signed off by its reviewer.", line.name)
                    )
        unexplained = self.flux_line_ids.filtered(
            lambda flux: flux.needs_explanation and not flux.explanation
        )
        for flux in unexplained:
            reasons.append(
                self.env._(
                    "The variance of %(key)s (%(dimension)s) needs an explanation.",
                    key=flux.name,
                    dimension=selection_label(flux, "dimension", flux.dimension),
                )
            )
        return reasons

    # ------------------------------------------------------------------
    # Reopen and locks on accounting documents
    # ------------------------------------------------------------------
    def action_reopen(self):
        """Open the reopen wizard (closing managers only)."""
        self.ensure_one()
        if not self.env.user.has_group("sales_closing.group_closing_manager"):
            raise AccessError(self.env._("Only closing managers can reopen a period."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reopen %s", self.name),
            "res_model": "sales.closing.reopen.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_period_id": self.id},
        }

    def _revoke_lock_exceptions(self):
        """Revoke the still active lock exceptions of the reopenings of ``self``."""
        # sudo + search: Odoo recreates exceptions (keeping their period) when a
        # lock date moves, so the active ones are searched, not cached.
        exceptions = (
            self.env["account.lock_exception"]
            .sudo()
            .search(
                [("sales_closing_period_id", "in", self.ids), ("state", "=", "active")]
            )
        )
        if exceptions:
            # action_revoke requires Odoo's accounting administrator group,
            # which closing managers need not have: revoke as the superuser.
            exceptions.with_user(SUPERUSER_ID).action_revoke()
        self.sudo().write({"reopen_user_id": False, "reopen_end_datetime": False})
        return exceptions

    def _is_closed_for_user(self):
        """Closed, or reopened for another user only, or reopened until a past time."""
        self.ensure_one()
        if self.state == "closed":
            return True
        if self.state != "reopened":
            return False
        if self.reopen_user_id and self.reopen_user_id != self.env.user:
            return True
        return bool(
            self.reopen_end_datetime
            and self.reopen_end_datetime < fields.Datetime.now()
        )

    @api.model
    def _closed_period_for(self, company, dates):
        """Periods of ``company`` closed for the current user covering any of ``dates``.

        One query whatever the number of dates (and companies); returned
        in sudo, since documents are checked for users who may not read
        closing periods.
        """
        dates = [day for day in dates if day]
        if not company or not dates:
            return self.sudo().browse()
        periods = self.sudo().search_fetch(
            [
                ("company_id", "in", company.ids),
                ("state", "in", ("closed", "reopened")),
                ("date_from", "<=", max(dates)),
                ("date_to", ">=", min(dates)),
            ],
            [
                "name",
                "company_id",
                "date_from",
                "date_to",
                "state",
                "reopen_user_id",
                "reopen_end_datetime",
            ],
        )
        return periods.filtered(
            lambda p: (
                p._is_closed_for_user()
                and any(p.date_from <= day <= p.date_to for day in dates)
            )
        )

    def _covering(self, company, day):
        """The period of ``self`` of ``company`` holding ``day``, if any."""
        return self.filtered(
            lambda p: (
                p.company_id == company and day and p.date_from <= day <= p.date_to
            )
        )[:1]

    @api.model
    def _document_label(self, record):
        name = record["name"] if "name" in record._fields else False
        return name if name and name != "/" else record.display_name

    def _closed_error(self, document, day):
        """The UserError refusing to change ``document`` dated ``day`` in ``self``."""
        self.ensure_one()
        values = {
            "document": document,
            "date": fields.Date.to_string(day),
            "period": self.name,
            "company": self.company_id.name,
        }
        if self.state == "closed":
            return UserError(
                self.env._(
                    "%(document)s is dated %(date)s, inside the closed period "
                    "%(period)s of %(company)s: reopen the period first.",
                    **values,
                )
            )
        return UserError(
            self.env._(
                "%(document)s is dated %(date)s, inside the period %(period)s of "
                "%(company)s, which is reopened for another user only or whose "
                "reopening has expired: ask a closing manager to reopen it for you.",
                **values,
            )
        )

    @api.model
    def _check_documents_open(self, items, redate=False):
        """Refuse documents dated in a period closed for the current user.

        :param items: iterable of ``(record, company, date)``
        :param redate: skip the documents of companies allowing Odoo to
            re-date them into an open period (the caller logs the re-dating)
        """
        items = [item for item in items if item[2]]
        if redate:
            items = [item for item in items if not item[1].sales_closing_allow_redate]
        if not items:
            return
        companies = self.env["res.company"].union(*(item[1] for item in items))
        periods = self._closed_period_for(companies, [item[2] for item in items])
        for record, company, day in items:
            period = periods._covering(company, day)
            if period:
                raise period._closed_error(self._document_label(record), day)

    def _log_redates(self, redates):
        """Log Odoo's re-dating of documents out of closed periods.

        :param redates: list of ``(period, label, old date, new date)``
        """
        for period in self.union(*(item[0] for item in redates)):
            lines = [
                self.env._(
                    "%(document)s re-dated from %(old)s to %(new)s.",
                    document=label,
                    old=fields.Date.to_string(old),
                    new=fields.Date.to_string(new),
                )
                for item_period, label, old, new in redates
                if item_period == period
            ]
            period._log("redate", reason="\n".join(lines), details="\n".join(lines))

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
                    action=selection_label(
                        self.env["sales.closing.audit.log"], "action", action
                    ),
                    user=self.env.user.name,
                    reason=reason or "",
                )
            )
