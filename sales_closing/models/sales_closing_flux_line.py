from decimal import Decimal

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..engine.flux import flux
from ..tools import check_workflow_write

# Computed by the flux analysis (run with the checks) only, in sudo.
WORKFLOW_FIELDS = frozenset(
    {
        "period_id",
        "dimension",
        "name",
        "key",
        "current",
        "previous",
        "last_year",
        "var_prev",
        "var_prev_pct",
        "var_ly",
        "var_ly_pct",
        "needs_explanation",
    }
)


class SalesClosingFluxLine(models.Model):
    """One row of a period's flux analysis.

    Revenue by account, receivables and collections by customer are compared
    with the previous period and the same period last year; a variance above
    the company's materiality threshold (amount and percent) must be
    explained before the period closes.
    """

    _name = "sales.closing.flux.line"
    # group totals per currency (periods of companies in several currencies)
    _inherit = ["sales.closing.currency.totals.mixin"]
    _description = "Closing Flux Analysis Line"
    _order = "period_id, dimension, needs_explanation desc, name"
    _sales_closing_workflow_fields = WORKFLOW_FIELDS

    period_id = fields.Many2one(
        "sales.closing.period", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="period_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    dimension = fields.Selection(
        [
            ("revenue", "Revenue by account"),
            ("receivable", "Receivables by customer"),
            ("collection", "Collections by customer"),
        ],
        required=True,
        readonly=True,
    )
    name = fields.Char(required=True, readonly=True)
    key = fields.Char(required=True, readonly=True, help="Technical key: record id.")
    current = fields.Monetary(readonly=True)
    previous = fields.Monetary(string="Previous Period", readonly=True)
    last_year = fields.Monetary(string="Same Period Last Year", readonly=True)
    var_prev = fields.Monetary(string="Variance vs Previous", readonly=True)
    var_prev_pct = fields.Float(string="% vs Previous", readonly=True, aggregator=False)
    var_ly = fields.Monetary(string="Variance vs Last Year", readonly=True)
    var_ly_pct = fields.Float(string="% vs Last Year", readonly=True, aggregator=False)
    needs_explanation = fields.Boolean(readonly=True)
    explanation = fields.Text(
        help="Why the variance is what it is; required before the period "
        "closes when the variance is material."
    )

    # ------------------------------------------------------------------
    # Controls: closing accountants write the explanation, nothing else
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_workflow_write(self, vals, WORKFLOW_FIELDS)
        return super().create(vals_list)

    def write(self, vals):
        check_workflow_write(self, vals, WORKFLOW_FIELDS)
        if "explanation" in vals:
            # blank text explains nothing: it leaves the variance unexplained
            vals = {**vals, "explanation": (vals["explanation"] or "").strip() or False}
            if not self.env.su:
                closed = self.filtered(lambda line: line.period_id.state == "closed")
                if closed:
                    raise UserError(
                        self.env._(
                            "Period %s is closed: its flux analysis cannot change.",
                            closed[0].period_id.name,
                        )
                    )
        return super().write(vals)

    def unlink(self):
        if not self.env.su:
            raise AccessError(
                self.env._(
                    "Flux analysis lines are replaced by running the checks "
                    "again; a material variance is cleared by explaining it."
                )
            )
        return super().unlink()

    # ------------------------------------------------------------------
    @api.model
    def _ranges(self, period):
        """(current, previous, last year) date ranges of ``period``."""
        months = {"month": 1, "quarter": 3, "year": 12}[period.kind]
        shift = relativedelta(months=months)
        year = relativedelta(years=1)
        return {
            "current": (period.date_from, period.date_to),
            "previous": (
                period.date_from - shift,
                period.date_from - relativedelta(days=1),
            ),
            "last_year": (period.date_from - year, period.date_to - year),
        }

    def _sum_by(self, model, domain, group, field, sign=1):
        rows = self.env[model]._read_group(domain, [group], [f"{field}:sum"])
        return {
            record: Decimal(str(round(sign * (total or 0.0), 2)))
            for record, total in rows
            if record
        }

    def _figures(self, period, date_from, date_to):
        company = period.company_id.id
        lines = "account.move.line"
        posted = [("company_id", "=", company), ("parent_state", "=", "posted")]
        revenue = self._sum_by(
            lines,
            posted
            + [
                ("account_id.account_type", "in", ("income", "income_other")),
                ("date", ">=", date_from),
                ("date", "<=", date_to),
            ],
            "account_id",
            "balance",
            sign=-1,
        )
        receivable = self._sum_by(
            lines,
            posted
            + [
                ("account_id.account_type", "=", "asset_receivable"),
                ("date", "<=", date_to),
            ],
            "partner_id",
            "balance",
        )
        collection = self._sum_by(
            "account.payment",
            [
                ("company_id", "=", company),
                ("state", "in", ("in_process", "paid")),
                ("payment_type", "=", "inbound"),
                ("partner_type", "=", "customer"),
                ("date", ">=", date_from),
                ("date", "<=", date_to),
            ],
            "partner_id",
            "amount_company_currency_signed",
        )
        return {"revenue": revenue, "receivable": receivable, "collection": collection}

    @api.model
    def _refresh(self, periods):
        """Recompute the flux lines of ``periods``, keeping explanations."""
        for period in periods:
            figures = {
                name: self._figures(period, *dates)
                for name, dates in self._ranges(period).items()
            }
            company = period.company_id
            old = {(line.dimension, line.key): line for line in period.flux_line_ids}
            values = []
            for dimension in ("revenue", "receivable", "collection"):
                current = figures["current"][dimension]
                previous = figures["previous"][dimension]
                last_year = figures["last_year"][dimension]
                records = {
                    str(record.id): record
                    for record in (*current, *previous, *last_year)
                }
                rows = flux(
                    {str(r.id): v for r, v in current.items()},
                    {str(r.id): v for r, v in previous.items()},
                    {str(r.id): v for r, v in last_year.items()},
                    Decimal(str(company.sales_closing_flux_amount)),
                    Decimal(str(company.sales_closing_flux_pct)),
                )
                for row in rows:
                    explained = old.get((dimension, row.key))
                    values.append(
                        {
                            "period_id": period.id,
                            "dimension": dimension,
                            "key": row.key,
                            "name": records[row.key].display_name,
                            "current": float(row.current),
                            "previous": float(row.previous or 0),
                            "last_year": float(row.last_year or 0),
                            "var_prev": float(row.var_prev or 0),
                            "var_prev_pct": float(row.var_prev_pct or 0),
                            "var_ly": float(row.var_ly or 0),
                            "var_ly_pct": float(row.var_ly_pct or 0),
                            "needs_explanation": row.needs_explanation,
                            "explanation": explained.explanation
                            if explained
                            else False,
                        }
                    )
            # sudo: flux lines are written by this analysis only; callers
            # check the group (period.action_run_checks: closing accountants)
            period.flux_line_ids.sudo().unlink()
            self.sudo().create(values)
        return True
