from odoo import models

from .account_bank_statement_line_matching import RUN_STATES


class AccountJournal(models.Model):
    _inherit = "account.journal"

    def action_sales_closing_auto_match(self):
        lines = self.env["account.bank.statement.line"].search(
            [
                ("journal_id", "in", self.ids),
                ("is_reconciled", "=", False),
                ("sales_closing_match_state", "in", list(RUN_STATES)),
            ]
        )
        return lines.action_auto_match()
