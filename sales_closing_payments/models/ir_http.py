# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models
from odoo.http import request

#: The routes open to the internet whose form is the gateway's.
NOTIFICATION_PATHS = ("/payment/alipay/notify", "/payment/wechatpay/notify")


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _dispatch(cls, endpoint):
        """Override of `base`: a form field named ``self`` on a notification
        route would make Odoo's call of the endpoint fail (an internal error)
        before it runs; no gateway sends one, so it is dropped."""
        if request.httprequest.path in NOTIFICATION_PATHS:
            request.params.pop("self", None)
        return super()._dispatch(endpoint)
