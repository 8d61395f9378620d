"""Unit tests of the pure-Python WeChat Pay API v3 engine (no Odoo model)."""

import base64
import json
import re
import unittest
from datetime import datetime, timezone
from decimal import Decimal

from odoo.addons.sales_closing_payments.engine import wechatpay
from odoo.addons.sales_closing_payments.engine.common import (
    rsa_sha256_sign,
    rsa_sha256_verify,
)

from ..engine.simulator import new_key_pair
from .keys import read_data

APPID = "wxd678efh567hg6787"
MCHID = "1230000109"
MERCHANT_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
PLATFORM_SERIAL = "PUB_KEY_ID_0112300001092024050100000000000001"
NOTIFY_URL = "https://shop.example.com/payment/wechatpay/notify"
API_V3_KEY = "0123456789abcdefghijklmnopqrstuv"

FIXED_NATIVE_BODY = (
    '{"appid":"wxd678efh567hg6787","mchid":"1230000109","description":"SO0042",'
    '"out_trade_no":"SO0042-1","notify_url":"https://shop.example.com/payment/wechatpay/notify",'
    '"amount":{"total":8880,"currency":"CNY"}}'
)
FIXED_TIMESTAMP = 1714528984
FIXED_NONCE = "593BEC0C930BF1AFEB40B4A08C8FB242"
# Signature of the native pay request with tests/data/test_only_rsa2048_private_key.pem
# (cross-checked with `openssl dgst -sha256 -sign`).
FIXED_REQUEST_SIGNATURE = (
    "hcHSjXHbMZixYMxJI3z/qeOJSS8zpbqEoBo0Zh77VtF3sNHAr/k+FLmDHmyGwMZdQz/mESf342UnathbNIPX6ygK"
    "aY4FioxDFEJL7srjmV8+EAdaZ9kOtgMfS9ZLzImErdeJHxlesKVsJt1L/SSotms9Lw2Mq4vk3SRYlhFCNh5ZdERK"
    "UTZQeXJ35AG14EEWYSu2K0FZBEzpnuka5EN1DKz3AXAP/LdVAtK8S6pfx9peCwfyAn3uYktwrktJ/Y+Mc6jV6fx/"
    "nzAKnDEWyMkY9VoA9JF/B9c4xyVeaCKqBFqEbzgMPxIZzIwaYjw1hWrLKQ6I0T70gHlNH8Mx6w8cow=="
)

FIXED_RESPONSE_BODY = '{"code_url":"weixin://wxpay/bizpayurl/up?pr=NwY5Mz9&groupid=00"}'
FIXED_RESPONSE_HEADERS = {
    "Wechatpay-Timestamp": "1714528985",
    "Wechatpay-Nonce": "A2B58F0D3EA1B1F0C1D9AC4B2E5F6A7B",
    "Wechatpay-Serial": "FIXED_TEST_ONLY_SERIAL",
    "Wechatpay-Signature": (
        "t3T25GuvdwmYt2XWr/zted87VR3zP5FXW8Oac1+oLQ5u6E+4eIedNSUNiaWijE14mqYeaCVvPRf9Y86Syr9L64j2"
        "AJqiaOzZD+19HHZsRp1AAFjNsWcMujz56SAMyaqAsD+R4chtGNtQhEkURpX9YjspaeW4nnbfO1MNlcUtCN43fpry"
        "NvJDJ9SZTcgerVIDBa6hY3+KgdHaiQyCamClkB0dcqYer/BTCGUBTa+lwTpk5W7EcYVMylV8OgJdAjemNpSW+gTw"
        "47wRYWcYIAi3gKpXn5F5ibv3VAvVkkz/QxwhM55BoJxS/2bI2VzsjDmEgV6dXenhXr6BZJqe/5nqow=="
    ),
}

