# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Asynchronous notification endpoints of Alipay and WeChat Pay, and the QR page.

The notification endpoints are open to the internet (``auth="none"``): a request
larger than MAX_REQUEST_BYTES is refused unread (413), one without the shape of a
gateway notification is refused before any lookup (400 and the gateway's "fail"),
and what is stored of the requests that change nothing is bounded (see the
notification model). Nothing a caller sends yields an internal error.
"""

import json
import logging

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import request

from odoo.addons.payment import utils as payment_utils

from ..engine import alipay as alipay_engine
from ..engine.common import STATUS_MALFORMED

_logger = logging.getLogger(__name__)

#: A gateway notification is a few kilobytes; anything larger is not one.
MAX_REQUEST_BYTES = 65536
#: Log rows of these states are the bounded sample of refused or replayed
#: requests: logged at debug level only (the counters say how many).
QUIET_STATES = ("rejected", "duplicate")


class SalesClosingPaymentController(http.Controller):
    _alipay_notify_url = "/payment/alipay/notify"
    _wechatpay_notify_url = "/payment/wechatpay/notify"

    @staticmethod
    def _sales_closing_too_large():
        length = request.httprequest.content_length
        return length is not None and length > MAX_REQUEST_BYTES

    @staticmethod
    def _sales_closing_log_line(gateway, log):
        level = logging.DEBUG if log.state in QUIET_STATES else logging.INFO
        _logger.log(
            level,
            "%s notification %s for %s: %s (%s)",
            gateway,
            log.notification_ref,
            log.reference,
            log.state,
            log.reason,
        )

    @staticmethod
    def _sales_closing_notifications():
        """The notification model as the public user, in sudo.

        The notification routes are ``auth="none"``: the gateway has no session, and
        resolving the public user from its (cached) XML id spares the per-request
        user lookup of ``auth="public"`` on this hot path.
        """
        env = request.env
        public_uid = env["ir.model.data"]._xmlid_to_res_id("base.public_user")
        # sudo: the gateway is anonymous; authenticity is proven by the signature.
        return env(user=public_uid, su=True)["sales.closing.payment.notification"]

    @http.route(
        _alipay_notify_url,
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        # it writes: not the read-only cursor (then retried read/write) that
        # auth="none" routes get by default
        readonly=False,
    )
    def alipay_notify(self, **params):
        """Receive an Alipay asynchronous notification (form POST).

        Alipay retries until the body is exactly 'success': it is sent for every
        notification that was handled (applied, duplicate or set aside for review),
        'fail' for a forged one (HTTP 400 when not even shaped as a notification,
        413 when too large).
        """
        headers = [("Content-Type", "text/plain")]
        if self._sales_closing_too_large():
            return request.make_response("fail", headers=headers, status=413)
        log = self._sales_closing_notifications()._sales_closing_receive(
            "_sales_closing_process_alipay", params
        )
        self._sales_closing_log_line("Alipay", log)
        if log.reason == STATUS_MALFORMED:
            return request.make_response("fail", headers=headers, status=400)
        body = "fail" if log.state == "rejected" else alipay_engine.NOTIFICATION_ACK
        return request.make_response(body, headers=headers)

    @http.route(
        _wechatpay_notify_url,
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        # it writes: not the read-only cursor (then retried read/write) that
        # auth="none" routes get by default
        readonly=False,
    )
    def wechatpay_notify(self):
        """Receive a WeChat Pay API v3 notification (signed JSON, encrypted resource).

        HTTP 200 with no body acknowledges it; a 4xx with a JSON FAIL body makes
        WeChat Pay retry (forged or unverifiable notifications: 401; not shaped
        as a notification: 400; too large: 413).
        """
        httprequest = request.httprequest
        headers = [("Content-Type", "application/json")]
        if self._sales_closing_too_large():
            body = json.dumps({"code": "FAIL", "message": "too large"})
            return request.make_response(body, headers=headers, status=413)
        log = self._sales_closing_notifications()._sales_closing_receive(
            "_sales_closing_process_wechatpay",
            dict(httprequest.headers),
            httprequest.get_data(),
        )
        self._sales_closing_log_line("WeChat Pay", log)
        if log.state == "rejected":
            body = json.dumps({"code": "FAIL", "message": log.reason})
            status = 400 if log.reason == STATUS_MALFORMED else 401
            return request.make_response(body, headers=headers, status=status)
        return request.make_response("", status=200)

    @http.route(
        ["/payment/alipay/qr", "/payment/wechatpay/qr"],
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def qr_code_page(self, reference=None, access_token=None, **_kwargs):
        """Show the QR code of an Alipay pre-created or WeChat Pay Native payment."""
        if any(
            len(value or "") > 256 or "\x00" in (value or "")
            for value in (reference, access_token)
        ):
            raise NotFound()
        # sudo: the access token proves the buyer started this transaction.
        tx = (
            request.env["payment.transaction"]
            .sudo()
            .search([("reference", "=", reference or "")], limit=1)
        )
        if (
            not tx
            or tx.provider_code not in ("alipay", "wechatpay")
            or not payment_utils.check_access_token(
                access_token, tx.reference, tx.amount
            )
            or not tx.sales_closing_qr_code
        ):
            raise NotFound()
        return request.render(
            "sales_closing_payments.qr_code_page",
            {"tx": tx, "provider": tx.provider_id},
        )
