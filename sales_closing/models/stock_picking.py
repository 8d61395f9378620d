from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        result = super()._action_done()
        orders = self.move_ids.sale_line_id.order_id
        if orders and "delivery" in orders._sales_closing_policies().values():
            # invoice the delivered quantities in the background, now
            self.env["sales.closing.invoicing"]._trigger()
        return result
