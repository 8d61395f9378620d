from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

STEP = {"month": 1, "quarter": 3, "year": 12}


class SalesClosingPeriodGenerate(models.TransientModel):
    """Create the closing periods of a fiscal year for some companies."""

    _name = "sales.closing.period.generate"
    _description = "Generate Closing Periods"

    company_ids = fields.Many2many(
        "res.company",
        string="Companies",
        required=True,
        default=lambda self: self.env.company,
    )
    kind = fields.Selection(
        [("month", "Month"), ("quarter", "Quarter"), ("year", "Year")],
        required=True,
        default=lambda self: self.env.company.sales_closing_period_kind,
    )
    date_from = fields.Date(required=True, default=lambda self: self._fiscal_year()[0])
    date_to = fields.Date(required=True, default=lambda self: self._fiscal_year()[1])

    @api.model
    def _fiscal_year(self):
        dates = self.env.company.compute_fiscalyear_dates(
            fields.Date.context_today(self)
        )
        return dates["date_from"], dates["date_to"]

    def action_generate(self):
        self.ensure_one()
        if self.date_from > self.date_to:
            raise UserError(self.env._("The fiscal year must start before it ends."))
        Period = self.env["sales.closing.period"]
        periods = Period.browse()
        day = self.date_from
        while day <= self.date_to:
            periods |= Period._create_for(self.company_ids, day, self.kind)
            day += relativedelta(months=STEP[self.kind])
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Closing Periods"),
            "res_model": "sales.closing.period",
            "view_mode": "list,form",
            "domain": [("id", "in", periods.ids)],
        }
