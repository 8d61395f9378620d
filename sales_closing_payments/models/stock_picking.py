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
        # sudo: the warehouse user validating or cancelling the delivery may
        # read neither the order (another salesperson's) nor its payment
        # transactions; the capture follows the delivery whoever validates it,
        # as Odoo's own stock flows update the order as superuser
        orders = self.sudo().sale_id.filtered(
            lambda order: order.state in ("sale", "cancel")
        )
        orders._sales_closing_sync_capture()
