from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        result = super()._action_done()
        # sudo: a warehouse user validates the delivery of an order he may not
        # read (another salesperson's, Odoo's sale_stock allows it); only the
        # invoicing policy of the orders is read, the invoicing itself runs
        # later in the scheduled action
        orders = self.sudo().move_ids.sale_line_id.order_id
        if orders and "delivery" in orders._sales_closing_policies().values():
            # invoice the delivered quantities in the background, now
            self.env["sales.closing.invoicing"]._trigger()
        return result
