from odoo import models


class SalesClosingCheckKind(models.Model):
    _inherit = "sales.closing.check.kind"

    def _check_reconcile_differences(self, period):
        """Differences between orders, deliveries, invoices, payments and
        bank lines of the period: count and total absolute difference in
        company currency, from the differences report's own queries (one per
        kind of difference).  Only the totals: the report's rows are not
        rewritten here (that was most of a checklist run); opening the
        check's records or *Compute Differences* refreshes them."""
        rows = self.env["sales.closing.difference"]._sql_rows(period)
        currency = period.company_id.currency_id
        return {
            "res_model": "sales.closing.difference",
            "domain": [("period_id", "=", period.id)],
            "count": len(rows),
            "amount": abs(sum(currency.round(row["amount_company"]) for row in rows)),
        }
