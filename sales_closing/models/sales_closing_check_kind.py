from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine.sequence import sequence_issues


class SalesClosingCheckKind(models.Model):
    """A kind of closing check: a registry entry plus a ``_check_<code>`` method.

    Other addons add a check by adding a data record with a new ``code`` and a
    method ``_check_<code>(period)`` on this model returning a dict with
    ``res_model``, ``domain``, ``count`` and ``amount`` (company currency).
    Each method must run a constant number of queries (use ``_read_group``).
    """

    _name = "sales.closing.check.kind"
    _description = "Closing Check Kind"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True,
        help="Technical code; the check runs method _check_<code>. "
        "Manual tasks need no method.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    severity = fields.Selection(
        [("blocking", "Blocking"), ("warning", "Warning")],
        default="blocking",
        required=True,
        help="Default severity; a failed blocking check prevents the close "
        "unless a manager waives it.",
    )
    is_manual = fields.Boolean(
        string="Manual Task",
        help="A task ticked by its responsible user instead of computed.",
    )
    company_id = fields.Many2one(
        "res.company",
        help="Leave empty to use this check in every company.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Default Responsible",
        help="Responsible (preparer) of the check lines this kind creates in "
        "new periods.",
    )
    reviewer_id = fields.Many2one(
        "res.users",
        string="Default Reviewer",
        help="When set, each item of this check must be signed off by its "
        "preparer and then by this reviewer before the period closes.",
    )
    due_days = fields.Integer(
        help="Days after the period end by which the item is due; manual "
        "tasks roll forward to each new period with this due date.",
    )
    depends_on_ids = fields.Many2many(
        "sales.closing.check.kind",
        "sales_closing_check_kind_dependency_rel",
        "kind_id",
        "depends_on_id",
        string="Depends On",
        help="Checks that must be OK or waived before this one can be "
        "signed off or ticked.",
    )
    company_setting_ids = fields.One2many(
        "sales.closing.check.kind.company",
        "kind_id",
        string="Company Settings",
        help="Severity, responsible and reviewer of this check per company.",
    )

    _sql_constraints = [
        (
            "code_company_uniq",
            "unique(code, company_id)",
            "A check code must be unique.",
        ),
    ]

    @api.constrains("code", "is_manual")
    def _check_method_exists(self):
        for kind in self:
            if not kind.is_manual and not hasattr(self, f"_check_{kind.code}"):
                raise UserError(
                    self.env._(
                        "Check %(name)s has no method _check_%(code)s. "
                        "Mark it as a manual task or install the addon "
                        "that provides it.",
                        name=kind.name,
                        code=kind.code,
                    )
                )

    @api.constrains("depends_on_ids")
    def _check_dependency_cycle(self):
        if self._has_cycle("depends_on_ids"):
            raise UserError(
                self.env._("Checks cannot depend on each other in a cycle.")
            )

    def _line_values(self, period):
        """Values of the checklist item this kind creates in ``period``."""
        self.ensure_one()
        setting = self.company_setting_ids.filtered(
            lambda s: s.company_id == period.company_id
        )[:1]
        company = period.company_id

        def member(user):
            # default users of a shared check may not work for this company
            return user if company in user.company_ids else user.browse()

        return {
            "period_id": period.id,
            "kind_id": self.id,
            "user_id": (setting.user_id or member(self.user_id) or period.user_id).id,
            "reviewer_id": (setting.reviewer_id or member(self.reviewer_id)).id,
            "severity": setting.severity or self.severity,
            "due_date": period.date_to + timedelta(days=self.due_days),
        }

    def _applies_to(self, company):
        """Whether this check belongs on ``company``'s checklists: the
        e-fapiao check only where the company issues e-fapiao."""
        self.ensure_one()
        if self.code == "fapiao_missing":
            return company.sales_closing_fapiao_enabled
        return True

    def _evaluate(self, period):
        """Run this automatic check on ``period`` and return its result dict."""
        self.ensure_one()
        result = getattr(self, f"_check_{self.code}")(period)
        result.setdefault("amount", 0.0)
        return result

    # ------------------------------------------------------------------
    # Built-in checks. Each returns the offending records' domain, count
    # and amount with a constant number of queries.
    # ------------------------------------------------------------------
    def _read_group_result(self, model, domain, amount_field=None):
        aggregates = ["__count"]
        if amount_field:
            aggregates.append(f"{amount_field}:sum")
        row = self.env[model]._read_group(domain, [], aggregates)[0]
        return {
            "res_model": model,
            "domain": domain,
            "count": row[0],
            "amount": abs(row[1] or 0.0) if amount_field else 0.0,
        }

    def _check_uninvoiced_lines(self, period):
        """Lines Odoo marks "to invoice": a quantity to invoice either way
        (a credit note to issue, a down payment to deduct, too); their
        untaxed amount in company currency at each order's rate."""
        company = period.company_id
        domain = [
            ("company_id", "=", company.id),
            ("state", "=", "sale"),
            (
                "order_id.date_order",
                "<=",
                fields.Datetime.to_string(period._end_datetime()),
            ),
            ("invoice_status", "=", "to invoice"),
            ("display_type", "=", False),
        ]
        Line = self.env["sale.order.line"]
        count = amount = 0
        for currency, rows, to_invoice in Line._read_group(
            domain, ["currency_id"], ["__count", "untaxed_amount_to_invoice:sum"]
        ):
            count += rows
            if currency == company.currency_id:
                amount += to_invoice
                continue
            # another currency: each order at its own rate
            for order, order_amount in Line._read_group(
                domain + [("currency_id", "=", currency.id)],
                ["order_id"],
                ["untaxed_amount_to_invoice:sum"],
            ):
                amount += order_amount / (order.currency_rate or 1.0)
        return {
            "res_model": "sale.order.line",
            "domain": domain,
            "count": count,
            "amount": abs(company.currency_id.round(amount)),
        }

    def _check_draft_invoices(self, period):
        domain = [
            ("company_id", "=", period.company_id.id),
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("state", "=", "draft"),
            ("date", ">=", fields.Date.to_string(period.date_from)),
            ("date", "<=", fields.Date.to_string(period.date_to)),
        ]
        return self._read_group_result("account.move", domain, "amount_total_signed")

    def _check_overdue_invoices(self, period):
        domain = [
            ("company_id", "=", period.company_id.id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
            ("invoice_date_due", "<", fields.Date.to_string(period.date_to)),
        ]
        return self._read_group_result("account.move", domain, "amount_residual_signed")

    def _check_late_deliveries(self, period):
        domain = [
            ("company_id", "=", period.company_id.id),
            ("picking_type_code", "=", "outgoing"),
            ("state", "not in", ("done", "cancel")),
            (
                "sale_id.date_order",
                "<=",
                fields.Datetime.to_string(period._end_datetime()),
            ),
        ]
        return self._read_group_result("stock.picking", domain)

    def _check_negative_stock(self, period):
        domain = [
            ("company_id", "=", period.company_id.id),
            ("location_id.usage", "=", "internal"),
            ("quantity", "<", 0),
        ]
        return self._read_group_result("stock.quant", domain)

    def _check_unreconciled_bank_lines(self, period):
        domain = [
            ("company_id", "=", period.company_id.id),
            ("is_reconciled", "=", False),
            ("date", ">=", fields.Date.to_string(period.date_from)),
            ("date", "<=", fields.Date.to_string(period.date_to)),
        ]
        return self._read_group_result("account.bank.statement.line", domain, "amount")

    def _check_invoice_sequence(self, period):
        """Gaps or duplicates in the numbers of posted customer invoices."""
        domain = [
            ("company_id", "=", period.company_id.id),
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("state", "=", "posted"),
            ("date", ">=", fields.Date.to_string(period.date_from)),
            ("date", "<=", fields.Date.to_string(period.date_to)),
        ]
        names = [
            row["name"]
            for row in self.env["account.move"].search_read(domain, ["name"])
        ]
        issues = sequence_issues(names)
        count = len(issues["gaps"]) + len(issues["duplicates"])
        if issues["duplicates"]:
            domain = domain + [("name", "in", issues["duplicates"])]
        elif issues["gaps"]:
            # the invoices of the sequences that have a gap
            prefixes = sorted({gap[0] for gap in issues["gaps"]})
            domain = domain + ["|"] * (len(prefixes) - 1)
            domain += [("name", "=like", f"{prefix}%") for prefix in prefixes]
        else:
            domain = domain + [("id", "=", 0)]
        return {"res_model": "account.move", "domain": domain, "count": count}

    def _check_unapproved_orders(self, period):
        """Orders confirmed in the period that break a rule without approval.

        An order counts when it is confirmed (state ``sale``), its
        confirmation date (``date_order``) falls in the period, and its lines
        evaluated against the company's current validation rules (the
        customer average taken over the customer's other confirmed orders)
        give at least one violation that no approved violation record of the
        order covers (same rule, line and value).  This catches orders
        confirmed through a path that bypassed the approval and orders
        approved for other values or before the rules changed.  The amount
        is their untaxed total in company currency.
        """
        domain = [
            ("company_id", "=", period.company_id.id),
            ("state", "=", "sale"),
            ("date_order", ">=", fields.Datetime.to_string(period.date_from)),
            ("date_order", "<=", fields.Datetime.to_string(period._end_datetime())),
        ]
        orders = self.env["sale.order"].search(domain)
        if orders and period.company_id.sales_closing_max_below_pricelist:
            # the pricelist price of each line searches its pricelist's
            # rules (Odoo's ``pricelist_item_id`` is computed, not stored,
            # and rules based on other pricelists search again): fetch the
            # rules once so the query count does not grow with the lines
            rules = self.env["product.pricelist"]._sales_closing_rules_cache(
                orders.pricelist_id
            )
            orders = orders.with_context(sales_closing_pricelist_rules=rules)
        violations = orders._sales_closing_evaluate()
        bad = orders.filtered(
            lambda order: (
                violations[order]
                and not order._sales_closing_covered(violations[order])
            )
        )
        return {
            "res_model": "sale.order",
            "domain": [("id", "in", bad.ids)],
            "count": len(bad),
            "amount": sum(
                order.amount_untaxed / (order.currency_rate or 1.0) for order in bad
            ),
        }

    def _check_customer_statements(self, period):
        """Customer statements of the period sent but not confirmed, or
        disputed; amount: their closing balances.  One query.

        A statement belongs to the period when it was generated for it or
        when it ends in it.
        """
        domain = [
            ("company_id", "=", period.company_id.id),
            ("state", "in", ("sent", "disputed")),
            "|",
            ("period_id", "=", period.id),
            "&",
            ("date_to", ">=", fields.Date.to_string(period.date_from)),
            ("date_to", "<=", fields.Date.to_string(period.date_to)),
        ]
        return self._read_group_result(
            "sales.closing.statement", domain, "closing_balance"
        )

    def _check_fapiao_missing(self, period):
        """Posted customer invoices and credit notes of the period without
        an issued e-fapiao (blue, or red for a credit note); amount: their
        totals with tax in company currency.  One query."""
        company = period.company_id
        if not company.sales_closing_fapiao_enabled:
            return {
                "res_model": "account.move",
                "domain": [("id", "=", 0)],
                "count": 0,
            }
        domain = [
            ("company_id", "=", company.id),
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("state", "=", "posted"),
            ("date", ">=", fields.Date.to_string(period.date_from)),
            ("date", "<=", fields.Date.to_string(period.date_to)),
            ("sales_closing_fapiao_number", "=", False),
        ]
        row = self.env["account.move"]._read_group(
            domain, ["move_type"], ["__count", "amount_total_signed:sum"]
        )
        return {
            "res_model": "account.move",
            "domain": domain,
            "count": sum(count for _type, count, _amount in row),
            "amount": sum(abs(amount or 0.0) for _type, _count, amount in row),
        }
