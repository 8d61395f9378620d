"""Shared set-up of the Alipay / WeChat Pay provider tests (keys made in the test)."""

import json
from contextlib import contextmanager
from unittest.mock import patch

import requests

from odoo.tests import TransactionCase

from ..engine import simulator
from ..engine.simulator import new_key_pair

ALIPAY_APP_ID = "2021000000000001"
WECHAT_MCHID = "1900000109"
WECHAT_APPID = "wxd678efh567hg6787"
WECHAT_SERIAL = "PUB_KEY_ID_0114232025010100000000000001"
API_V3_KEY = "0123456789abcdef0123456789abcdef"
PROVIDER_MODULE = "odoo.addons.sales_closing_payments.models.payment_provider"


def fake_response(body="", status=200, headers=None):
    """Return a requests.Response carrying ``body``."""
    response = requests.Response()
    response.status_code = status
    response._content = body.encode("utf-8") if isinstance(body, str) else body
    response.headers.update(headers or {})
    response.url = "https://gateway.test/"
    return response


class CnPaymentCommon(TransactionCase):
    """Alipay and WeChat Pay providers configured with freshly generated keys."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.merchant_private, cls.merchant_public = new_key_pair()
        cls.gateway_private, cls.gateway_public = new_key_pair()
        cls.cny = cls.env.ref("base.CNY")
        cls.cny.active = True
        cls.eur = cls.env.ref("base.EUR")
        cls.partner = cls.env["res.partner"].create(
            {"name": "Zhang Wei", "email": "zhang.wei@example.com"}
        )
        cls.alipay = cls.env.ref("sales_closing_payments.payment_provider_alipay")
        cls.alipay.write(
            {
                "state": "test",
                "alipay_app_id": ALIPAY_APP_ID,
                "alipay_merchant_private_key": cls.merchant_private,
                "alipay_public_key": cls.gateway_public,
            }
        )
        cls.wechatpay = cls.env.ref("sales_closing_payments.payment_provider_wechatpay")
        cls.wechatpay.write(
            {
                "state": "test",
                "wechatpay_mch_id": WECHAT_MCHID,
                "wechatpay_app_id": WECHAT_APPID,
                "wechatpay_api_v3_key": API_V3_KEY,
                "wechatpay_serial_no": "MERCHANTSERIAL0001",
                "wechatpay_private_key": cls.merchant_private,
                "wechatpay_platform_serial": WECHAT_SERIAL,
                "wechatpay_platform_certificate": cls.gateway_public,
            }
        )
        cls.Notification = cls.env["sales.closing.payment.notification"]

    def make_tx(self, provider, reference, amount=88.8, currency=None, **values):
        method = (
            "payment.payment_method_alipay"
            if provider.code == "alipay"
            else "payment.payment_method_wechat_pay"
        )
        return self.env["payment.transaction"].create(
            {
                "provider_id": provider.id,
                "payment_method_id": self.env.ref(method).id,
                "reference": reference,
                "amount": amount,
                "currency_id": (currency or self.cny).id,
                "partner_id": self.partner.id,
                "operation": "online_redirect",
                **values,
            }
        )

    # --- gateway side ---------------------------------------------------------

    def alipay_notice(self, tx_or_ref, amount=None, private=None, **extra):
        reference = getattr(tx_or_ref, "reference", tx_or_ref)
        if amount is None:
            amount = f"{tx_or_ref.amount:.2f}"
        return simulator.alipay_notification(
            private or self.gateway_private,
            extra.pop("app_id", ALIPAY_APP_ID),
            reference,
            amount,
            **extra,
        )

    def wechat_notice(
        self,
        tx_or_ref,
        total_fen=None,
        currency="CNY",
        private=None,
        notify_id=None,
        **resource_changes,
    ):
        reference = getattr(tx_or_ref, "reference", tx_or_ref)
        if total_fen is None:
            total_fen = round(tx_or_ref.amount * 100)
        resource = simulator.wechatpay_transaction(
            WECHAT_APPID, WECHAT_MCHID, reference, total_fen, currency=currency
        )
        resource.update(resource_changes)
        return simulator.wechatpay_notification(
            private or self.gateway_private,
            WECHAT_SERIAL,
            API_V3_KEY,
            resource,
            notify_id=notify_id,
        )

    def alipay_answer(self, method, content):
        return fake_response(
            simulator.alipay_response(self.gateway_private, method, content)
        )

    def wechat_answer(self, payload, status=200):
        body = json.dumps(payload) if payload is not None else ""
        headers = simulator.wechatpay_signed_headers(
            self.gateway_private, WECHAT_SERIAL, body
        )
        return fake_response(body, status=status, headers=headers)

    @contextmanager
    def mock_post(self, response):
        with patch(f"{PROVIDER_MODULE}.requests.post", return_value=response) as mock:
            yield mock

    @contextmanager
    def mock_request(self, response):
        with patch(
            f"{PROVIDER_MODULE}.requests.request", return_value=response
        ) as mock:
            yield mock
