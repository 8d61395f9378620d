import json

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from ..engine import simulator
from ..engine import wechatpay as wechatpay_engine
from ..engine.common import rsa_sha256_verify
from .common_cn import (
    API_V3_KEY,
    WECHAT_APPID,
    WECHAT_MCHID,
    WECHAT_SERIAL,
    CnPaymentCommon,
    fake_response,
)


@tagged("post_install", "-at_install")
class TestProviderWeChatPay(CnPaymentCommon):
    def assert_authorization(self, call):
        """The request carries a valid WECHATPAY2-SHA256-RSA2048 signature."""
        method, url = call.args[:2]
        headers = call.kwargs["headers"]
        body = (call.kwargs.get("data") or b"").decode()
        schema, _sep, rest = headers["Authorization"].partition(" ")
        self.assertEqual(schema, wechatpay_engine.AUTH_SCHEMA)
        fields = dict(
            item.split("=", 1)[0:2] for item in rest.split(",") if "=" in item
        )
        fields = {key: value.strip('"') for key, value in fields.items()}
        self.assertEqual(fields["mchid"], WECHAT_MCHID)
        self.assertEqual(fields["serial_no"], "MERCHANTSERIAL0001")
        path = url[len(self.wechatpay._wechatpay_api_url()) :]
        message = wechatpay_engine.signature_message(
            method, path, fields["timestamp"], fields["nonce_str"], body
        )
        self.assertTrue(
            rsa_sha256_verify(message, fields["signature"], self.merchant_public)
        )
        return path, body

    def test_provider_setup(self):
        self.assertEqual(self.wechatpay.support_refund, "partial")
        self.assertEqual(self.wechatpay._get_supported_currencies(), self.cny)
        self.assertEqual(
            self.wechatpay._get_default_payment_method_codes(), {"wechat_pay"}
        )
        self.assertEqual(
            self.wechatpay._wechatpay_api_url(), wechatpay_engine.API_BASE_URL
        )
        self.wechatpay.wechatpay_sandbox_url = "https://wxsim.example.cn/"
        self.assertEqual(
            self.wechatpay._wechatpay_api_url(), "https://wxsim.example.cn"
        )
        self.wechatpay.state = "enabled"
        self.assertEqual(
            self.wechatpay._wechatpay_api_url(), wechatpay_engine.API_BASE_URL
        )
        with self.assertRaises(ValidationError):
            self.wechatpay.wechatpay_api_v3_key = "too-short"

    def test_native_pay_rendering_values(self):
        tx = self.make_tx(self.wechatpay, "SO-WX-1", amount=88.8)
        answer = self.wechat_answer({"code_url": "weixin://wxpay/bizpayurl?pr=abc"})
        with self.mock_request(answer) as request:
            values = tx._get_specific_rendering_values({})
        path, body = self.assert_authorization(request.call_args)
        self.assertEqual(path, wechatpay_engine.NATIVE_PAY_PATH)
        sent = json.loads(body)
        self.assertEqual(sent["out_trade_no"], "SO-WX-1")
        self.assertEqual(sent["amount"], {"total": 8880, "currency": "CNY"})
        self.assertEqual(sent["appid"], WECHAT_APPID)
        self.assertTrue(sent["notify_url"].endswith("/payment/wechatpay/notify"))
        self.assertEqual(tx.sales_closing_qr_code, "weixin://wxpay/bizpayurl?pr=abc")
        self.assertTrue(values["api_url"].endswith("/payment/wechatpay/qr"))
        self.assertEqual(values["method"], "get")
        with self.mock_request(answer):
            html = str(tx._get_processing_values()["redirect_form_html"])
        self.assertIn("/payment/wechatpay/qr", html)

    def test_unsigned_answer_is_refused(self):
        tx = self.make_tx(self.wechatpay, "SO-WX-2", amount=1)
        answer = fake_response(json.dumps({"code_url": "weixin://evil"}))
        with (
            self.mock_request(answer),
            self.assertRaisesRegex(ValidationError, "not signed"),
        ):
            tx._get_specific_rendering_values({})
        self.assertFalse(tx.sales_closing_qr_code)

    def test_error_answer(self):
        tx = self.make_tx(self.wechatpay, "SO-WX-3", amount=1)
        answer = self.wechat_answer(
            {"code": "PARAM_ERROR", "message": "invalid appid"}, status=400
        )
        with (
            self.mock_request(answer),
            self.assertRaisesRegex(ValidationError, "PARAM_ERROR"),
        ):
            tx._get_specific_rendering_values({})

    def test_query(self):
        tx = self.make_tx(self.wechatpay, "SO-WX-Q", amount=88.8)
        answer = self.wechat_answer(
            {
                "appid": WECHAT_APPID,
                "mchid": WECHAT_MCHID,
                "out_trade_no": "SO-WX-Q",
                "transaction_id": "4200000001",
                "trade_state": "SUCCESS",
                "amount": {"total": 8880, "currency": "CNY"},
            }
        )
        with self.mock_request(answer) as request:
            tx.action_sales_closing_query_gateway()
        path, _body = self.assert_authorization(request.call_args)
        self.assertEqual(request.call_args.args[0], "GET")
        self.assertEqual(
            path,
            f"/v3/pay/transactions/out-trade-no/SO-WX-Q?mchid={WECHAT_MCHID}",
        )
        self.assertEqual(tx.state, "done")
        self.assertEqual(tx.provider_reference, "4200000001")

    def test_query_other_amount_or_merchant(self):
        tx = self.make_tx(self.wechatpay, "SO-WX-Q2", amount=88.8)
        payload = {
            "appid": WECHAT_APPID,
            "mchid": WECHAT_MCHID,
            "out_trade_no": "SO-WX-Q2",
            "trade_state": "SUCCESS",
            "amount": {"total": 100, "currency": "CNY"},
        }
        with self.mock_request(self.wechat_answer(payload)):
            tx._sales_closing_query_gateway()
        self.assertEqual(tx.state, "draft")
        payload.update(mchid="1900000999", amount={"total": 8880, "currency": "CNY"})
        with (
            self.mock_request(self.wechat_answer(payload)),
            self.assertRaises(ValidationError),
        ):
            tx._sales_closing_query_gateway()
        self.assertEqual(tx.state, "draft")

    def test_query_not_paid_and_closed(self):
        tx = self.make_tx(self.wechatpay, "SO-WX-Q3", amount=1)
        payload = {
            "mchid": WECHAT_MCHID,
            "out_trade_no": "SO-WX-Q3",
            "trade_state": "NOTPAY",
            "amount": {"total": 100, "currency": "CNY"},
        }
        with self.mock_request(self.wechat_answer(payload)):
            tx._sales_closing_query_gateway()
        self.assertEqual(tx.state, "pending")
        payload["trade_state"] = "CLOSED"
        with self.mock_request(self.wechat_answer(payload)):
            tx._sales_closing_query_gateway()
        self.assertEqual(tx.state, "cancel")

    def test_refund(self):
        tx = self.make_tx(self.wechatpay, "SO-WX-R", amount=88.8)
        tx._set_done()
        answer = self.wechat_answer(
            {"refund_id": "50000000382019052709732678859", "status": "SUCCESS"}
        )
        with self.mock_request(answer) as request:
            refund_tx = tx._send_refund_request(amount_to_refund=10.5)
        path, body = self.assert_authorization(request.call_args)
        self.assertEqual(path, wechatpay_engine.REFUND_PATH)
        sent = json.loads(body)
        self.assertEqual(sent["out_refund_no"], refund_tx.reference)
        self.assertEqual(sent["out_trade_no"], "SO-WX-R")
        self.assertEqual(
            sent["amount"], {"refund": 1050, "total": 8880, "currency": "CNY"}
        )
        self.assertEqual(refund_tx.state, "done")
        self.assertEqual(refund_tx.amount, -10.5)

    def test_refund_processing_stays_pending(self):
        tx = self.make_tx(self.wechatpay, "SO-WX-R2", amount=20)
        tx._set_done()
        answer = self.wechat_answer({"refund_id": "5000001", "status": "PROCESSING"})
        with self.mock_request(answer):
            refund_tx = tx._send_refund_request()
        self.assertEqual(refund_tx.state, "pending")

    def test_refund_settled_by_notification(self):
        tx = self.make_tx(self.wechatpay, "SO-WX-R3", amount=20)
        tx._set_done()
        answer = self.wechat_answer({"refund_id": "5000002", "status": "PROCESSING"})
        with self.mock_request(answer):
            refund_tx = tx._send_refund_request(amount_to_refund=5)
        self.assertEqual(refund_tx.state, "pending")
        resource = {
            "mchid": WECHAT_MCHID,
            "out_trade_no": "SO-WX-R3",
            "out_refund_no": refund_tx.reference,
            "refund_id": "5000002",
            "refund_status": "SUCCESS",
            "amount": {"total": 2000, "refund": 500, "payer_refund": 500},
        }
        notice = simulator.wechatpay_notification(
            self.gateway_private,
            WECHAT_SERIAL,
            API_V3_KEY,
            resource,
            event_type="REFUND.SUCCESS",
        )
        log = self.Notification._sales_closing_process_wechatpay(*notice)
        self.assertEqual((log.state, log.reason), ("accepted", "refund"))
        self.assertEqual(refund_tx.state, "done")
        self.assertEqual(tx.state, "done")

    def test_close(self):
        tx = self.make_tx(self.wechatpay, "SO-WX-C", amount=1)
        with self.mock_request(self.wechat_answer(None, status=204)) as request:
            tx.action_sales_closing_close_trade()
        path, body = self.assert_authorization(request.call_args)
        self.assertEqual(path, "/v3/pay/transactions/out-trade-no/SO-WX-C/close")
        self.assertEqual(json.loads(body), {"mchid": WECHAT_MCHID})
        self.assertEqual(tx.state, "cancel")
