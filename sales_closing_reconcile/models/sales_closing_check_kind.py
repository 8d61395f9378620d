from odoo import models


class SalesClosingCheckKind(models.Model):
    _inherit = "sales.closing.check.kind"

    def _check_reconcile_differences(self, period):
        """Differences between orders, deliveries, invoices, payments and
        bank lines of the period (the differences report, recomputed):
        count and total absolute difference in company currency.  One query
        per kind of difference plus the batched rewrite of the rows."""
        self.env["sales.closing.difference"]._compute_for_period(period)
        return self._read_group_result(
            "sales.closing.difference",
            [("period_id", "=", period.id)],
            "amount_company",
        )
