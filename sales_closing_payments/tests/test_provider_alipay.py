import json
from urllib.parse import parse_qs, urlparse

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from ..engine import alipay as alipay_engine
from ..engine.common import rsa_sha256_verify
from .common_cn import ALIPAY_APP_ID, CnPaymentCommon


@tagged("post_install", "-at_install")
class TestProviderAlipay(CnPaymentCommon):
    def assert_signed_by_merchant(self, params):
        self.assertTrue(
            rsa_sha256_verify(
                alipay_engine.signing_string(params),
                params["sign"],
                self.merchant_public,
            ),
            "the request must be signed with the merchant private key (RSA2)",
        )

    def test_provider_setup(self):
        self.assertEqual(self.alipay.support_refund, "partial")
        self.assertEqual(self.alipay._get_supported_currencies(), self.cny)
        self.assertEqual(self.alipay._get_default_payment_method_codes(), {"alipay"})
        self.assertEqual(
            self.alipay._alipay_gateway_url(), alipay_engine.SANDBOX_GATEWAY_URL
        )
        self.alipay.state = "enabled"
        self.assertEqual(self.alipay._alipay_gateway_url(), alipay_engine.GATEWAY_URL)

    def test_simulator_url_in_test_mode_only(self):
        self.env["ir.config_parameter"].set_param(
            "sales_closing_payments.alipay_sandbox_url",
            "http://127.0.0.1:9/alipay/gateway.do",
        )
        self.assertEqual(
            self.alipay._alipay_gateway_url(), "http://127.0.0.1:9/alipay/gateway.do"
        )
        self.alipay.state = "enabled"
        self.assertEqual(self.alipay._alipay_gateway_url(), alipay_engine.GATEWAY_URL)

    def test_reference_is_gateway_safe(self):
        reference = self.env["payment.transaction"]._compute_reference(
            "alipay", prefix="INV/2026/00001"
        )
        self.assertEqual(reference, "INV_2026_00001")
        self.make_tx(self.alipay, reference)
        self.assertEqual(
            self.env["payment.transaction"]._compute_reference(
                "alipay", prefix="INV/2026/00001"
            ),
            "INV_2026_00001-1",
        )
        self.assertEqual(
            self.env["payment.transaction"]._compute_reference("alipay", prefix="S1"),
            "pay-S1",
        )

    def test_page_pay_rendering_values(self):
        tx = self.make_tx(self.alipay, "SO-ALI-1", amount=88.8)
        values = tx._get_specific_rendering_values(tx._get_processing_values())
        self.assertEqual(
            values["api_url"], alipay_engine.SANDBOX_GATEWAY_URL + "?charset=utf-8"
        )
        params = values["params"]
        self.assertEqual(params["method"], alipay_engine.METHOD_PAGE_PAY)
        self.assertEqual(params["app_id"], ALIPAY_APP_ID)
        self.assertTrue(params["notify_url"].endswith("/payment/alipay/notify"))
        self.assertTrue(params["return_url"].endswith("/payment/status"))
        biz = json.loads(params["biz_content"])
        self.assertEqual(biz["out_trade_no"], "SO-ALI-1")
        self.assertEqual(biz["total_amount"], "88.80")
        self.assertEqual(biz["product_code"], "FAST_INSTANT_TRADE_PAY")
        self.assert_signed_by_merchant(params)
        html = str(tx._get_processing_values()["redirect_form_html"])
        self.assertIn(alipay_engine.SANDBOX_GATEWAY_URL, html)
        self.assertIn('name="sign"', html)

    def test_qr_precreate(self):
        self.alipay.alipay_payment_mode = "qr"
        tx = self.make_tx(self.alipay, "SO-ALI-QR", amount=10)
        answer = self.alipay_answer(
            alipay_engine.METHOD_PRECREATE,
            {
                "code": "10000",
                "msg": "Success",
                "out_trade_no": "SO-ALI-QR",
                "qr_code": "https://qr.alipay.com/bax0001",
            },
        )
        with self.mock_post(answer) as post:
            values = tx._get_specific_rendering_values({})
        self.assertEqual(post.call_args.args[0], alipay_engine.SANDBOX_GATEWAY_URL)
        sent = post.call_args.kwargs["data"]
        self.assertEqual(sent["method"], alipay_engine.METHOD_PRECREATE)
        self.assert_signed_by_merchant(sent)
        self.assertEqual(tx.sales_closing_qr_code, "https://qr.alipay.com/bax0001")
        self.assertTrue(values["api_url"].endswith("/payment/alipay/qr"))
        self.assertEqual(values["params"]["reference"], "SO-ALI-QR")
        self.assertTrue(values["params"]["access_token"])

    def test_forged_answer_is_refused(self):
        self.alipay.alipay_payment_mode = "qr"
        tx = self.make_tx(self.alipay, "SO-ALI-FORGED", amount=10)
        answer = self.alipay_answer(
            alipay_engine.METHOD_PRECREATE,
            {"code": "10000", "qr_code": "https://evil.example/qr"},
        )
        body = answer.content.decode().replace("evil.example", "evil.example.cn")
        answer._content = body.encode()
        with self.mock_post(answer), self.assertRaises(ValidationError):
            tx._get_specific_rendering_values({})
        self.assertFalse(tx.sales_closing_qr_code)

    def test_business_error(self):
        tx = self.make_tx(self.alipay, "SO-ALI-ERR", amount=10)
        answer = self.alipay_answer(
            alipay_engine.METHOD_QUERY,
            {
                "code": "40004",
                "msg": "Business Failed",
                "sub_code": "ACQ.TRADE_NOT_EXIST",
                "sub_msg": "trade does not exist",
            },
        )
        with (
            self.mock_post(answer),
            self.assertRaisesRegex(ValidationError, "ACQ.TRADE_NOT_EXIST"),
        ):
            tx._sales_closing_query_gateway()
        self.assertEqual(tx.state, "draft")

    def test_query_confirms_paid_trade(self):
        tx = self.make_tx(self.alipay, "SO-ALI-Q", amount=88.8)
        answer = self.alipay_answer(
            alipay_engine.METHOD_QUERY,
            {
                "code": "10000",
                "msg": "Success",
                "out_trade_no": "SO-ALI-Q",
                "trade_no": "2026112622001",
                "trade_status": "TRADE_SUCCESS",
                "total_amount": "88.80",
            },
        )
        with self.mock_post(answer) as post:
            tx.action_sales_closing_query_gateway()
        biz = json.loads(post.call_args.kwargs["data"]["biz_content"])
        self.assertEqual(biz, {"out_trade_no": "SO-ALI-Q"})
        self.assertEqual(tx.state, "done")
        self.assertEqual(tx.provider_reference, "2026112622001")

    def test_query_with_other_amount_does_not_confirm(self):
        tx = self.make_tx(self.alipay, "SO-ALI-Q2", amount=88.8)
        answer = self.alipay_answer(
            alipay_engine.METHOD_QUERY,
            {
                "code": "10000",
                "out_trade_no": "SO-ALI-Q2",
                "trade_status": "TRADE_SUCCESS",
                "total_amount": "8.88",
            },
        )
        with self.mock_post(answer):
            tx._sales_closing_query_gateway()
        self.assertEqual(tx.state, "draft")

    def test_query_about_other_trade_is_refused(self):
        tx = self.make_tx(self.alipay, "SO-ALI-Q3", amount=88.8)
        answer = self.alipay_answer(
            alipay_engine.METHOD_QUERY,
            {
                "code": "10000",
                "out_trade_no": "SO-OTHER",
                "trade_status": "TRADE_SUCCESS",
                "total_amount": "88.80",
            },
        )
        with self.mock_post(answer), self.assertRaises(ValidationError):
            tx._sales_closing_query_gateway()
        self.assertEqual(tx.state, "draft")

    def test_partial_refund(self):
        tx = self.make_tx(
            self.alipay, "SO-ALI-R", amount=88.8, provider_reference="2026112622002"
        )
        tx._set_done()
        answer = self.alipay_answer(
            alipay_engine.METHOD_REFUND,
            {
                "code": "10000",
                "msg": "Success",
                "trade_no": "2026112622002",
                "out_trade_no": "SO-ALI-R",
                "fund_change": "Y",
                "refund_fee": "30.00",
            },
        )
        with self.mock_post(answer) as post:
            refund_tx = tx._send_refund_request(amount_to_refund=30)
        biz = json.loads(post.call_args.kwargs["data"]["biz_content"])
        self.assertEqual(biz["refund_amount"], "30.00")
        self.assertEqual(biz["out_trade_no"], "SO-ALI-R")
        self.assertEqual(biz["out_request_no"], refund_tx.reference)
        self.assertEqual(refund_tx.operation, "refund")
        self.assertEqual(refund_tx.amount, -30)
        self.assertEqual(refund_tx.state, "done")
        self.assertEqual(refund_tx.source_transaction_id, tx)

    def test_close_cancels(self):
        tx = self.make_tx(self.alipay, "SO-ALI-C", amount=5)
        answer = self.alipay_answer(
            alipay_engine.METHOD_CLOSE,
            {"code": "10000", "msg": "Success", "out_trade_no": "SO-ALI-C"},
        )
        with self.mock_post(answer) as post:
            tx.action_sales_closing_close_trade()
        self.assertEqual(post.call_args.kwargs["data"]["method"], "alipay.trade.close")
        self.assertEqual(tx.state, "cancel")

    def test_missing_credentials(self):
        self.alipay.alipay_merchant_private_key = False
        tx = self.make_tx(self.alipay, "SO-ALI-NOKEY", amount=5)
        with self.assertRaisesRegex(ValidationError, "merchant private key"):
            tx._get_specific_rendering_values({})

    def test_page_pay_url_round_trip(self):
        """The signed parameters survive URL encoding (redirect via GET)."""
        tx = self.make_tx(self.alipay, "SO-ALI-URL", amount=1)
        params = tx._get_specific_rendering_values({})["params"]
        url = alipay_engine.page_pay_url(params, sandbox=True)
        decoded = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
        self.assert_signed_by_merchant(decoded)