FIXED_PLAINTEXT = {
    "mchid": MCHID,
    "appid": APPID,
    "out_trade_no": "SO0042-1",
    "transaction_id": "4200002024050100000000000001",
    "trade_type": "NATIVE",
    "trade_state": "SUCCESS",
    "trade_state_desc": "支付成功",
    "success_time": "2024-05-01T10:03:31+08:00",
    "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
    "amount": {
        "total": 8880,
        "payer_total": 8880,
        "currency": "CNY",
        "payer_currency": "CNY",
    },
}
# AEAD_AES_256_GCM of FIXED_PLAINTEXT (compact JSON) with API_V3_KEY, nonce
# "fixednonce12",
# associated data "transaction"; the 16-byte tag is appended, as WeChat Pay sends it.
FIXED_RESOURCE = {
    "algorithm": "AEAD_AES_256_GCM",
    "nonce": "fixednonce12",
    "associated_data": "transaction",
    "original_type": "transaction",
    "ciphertext": (
        "hXOtJwRCq+Yt3R9wSMPsgVyGIflZkN5C2ng8j8KzN6UMD8Kf3L3sDIB2xFQqUOAi5Tp43a5ZLw29mM0ejvuqQRUq"
        "e1vOP36utiYZHDOZO5eVFCz0Nh8Omo4kCDRDfejkRf1W85PFxPgulQF26Wxps18SA+5DiN6H2G70AXe/y2E3wi2z"
        "lDb+Y0Wppt4AaCGW+iASy0nQbyQAoOEWl616RhD0Rel2zoUr34gxb1h4TPtVnXGOTAjNQHK2E0R+IjZn1QlLi08T"
        "UJXK2DFRlgIduDvPatNhYZZD1mTfEuS0vItZXoW0C66/mp5hMXW7Ghs6vo8eB0giQqkOesBEv0xlKNJAE3OKjGmq"
        "bxsAe+Wo+MXb8mIGaHYCRwYsaEis0+I84RyO8vnJ8znpTL5V1SHsLUvJYG9PxaSxNr2SmGJWGfH6By4niNZ5ENMy"
        "eB7BcbQkT+og9f2zB0iD5Bv3PRpPKgmo8UhSOPUBBLMhCQawLvRvFRCYq+CQkbTWk9vRXRM/naORxJFULC5dftFP8w=="
    ),
}


class WeChatPayTestCase(unittest.TestCase):
    """Common keys of the WeChat Pay tests."""

    @classmethod
    def setUpClass(cls):
        """Load the fixed TEST-ONLY key and generate merchant / platform key pairs."""
        super().setUpClass()
        cls.fixed_private = read_data("test_only_rsa2048_private_key.pem")
        cls.fixed_public = read_data("test_only_rsa2048_public_key.pem")
        cls.merchant_private, cls.merchant_public = new_key_pair()
        cls.platform_private, cls.platform_public = new_key_pair()
        cls.platform_keys = {PLATFORM_SERIAL: cls.platform_public}

    def signed_headers(
        self,
        body,
        timestamp,
        nonce="NONCE123",
        private_pem=None,
        serial=PLATFORM_SERIAL,
    ):
        """Return WeChat Pay signature headers for ``body``."""
        message = f"{timestamp}\n{nonce}\n{body}\n"
        return {
            "Wechatpay-Timestamp": str(timestamp),
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Serial": serial,
            "Wechatpay-Signature": rsa_sha256_sign(
                message, private_pem or self.platform_private
            ),
        }


