import calendar
import time
from datetime import date

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from ..engine import simulator
from ..engine.common import rsa_sha256_sign
from ..engine.simulator import new_key_pair
from ..engine.wechatpay import HEADER_SIGNATURE
from .common_cn import API_V3_KEY, WECHAT_SERIAL, CnPaymentCommon


@tagged("post_install", "-at_install")
class TestAlipayNotifications(CnPaymentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.forger_private, _public = new_key_pair()

    def process(self, params):
        return self.Notification._sales_closing_process_alipay(params)

    def setUp(self):
        super().setUp()
        self.tx = self.make_tx(self.alipay, "SO-N-1", amount=88.8)

    def test_valid_confirms(self):
        log = self.process(self.alice())
        self.assertEqual((log.state, log.reason), ("accepted", "ok"))
        self.assertEqual(log.transaction_id, self.tx)
        self.assertEqual(log.provider_id, self.alipay)
        self.assertEqual(self.tx.state, "done")
        self.assertTrue(self.tx.provider_reference)
        self.assertIn('"out_trade_no": "SO-N-1"', log.payload)

    def alice(self, **extra):
        return self.alipay_notice(self.tx, **extra)

    def test_forged_signature(self):
        log = self.process(self.alice(private=self.forger_private))
        self.assertEqual((log.state, log.reason), ("rejected", "bad_signature"))
        self.assertEqual(self.tx.state, "draft")

    def test_tampered_amount(self):
        params = self.alice()
        params["total_amount"] = "0.01"
        log = self.process(params)
        self.assertEqual((log.state, log.reason), ("rejected", "bad_signature"))
        self.assertEqual(self.tx.state, "draft")

    def test_unsigned(self):
        params = self.alice()
        del params["sign"]
        self.assertEqual(self.process(params).state, "rejected")
        self.assertEqual(self.tx.state, "draft")

    def test_unknown_merchant(self):
        log = self.process(self.alice(app_id="2021999999999999"))
        self.assertEqual((log.state, log.reason), ("rejected", "unknown_provider"))
        self.assertEqual(self.tx.state, "draft")

    def test_replayed(self):
        params = self.alice(notify_id="N-REPLAY")
        first = self.process(params)
        second = self.process(dict(params))
        self.assertEqual(first.state, "accepted")
        self.assertEqual((second.state, second.reason), ("duplicate", "replay"))
        self.assertEqual(self.tx.state, "done")
        self.assertEqual(
            self.Notification.search_count(
                [("notification_ref", "=", "N-REPLAY"), ("state", "=", "accepted")]
            ),
            1,
        )

    def test_second_notice_of_applied_trade(self):
        """TRADE_FINISHED after TRADE_SUCCESS: new notify_id, same trade."""
        self.process(self.alice())
        last_change = self.tx.last_state_change
        log = self.process(self.alice(trade_status="TRADE_FINISHED"))
        self.assertEqual((log.state, log.reason), ("duplicate", "already_applied"))
        self.assertEqual(self.tx.last_state_change, last_change)

    def test_unknown_reference(self):
        log = self.process(self.alipay_notice("SO-NOBODY", amount="88.80"))
        self.assertEqual((log.state, log.reason), ("review", "unknown_reference"))
        self.assertFalse(log.transaction_id)
        self.assertEqual(self.tx.state, "draft")

    def test_amount_mismatch(self):
        log = self.process(self.alice(amount="8.88"))
        self.assertEqual((log.state, log.reason), ("review", "amount_mismatch"))
        self.assertEqual(log.transaction_id, self.tx)
        self.assertEqual(self.tx.state, "draft")

    def test_currency_mismatch(self):
        log = self.process(self.alice(trans_currency="USD"))
        self.assertEqual((log.state, log.reason), ("review", "currency_mismatch"))
        self.assertEqual(self.tx.state, "draft")

    def test_other_transaction_currency(self):
        tx = self.make_tx(self.alipay, "SO-N-EUR", amount=88.8, currency=self.eur)
        log = self.process(self.alipay_notice(tx))
        self.assertEqual((log.state, log.reason), ("review", "currency_mismatch"))
        self.assertEqual(tx.state, "draft")

    def test_wait_and_closed(self):
        log = self.process(self.alice(trade_status="WAIT_BUYER_PAY"))
        self.assertEqual((log.state, log.reason), ("accepted", "not_paid"))
        self.assertEqual(self.tx.state, "pending")
        self.process(self.alice(trade_status="TRADE_CLOSED"))
        self.assertEqual(self.tx.state, "cancel")

    def test_refund_notice_does_not_touch_payment(self):
        self.process(self.alice())
        log = self.process(
            self.alice(
                trade_status="TRADE_CLOSED",
                refund_fee="88.80",
                gmt_refund="2026-01-02 10:00:00",
            )
        )
        self.assertEqual((log.state, log.reason), ("accepted", "refund"))
        self.assertEqual(self.tx.state, "done")

    def test_review_accept_and_reject(self):
        log = self.process(self.alice(amount="8.88"))
        other = self.process(self.alipay_notice("SO-NOBODY-2", amount="1.00"))
        accountant = new_test_user(
            self.env,
            "notif_accountant",
            groups="sales_closing.group_closing_accountant",
        )
        with self.assertRaises(AccessError):
            log.with_user(accountant).action_accept_after_review()
        with self.assertRaises(UserError):
            other.action_accept_after_review()
        log.action_accept_after_review()
        self.assertEqual(log.state, "accepted")
        self.assertEqual(log.reviewed_by_id, self.env.user)
        self.assertEqual(self.tx.state, "done")
        other.action_reject_after_review()
        self.assertEqual(other.state, "rejected")
        with self.assertRaises(UserError):
            other.action_reject_after_review()

    def test_closing_check(self):
        kind = self.env.ref("sales_closing_payments.check_notifications_to_review")
        today = date.today()
        last_day = calendar.monthrange(today.year, today.month)[1]
        period = self.env["sales.closing.period"].search(
            [
                ("company_id", "=", self.env.company.id),
                ("date_from", "<=", today),
                ("date_to", ">=", today),
            ],
            limit=1,
        ) or self.env["sales.closing.period"].create(
            {
                "name": "NOTIF-CHECK",
                "date_from": today.replace(day=1),
                "date_to": today.replace(day=last_day),
            }
        )
        before = kind._check_notifications_to_review(period)["count"]
        self.process(self.alice(amount="8.88"))
        self.process(self.alice(private=self.forger_private))
        self.process(self.alice())
        result = kind._check_notifications_to_review(period)
        self.assertEqual(result["count"], before + 1)
        self.assertEqual(result["res_model"], "sales.closing.payment.notification")


@tagged("post_install", "-at_install")
class TestWeChatPayNotifications(CnPaymentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.forger_private, _public = new_key_pair()

    def setUp(self):
        super().setUp()
        self.tx = self.make_tx(self.wechatpay, "SO-W-1", amount=88.8)

    def process(self, notice):
        headers, body = notice
        return self.Notification._sales_closing_process_wechatpay(headers, body)

    def test_valid_confirms(self):
        log = self.process(self.wechat_notice(self.tx))
        self.assertEqual((log.state, log.reason), ("accepted", "ok"))
        self.assertEqual(self.tx.state, "done")
        self.assertTrue(self.tx.provider_reference.startswith("4200"))
        self.assertIn("SO-W-1", log.payload)

    def test_forged(self):
        log = self.process(self.wechat_notice(self.tx, private=self.forger_private))
        self.assertEqual((log.state, log.reason), ("rejected", "bad_signature"))
        self.assertEqual(self.tx.state, "draft")

    def test_tampered_body(self):
        headers, body = self.wechat_notice(self.tx)
        log = self.process((headers, body.replace("TRANSACTION", "TRANSACTI0N")))
        self.assertEqual(log.state, "rejected")
        self.assertEqual(self.tx.state, "draft")

    def test_missing_signature(self):
        headers, body = self.wechat_notice(self.tx)
        del headers[HEADER_SIGNATURE]
        self.assertEqual(self.process((headers, body)).state, "rejected")

    def test_stale(self):
        resource = simulator.wechatpay_transaction(
            "wxd678efh567hg6787", "1900000109", "SO-W-1", 8880
        )
        notice = simulator.wechatpay_notification(
            self.gateway_private,
            WECHAT_SERIAL,
            API_V3_KEY,
            resource,
            timestamp=int(time.time()) - 3600,
        )
        log = self.process(notice)
        self.assertEqual((log.state, log.reason), ("rejected", "stale"))
        self.assertEqual(self.tx.state, "draft")

    def test_wrong_api_key(self):
        resource = simulator.wechatpay_transaction(
            "wxd678efh567hg6787", "1900000109", "SO-W-1", 8880
        )
        notice = simulator.wechatpay_notification(
            self.gateway_private, WECHAT_SERIAL, "x" * 32, resource
        )
        log = self.process(notice)
        self.assertEqual((log.state, log.reason), ("rejected", "bad_signature"))
        self.assertEqual(self.tx.state, "draft")

    def test_unknown_serial(self):
        headers, body = self.wechat_notice(self.tx)
        headers["Wechatpay-Serial"] = "PUB_KEY_ID_UNKNOWN"
        log = self.process((headers, body))
        self.assertEqual((log.state, log.reason), ("rejected", "unknown_provider"))

    def test_replayed(self):
        notice = self.wechat_notice(self.tx, notify_id="EV-REPLAY")
        self.assertEqual(self.process(notice).state, "accepted")
        log = self.process(notice)
        self.assertEqual((log.state, log.reason), ("duplicate", "replay"))
        self.assertEqual(self.tx.state, "done")

    def test_unknown_reference(self):
        log = self.process(self.wechat_notice("SO-W-NOBODY", total_fen=8880))
        self.assertEqual((log.state, log.reason), ("review", "unknown_reference"))
        self.assertEqual(self.tx.state, "draft")

    def test_other_merchant(self):
        log = self.process(self.wechat_notice(self.tx, mchid="1900000999"))
        self.assertEqual((log.state, log.reason), ("review", "unknown_reference"))
        self.assertEqual(self.tx.state, "draft")

    def test_amount_mismatch(self):
        log = self.process(self.wechat_notice(self.tx, total_fen=888))
        self.assertEqual((log.state, log.reason), ("review", "amount_mismatch"))
        self.assertEqual(self.tx.state, "draft")

    def test_currency_mismatch(self):
        log = self.process(self.wechat_notice(self.tx, currency="USD"))
        self.assertEqual((log.state, log.reason), ("review", "currency_mismatch"))
        self.assertEqual(self.tx.state, "draft")

    def test_payment_error(self):
        log = self.process(self.wechat_notice(self.tx, trade_state="PAYERROR"))
        self.assertEqual((log.state, log.reason), ("accepted", "not_paid"))
        self.assertEqual(self.tx.state, "error")

    def test_review_replay_is_duplicate(self):
        notice = self.wechat_notice("SO-W-NOBODY-2", total_fen=100, notify_id="EV-R")
        self.assertEqual(self.process(notice).state, "review")
        self.assertEqual(self.process(notice).state, "duplicate")


@tagged("post_install", "-at_install")
class TestNotificationEndpoints(HttpCase, CnPaymentCommon):
    """The controllers answer each gateway as it expects."""

    def test_alipay_endpoint(self):
        tx = self.make_tx(self.alipay, "SO-H-1", amount=12.5)
        params = self.alipay_notice(tx, notify_id="H-1")
        response = self.url_open("/payment/alipay/notify", data=params)
        self.assertEqual((response.status_code, response.text), (200, "success"))
        self.env.invalidate_all()
        self.assertEqual(tx.state, "done")
        response = self.url_open("/payment/alipay/notify", data=params)
        self.assertEqual(response.text, "success")  # acknowledged, not applied
        forged = dict(params, notify_id="H-2", total_amount="0.01")
        response = self.url_open("/payment/alipay/notify", data=forged)
        self.assertEqual(response.text, "fail")
        states = self.Notification.search(
            [("reference", "=", "SO-H-1")], order="id"
        ).mapped("state")
        self.assertEqual(states, ["accepted", "duplicate", "rejected"])

    def test_wechatpay_endpoint(self):
        tx = self.make_tx(self.wechatpay, "SO-H-2", amount=3)
        headers, body = self.wechat_notice(tx)
        response = self.url_open(
            "/payment/wechatpay/notify", data=body.encode(), headers=headers
        )
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        self.assertEqual(tx.state, "done")
        headers[HEADER_SIGNATURE] = rsa_sha256_sign("forged", self.gateway_private)
        response = self.url_open(
            "/payment/wechatpay/notify", data=body.encode(), headers=headers
        )
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json()["code"], "FAIL")

    def test_qr_page(self):
        tx = self.make_tx(
            self.wechatpay,
            "SO-H-QR",
            amount=3,
            sales_closing_qr_code="weixin://wxpay/bizpayurl?pr=qr1",
        )
        token = tx._sales_closing_access_token()
        response = self.url_open(
            f"/payment/wechatpay/qr?reference=SO-H-QR&access_token={token}"
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("barcode_type=QR", response.text)
        response = self.url_open(
            "/payment/wechatpay/qr?reference=SO-H-QR&access_token=bad"
        )
        self.assertEqual(response.status_code, 404)
