from markupsafe import Markup
from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_amount

from ..engine import credit as credit_engine
from ..engine import order_rules
from ..engine.invoicing import POLICY_SELECTION
from ..tools import check_workflow_write, selection_label

# Fields only the approval and override methods may write.
DECISION_FIELDS = {
    "sales_closing_approval_state",
    "sales_closing_approver_id",
    "sales_closing_credit_override",
    "sales_closing_override_reason",
    "sales_closing_override_user_id",
    "sales_closing_override_date",
}
APPROVAL_ACTIVITY = "sales_closing.mail_activity_order_approval"


def rule_settings(company):
    """The validation rule thresholds of ``company`` as the engine wants them."""
    return {
        "max_discount": company.sales_closing_max_discount,
        "min_margin": company.sales_closing_min_margin,
        "max_below_pricelist": company.sales_closing_max_below_pricelist,
        "zero_price": company.sales_closing_zero_price,
        "qty_factor": company.sales_closing_qty_factor,
    }


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # written by the approval and override methods only (tests/
    # test_security_controls.py attacks every field listed here)
    _sales_closing_workflow_fields = frozenset(DECISION_FIELDS)

    sales_closing_approval_state = fields.Selection(
        [
            ("none", "Not Needed"),
            ("to_approve", "To Approve"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
        ],
        string="Approval",
        default="none",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
        help="An order breaking a validation rule waits here for the approver "
        "before it can be confirmed.",
    )
    sales_closing_violation_ids = fields.One2many(
        "sales.closing.order.violation",
        "order_id",
        string="Rule Violations",
        readonly=True,
        copy=False,
        # who may read the violations: Odoo's salespeople see no relation
        groups="sales_closing.group_closing_user,sales_closing.group_closing_auditor",
    )
    sales_closing_approver_id = fields.Many2one(
        "res.users",
        string="Approver",
        readonly=True,
        copy=False,
        help="Who was asked to approve; any closing manager may approve too.",
    )
    sales_closing_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    sales_closing_exposure = fields.Monetary(
        string="Credit Exposure",
        compute="_compute_sales_closing_credit",
        currency_field="sales_closing_currency_id",
        help="Open receivables + draft invoices + confirmed orders not yet "
        "invoiced (taxes included) of the customer + this order while it is a "
        "quotation, in company currency.",
    )
    sales_closing_exposure_receivables = fields.Monetary(
        string="Open Receivables",
        compute="_compute_sales_closing_credit",
        currency_field="sales_closing_currency_id",
    )
    sales_closing_exposure_drafts = fields.Monetary(
        string="Draft Invoices",
        compute="_compute_sales_closing_credit",
        currency_field="sales_closing_currency_id",
    )
    sales_closing_exposure_orders = fields.Monetary(
        string="Orders Not Invoiced",
        compute="_compute_sales_closing_credit",
        currency_field="sales_closing_currency_id",
        help="What the customer's confirmed orders have still to invoice, "
        "taxes included: the ordered quantity (or the delivered one if "
        "larger) less the invoiced one, at the orders' rates.",
    )
    sales_closing_exposure_current = fields.Monetary(
        string="This Order",
        compute="_compute_sales_closing_credit",
        currency_field="sales_closing_currency_id",
        help="This order's total while it is a quotation; once confirmed it "
        "counts in the orders not invoiced.",
    )
    sales_closing_credit_limit = fields.Monetary(
        string="Credit Limit",
        compute="_compute_sales_closing_credit",
        currency_field="sales_closing_currency_id",
    )
    sales_closing_over_limit = fields.Boolean(
        string="Over Credit Limit", compute="_compute_sales_closing_credit"
    )
    sales_closing_overdue_invoices = fields.Char(
        string="Overdue Invoices",
        compute="_compute_sales_closing_credit",
        help="Customer invoices overdue by more than the days set in Settings.",
    )
    sales_closing_credit_override = fields.Boolean(
        string="Credit Override",
        readonly=True,
        copy=False,
        help="A manager lets this order be confirmed once despite the credit "
        "block; used up by the confirmation.",
    )
    sales_closing_override_reason = fields.Text(
        string="Override Reason", readonly=True, copy=False
    )
    sales_closing_override_user_id = fields.Many2one(
        "res.users", string="Override By", readonly=True, copy=False
    )
    sales_closing_override_date = fields.Datetime(
        string="Override On", readonly=True, copy=False
    )

    # ------------------------------------------------------------------
    # Protection of the decision fields
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._sales_closing_check_decision_write(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._sales_closing_check_decision_write(vals)
        return super().write(vals)

    def _sales_closing_check_decision_write(self, vals):
        """Only the approval and override methods, after their group check,
        write the decision fields (with ``sudo()``); no context key lets
        anybody else through."""
        check_workflow_write(self, vals, self._sales_closing_workflow_fields)

    # ------------------------------------------------------------------
    # Credit exposure
    # ------------------------------------------------------------------
    def _sales_closing_credit_partner(self):
        """The commercial entity billed for this order, whose credit it uses."""
        self.ensure_one()
        return (self.partner_invoice_id or self.partner_id).commercial_partner_id

    def _sales_closing_credit_figures(self, batch=False):
        """``{order: {"exposure": {...}, "limit": x, "overdue": [...]}}``.

        With ``batch``, the orders are confirmed together: each one's
        exposure also counts the quotations of the same customer and
        company before it in ``self``.
        """
        partners = self.env["res.partner"]
        for order in self:
            partners |= order._sales_closing_credit_partner()
        data = partners._sales_closing_credit_data(self.company_id)
        result = {}
        earlier = {}
        for order in self:
            company = order.company_id
            commercial = order._sales_closing_credit_partner()
            parts = data.get((commercial.id, company.id), {})
            current = None
            orders = parts.get("orders", [])
            if order.state in ("draft", "sent"):
                current = {"amount": order.amount_total, "rate": order.currency_rate}
                if batch:
                    key = (commercial.id, company.id)
                    orders = orders + earlier.get(key, [])
                    earlier.setdefault(key, []).append(current)
            # sudo: the credit limit is readable by accountants only
            limit = commercial.sudo().with_company(company).credit_limit
            result[order] = {
                "exposure": credit_engine.exposure(
                    parts.get("receivables", []),
                    orders,
                    current,
                    draft_invoices=parts.get("drafts", []),
                ),
                "limit": limit,
                "overdue": credit_engine.overdue(
                    parts.get("overdue", []),
                    fields.Date.context_today(self),
                    company.sales_closing_credit_overdue_days,
                ),
            }
        return result

    @api.depends(
        "partner_id",
        "partner_invoice_id",
        "company_id",
        "amount_total",
        "currency_rate",
        "state",
    )
    def _compute_sales_closing_credit(self):
        figures = self.filtered("partner_id")._sales_closing_credit_figures()
        for order in self:
            figure = figures.get(order)
            exposure = figure["exposure"] if figure else {}
            order.sales_closing_exposure_receivables = exposure.get("receivables", 0)
            order.sales_closing_exposure_drafts = exposure.get("draft_invoices", 0)
            order.sales_closing_exposure_orders = exposure.get("uninvoiced_orders", 0)
            order.sales_closing_exposure_current = exposure.get("current_order", 0)
            if not figure:
                order.sales_closing_exposure = 0.0
                order.sales_closing_credit_limit = 0.0
                order.sales_closing_over_limit = False
                order.sales_closing_overdue_invoices = False
                continue
            total = figure["exposure"]["total"]
            order.sales_closing_exposure = total
            order.sales_closing_credit_limit = figure["limit"]
            order.sales_closing_over_limit = credit_engine.over_limit(
                total, figure["limit"]
            )
            order.sales_closing_overdue_invoices = ", ".join(
                self.env._(
                    "%(name)s (%(days)s days)", name=i["name"], days=i["days_overdue"]
                )
                for i in figure["overdue"]
            )

    def _sales_closing_credit_errors(self):
        """One message per order the credit block stops, naming the customer."""
        orders = self.filtered(
            lambda o: (
                o.company_id.sales_closing_credit_block
                and not o.sales_closing_credit_override
            )
        )
        errors = []
        if not orders:
            return errors
        figures = orders._sales_closing_credit_figures(batch=True)
        for order in orders:
            figure = figures[order]
            company = order.company_id
            partner = order._sales_closing_credit_partner()
            exposure = figure["exposure"]
            if credit_engine.over_limit(exposure["total"], figure["limit"]):

                def money(amount, company=company):
                    return format_amount(self.env, amount, company.currency_id)

                errors.append(
                    self.env._(
                        "Order %(order)s: the credit exposure of %(partner)s is "
                        "%(exposure)s (open receivables %(receivables)s + "
                        "draft invoices %(drafts)s + confirmed orders not "
                        "invoiced %(orders)s + this order %(current)s), above "
                        "the credit limit of %(limit)s.",
                        order=order.name,
                        partner=partner.display_name,
                        exposure=money(exposure["total"]),
                        receivables=money(exposure["receivables"]),
                        drafts=money(exposure["draft_invoices"]),
                        orders=money(exposure["uninvoiced_orders"]),
                        current=money(exposure["current_order"]),
                        limit=money(figure["limit"]),
                    )
                )
            if figure["overdue"]:
                errors.append(
                    self.env._(
                        "Order %(order)s: %(partner)s has invoices overdue by "
                        "more than %(days)s days: %(invoices)s.",
                        order=order.name,
                        partner=partner.display_name,
                        days=company.sales_closing_credit_overdue_days,
                        invoices=", ".join(
                            self.env._(
                                "%(name)s (%(days)s days)",
                                name=i["name"],
                                days=i["days_overdue"],
                            )
                            for i in figure["overdue"]
                        ),
                    )
                )
        return errors

    # ------------------------------------------------------------------
    # Validation rules
    # ------------------------------------------------------------------
    def _sales_closing_rule_lines(self, order_lines):
        """Engine dicts of ``order_lines``; averages in one ``_read_group``."""
        companies = self.company_id
        settings = {company: rule_settings(company) for company in companies}
        averages = {}
        if any(s["qty_factor"] for s in settings.values()) and order_lines:
            # sudo: the average is over all the customer's orders
            rows = (
                self.env["sale.order.line"]
                .sudo()
                ._read_group(
                    [
                        ("company_id", "in", companies.ids),
                        ("state", "=", "sale"),
                        ("display_type", "=", False),
                        ("order_id", "not in", self.ids),
                        ("product_id", "in", order_lines.product_id.ids),
                        (
                            "order_partner_id.commercial_partner_id",
                            "in",
                            self.partner_id.commercial_partner_id.ids,
                        ),
                    ],
                    ["order_partner_id", "product_id"],
                    ["product_uom_qty:sum", "__count"],
                )
            )
            sums = {}
            for partner, product, qty, count in rows:
                key = (partner.commercial_partner_id.id, product.id)
                total, number = sums.get(key, (0.0, 0))
                sums[key] = (total + qty, number + count)
            averages = {key: total / number for key, (total, number) in sums.items()}
        result = []
        for line in order_lines:
            order = line.order_id
            setting = settings[order.company_id]
            cost = None
            if setting["min_margin"]:
                product = line.product_id.with_company(order.company_id)
                cost = product.uom_id._compute_price(
                    product.standard_price, line.product_uom
                ) * (order.currency_rate or 1.0)
            pricelist_price = None
            if setting["max_below_pricelist"]:
                # without a pricelist, Odoo's list price in the order currency
                pricelist_price = line._get_pricelist_price()
            result.append(
                {
                    "ref": line.id,
                    "name": self.env._(
                        "Order %(order)s, line %(line)s",
                        order=order.name,
                        line=line.product_id.display_name,
                    ),
                    "qty": line.product_uom_qty,
                    "price_unit": line.price_unit,
                    "discount": line.discount,
                    "cost": cost,
                    "pricelist_price": pricelist_price,
                    "average_qty": averages.get(
                        (order.partner_id.commercial_partner_id.id, line.product_id.id)
                    ),
                }
            )
        return result

    def _sales_closing_evaluate(self):
        """``{order: [violation dicts]}`` under each company's current rules."""
        result = {order: [] for order in self}
        active = self.filtered(
            lambda o: order_rules.any_rule_on(rule_settings(o.company_id))
        )
        lines = active.order_line.filtered(
            lambda line: (
                not line.display_type and line.product_id and not line.is_downpayment
            )
        )
        if not lines:
            return result
        line_dicts = active._sales_closing_rule_lines(lines)
        by_id = {line.id: line for line in lines}
        for data in line_dicts:
            order = by_id[data["ref"]].order_id
            result[order].extend(
                order_rules.evaluate_line(data, rule_settings(order.company_id))
            )
        return result

    def _sales_closing_covered(self, violations):
        """Whether approved violation records cover all ``violations``."""
        self.ensure_one()
        approved = {
            order_rules.violation_key(
                {"rule": v.rule, "ref": v.line_id.id, "value": v.value}
            )
            # sudo: the violations are readable by the Sales Closing groups
            # only; the salesperson confirming may be in none of them
            for v in self.sudo().sales_closing_violation_ids
            if v.state == "approved"
        }
        return all(order_rules.violation_key(v) in approved for v in violations)

    def _sales_closing_check_input(self):
        """Refuse bad input naming the order and line: nothing is confirmed."""
        errors = []
        for order in self:
            if (
                order.pricelist_id
                and order.currency_id != order.pricelist_id.currency_id
            ):
                errors.append(
                    self.env._(
                        "Order %(order)s is in %(currency)s but its pricelist "
                        "%(pricelist)s is in %(pricelist_currency)s.",
                        order=order.name,
                        currency=order.currency_id.name,
                        pricelist=order.pricelist_id.display_name,
                        pricelist_currency=order.pricelist_id.currency_id.name,
                    )
                )
            for line in order.order_line:
                if not line.display_type and line.product_uom_qty < 0:
                    errors.append(
                        self.env._(
                            "Order %(order)s, line %(line)s: the quantity "
                            "%(qty)s is negative.",
                            order=order.name,
                            line=line.product_id.display_name or line.name,
                            qty=line.product_uom_qty,
                        )
                    )
        if errors:
            raise UserError("\n".join(errors))

    def _sales_closing_approvers(self):
        self.ensure_one()
        company = self.company_id
        if company.sales_closing_approver_id:
            return company.sales_closing_approver_id
        group = self.env.ref("sales_closing.group_closing_manager")
        return group.sudo().users.filtered(
            lambda u: u.active and not u.share and company in u.company_ids
        )

    def _sales_closing_can_approve(self):
        user = self.env.user
        return user.has_group("sales_closing.group_closing_manager") or all(
            order.company_id.sales_closing_approver_id == user for order in self
        )

    def _sales_closing_request_approval(self, violations):
        # sudo: the salesperson asking may read no violation (Sales Closing
        # groups only); the pending ones are replaced by the new request
        self.sudo().sales_closing_violation_ids.filtered(
            lambda v: v.state == "pending"
        ).unlink()
        values = []
        for order in self:
            values += [
                {
                    "order_id": order.id,
                    "line_id": violation["ref"],
                    "rule": violation["rule"],
                    "value": violation["value"],
                    "limit": violation["limit"],
                    "message": violation["message"],
                }
                for violation in violations[order]
            ]
        # sudo: sales people record violations they may not edit afterwards
        recorded = self.env["sales.closing.order.violation"].sudo().create(values)
        recorded._write_messages()
        # whoever confirms the order (write access) asks for its approval
        self.check_access("write")
        for order in self:
            approvers = order._sales_closing_approvers()
            # sudo: the decision fields are written by this workflow only
            # (write() refuses them otherwise); the caller may write the order
            order.sudo().write(
                {
                    "sales_closing_approval_state": "to_approve",
                    "sales_closing_approver_id": approvers[:1].id,
                }
            )
            messages = recorded.filtered(lambda v, o=order: v.order_id == o).mapped(
                "message"
            )
            order.message_post(
                body=Markup("%s<ul>%s</ul>")
                % (
                    self.env._("Confirmation needs approval:"),
                    Markup().join(Markup("<li>%s</li>") % m for m in messages),
                )
            )
            order.activity_unlink([APPROVAL_ACTIVITY])
            for approver in approvers:
                # in the language of the approver who gets the activity
                order_violations = recorded.filtered(
                    lambda v, o=order: v.order_id == o
                ).with_context(lang=approver.lang)
                order.activity_schedule(
                    APPROVAL_ACTIVITY,
                    user_id=approver.id,
                    note="\n".join(order_violations.mapped("message")),
                )

    def action_confirm(self):
        for order in self:
            error = order._confirmation_error_message()
            if error:
                raise UserError(error)
        # an opt-in control: Odoo accepts negative quantities and a currency
        # other than the pricelist's
        checked = self.filtered("company_id.sales_closing_check_input")
        checked._sales_closing_check_input()
        violations = self._sales_closing_evaluate()
        to_approve = self.filtered(
            lambda o: violations[o] and not o._sales_closing_covered(violations[o])
        )
        to_confirm = self - to_approve
        result = True
        if to_confirm:
            to_confirm.check_access("write")
            errors = to_confirm._sales_closing_credit_errors()
            if errors:
                raise UserError("\n".join(errors))
            # orders changed since the request no longer need the approval
            stale = to_confirm.filtered(
                lambda o: o.sales_closing_approval_state == "to_approve"
            )
            # sudo: violations are readable by the Sales Closing groups only
            stale.sudo().sales_closing_violation_ids.filtered(
                lambda v: v.state == "pending"
            ).unlink()
            # sudo: the approval state is written by the workflows only; the
            # caller may confirm (write) these orders, checked above
            stale.sudo().write({"sales_closing_approval_state": "none"})
            stale.activity_unlink([APPROVAL_ACTIVITY])
            overridden = to_confirm.filtered("sales_closing_credit_override")
            result = super(SaleOrder, to_confirm).action_confirm()
            for order in overridden:
                order.message_post(
                    body=self.env._(
                        "Confirmed under the credit override of %(user)s: %(reason)s",
                        user=order.sales_closing_override_user_id.name,
                        reason=order.sales_closing_override_reason,
                    )
                )
            # sudo: the confirmation uses up the override (a workflow-only
            # field); the caller confirmed these orders, checked above
            overridden.sudo().write({"sales_closing_credit_override": False})
        if not to_approve:
            return result
        to_approve._sales_closing_request_approval(violations)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning",
                "title": self.env._("Approval needed"),
                "message": self.env._(
                    "%(orders)s break a validation rule and wait for approval.",
                    orders=", ".join(to_approve.mapped("name")),
                ),
                "sticky": False,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # ------------------------------------------------------------------
    # Decisions (called by the decision wizard)
    # ------------------------------------------------------------------
    def _sales_closing_decide(self, decision, reason):
        """Approve or reject the pending violations of these orders."""
        if not self._sales_closing_can_approve():
            raise AccessError(
                self.env._("Only closing managers or the approver can decide.")
            )
        for order in self:
            if order.sales_closing_approval_state != "to_approve":
                raise UserError(
                    self.env._("Order %s is not waiting for approval.", order.name)
                )
        now = fields.Datetime.now()
        for order in self:
            pending = order.sales_closing_violation_ids.filtered(
                lambda v: v.state == "pending"
            )
            pending.sudo().write(
                {
                    "state": decision,
                    "decision_user_id": self.env.user.id,
                    "decision_date": now,
                    "decision_reason": reason,
                }
            )
            # sudo: workflow-only field, written after _sales_closing_can_approve
            order.sudo().write({"sales_closing_approval_state": decision})
            title = (
                self.env._("Approved by %s", self.env.user.name)
                if decision == "approved"
                else self.env._("Rejected by %s", self.env.user.name)
            )
            items = Markup().join(
                Markup("<li>%s</li>")
                % self.env._(
                    "%(rule)s: %(message)s (value %(value)s, limit %(limit)s)",
                    rule=selection_label(v, "rule", v.rule),
                    message=v.message,
                    value=round(v.value, 4),
                    limit=round(v.limit, 4),
                )
                for v in pending
            )
            order.message_post(
                body=Markup("%s<ul>%s</ul>%s")
                % (
                    title,
                    items,
                    self.env._("Reason: %s", reason) if reason else "",
                )
            )
            if decision == "approved":
                order.activity_feedback([APPROVAL_ACTIVITY], feedback=reason or None)
            else:
                order.activity_unlink([APPROVAL_ACTIVITY])
        if decision == "approved":
            return self.action_confirm()
        return True

    def _sales_closing_set_override(self, reason):
        if not self.env.user.has_group("sales_closing.group_closing_manager"):
            raise AccessError(
                self.env._("Only closing managers can override the credit block.")
            )
        if not (reason or "").strip():
            raise UserError(self.env._("Give a reason for the credit override."))
        for order in self:
            if order.state not in ("draft", "sent"):
                raise UserError(
                    self.env._("Order %s is already confirmed.", order.name)
                )
        # sudo: workflow-only fields, written after the manager check above
        self.sudo().write(
            {
                "sales_closing_credit_override": True,
                "sales_closing_override_reason": reason,
                "sales_closing_override_user_id": self.env.user.id,
                "sales_closing_override_date": fields.Datetime.now(),
            }
        )
        for order in self:
            order.message_post(
                body=self.env._(
                    "Credit block overridden once by %(user)s: %(reason)s",
                    user=self.env.user.name,
                    reason=reason,
                )
            )
        return True

    def _sales_closing_open_decision(self, decision):
        return {
            "type": "ir.actions.act_window",
            "res_model": "sales.closing.order.decision",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_order_ids": self.ids,
                "default_decision": decision,
            },
        }

    def action_sales_closing_approve(self):
        return self._sales_closing_open_decision("approved")

    def action_sales_closing_reject(self):
        return self._sales_closing_open_decision("rejected")

    def action_sales_closing_override(self):
        return self._sales_closing_open_decision("override")

    # ------------------------------------------------------------------
    # Invoicing automation (engine/invoicing.py, sales.closing.invoicing)
    # ------------------------------------------------------------------
    sales_closing_invoice_policy = fields.Selection(
        POLICY_SELECTION,
        string="Invoicing Automation",
        compute="_compute_sales_closing_invoice_policy",
        help="The customer's invoicing automation, else the company's.",
    )
    sales_closing_invoice_error = fields.Text(
        string="Invoicing Automation Error",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Why the invoicing automation could not handle this order; "
        "the automation leaves the order alone until Retry Invoicing.",
    )

    def _sales_closing_policies(self):
        """``{order: policy}``: the customer's override, else the company's."""
        result = {}
        for order in self:
            company = order.company_id
            # sudo: the customer's setting is readable by closing accountants
            # only (res.partner groups); salespeople confirm orders under it
            partner = order.partner_id.commercial_partner_id.sudo().with_company(
                company
            )
            result[order] = (
                partner.sales_closing_invoice_policy
                or company.sales_closing_invoice_policy
                or "manual"
            )
        return result

    @api.depends("partner_id", "company_id")
    def _compute_sales_closing_invoice_policy(self):
        policies = self._sales_closing_policies()
        for order in self:
            order.sales_closing_invoice_policy = policies[order]

    def _get_invoiceable_lines(self, final=False):
        """With the automation's quantities in context: exactly those lines."""
        quantities = self.env.context.get("sales_closing_invoice_qty")
        if quantities is None:
            return super()._get_invoiceable_lines(final=final)
        wanted = dict(quantities)
        line_ids = []
        downpayment_ids = []
        pending_section = None
        for line in self.order_line:
            if line.display_type == "line_section":
                pending_section = line
                continue
            if line.display_type == "line_note":
                line_ids.append(line.id)
                continue
            if line.id not in wanted:
                continue
            if line.is_downpayment:
                downpayment_ids.append(line.id)
                continue
            if pending_section:
                line_ids.append(pending_section.id)
                pending_section = None
            line_ids.append(line.id)
        return self.env["sale.order.line"].browse(line_ids + downpayment_ids)

    def _action_confirm(self):
        result = super()._action_confirm()
        policies = self._sales_closing_policies()
        if any(policy != "manual" for policy in policies.values()):
            self.env["sales.closing.invoicing"]._trigger()
        return result

    def action_sales_closing_invoice_now(self):
        """Clear the flag and run the automation on these orders now.

        Bad input or a failure raises an error naming the order and line.
        """
        self.check_access("write")
        for order in self:
            if order.state != "sale":
                raise UserError(self.env._("Order %s is not confirmed.", order.name))
        # the scheduled action locks the orders it works on: wait for nobody
        self.env.flush_all()
        try:
            self.env.cr.execute(
                "SELECT id FROM sale_order WHERE id = ANY(%s) FOR UPDATE NOWAIT",
                [self.ids],
            )
        except pg_errors.LockNotAvailable as error:
            raise UserError(
                self.env._(
                    "The scheduled action is invoicing %s right now; try again "
                    "in a moment.",
                    ", ".join(self.mapped("name")),
                )
            ) from error
        # sudo: the flag is written by the automation only
        self.sudo().write({"sales_closing_invoice_error": False})
        self.activity_unlink(["sales_closing.mail_activity_invoicing_failed"])
        # sudo: the automation posts and sends as the scheduled action does,
        # for a salesperson who may write the order but not post invoices
        moves = (
            self.env["sales.closing.invoicing"]
            .sudo()
            ._process(self.sudo(), raise_errors=True)
            .sudo(False)
        )
        if not moves:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "info",
                    "message": self.env._("Nothing to invoice automatically now."),
                    "next": {"type": "ir.actions.client", "tag": "soft_reload"},
                },
            }
        return self.action_view_invoice(invoices=moves)
