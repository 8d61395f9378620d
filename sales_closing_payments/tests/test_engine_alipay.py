"""Unit tests of the pure-Python Alipay engine (no database, no Odoo model)."""

import json
import unittest
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

from odoo.addons.sales_closing_payments.engine import alipay
from odoo.addons.sales_closing_payments.engine.common import rsa_sha256_sign

from ..engine.simulator import new_key_pair
from .keys import read_data

APP_ID = "2021000000000001"
NOTIFY_URL = "https://shop.example.com/payment/alipay/notify"
RETURN_URL = "https://shop.example.com/payment/alipay/return"
FIXED_NOW = datetime(2024, 5, 1, 2, 3, 4)  # naive = UTC -> 10:03:04 in Beijing

# Signatures made with tests/data/test_only_rsa2048_private_key.pem (deterministic).
FIXED_REQUEST_SIGNING_STRING = (
    "app_id=2021000000000001"
    '&biz_content={"out_trade_no":"SO0042-1","product_code":"FAST_INSTANT_TRADE_PAY",'
    '"subject":"测试订单 SO0042","total_amount":"88.80"}'
    "&charset=utf-8&format=JSON&method=alipay.trade.page.pay"
    "&notify_url=https://shop.example.com/payment/alipay/notify"
    "&return_url=https://shop.example.com/payment/alipay/return"
    "&sign_type=RSA2&timestamp=2024-05-01 10:03:04&version=1.0"
)
FIXED_REQUEST_SIGNATURE = (
    "O1GKJ5rQozm3YRLwz5r40FTVCmbXGzsSiy7iYo6CkUfYzOrSKvDeeYflyj1PJAz1kZTMVx94cW2E67KgSLEnL4E1"
    "uH5kya6hGZVku7sVlyO0UnmGOGVct7VeMy7cTst2qs5X6dFOoc+xXOUxfm41DQ8nxONScwSExusSGhtpz0UD4f86"
    "3RlGJnCRUuDMxXEJemOXuQasU9cy99DeJ2NQbl8MmR7/Dt48TS0HXbD6ZKFyBI9wi33HOlEhrsj1DJpIFihajlbE"
    "HBwex7d5NDShV4NDS8UjQp2sIKd7v5GVUAJ+gyQ8rJrY1YKnWHAHa68MjwDUgtXQXtbDOWn3TTwcgw=="
)

FIXED_NOTIFICATION = {
    "gmt_create": "2024-05-01 10:03:30",
    "charset": "utf-8",
    "seller_email": "seller@example.com",
    "subject": "测试订单 SO0042",
    "buyer_id": "2088102177846880",
    "invoice_amount": "88.80",
    "notify_id": "2024050100222100331000000001",
    "fund_bill_list": '[{"amount":"88.80","fundChannel":"ALIPAYACCOUNT"}]',
    "notify_type": "trade_status_sync",
    "trade_status": "TRADE_SUCCESS",
    "receipt_amount": "88.80",
    "app_id": APP_ID,
    "buyer_pay_amount": "88.80",
    "sign_type": "RSA2",
    "seller_id": "2088102177000001",
    "gmt_payment": "2024-05-01 10:03:31",
    "notify_time": "2024-05-01 10:03:31",
    "version": "1.0",
    "out_trade_no": "SO0042-1",
    "total_amount": "88.80",
    "trade_no": "2024050122001400001000000001",
    "auth_app_id": APP_ID,
    "buyer_logon_id": "abc***@example.com",
    "point_amount": "0.00",
    "sign": (
        "NTM4tg2KmVvPIN7dFDpEyzV4mEcgQ1T4w9Qqz1lXAHE9eJKd8wqm1kBfMJiBG/Pb1v/M+ZtfLvNx7ZEYSW1pFkDk"
        "6vxq7KKERK2I4MbgIhNk5JJX93pvNwWDucbFrj3H/iKVeo7MJWoiVdZNn5erCeLpa43hZvUrVw4KwkOgUY+uLQLU"
        "glWVD0MdRWiyQLG+2+btAaTdAjnFVcp4UAJIKaOcSmP76qnHIn0746p5bDSPWr1vZRQ8xHVOfbXrhisNRA6on3AR"
        "NMb8xSlyYoHnfIYDjRJXegRWKE/2DFSn9+dgygfsmiYBjal81HBvH2XQABoKQ75A5FtO5E1p4SZPCA=="
    ),
}

