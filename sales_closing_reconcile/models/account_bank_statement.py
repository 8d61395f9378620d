from odoo import models


class AccountBankStatement(models.Model):
    _inherit = "account.bank.statement"

    def action_sales_closing_auto_match(self):
        return self.line_ids.action_auto_match()

    def action_sales_closing_undo_auto(self):
        self.line_ids.action_sales_closing_undo_auto()
        return True
