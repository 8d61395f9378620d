import json
from datetime import datetime, timedelta
from unittest.mock import patch

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..engine import simulator
from ..engine import wechatpay as wechatpay_engine
from ..engine.common import UTC, rsa_sha256_verify
from .common_cn import (
    API_V3_KEY,
    PROVIDER_MODULE,
    WECHAT_APPID,
    WECHAT_MCHID,
    WECHAT_SERIAL,
    CnPaymentCommon,
    fake_response,
)

PLATFORM_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
OLD_PLATFORM_SERIAL = "3775B6A45ACD588826D15E583A95F5DD2C9D7EB1"


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


@tagged("post_install", "-at_install")
class TestWeChatPayPlatformCertificate(CnPaymentCommon):
    """GET /v3/certificates: the button and the daily refresh (HTTP mocked)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.platform_private, _public = simulator.new_key_pair()
        cls.forger_private, _public = simulator.new_key_pair()
        now = datetime.now(UTC).replace(microsecond=0)
        cls.platform_not_after = now + timedelta(days=1825)
        cls.platform_pem = simulator.new_certificate(
            cls.platform_private,
            PLATFORM_SERIAL,
            now - timedelta(days=1),
            cls.platform_not_after,
        )
        cls.old_private, _public = simulator.new_key_pair()
        cls.old_pem = simulator.new_certificate(
            cls.old_private,
            OLD_PLATFORM_SERIAL,
            now - timedelta(days=1820),
            now + timedelta(days=5),
        )

    def cert_answer(self, private=None, serial=PLATFORM_SERIAL, key=API_V3_KEY):
        """The answer of /v3/certificates: the old and the new certificate."""
        headers, body = simulator.wechatpay_certificates_response(
            private or self.platform_private,
            serial,
            key,
            [
                {"serial_no": OLD_PLATFORM_SERIAL, "pem": self.old_pem},
                {"serial_no": PLATFORM_SERIAL, "pem": self.platform_pem},
            ],
        )
        return fake_response(body, headers=headers)

    def assert_unchanged(self, provider=None):
        provider = provider or self.wechatpay
        self.assertEqual(provider.wechatpay_platform_serial, WECHAT_SERIAL)
        self.assertEqual(provider.wechatpay_platform_certificate, self.gateway_public)
        self.assertFalse(provider.wechatpay_platform_cert_expiry)

    def test_button_stores_the_newest_certificate(self):
        # signed with the WeChat Pay public key the provider already trusts
        answer = self.cert_answer(self.gateway_private, WECHAT_SERIAL)
        with self.mock_request(answer) as request:
            action = self.wechatpay.action_wechatpay_download_platform_certificate()
        self.assertEqual(request.call_count, 1)
        method, url = request.call_args.args[:2]
        self.assertEqual(method, "GET")
        self.assertEqual(url, wechatpay_engine.API_BASE_URL + "/v3/certificates")
        self.assertIsNone(request.call_args.kwargs["data"])
        # signed like the other v3 requests, with the merchant key
        self.assertEqual(
            TestProviderWeChatPay.assert_authorization(self, request.call_args),
            ("/v3/certificates", ""),
        )
        self.assertEqual(self.wechatpay.wechatpay_platform_serial, PLATFORM_SERIAL)
        self.assertEqual(
            self.wechatpay.wechatpay_platform_certificate, self.platform_pem
        )
        self.assertEqual(
            self.wechatpay.wechatpay_platform_cert_expiry,
            self.platform_not_after.replace(tzinfo=None),
        )
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn(PLATFORM_SERIAL, action["params"]["message"])
        # notifications signed with the new certificate are now accepted
        tx = self.make_tx(self.wechatpay, "SO-WX-CERT", amount=12)
        resource = simulator.wechatpay_transaction(
            WECHAT_APPID, WECHAT_MCHID, tx.reference, 1200
        )
        notice = simulator.wechatpay_notification(
            self.platform_private, PLATFORM_SERIAL, API_V3_KEY, resource
        )
        log = self.Notification._sales_closing_process_wechatpay(*notice)
        self.assertEqual((log.state, log.reason), ("accepted", "ok"))
        self.assertEqual(tx.state, "done")

    def test_bootstrap_without_platform_certificate(self):
        """The first download verifies with the downloaded certificate of the
        serial the administrator configured, and only with it."""
        self.wechatpay.write(
            {
                "wechatpay_platform_serial": False,
                "wechatpay_platform_certificate": False,
            }
        )
        with self.assertRaisesRegex(ValidationError, "platform certificate"):
            self.wechatpay._wechatpay_check_credentials()
        answer = self.cert_answer(self.old_private, OLD_PLATFORM_SERIAL)
        # no serial configured: nothing says whose answer this is
        with (
            self.mock_request(answer),
            mute_logger(PROVIDER_MODULE),
            self.assertRaisesRegex(UserError, "enter the serial"),
        ):
            self.wechatpay.action_wechatpay_download_platform_certificate()
        self.assertFalse(self.wechatpay.wechatpay_platform_certificate)
        # another serial configured than the signer's
        self.wechatpay.wechatpay_platform_serial = PLATFORM_SERIAL
        with (
            self.mock_request(answer),
            mute_logger(PROVIDER_MODULE),
            self.assertRaisesRegex(UserError, "bad signature"),
        ):
            self.wechatpay.action_wechatpay_download_platform_certificate()
        self.assertFalse(self.wechatpay.wechatpay_platform_certificate)
        self.wechatpay.wechatpay_platform_serial = OLD_PLATFORM_SERIAL
        with self.mock_request(answer):
            self.wechatpay.action_wechatpay_download_platform_certificate()
        self.assertEqual(self.wechatpay.wechatpay_platform_serial, PLATFORM_SERIAL)
        self.assertEqual(
            self.wechatpay.wechatpay_platform_certificate, self.platform_pem
        )
        self.assertTrue(self.wechatpay._wechatpay_check_credentials())

    def test_refresh_signed_by_a_downloaded_certificate_is_refused(self):
        """Once a certificate is trusted, a download vouching for itself is
        refused: whoever could answer in WeChat Pay's place would otherwise
        replace the key that verifies every notification."""
        self.wechatpay.write(
            {
                "wechatpay_platform_serial": OLD_PLATFORM_SERIAL,
                "wechatpay_platform_certificate": self.old_pem,
            }
        )
        with (
            self.mock_request(self.cert_answer()),
            mute_logger(PROVIDER_MODULE),
            self.assertRaisesRegex(UserError, "bad signature"),
        ):
            self.wechatpay.action_wechatpay_download_platform_certificate()
        self.assertEqual(self.wechatpay.wechatpay_platform_certificate, self.old_pem)
        # signed by the trusted (old) certificate: the new one is stored
        with self.mock_request(self.cert_answer(self.old_private, OLD_PLATFORM_SERIAL)):
            self.wechatpay.action_wechatpay_download_platform_certificate()
        self.assertEqual(
            self.wechatpay.wechatpay_platform_certificate, self.platform_pem
        )

    def test_answer_signed_with_a_wrong_key_is_refused(self):
        with (
            self.mock_request(self.cert_answer(private=self.forger_private)),
            mute_logger(PROVIDER_MODULE),
            self.assertRaises(UserError) as caught,
        ):
            self.wechatpay.action_wechatpay_download_platform_certificate()
        message = str(caught.exception)
        self.assertIn(self.wechatpay.name, message)
        self.assertIn("bad signature", message)
        self.assert_unchanged()

    def test_answer_signed_by_an_unknown_certificate_is_refused(self):
        answer = self.cert_answer(serial="0123456789ABCDEF")
        with (
            self.mock_request(answer),
            mute_logger(PROVIDER_MODULE),
            self.assertRaisesRegex(UserError, "bad signature"),
        ):
            self.wechatpay.action_wechatpay_download_platform_certificate()
        self.assert_unchanged()

    def test_wrong_api_v3_key_is_a_decryption_failure(self):
        answer = self.cert_answer(key="abcdefghijklmnopqrstuvwxyz012345")
        with (
            self.mock_request(answer),
            mute_logger(PROVIDER_MODULE),
            self.assertRaisesRegex(UserError, "could not be decrypted"),
        ):
            self.wechatpay.action_wechatpay_download_platform_certificate()
        self.assert_unchanged()

    def test_http_error(self):
        answer = fake_response(
            json.dumps({"code": "SIGN_ERROR", "message": "bad merchant signature"}),
            status=401,
        )
        with (
            self.mock_request(answer),
            self.assertRaises(UserError) as caught,
        ):
            self.wechatpay.action_wechatpay_download_platform_certificate()
        message = str(caught.exception)
        for part in (self.wechatpay.name, "HTTP 401", "SIGN_ERROR"):
            self.assertIn(part, message)
        self.assert_unchanged()

    def test_missing_merchant_credentials(self):
        self.wechatpay.wechatpay_private_key = False
        with (
            self.mock_request(self.cert_answer()) as request,
            self.assertRaisesRegex(UserError, "merchant private key"),
        ):
            self.wechatpay.action_wechatpay_download_platform_certificate()
        request.assert_not_called()

    def _cron_providers(self):
        """Expiring in 5 days, in 5 years, public key, failing, disabled."""
        base = {"state": "test", "wechatpay_platform_serial": OLD_PLATFORM_SERIAL}
        failing = self.wechatpay.copy(
            {
                **base,
                "name": "WeChat Pay failing",
                "wechatpay_serial_no": "MERCHANT-FAILING",
                "wechatpay_platform_serial": False,
                "wechatpay_platform_certificate": False,
            }
        )
        expiring = self.wechatpay.copy(
            {
                **base,
                "name": "WeChat Pay expiring",
                "wechatpay_serial_no": "MERCHANT-EXPIRING",
                "wechatpay_platform_certificate": self.old_pem,
            }
        )
        fresh = self.wechatpay.copy(
            {
                **base,
                "name": "WeChat Pay fresh",
                "wechatpay_serial_no": "MERCHANT-FRESH",
                "wechatpay_platform_serial": PLATFORM_SERIAL,
                "wechatpay_platform_certificate": self.platform_pem,
            }
        )
        disabled = self.wechatpay.copy(
            {
                "name": "WeChat Pay off",
                "wechatpay_serial_no": "MERCHANT-OFF",
                "wechatpay_platform_serial": False,
                "wechatpay_platform_certificate": False,
            }
        )
        return failing, expiring, fresh, disabled

    def test_cron_refreshes_only_the_expiring_certificate(self):
        failing, expiring, fresh, disabled = self._cron_providers()
        self.assertEqual(disabled.state, "disabled")
        self.assertEqual(
            expiring.wechatpay_platform_cert_expiry.date(),
            (datetime.now(UTC) + timedelta(days=5)).date(),
        )
        answers = {
            "MERCHANT-FAILING": fake_response("", status=500),
            # signed by the certificate it holds, which is still in force
            "MERCHANT-EXPIRING": self.cert_answer(
                self.old_private, OLD_PLATFORM_SERIAL
            ),
        }

        def answer(method, url, **kwargs):
            serial = kwargs["headers"]["Authorization"].split('serial_no="')[1]
            return answers[serial.rstrip('"')]

        cron = self.env.ref(
            "sales_closing_payments.ir_cron_wechatpay_platform_certificates"
        )
        with (
            patch(f"{PROVIDER_MODULE}.requests.request", side_effect=answer) as mock,
            self.assertLogs(PROVIDER_MODULE, "ERROR") as logs,
        ):
            cron.method_direct_trigger()
        self.assertEqual(mock.call_count, 2, "only the failing and expiring ones")
        self.assertEqual(len(logs.records), 1)
        self.assertIn("WeChat Pay failing", logs.output[0])
        self.assertIn("HTTP 500", logs.output[0])
        self.assertEqual(expiring.wechatpay_platform_serial, PLATFORM_SERIAL)
        self.assertEqual(expiring.wechatpay_platform_certificate, self.platform_pem)
        self.assertEqual(
            expiring.wechatpay_platform_cert_expiry,
            self.platform_not_after.replace(tzinfo=None),
        )
        self.assertFalse(failing.wechatpay_platform_certificate)
        self.assertEqual(fresh.wechatpay_platform_certificate, self.platform_pem)
        self.assertFalse(disabled.wechatpay_platform_certificate)
        # the public key of the shared provider never expires: left alone
        self.assert_unchanged()
        # a second run finds nothing due but the failing one
        failing.state = "disabled"
        with patch(f"{PROVIDER_MODULE}.requests.request", side_effect=answer) as mock:
            refreshed = self.env[
                "payment.provider"
            ]._cron_wechatpay_refresh_platform_certificates()
        mock.assert_not_called()
        self.assertFalse(refreshed)
