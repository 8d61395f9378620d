from odoo import fields, models

# Changing these on a statement line rewrites its journal entry.
SALES_CLOSING_PROTECTED_FIELDS = {
    "date",
    "amount",
    "amount_currency",
    "foreign_currency_id",
    "journal_id",
}


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    # create: the line's entry is posted by Odoo (move_id.action_post), so
    # account.move._post refuses or re-dates and logs it.

    def write(self, vals):
        if SALES_CLOSING_PROTECTED_FIELDS & vals.keys():
            items = [(line, line.company_id, line.date) for line in self]
            if "date" in vals:
                new_date = fields.Date.to_date(vals["date"])
                items += [(line, line.company_id, new_date) for line in self]
            self.env["sales.closing.period"]._check_documents_open(items)
        return super().write(vals)

    def unlink(self):
        self.env["sales.closing.period"]._check_documents_open(
            [(line, line.company_id, line.date) for line in self]
        )
        return super().unlink()