class TestWeChatPayRequests(WeChatPayTestCase):
    """Request builders."""

    def test_native_pay_request(self):
        """Native order body: fen integer, CNY, exact compact JSON."""
        method, path, body = wechatpay.native_pay_request(
            APPID, MCHID, "SO0042", "SO0042-1", NOTIFY_URL, 8880
        )
        self.assertEqual((method, path), ("POST", "/v3/pay/transactions/native"))
        self.assertEqual(body, FIXED_NATIVE_BODY)
        with_options = wechatpay.native_pay_body(
            APPID,
            MCHID,
            "SO",
            "SO1",
            NOTIFY_URL,
            1,
            time_expire="2024-06-08T10:34:56+08:00",
            attach="x",
        )
        self.assertEqual(with_options["time_expire"], "2024-06-08T10:34:56+08:00")
        self.assertEqual(with_options["attach"], "x")

    def test_native_pay_validation(self):
        """Bad amounts, other currencies, missing fields: refused."""
        with self.assertRaises(TypeError):
            wechatpay.native_pay_body(
                APPID, MCHID, "SO", "SO1", NOTIFY_URL, Decimal("88.80")
            )
        with self.assertRaises(ValueError):
            wechatpay.native_pay_body(APPID, MCHID, "SO", "SO1", NOTIFY_URL, 0)
        with self.assertRaises(ValueError):
            wechatpay.native_pay_body(
                APPID, MCHID, "SO", "SO1", NOTIFY_URL, 100, currency="USD"
            )
        with self.assertRaises(ValueError):
            wechatpay.native_pay_body(APPID, "", "SO", "SO1", NOTIFY_URL, 100)
        with self.assertRaises(ValueError):
            wechatpay.native_pay_body(APPID, MCHID, "", "SO1", NOTIFY_URL, 100)

    def test_to_fen(self):
        """Yuan to fen is exact; sub-fen and float amounts are refused."""
        self.assertEqual(wechatpay.to_fen(Decimal("88.80")), 8880)
        self.assertEqual(wechatpay.to_fen("0.01"), 1)
        self.assertEqual(wechatpay.to_fen(12), 1200)
        with self.assertRaises(ValueError):
            wechatpay.to_fen(Decimal("0.001"))
        with self.assertRaises(TypeError):
            wechatpay.to_fen(0.1)

    def test_query_and_close(self):
        """Query and close requests; references are URL-escaped."""
        self.assertEqual(
            wechatpay.query_request("SO0042-1", MCHID),
            ("GET", "/v3/pay/transactions/out-trade-no/SO0042-1?mchid=1230000109", ""),
        )
        self.assertEqual(
            wechatpay.query_path("SO/42 x", MCHID),
            "/v3/pay/transactions/out-trade-no/SO%2F42%20x?mchid=1230000109",
        )
        self.assertEqual(
            wechatpay.close_request("SO0042-1", MCHID),
            (
                "POST",
                "/v3/pay/transactions/out-trade-no/SO0042-1/close",
                '{"mchid":"1230000109"}',
            ),
        )
        with self.assertRaises(ValueError):
            wechatpay.query_path("", MCHID)
        with self.assertRaises(ValueError):
            wechatpay.close_request("SO1", "")

    def test_refund(self):
        """Refund body by transaction id or merchant reference, with amount checks."""
        method, path, body = wechatpay.refund_request(
            "SO0042-1-R1",
            1000,
            8880,
            out_trade_no="SO0042-1",
            reason="退货",
            notify_url=NOTIFY_URL,
        )
        self.assertEqual((method, path), ("POST", "/v3/refund/domestic/refunds"))
        self.assertEqual(
            json.loads(body),
            {
                "out_trade_no": "SO0042-1",
                "out_refund_no": "SO0042-1-R1",
                "reason": "退货",
                "notify_url": NOTIFY_URL,
                "amount": {"refund": 1000, "total": 8880, "currency": "CNY"},
            },
        )
        by_id = wechatpay.refund_body(
            "R2", 8880, 8880, transaction_id="4200X", out_trade_no="ignored"
        )
        self.assertEqual(by_id["transaction_id"], "4200X")
        self.assertNotIn("out_trade_no", by_id)
        with self.assertRaises(ValueError):
            wechatpay.refund_body("R3", 9000, 8880, out_trade_no="SO1")
        with self.assertRaises(ValueError):
            wechatpay.refund_body("", 100, 8880, out_trade_no="SO1")
        with self.assertRaises(ValueError):
            wechatpay.refund_body("R4", 100, 8880)


