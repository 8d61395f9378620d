from odoo import api, fields, models
from odoo.exceptions import UserError


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
        help="Responsible of the check lines this kind creates in new periods.",
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
        domain = [
            ("company_id", "=", period.company_id.id),
            ("state", "=", "sale"),
            (
                "order_id.date_order",
                "<=",
                fields.Datetime.to_string(period._end_datetime()),
            ),
            ("qty_to_invoice", ">", 0),
            ("display_type", "=", False),
        ]
        return self._read_group_result(
            "sale.order.line", domain, "untaxed_amount_to_invoice"
        )

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