# Raw response content exactly as signed, including Alipay's escaped slash "\/".
FIXED_RESPONSE_CONTENT = (
    '{"code":"10000","msg":"Success","trade_no":"2024050122001400001000000001",'
    '"out_trade_no":"SO0042-1","buyer_logon_id":"abc***@example.com","trade_status":"TRADE_SUCCESS",'
    '"total_amount":"88.80","buyer_pay_amount":"88.80","send_pay_date":"2024-05-01 '
    '10:03:31",'
    '"fund_bill_list":[{"fund_channel":"ALIPAYACCOUNT","amount":"88.80"}],'
    '"buyer_user_id":"2088102177846880","store_name":"门店\\/一号"}'
)
FIXED_RESPONSE_SIGNATURE = (
    "P/BrCDTVUtawBAaV85a+Vns92EU4MCMmkTZrgoEYRTdg5DONm5kBx6tVPlWKOEeSlHAXZw7HNnrx+XZAZsjpeWur"
    "rUsfCDbgm/0uTgUxctMwRQEixs5/RNbURsKrs3EXaLwnIi5fgRlT0s6+zviqXorAIJdUmE7DohBzmR2Ujd/TjGxn"
    "VpsGMHt32D5XULnutnITH2hilrihAlvBLx60M4ggjCVG/L39iPpXX6Ezctg52jJeCOTjNrmyKrlwDYtP1ijTcox5"
    "R3FI7ZsOG6TzHUB99hzyEX+hqxzcak4aOIqrOYPqxwZowYA8rkMaQ8s7HBK5y+ANW3TSdC8ydW1miw=="
)


class AlipayTestCase(unittest.TestCase):
    """Common keys of the Alipay tests."""

    @classmethod
    def setUpClass(cls):
        """Load the fixed TEST-ONLY key, generate fresh key pairs."""
        super().setUpClass()
        cls.fixed_private = read_data("test_only_rsa2048_private_key.pem")
        cls.fixed_public = read_data("test_only_rsa2048_public_key.pem")
        cls.merchant_private, cls.merchant_public = new_key_pair()
        cls.alipay_private, cls.alipay_public = new_key_pair()

    def sign_notification(self, params, private_pem=None):
        """Return ``params`` signed as a notification (Alipay key)."""
        signed = dict(params)
        signed.pop("sign", None)
        signed["sign"] = rsa_sha256_sign(
            alipay.signing_string(signed, for_notification=True),
            private_pem or self.alipay_private,
        )
        return signed