class TestWeChatPayRequestSignature(WeChatPayTestCase):
    """Authorization header."""

    def test_signature_message(self):
        """Five newline-terminated lines, even with an empty body."""
        self.assertEqual(
            wechatpay.signature_message("get", "/v3/certificates", 1554208460, "ABC"),
            "GET\n/v3/certificates\n1554208460\nABC\n\n",
        )
        self.assertEqual(
            wechatpay.signature_message("POST", "/v3/x", "1", "N", '{"a":1}'),
            'POST\n/v3/x\n1\nN\n{"a":1}\n',
        )

    def test_fixed_vector(self):
        """Regression vector of the full header with the fixed TEST-ONLY key."""
        header = wechatpay.authorization_header(
            MCHID,
            MERCHANT_SERIAL,
            self.fixed_private,
            "POST",
            "/v3/pay/transactions/native",
            FIXED_NATIVE_BODY,
            timestamp=FIXED_TIMESTAMP,
            nonce=FIXED_NONCE,
        )
        self.assertEqual(
            header,
            f'WECHATPAY2-SHA256-RSA2048 mchid="{MCHID}",nonce_str="{FIXED_NONCE}",'
            f'signature="{FIXED_REQUEST_SIGNATURE}",timestamp="{FIXED_TIMESTAMP}",serial_no="{MERCHANT_SERIAL}"',
        )

    def test_round_trip_and_defaults(self):
        """Fresh key round trip; random nonce; datetime timestamps."""
        when = datetime(2024, 5, 1, 2, 3, 4, tzinfo=timezone.utc)
        header = wechatpay.authorization_header(
            MCHID,
            MERCHANT_SERIAL,
            self.merchant_private,
            "GET",
            "/v3/pay/transactions/id/1?mchid=1",
            timestamp=when,
        )
        fields = dict(re.findall(r'(\w+)="([^"]*)"', header))
        self.assertEqual(fields["timestamp"], "1714528984")
        self.assertEqual(len(fields["nonce_str"]), 32)
        message = wechatpay.signature_message(
            "GET",
            "/v3/pay/transactions/id/1?mchid=1",
            fields["timestamp"],
            fields["nonce_str"],
        )
        self.assertTrue(
            rsa_sha256_verify(message, fields["signature"], self.merchant_public)
        )
        self.assertFalse(
            rsa_sha256_verify(message, fields["signature"], self.platform_public)
        )
        self.assertNotEqual(wechatpay.make_nonce(), wechatpay.make_nonce())


class TestWeChatPayVerifySignature(WeChatPayTestCase):
    """verify_signature / signature_status."""

    def test_fixed_vector(self):
        """The fixed response verifies with the fixed TEST-ONLY public key."""
        keys = {"FIXED_TEST_ONLY_SERIAL": self.fixed_public}
        self.assertTrue(
            wechatpay.verify_signature(
                FIXED_RESPONSE_HEADERS, FIXED_RESPONSE_BODY, keys, now=1714529000
            )
        )
        lowered = {key.lower(): value for key, value in FIXED_RESPONSE_HEADERS.items()}
        self.assertTrue(
            wechatpay.verify_signature(
                lowered, FIXED_RESPONSE_BODY.encode("utf-8"), keys, now=1714529000
            )
        )

    def test_round_trip(self):
        """A body signed by the platform key verifies; datetime ``now`` works."""
        body = '{"id":"1"}'
        headers = self.signed_headers(body, 1714528984)
        now = datetime(2024, 5, 1, 2, 5, 0)  # naive UTC, 116 s later
        self.assertEqual(
            wechatpay.signature_status(headers, body, self.platform_keys, now), "ok"
        )

    def test_rejections(self):
        """Tampered, forged, unknown serial, missing headers: refused."""
        body = '{"id":"1"}'
        headers = self.signed_headers(body, 1000)
        self.assertFalse(
            wechatpay.verify_signature(
                headers, '{"id":"2"}', self.platform_keys, now=1000
            )
        )
        forged = self.signed_headers(body, 1000, private_pem=self.merchant_private)
        self.assertEqual(
            wechatpay.signature_status(forged, body, self.platform_keys, now=1000),
            "bad_signature",
        )
        unknown = dict(headers, **{"Wechatpay-Serial": "OTHER"})
        self.assertEqual(
            wechatpay.signature_status(unknown, body, self.platform_keys, now=1000),
            "bad_signature",
        )
        for missing in (
            "Wechatpay-Timestamp",
            "Wechatpay-Nonce",
            "Wechatpay-Signature",
            "Wechatpay-Serial",
        ):
            partial = {key: value for key, value in headers.items() if key != missing}
            with self.subTest(missing=missing):
                self.assertEqual(
                    wechatpay.signature_status(partial, body, self.platform_keys, 1000),
                    "bad_signature",
                )
        probe = dict(
            headers,
            **{
                "Wechatpay-Signature": "WECHATPAY/SIGNTEST/"
                + headers["Wechatpay-Signature"]
            },
        )
        self.assertFalse(
            wechatpay.verify_signature(probe, body, self.platform_keys, now=1000)
        )

    def test_stale_timestamps(self):
        """Timestamps more than max_skew away (past or future) are stale."""
        body = "{}"
        headers = self.signed_headers(body, 1000)
        self.assertEqual(
            wechatpay.signature_status(headers, body, self.platform_keys, now=1300),
            "ok",
        )
        self.assertEqual(
            wechatpay.signature_status(headers, body, self.platform_keys, now=1301),
            "stale",
        )
        self.assertEqual(
            wechatpay.signature_status(headers, body, self.platform_keys, now=699),
            "stale",
        )
        self.assertEqual(
            wechatpay.signature_status(
                headers, body, self.platform_keys, now=1400, max_skew=600
            ),
            "ok",
        )
        self.assertFalse(
            wechatpay.verify_signature(headers, body, self.platform_keys, now=5000)
        )


