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

    def _check_unreconciled_transactions(self, period):
        """Payments confirmed (captured) online whose payment is not matched with
        a bank statement line: still on the outstanding account, or not even
        recorded as a payment. Sources of partial captures count through their
        captures. One query."""
        domain = [
            ("company_id", "=", period.company_id.id),
            ("state", "=", "done"),
            ("operation", "!=", "validation"),
            (
                "last_state_change",
                "<=",
                fields.Datetime.to_string(period._end_datetime()),
            ),
            "|",
            "&",
            ("payment_id", "!=", False),
            ("payment_id.is_matched", "=", False),
            "&",
            ("payment_id", "=", False),
            ("child_transaction_ids", "=", False),
        ]
        return self._read_group_result("payment.transaction", domain, "amount")

    def _check_notifications_to_review(self, period):
        domain = [
            ("company_id", "=", period.company_id.id),
            ("state", "=", "review"),
            ("create_date", "<=", fields.Datetime.to_string(period._end_datetime())),
        ]
        return self._read_group_result("sales.closing.payment.notification", domain)