class TestAlipaySigningString(AlipayTestCase):
    """Construction of the string to sign."""

    def test_documented_request_example(self):
        """Alipay's documented example: sorted keys, sign_type kept, sign dropped."""
        params = {
            "method": "alipay.mobile.public.menu.add",
            "charset": "GBK",
            "sign_type": "RSA2",
            "timestamp": "2014-07-24 03:07:50",
            "biz_content": (
                '{"button":[{"actionParam":"ZFB_HFCZ","actionType":"out",'
                '"name":"话费充值"}]}'
            ),
            "sign": "IGNORED",
            "app_id": "2014072300007148",
            "version": "1.0",
        }
        self.assertEqual(
            alipay.signing_string(params),
            'app_id=2014072300007148&biz_content={"button":[{"actionParam":"ZFB_HFCZ",'
            '"actionType":"out","name":"话费充值"}]}&charset=GBK&method=alipay.mobile.public.menu.add'
            "&sign_type=RSA2&timestamp=2014-07-24 03:07:50&version=1.0",
        )

    def test_empty_values_are_skipped(self):
        """None and empty strings are left out, zero-like strings are kept."""
        params = {"b": "", "a": "1", "c": None, "d": "0", "sign": "x"}
        self.assertEqual(alipay.signing_string(params), "a=1&d=0")

    def test_notification_drops_sign_type(self):
        """Notifications exclude sign and sign_type; requests only sign."""
        params = {"b": "2", "a": "1", "sign": "s", "sign_type": "RSA2"}
        self.assertEqual(alipay.signing_string(params), "a=1&b=2&sign_type=RSA2")
        self.assertEqual(
            alipay.signing_string(params, for_notification=True), "a=1&b=2"
        )

    def test_values_are_not_url_encoded(self):
        """Raw values are signed, not their URL encoding."""
        params = {"notify_url": "https://x.example/n?a=1&b=2", "subject": "A B+C"}
        self.assertEqual(
            alipay.signing_string(params),
            "notify_url=https://x.example/n?a=1&b=2&subject=A B+C",
        )


