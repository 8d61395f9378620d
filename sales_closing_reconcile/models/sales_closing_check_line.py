from odoo import models


class SalesClosingCheckLine(models.Model):
    _inherit = "sales.closing.check.line"

    def action_open_records(self):
        """The differences check counts without writing the report's rows:
        they are computed afresh before they are shown."""
        self.ensure_one()
        if self.res_model and self.kind_id.code == "reconcile_differences":
            self.period_id.action_compute_differences()
        return super().action_open_records()
