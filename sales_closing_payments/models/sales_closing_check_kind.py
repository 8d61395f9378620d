from odoo import fields, models


class SalesClosingCheckKind(models.Model):
    _inherit = "sales.closing.check.kind"

    def _transactions_result(self, period, states):
        domain = [
            ("company_id", "=", period.company_id.id),
            ("state", "in", states),
            ("create_date", "<=", fields.Datetime.to_string(period._end_datetime())),
        ]
        return self._read_group_result("payment.transaction", domain, "amount")

    def _check_uncaptured_transactions(self, period):
        return self._transactions_result(period, ["authorized"])

    def _check_pending_transactions(self, period):
        return self._transactions_result(period, ["pending", "error"])