class TestAlipayRequests(AlipayTestCase):
    """Request parameter builders and their signature."""

    def page_pay(self, private_pem=None):
        """Build the fixed page pay request."""
        return alipay.page_pay_request(
            APP_ID,
            private_pem or self.fixed_private,
            "SO0042-1",
            Decimal("88.80"),
            "测试订单 SO0042",
            NOTIFY_URL,
            return_url=RETURN_URL,
            now=FIXED_NOW,
        )

    def test_page_pay_common_parameters(self):
        """Common parameters are those Alipay requires, with a Beijing timestamp."""
        params = self.page_pay()
        self.assertEqual(params["app_id"], APP_ID)
        self.assertEqual(params["method"], "alipay.trade.page.pay")
        self.assertEqual(params["format"], "JSON")
        self.assertEqual(params["charset"], "utf-8")
        self.assertEqual(params["sign_type"], "RSA2")
        self.assertEqual(params["version"], "1.0")
        self.assertEqual(params["timestamp"], "2024-05-01 10:03:04")
        self.assertEqual(params["notify_url"], NOTIFY_URL)
        self.assertEqual(params["return_url"], RETURN_URL)
        biz = json.loads(params["biz_content"])
        self.assertEqual(
            biz,
            {
                "out_trade_no": "SO0042-1",
                "total_amount": "88.80",
                "subject": "测试订单 SO0042",
                "product_code": "FAST_INSTANT_TRADE_PAY",
            },
        )

    def test_fixed_vector_signing_string_and_signature(self):
        """Regression vector: signing string and signature, fixed key."""
        params = self.page_pay()
        self.assertEqual(alipay.signing_string(params), FIXED_REQUEST_SIGNING_STRING)
        self.assertEqual(params["sign"], FIXED_REQUEST_SIGNATURE)
        self.assertEqual(
            alipay.sign_rsa2(params, self.fixed_private), FIXED_REQUEST_SIGNATURE
        )

    def test_round_trip_with_generated_key(self):
        """A request signed with a fresh key verifies with its public key."""
        from odoo.addons.sales_closing_payments.engine.common import rsa_sha256_verify

        params = self.page_pay(self.merchant_private)
        self.assertTrue(
            rsa_sha256_verify(
                alipay.signing_string(params), params["sign"], self.merchant_public
            )
        )
        params["biz_content"] = params["biz_content"].replace("88.80", "8.80")
        self.assertFalse(
            rsa_sha256_verify(
                alipay.signing_string(params), params["sign"], self.merchant_public
            )
        )

    def test_timestamp_conversion(self):
        """Aware datetimes go to Beijing time; naive ones count as UTC."""
        paris = timezone(timedelta(hours=2))
        self.assertEqual(
            alipay.alipay_timestamp(datetime(2024, 5, 1, 4, 3, 4, tzinfo=paris)),
            "2024-05-01 10:03:04",
        )
        self.assertEqual(
            alipay.alipay_timestamp(datetime(2024, 12, 31, 20, 0, 0)),
            "2025-01-01 04:00:00",
        )
        self.assertRegex(alipay.alipay_timestamp(), r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")

    def test_precreate_query_refund_close(self):
        """Every method gets its own biz_content and a signature."""
        pre = alipay.precreate_request(
            APP_ID,
            self.fixed_private,
            "SO1",
            Decimal("10"),
            "QR",
            NOTIFY_URL,
            now=FIXED_NOW,
            qr_code_timeout_express="15m",
        )
        self.assertEqual(pre["method"], "alipay.trade.precreate")
        self.assertEqual(
            json.loads(pre["biz_content"]),
            {
                "out_trade_no": "SO1",
                "total_amount": "10.00",
                "subject": "QR",
                "qr_code_timeout_express": "15m",
            },
        )
        query = alipay.query_request(
            APP_ID, self.fixed_private, out_trade_no="SO1", now=FIXED_NOW
        )
        self.assertEqual(query["method"], "alipay.trade.query")
        self.assertEqual(json.loads(query["biz_content"]), {"out_trade_no": "SO1"})
        self.assertNotIn("notify_url", query)
        refund = alipay.refund_request(
            APP_ID,
            self.fixed_private,
            Decimal("0.1"),
            "SO1-R1",
            trade_no="2024X",
            refund_reason="Returned",
            now=FIXED_NOW,
        )
        self.assertEqual(refund["method"], "alipay.trade.refund")
        self.assertEqual(
            json.loads(refund["biz_content"]),
            {
                "trade_no": "2024X",
                "refund_amount": "0.10",
                "out_request_no": "SO1-R1",
                "refund_reason": "Returned",
            },
        )
        close = alipay.close_request(
            APP_ID, self.fixed_private, out_trade_no="SO1", now=FIXED_NOW
        )
        self.assertEqual(close["method"], "alipay.trade.close")
        for params in (pre, query, refund, close):
            self.assertTrue(params["sign"])
            self.assertEqual(
                params["sign"], alipay.sign_rsa2(params, self.fixed_private)
            )

    def test_amount_validation(self):
        """'%.2f' strings; sub-cent, zero, negative, float refused."""
        self.assertEqual(
            alipay.page_pay_biz_content("A", "1", "s")["total_amount"], "1.00"
        )
        self.assertEqual(
            alipay.page_pay_biz_content("A", Decimal("1234.5"), "s")["total_amount"],
            "1234.50",
        )
        with self.assertRaises(ValueError):
            alipay.page_pay_biz_content("A", Decimal("1.005"), "s")
        with self.assertRaises(ValueError):
            alipay.page_pay_biz_content("A", Decimal("0"), "s")
        with self.assertRaises(ValueError):
            alipay.refund_biz_content(Decimal("-1"), "R1", out_trade_no="A")
        with self.assertRaises(TypeError):
            alipay.page_pay_biz_content("A", 1.1, "s")

    def test_missing_references(self):
        """References, out_request_no and app_id are required."""
        with self.assertRaises(ValueError):
            alipay.query_biz_content()
        with self.assertRaises(ValueError):
            alipay.close_biz_content()
        with self.assertRaises(ValueError):
            alipay.refund_biz_content(Decimal("1"), "", out_trade_no="A")
        with self.assertRaises(ValueError):
            alipay.build_request(
                alipay.METHOD_QUERY, "", {"out_trade_no": "A"}, self.fixed_private
            )

    def test_page_pay_url(self):
        """The redirect URL carries every signed parameter, on the chosen gateway."""
        params = self.page_pay()
        url = alipay.page_pay_url(params, sandbox=True)
        parts = urlsplit(url)
        self.assertEqual(
            f"{parts.scheme}://{parts.netloc}{parts.path}", alipay.SANDBOX_GATEWAY_URL
        )
        decoded = {key: values[0] for key, values in parse_qs(parts.query).items()}
        self.assertEqual(decoded, params)
        self.assertTrue(
            alipay.page_pay_url(params).startswith(
                "https://openapi.alipay.com/gateway.do?"
            )
        )


class TestAlipayNotificationSignature(AlipayTestCase):
    """verify_notification."""

    def test_fixed_vector(self):
        """The fixed notification verifies with the fixed TEST-ONLY public key."""
        self.assertTrue(
            alipay.verify_notification(FIXED_NOTIFICATION, self.fixed_public)
        )

    def test_sign_type_is_not_signed(self):
        """Removing sign_type does not break the signature (it is not part of it)."""
        params = dict(FIXED_NOTIFICATION)
        del params["sign_type"]
        self.assertTrue(alipay.verify_notification(params, self.fixed_public))

    def test_round_trip(self):
        """A notification signed with a fresh key verifies only with it."""
        params = self.sign_notification(
            {"out_trade_no": "A", "total_amount": "1.00", "sign_type": "RSA2"}
        )
        self.assertTrue(alipay.verify_notification(params, self.alipay_public))
        self.assertFalse(alipay.verify_notification(params, self.merchant_public))

    def test_rejections(self):
        """Tampered, forged, missing, garbage signatures and RSA1 fail."""
        tampered = dict(FIXED_NOTIFICATION, total_amount="0.01")
        self.assertFalse(alipay.verify_notification(tampered, self.fixed_public))
        forged = self.sign_notification(FIXED_NOTIFICATION, self.merchant_private)
        self.assertFalse(alipay.verify_notification(forged, self.fixed_public))
        missing = dict(FIXED_NOTIFICATION)
        del missing["sign"]
        self.assertFalse(alipay.verify_notification(missing, self.fixed_public))
        self.assertFalse(
            alipay.verify_notification(
                dict(FIXED_NOTIFICATION, sign="@@not base64@@"), self.fixed_public
            )
        )
        self.assertFalse(
            alipay.verify_notification(
                dict(FIXED_NOTIFICATION, sign_type="RSA"), self.fixed_public
            )
        )


class TestAlipayCheckNotification(AlipayTestCase):
    """check_notification business statuses."""

    def setUp(self):
        """Prepare a genuine paid notification and its expected transaction."""
        super().setUp()
        self.params = dict(FIXED_NOTIFICATION)
        self.expected = {
            "out_trade_no": "SO0042-1",
            "total_amount": Decimal("88.8"),
            "currency": "CNY",
            "app_id": APP_ID,
        }

    def check(self, params=None, expected="default", seen=()):
        """Run check_notification with the fixed TEST-ONLY public key."""
        expected = self.expected if expected == "default" else expected
        return alipay.check_notification(
            params or self.params, expected, seen, self.fixed_public
        )

    def resigned(self, **changes):
        """Return the fixed notification changed and re-signed with the fixed key."""
        return self.sign_notification(dict(self.params, **changes), self.fixed_private)

    def test_ok(self):
        """A genuine paid notification for the right trade is ok."""
        self.assertEqual(self.check(), "ok")
        self.assertEqual(self.check(self.resigned(trade_status="TRADE_FINISHED")), "ok")

    def test_bad_signature(self):
        """Forged or tampered notifications are bad_signature before anything else."""
        self.assertEqual(
            self.check(dict(self.params, total_amount="0.01")), "bad_signature"
        )
        forged = self.sign_notification(self.params, self.merchant_private)
        self.assertEqual(self.check(forged), "bad_signature")

    def test_replay(self):
        """A notify_id already processed is a replay."""
        self.assertEqual(self.check(seen={"2024050100222100331000000001"}), "replay")
        self.assertEqual(self.check(seen={"another"}), "ok")

    def test_unknown_reference(self):
        """No transaction, another reference or another app is unknown_reference."""
        self.assertEqual(self.check(expected=None), "unknown_reference")
        self.assertEqual(
            self.check(expected=dict(self.expected, out_trade_no="SO0043-1")),
            "unknown_reference",
        )
        self.assertEqual(
            self.check(self.resigned(app_id="2021999999999999")), "unknown_reference"
        )

    def test_amount_mismatch(self):
        """A different total_amount is amount_mismatch, even by one cent."""
        self.assertEqual(
            self.check(expected=dict(self.expected, total_amount=Decimal("88.81"))),
            "amount_mismatch",
        )
        self.assertEqual(
            self.check(self.resigned(total_amount="not a number")), "amount_mismatch"
        )

    def test_currency_mismatch(self):
        """Default currency is CNY; a cross-border trans_currency must match too."""
        self.assertEqual(
            self.check(expected=dict(self.expected, currency="USD")),
            "currency_mismatch",
        )
        self.assertEqual(
            self.check(self.resigned(trans_currency="USD")), "currency_mismatch"
        )
        usd = self.resigned(trans_currency="USD")
        self.assertEqual(
            self.check(usd, expected=dict(self.expected, currency="USD")), "ok"
        )

    def test_not_paid(self):
        """WAIT_BUYER_PAY and TRADE_CLOSED are not payments."""
        self.assertEqual(
            self.check(self.resigned(trade_status="WAIT_BUYER_PAY")), "not_paid"
        )
        self.assertEqual(
            self.check(self.resigned(trade_status="TRADE_CLOSED")), "not_paid"
        )

    def test_refund_notification_detection(self):
        """Partial refunds are notified as TRADE_SUCCESS with refund_fee: detectable."""
        self.assertFalse(alipay.is_refund_notification(self.params))
        refund = self.resigned(
            refund_fee="10.00",
            gmt_refund="2024-05-02 10:00:00.000",
            out_biz_no="SO0042-1-R1",
        )
        self.assertTrue(alipay.is_refund_notification(refund))
        self.assertEqual(self.check(refund), "ok")


class TestAlipayParseResponse(AlipayTestCase):
    """parse_response over the raw signed substring."""

    def body(
        self,
        content=FIXED_RESPONSE_CONTENT,
        sign=FIXED_RESPONSE_SIGNATURE,
        key="alipay_trade_query_response",
    ):
        """Assemble a response body around the raw ``content``."""
        sign_part = f',"sign":"{sign}"' if sign else ""
        return f'{{"{key}":{content}{sign_part}}}'

    def test_fixed_vector(self):
        """The fixed response verifies over its raw text and decodes."""
        content = alipay.parse_response(
            self.body(), alipay.METHOD_QUERY, self.fixed_public
        )
        self.assertEqual(content["trade_status"], "TRADE_SUCCESS")
        self.assertEqual(content["store_name"], "门店/一号")
        self.assertEqual(content["total_amount"], "88.80")

    def test_layout_does_not_matter(self):
        """Whitespace, member order, extra members, bytes: all fine."""
        body = (
            f'{{ "sign" : "{FIXED_RESPONSE_SIGNATURE}",\n  "alipay_cert_sn": "x",'
            f'\n  "alipay_trade_query_response" :  {FIXED_RESPONSE_CONTENT}  \n}}'
        )
        content = alipay.parse_response(
            body.encode("utf-8"), alipay.METHOD_QUERY, self.fixed_public
        )
        self.assertEqual(content["out_trade_no"], "SO0042-1")

    def test_re_serialised_content_would_not_verify(self):
        """Signing is over the raw substring: re-dumping the JSON changes the bytes."""
        redumped = json.dumps(
            json.loads(FIXED_RESPONSE_CONTENT),
            ensure_ascii=False,
            separators=(",", ":"),
        )
        self.assertNotEqual(redumped, FIXED_RESPONSE_CONTENT)
        with self.assertRaises(alipay.AlipaySignatureError):
            alipay.parse_response(
                self.body(redumped), alipay.METHOD_QUERY, self.fixed_public
            )

    def test_forged_response(self):
        """Tampered content, foreign key, unsigned success: refused."""
        tampered = FIXED_RESPONSE_CONTENT.replace("TRADE_SUCCESS", "TRADE_FINISHED")
        with self.assertRaises(alipay.AlipaySignatureError):
            alipay.parse_response(
                self.body(tampered), alipay.METHOD_QUERY, self.fixed_public
            )
        with self.assertRaises(alipay.AlipaySignatureError):
            alipay.parse_response(self.body(), alipay.METHOD_QUERY, self.alipay_public)
        with self.assertRaises(alipay.AlipaySignatureError):
            alipay.parse_response(
                self.body(sign=None), alipay.METHOD_QUERY, self.fixed_public
            )

    def test_round_trip_generated_key(self):
        """A response signed with a generated key verifies for the right method only."""
        content = (
            '{"code":"10000","msg":"Success",'
            '"qr_code":"https:\\/\\/qr.alipay.com\\/bax0"}'
        )
        sign = rsa_sha256_sign(content, self.alipay_private)
        body = self.body(content, sign, key="alipay_trade_precreate_response")
        parsed = alipay.parse_response(
            body, alipay.METHOD_PRECREATE, self.alipay_public
        )
        self.assertEqual(parsed["qr_code"], "https://qr.alipay.com/bax0")
        with self.assertRaises(alipay.AlipayError):
            alipay.parse_response(body, alipay.METHOD_QUERY, self.alipay_public)

    def test_business_error(self):
        """A signed code other than 10000 raises AlipayError with Alipay's codes."""
        content = (
            '{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST",'
            '"sub_msg":"交易不存在","out_trade_no":"SO9"}'
        )
        body = self.body(content, rsa_sha256_sign(content, self.alipay_private))
        with self.assertRaises(alipay.AlipayError) as caught:
            alipay.parse_response(body, alipay.METHOD_QUERY, self.alipay_public)
        self.assertNotIsInstance(caught.exception, alipay.AlipaySignatureError)
        self.assertEqual(caught.exception.code, "40004")
        self.assertEqual(caught.exception.sub_code, "ACQ.TRADE_NOT_EXIST")
        self.assertIn("Alipay refused the request", str(caught.exception))

    def test_unsigned_gateway_error(self):
        """An unsigned error_response raises the business error."""
        body = (
            '{"error_response":{"code":"40002","msg":"Invalid Arguments",'
            '"sub_code":"isv.invalid-app-id"}}'
        )
        with self.assertRaises(alipay.AlipayError) as caught:
            alipay.parse_response(body, alipay.METHOD_QUERY, self.alipay_public)
        self.assertEqual(caught.exception.sub_code, "isv.invalid-app-id")

    def test_malformed_bodies(self):
        """Non-JSON, non-object and incomplete bodies raise a clear AlipayError."""
        for body in (
            "",
            "not json",
            "[1, 2]",
            '{"alipay_trade_query_response":',
            '{"other_response":{}}',
        ):
            with self.subTest(body=body), self.assertRaises(alipay.AlipayError):
                alipay.parse_response(body, alipay.METHOD_QUERY, self.alipay_public)

    def test_top_level_spans(self):
        """Spans point at the raw value text, nested objects included."""
        body = '{"a": {"x": "}"} , "b":[1,{"c":2}],"a":0}'
        spans = alipay.top_level_spans(body)
        self.assertEqual(body[slice(*spans["a"])], '{"x": "}"}')
        self.assertEqual(body[slice(*spans["b"])], '[1,{"c":2}]')
        self.assertEqual(alipay.top_level_spans("{}"), {})
        self.assertEqual(
            alipay.response_key("alipay.trade.page.pay"),
            "alipay_trade_page_pay_response",
        )


if __name__ == "__main__":
    unittest.main()
