from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        """Capture the delivered amount of the orders' authorized payments."""
        res = super()._action_done()
        self._sales_closing_sync_capture()
        return res

    def action_cancel(self):
        """Void what will not be delivered of the orders' authorized payments."""
        res = super().action_cancel()
        self._sales_closing_sync_capture()
        return res

    def _sales_closing_sync_capture(self):
        orders = self.sale_id.filtered(lambda order: order.state in ("sale", "cancel"))
        orders._sales_closing_sync_capture()
