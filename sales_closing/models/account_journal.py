from odoo import fields, models

from ..engine.invoice_layout import LAYOUT_SELECTION


class AccountJournal(models.Model):
    _inherit = "account.journal"

    sales_closing_invoice_layout = fields.Selection(
        LAYOUT_SELECTION,
        string="Invoice Layout",
        help="Layout of the customer invoices of this journal, used when the "
        "customer has none; empty: the company's default.",
    )