class TestWeChatPayDecryptResource(WeChatPayTestCase):
    """AEAD_AES_256_GCM resource decryption."""

    def test_fixed_vector(self):
        """The fixed ciphertext decrypts to the fixed plaintext."""
        self.assertEqual(
            wechatpay.decrypt_resource(FIXED_RESOURCE, API_V3_KEY), FIXED_PLAINTEXT
        )
        again = wechatpay.encrypt_resource(
            FIXED_PLAINTEXT, API_V3_KEY, "fixednonce12", "transaction"
        )
        self.assertEqual(again["ciphertext"], FIXED_RESOURCE["ciphertext"])

    def test_round_trip_without_associated_data(self):
        """Empty associated data is supported."""
        resource = wechatpay.encrypt_resource(
            {"a": "b"}, API_V3_KEY.encode("utf-8"), "n0nce0000000"
        )
        self.assertEqual(wechatpay.decrypt_resource(resource, API_V3_KEY), {"a": "b"})

    def test_rejections(self):
        """Wrong key/nonce/aad, tampering, bad input: all raise."""
        cases = {
            "wrong key": (FIXED_RESOURCE, "x" * 32),
            "tampered aad": (
                dict(FIXED_RESOURCE, associated_data="refund"),
                API_V3_KEY,
            ),
            "wrong nonce": (dict(FIXED_RESOURCE, nonce="othernonce12"), API_V3_KEY),
            "algorithm": (dict(FIXED_RESOURCE, algorithm="AES_256_CBC"), API_V3_KEY),
            "base64": (dict(FIXED_RESOURCE, ciphertext="%%%"), API_V3_KEY),
            "short": (
                dict(FIXED_RESOURCE, ciphertext=base64.b64encode(b"abc").decode()),
                API_V3_KEY,
            ),
            "key size": (FIXED_RESOURCE, "short key"),
        }
        raw = bytearray(base64.b64decode(FIXED_RESOURCE["ciphertext"]))
        raw[5] ^= 1
        cases["tampered ciphertext"] = (
            dict(FIXED_RESOURCE, ciphertext=base64.b64encode(bytes(raw)).decode()),
            API_V3_KEY,
        )
        for label, (resource, key) in cases.items():
            with self.subTest(label), self.assertRaises(wechatpay.WeChatPayError):
                wechatpay.decrypt_resource(resource, key)


