from odoo import models


class AccountBankStatement(models.Model):
    _inherit = "account.bank.statement"

    def action_sales_closing_auto_match(self):
        return self.line_ids.action_auto_match()

    def action_sales_closing_undo_auto(self):
        self.line_ids.action_sales_closing_undo_auto()
        return True

    def action_sales_closing_undo_matches(self):
        """Undo every automatic and manual match of the statements (closing
        accountants only, checked on the server; all or none, refused if a
        matched line is dated in a closed period)."""
        Review = self.env["sales.closing.review"]
        Review._check_decide()
        count = sum(Review.undo_statement(statement.id)["count"] for statement in self)
        return Review._undo_notification(count)
