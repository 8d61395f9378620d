from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    sales_closing_auto_qty = fields.Float(
        string="Invoiced by Automation",
        digits="Product Unit of Measure",
        readonly=True,
        copy=False,
        help="Quantity the invoicing automation invoiced, net of the credit "
        "notes it made itself. A credit note made by a user does not lower "
        "it, so the automation never invoices that quantity again.",
    )

    def _prepare_invoice_line(self, **optional_values):
        res = super()._prepare_invoice_line(**optional_values)
        quantities = self.env.context.get("sales_closing_invoice_qty")
        if quantities and not self.display_type and "quantity" in res:
            quantity = dict(quantities).get(self.id)
            if quantity is not None:
                res["quantity"] = quantity
        return res
