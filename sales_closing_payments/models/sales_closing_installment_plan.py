"""Installment and recurring payment plans charged on a saved payment token.

The arithmetic (split, recurrence, back-off) is in ``engine/schedule.py``; the
charging of the lines is in ``sales_closing_installment_plan_line.py``.
"""

from datetime import timedelta
from decimal import Decimal

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.misc import format_date

from ..engine import schedule


class SalesClosingInstallmentPlan(models.Model):
    _name = "sales.closing.installment.plan"
    _description = "Installment Plan"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        # a group of plans in several currencies gets no total
        "sales.closing.currency.totals.mixin",
    ]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(
        required=True,
        copy=False,
        readonly=True,
        default=lambda self: self.env._("New"),
    )
    plan_type = fields.Selection(
        [("installment", "Installments"), ("recurring", "Recurring")],
        string="Type",
        required=True,
        default="installment",
        tracking=True,
        help="Installments: the amount of an invoice or order split by due date. "
        "Recurring: the order's amount charged and invoiced every period.",
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("running", "Running"),
            ("done", "Done"),
            ("cancel", "Cancelled"),
        ],
        default="draft",
        required=True,
        tracking=True,
        copy=False,
        index=True,
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        tracking=True,
        check_company=True,
        index=True,
    )
    commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id", string="Commercial Entity"
    )
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        default=lambda self: self.env.user,
        tracking=True,
        help="Notified of every successful and failed charge.",
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
    )
    invoice_id = fields.Many2one(
        "account.move",
        string="Invoice",
        check_company=True,
        index="btree_not_null",
        tracking=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('commercial_partner_id', '=', commercial_partner_id)]",
    )
    sale_order_id = fields.Many2one(
        "sale.order",
        string="Sales Order",
        check_company=True,
        index="btree_not_null",
        tracking=True,
        domain="[('state', '=', 'sale'), ('partner_id', 'child_of', "
        "commercial_partner_id)]",
    )
    token_id = fields.Many2one(
        "payment.token",
        string="Saved Payment Method",
        check_company=True,
        tracking=True,
        domain="[('partner_id', 'child_of', commercial_partner_id)]",
        help="Charged on each due date. No card data is stored here: the token "
        "is the provider's reference of the customer's payment method.",
    )
    line_ids = fields.One2many(
        "sales.closing.installment.plan.line", "plan_id", string="Schedule", copy=False
    )
    interval = fields.Selection(
        [("monthly", "Monthly"), ("quarterly", "Quarterly")],
        default="monthly",
        required=True,
        help="Time between two charges of a recurring plan, or between two "
        "installments of an order without a multi-line payment term.",
    )
    start_date = fields.Date(
        default=fields.Date.context_today,
        required=True,
        help="First charge of a recurring plan or of an order split in equal "
        "installments.",
    )
    period_count = fields.Integer(
        string="Periods", default=12, help="Number of periods of a recurring plan."
    )
    installment_count = fields.Integer(
        string="Installments",
        default=3,
        help="Equal installments of an order whose payment term has a single line.",
    )
    max_attempts = fields.Integer(
        default=4,
        help="Charges tried per line before it is given up and the salesperson "
        "gets an activity.",
    )
    retry_delay_days = fields.Integer(
        string="First Retry After (Days)",
        default=1,
        help="Days before the first retry of a failed charge; the delay doubles "
        "after each failure (1, 2, 4 days).",
    )
    amount_total = fields.Monetary(compute="_compute_amounts", store=True)
    amount_paid = fields.Monetary(compute="_compute_amounts", store=True)
    amount_due = fields.Monetary(compute="_compute_amounts", store=True)
    next_charge_date = fields.Date(compute="_compute_amounts", store=True)
    failed_count = fields.Integer(compute="_compute_amounts", store=True)
    transaction_count = fields.Integer(compute="_compute_counts")
    invoice_count = fields.Integer(compute="_compute_counts")

    _sql_constraints = [
        (
            "settings_positive",
            "CHECK(max_attempts >= 1 AND retry_delay_days >= 1)",
            "A plan needs at least one attempt and a retry delay of at least one day.",
        ),
    ]

    @api.constrains("token_id", "partner_id", "company_id")
    def _check_token_id(self):
        """The saved payment method is the plan customer's own, active, usable
        in the plan's company (the view's domain is only a convenience)."""
        for plan in self:
            problem = plan._sales_closing_token_problem()
            if problem:
                raise ValidationError(problem)

    @api.constrains("partner_id", "invoice_id", "sale_order_id")
    def _check_document_partner(self):
        """The invoice or order charged is the plan customer's."""
        for plan in self:
            customer = plan.partner_id.commercial_partner_id
            documents = [
                (plan.invoice_id, plan.invoice_id.commercial_partner_id),
                (
                    plan.sale_order_id,
                    plan.sale_order_id.partner_id.commercial_partner_id,
                ),
            ]
            for document, partner in documents:
                if document and partner != customer:
                    raise ValidationError(
                        self.env._(
                            "Plan %(plan)s: %(document)s is not a document of "
                            "%(partner)s.",
                            plan=plan.name,
                            document=document.display_name,
                            partner=customer.display_name,
                        )
                    )

    def _sales_closing_token_problem(self):
        """Why the plan's token may not be charged for it ('' when it may)."""
        self.ensure_one()
        # sudo: the check reads the token's owner and state, which an accountant
        # may not be allowed to read; nothing is returned but the verdict.
        token = self.token_id.sudo()
        if not token:
            return ""
        customer = self.partner_id.commercial_partner_id
        if token.partner_id.commercial_partner_id != customer:
            return self.env._(
                "Plan %(plan)s: the saved payment method %(token)s is not one of "
                "%(partner)s's.",
                plan=self.name,
                token=token.display_name,
                partner=customer.display_name,
            )
        if token.company_id and token.company_id != self.company_id:
            return self.env._(
                "Plan %(plan)s: the saved payment method %(token)s belongs to "
                "another company.",
                plan=self.name,
                token=token.display_name,
            )
        if not token.active:
            return self.env._(
                "Plan %(plan)s: the saved payment method %(token)s is archived.",
                plan=self.name,
                token=token.display_name,
            )
        return ""

    @api.depends(
        "line_ids.amount", "line_ids.state", "line_ids.next_attempt_date", "state"
    )
    def _compute_amounts(self):
        for plan in self:
            active = plan.line_ids.filtered(lambda line: line.state != "cancelled")
            paid = active.filtered(lambda line: line.state == "paid")
            plan.amount_total = sum(active.mapped("amount"))
            plan.amount_paid = sum(paid.mapped("amount"))
            plan.amount_due = plan.amount_total - plan.amount_paid
            due = active.filtered(lambda line: line.state in ("pending", "retrying"))
            plan.next_charge_date = (
                min(due.mapped("next_attempt_date"))
                if due and plan.state == "running"
                else False
            )
            plan.failed_count = len(
                active.filtered(lambda line: line.state == "failed")
            )

    def _compute_counts(self):
        for plan in self:
            plan.transaction_count = len(plan.line_ids.transaction_ids)
            plan.invoice_count = len(plan._related_invoices())

    def _related_invoices(self):
        self.ensure_one()
        return self.invoice_id | self.line_ids.invoice_id

    # ------------------------------------------------------------------
    # Create / defaults
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("name") or vals["name"] == self.env._("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code(
                    "sales.closing.installment.plan"
                ) or self.env._("New")
        plans = super().create(vals_list)
        plans.filtered(
            lambda plan: not plan.line_ids and (plan.invoice_id or plan.sale_order_id)
        )._generate_lines()
        return plans

    @api.onchange("invoice_id")
    def _onchange_invoice_id(self):
        if self.invoice_id:
            self.partner_id = self.invoice_id.partner_id
            self.currency_id = self.invoice_id.currency_id
            self.user_id = self.invoice_id.invoice_user_id or self.user_id
            self.plan_type = "installment"

    @api.onchange("sale_order_id")
    def _onchange_sale_order_id(self):
        if self.sale_order_id:
            self.partner_id = self.sale_order_id.partner_id
            self.currency_id = self.sale_order_id.currency_id
            self.user_id = self.sale_order_id.user_id or self.user_id

    @api.onchange(
        "invoice_id",
        "sale_order_id",
        "plan_type",
        "interval",
        "start_date",
        "period_count",
        "installment_count",
    )
    def _onchange_schedule(self):
        """Show the schedule in the form before the plan is saved."""
        if self.state != "draft" or not (self.invoice_id or self.sale_order_id):
            return
        if self.plan_type == "recurring" and not self.sale_order_id:
            return
        self.line_ids = [Command.clear()] + [
            Command.create(values) for values in self._prepare_line_values()
        ]

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        if self.partner_id and (
            not self.token_id
            or self.token_id.partner_id.commercial_partner_id
            != self.partner_id.commercial_partner_id
        ):
            self.token_id = self._default_token(self.partner_id, self.company_id)

    @api.model
    def _default_token(self, partner, company):
        """Return the partner's most recent active token usable in ``company``."""
        return self.env["payment.token"].search(
            [
                ("partner_id", "child_of", partner.commercial_partner_id.id),
                ("company_id", "in", (company or self.env.company).ids),
            ],
            order="id desc",
            limit=1,
        )

    # ------------------------------------------------------------------
    # Schedule
    # ------------------------------------------------------------------
    def _prepare_line_values(self):
        """Return the create values of the plan's lines, from its document.

        Invoice: one line per open payment term line of the invoice (Odoo already
        split the total); order: the order's payment term split by the engine,
        or equal installments; recurring: one line per period.
        """
        self.ensure_one()
        rounding = self.currency_id.rounding
        if self.plan_type == "recurring":
            if not self.sale_order_id:
                raise UserError(
                    self.env._(
                        "Recurring plan %(plan)s: choose the confirmed sales order "
                        "to charge and invoice every period.",
                        plan=self.name,
                    )
                )
            periods = schedule.recurring_periods(
                self.start_date, self.interval, count=max(self.period_count, 0)
            )
            return [
                {
                    "sequence": index,
                    "due_date": start,
                    "period_end": end,
                    "amount": self.sale_order_id.amount_total,
                }
                for index, (start, end) in enumerate(periods, start=1)
            ]
        if self.invoice_id:
            term_lines = self.invoice_id.line_ids.filtered(
                lambda line: line.display_type == "payment_term" and not line.reconciled
            ).sorted(lambda line: (line.date_maturity or line.date, line.id))
            return [
                {
                    "sequence": index,
                    "due_date": line.date_maturity or line.date,
                    "amount": abs(line.amount_residual_currency),
                    "move_line_id": line.id,
                }
                for index, line in enumerate(term_lines, start=1)
            ]
        if self.sale_order_id:
            order = self.sale_order_id
            terms = order.payment_term_id.line_ids
            if len(terms) > 1:
                split = schedule.split_installments(
                    Decimal(str(order.amount_total)),
                    [
                        {
                            "value": term.value,
                            "value_amount": term.value_amount,
                            "nb_days": term.nb_days,
                            "delay_type": term.delay_type,
                            "days_next_month": term.days_next_month,
                        }
                        for term in terms.sorted(lambda term: (term.nb_days, term.id))
                    ],
                    fields.Date.to_date(order.date_order),
                    currency_rounding=Decimal(str(rounding)),
                )
            else:
                count = max(self.installment_count, 1)
                split = list(
                    zip(
                        schedule.recurring_dates(
                            self.start_date, self.interval, count=count
                        ),
                        schedule.split_equal(
                            Decimal(str(order.amount_total)),
                            count,
                            currency_rounding=Decimal(str(rounding)),
                        ),
                        strict=True,
                    )
                )
            return [
                {"sequence": index, "due_date": due, "amount": float(amount)}
                for index, (due, amount) in enumerate(split, start=1)
            ]
        return []

    def _generate_lines(self):
        for plan in self:
            values = plan._prepare_line_values()
            plan.line_ids = [Command.clear()] + [
                Command.create(line_values) for line_values in values
            ]

    def action_compute_schedule(self):
        for plan in self:
            if plan.state != "draft":
                raise UserError(
                    self.env._(
                        "Plan %(plan)s is %(state)s: only a draft plan's schedule can "
                        "be recomputed.",
                        plan=plan.name,
                        state=plan.state,
                    )
                )
        self._generate_lines()
        return True

    # ------------------------------------------------------------------
    # States
    # ------------------------------------------------------------------
    def action_start(self):
        for plan in self:
            if plan.state != "draft":
                continue
            if not plan.token_id or not plan.token_id.active:
                raise UserError(
                    self.env._(
                        "Plan %(plan)s of %(partner)s: choose an active saved payment "
                        "method before starting it.",
                        plan=plan.name,
                        partner=plan.partner_id.display_name,
                    )
                )
            if not plan.line_ids:
                raise UserError(
                    self.env._(
                        "Plan %(plan)s has no installment: compute its schedule first.",
                        plan=plan.name,
                    )
                )
            if plan.invoice_id:
                residual = plan.invoice_id.amount_residual
                if plan.currency_id.compare_amounts(plan.amount_total, residual) > 0:
                    raise UserError(
                        self.env._(
                            "Plan %(plan)s charges %(amount)s but invoice %(invoice)s "
                            "only has %(residual)s left to pay.",
                            plan=plan.name,
                            amount=plan.currency_id.format(plan.amount_total),
                            invoice=plan.invoice_id.name,
                            residual=plan.currency_id.format(residual),
                        )
                    )
            plan.state = "running"
        return True

    def action_cancel(self):
        self.line_ids.filtered(
            lambda line: line.state in ("pending", "retrying")
        ).write({"state": "cancelled"})
        self.write({"state": "cancel"})
        return True

    def action_draft(self):
        for plan in self:
            if plan.line_ids.filtered(
                lambda line: line.state in ("processing", "paid")
            ):
                raise UserError(
                    self.env._(
                        "Plan %(plan)s already charged the customer: it cannot go "
                        "back to draft.",
                        plan=plan.name,
                    )
                )
        self.line_ids.filtered(lambda line: line.state == "cancelled").write(
            {"state": "pending"}
        )
        self.write({"state": "draft"})
        return True

    def _check_done(self):
        for plan in self.filtered(lambda plan: plan.state == "running"):
            if all(line.state in ("paid", "cancelled") for line in plan.line_ids):
                plan.state = "done"

    def action_charge_now(self):
        """Charge the lines of the plan that are due today (same path as the cron)."""
        lines = self.line_ids.filtered(
            lambda line: (
                line.state in ("pending", "retrying")
                and line.next_attempt_date
                and line.next_attempt_date <= fields.Date.context_today(self)
            )
        )
        lines._charge(commit=False)
        return True

    def action_view_transactions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "payment.action_payment_transaction"
        )
        action["domain"] = [("id", "in", self.line_ids.transaction_ids.ids)]
        action["context"] = {"create": False}
        return action

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("id", "in", self._related_invoices().ids)]
        action["context"] = {"create": False, "default_move_type": "out_invoice"}
        return action

    # ------------------------------------------------------------------
    # Recurring invoices
    # ------------------------------------------------------------------
    def _create_period_invoice(self, line):
        """Create and post the invoice of one period of a recurring plan.

        The invoice copies the order's lines without linking them to the order
        lines (the order stays invoiced once; each period is its own invoice) and
        names the period in its reference.
        """
        self.ensure_one()
        order = self.sale_order_id
        # on the customer's invoice: in the customer's language and date format
        texts = self.with_context(lang=order.partner_id.lang).env
        period = texts._(
            "%(start)s to %(end)s",
            start=format_date(texts, line.due_date),
            end=format_date(texts, line.period_end or line.due_date),
        )
        invoice_lines = []
        for order_line in order.order_line:
            if order_line.display_type:
                invoice_lines.append(
                    Command.create(
                        {
                            "display_type": order_line.display_type,
                            "name": order_line.name,
                        }
                    )
                )
                continue
            invoice_lines.append(
                Command.create(
                    {
                        "product_id": order_line.product_id.id,
                        "name": f"{order_line.name} ({period})",
                        "quantity": order_line.product_uom_qty,
                        "product_uom_id": order_line.product_uom.id,
                        "price_unit": order_line.price_unit,
                        "discount": order_line.discount,
                        "tax_ids": [Command.set(order_line.tax_id.ids)],
                        "analytic_distribution": order_line.analytic_distribution,
                    }
                )
            )
        invoice = (
            self.env["account.move"]
            .with_company(self.company_id)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": order.partner_invoice_id.id,
                    "currency_id": self.currency_id.id,
                    "invoice_date": line.due_date,
                    "invoice_origin": order.name,
                    "ref": f"{self.name} {period}",
                    "invoice_user_id": self.user_id.id,
                    "team_id": order.team_id.id,
                    "fiscal_position_id": order.fiscal_position_id.id,
                    "invoice_payment_term_id": False,
                    "invoice_date_due": line.due_date,
                    "invoice_line_ids": invoice_lines,
                }
            )
        )
        invoice.action_post()
        return invoice

    # ------------------------------------------------------------------
    # Crons
    # ------------------------------------------------------------------
    @api.model
    def _cron_charge_due(self, limit=200):
        """Charge every installment due today; safe run twice or concurrently."""
        return self.env["sales.closing.installment.plan.line"]._charge_due_lines(
            limit=limit
        )

    def _next_retry_date(self, line, today):
        """Return the date of the next attempt of ``line`` after a failure, or False."""
        self.ensure_one()
        retry = schedule.retry_schedule(
            line.attempts,
            today,
            delay_days=self.retry_delay_days,
            max_attempts=self.max_attempts,
        )
        return retry or False

    def _activity_deadline(self):
        return fields.Date.context_today(self) + timedelta(days=1)
