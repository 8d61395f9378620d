from odoo import models


class AccountPayment(models.Model):
    _inherit = "account.payment"

    def _sales_closing_check(self, redate=False):
        customer_payments = self.filtered(lambda pay: pay.partner_type == "customer")
        self.env["sales.closing.period"]._check_documents_open(
            [(pay, pay.company_id, pay.date) for pay in customer_payments],
            redate=redate,
        )

    def action_post(self):
        # With re-dating allowed, account.move._post re-dates and logs.
        self._sales_closing_check(redate=True)
        return super().action_post()

    def action_draft(self):
        self._sales_closing_check()
        return super().action_draft()

    def unlink(self):
        self._sales_closing_check()
        return super().unlink()