class TestWeChatPayCheckNotification(WeChatPayTestCase):
    """check_notification business statuses."""

    NOW = 1714528990

    def setUp(self):
        """Prepare the expected transaction."""
        super().setUp()
        self.expected = {
            "out_trade_no": "SO0042-1",
            "total_amount": Decimal("88.80"),
            "currency": "CNY",
            "mchid": MCHID,
            "appid": APPID,
        }

    def notification(
        self, notify_id="EV-1", timestamp=1714528985, private_pem=None, **changes
    ):
        """Return (headers, body) of a signed TRANSACTION.SUCCESS notification."""
        plaintext = json.loads(json.dumps(FIXED_PLAINTEXT))
        plaintext.update(changes)
        resource = wechatpay.encrypt_resource(
            plaintext, API_V3_KEY, "fixednonce12", "transaction"
        )
        resource["original_type"] = "transaction"
        envelope = {
            "id": notify_id,
            "create_time": "2024-05-01T10:03:31+08:00",
            "resource_type": "encrypt-resource",
            "event_type": "TRANSACTION.SUCCESS",
            "summary": "支付成功",
            "resource": resource,
        }
        body = json.dumps(envelope, ensure_ascii=False)
        return self.signed_headers(body, timestamp, private_pem=private_pem), body

    def check(self, headers, body, expected="default", seen=(), now=NOW):
        """Run check_notification with the test platform keys."""
        expected = self.expected if expected == "default" else expected
        return wechatpay.check_notification(
            headers, body, self.platform_keys, API_V3_KEY, expected, seen, now=now
        )

    def test_ok(self):
        """A genuine, fresh, matching SUCCESS notification is ok."""
        headers, body = self.notification()
        self.assertEqual(self.check(headers, body), "ok")
        by_fen = {
            key: value for key, value in self.expected.items() if key != "total_amount"
        }
        self.assertEqual(
            self.check(headers, body, expected=dict(by_fen, amount_fen=8880)), "ok"
        )
        envelope, resource = wechatpay.open_notification(body, API_V3_KEY)
        self.assertEqual(envelope["id"], "EV-1")
        self.assertEqual(resource["transaction_id"], "4200002024050100000000000001")

    def test_bad_signature(self):
        """Forged, tampered or undecryptable notifications fail."""
        headers, body = self.notification(private_pem=self.merchant_private)
        self.assertEqual(self.check(headers, body), "bad_signature")
        headers, body = self.notification()
        self.assertEqual(
            self.check(headers, body.replace("EV-1", "EV-2")), "bad_signature"
        )
        envelope = json.loads(body)
        envelope["resource"]["associated_data"] = "other"
        tampered = json.dumps(envelope)
        self.assertEqual(
            self.check(self.signed_headers(tampered, 1714528985), tampered),
            "bad_signature",
        )
        self.assertEqual(
            self.check(self.signed_headers("not json", 1714528985), "not json"),
            "bad_signature",
        )

    def test_stale(self):
        """A correctly signed but old notification is stale."""
        headers, body = self.notification(timestamp=self.NOW - 301)
        self.assertEqual(self.check(headers, body), "stale")

    def test_replay(self):
        """An already processed notification id is a replay."""
        headers, body = self.notification(notify_id="EV-9")
        self.assertEqual(self.check(headers, body, seen={"EV-9"}), "replay")

    def test_unknown_reference(self):
        """No transaction, other reference, other merchant or other app id."""
        headers, body = self.notification()
        self.assertEqual(self.check(headers, body, expected=None), "unknown_reference")
        self.assertEqual(
            self.check(headers, body, expected=dict(self.expected, out_trade_no="SO9")),
            "unknown_reference",
        )
        self.assertEqual(
            self.check(*self.notification(mchid="1999999999")), "unknown_reference"
        )
        self.assertEqual(
            self.check(*self.notification(appid="wx0000000000000000")),
            "unknown_reference",
        )

    def test_amount_mismatch(self):
        """A total differing by one fen is amount_mismatch."""
        amount = dict(FIXED_PLAINTEXT["amount"], total=8879)
        self.assertEqual(
            self.check(*self.notification(amount=amount)), "amount_mismatch"
        )

    def test_currency_mismatch(self):
        """Another currency is currency_mismatch."""
        amount = dict(FIXED_PLAINTEXT["amount"], currency="USD")
        self.assertEqual(
            self.check(*self.notification(amount=amount)), "currency_mismatch"
        )

    def test_not_paid(self):
        """NOTPAY / CLOSED / REFUND trade states are not payments."""
        for state in ("NOTPAY", "CLOSED", "REFUND", "PAYERROR"):
            with self.subTest(state=state):
                self.assertEqual(
                    self.check(*self.notification(trade_state=state)), "not_paid"
                )


if __name__ == "__main__":
    unittest.main()
