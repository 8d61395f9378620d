from odoo import fields, models

STATUSES = [
    ("linked", "Linked"),
    ("unchanged", "Already Linked"),
    ("review", "To Review"),
    ("unmatched", "No Invoice Found"),
]
REASONS = [
    ("serial", "Serial"),
    ("blue_number", "Blue E-Fapiao Number"),
    ("buyer_total_date", "Buyer, Total and Date"),
    ("number", "E-Fapiao Number"),
    ("amounts", "Totals Differ"),
    ("ambiguous", "Several Invoices Fit"),
    ("other_number", "Invoice Has Another E-Fapiao"),
    ("not_found", "Not Found"),
    ("seller", "Another Seller"),
]


class SalesClosingFapiaoImportLine(models.TransientModel):
    _name = "sales.closing.fapiao.import.line"
    _description = "Imported E-Fapiao"
    _order = "status desc, id"

    wizard_id = fields.Many2one(
        "sales.closing.fapiao.import", required=True, ondelete="cascade"
    )
    number = fields.Char(string="E-Fapiao Number", readonly=True)
    date = fields.Date(readonly=True)
    positive = fields.Boolean(string="Blue", readonly=True)
    buyer_vat = fields.Char(string="Buyer Tax ID", readonly=True)
    filename = fields.Char(string="File", readonly=True)
    amount_total = fields.Float(string="Issued Total", digits=(16, 2), readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    status = fields.Selection(STATUSES, readonly=True)
    reason = fields.Selection(REASONS, readonly=True)
    difference_total = fields.Float(
        string="Total Difference", digits=(16, 2), readonly=True
    )
    difference_tax = fields.Float(
        string="Tax Difference", digits=(16, 2), readonly=True
    )
