import calendar
import secrets
import threading
import time
from datetime import date
from unittest.mock import patch

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import AccessError, UserError
from odoo.service.model import retrying
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from ..engine import simulator
from ..engine.common import rsa_sha256_sign
from ..engine.simulator import new_key_pair
from ..engine.wechatpay import HEADER_SIGNATURE
from .common_cn import API_V3_KEY, WECHAT_APPID, WECHAT_SERIAL, CnPaymentCommon


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
        # reported before its transaction existed, which was created afterwards
        log = self.process(self.alipay_notice("SO-N-LATE", amount="88.80"))
        self.assertEqual((log.state, log.reason), ("review", "unknown_reference"))
        late = self.make_tx(self.alipay, "SO-N-LATE", amount=88.8)
        other = self.process(self.alipay_notice("SO-NOBODY-2", amount="1.00"))
        mismatch = self.process(self.alice(amount="8.88"))
        self.assertEqual(mismatch.transaction_id, self.tx)
        accountant = new_test_user(
            self.env,
            "notif_accountant",
            groups="sales_closing.group_closing_accountant",
        )
        with self.assertRaises(AccessError):
            log.with_user(accountant).action_accept_after_review()
        with self.assertRaises(UserError):
            other.action_accept_after_review()
        # 8.88 received for 88.80: accepting would confirm money never received
        with self.assertRaisesRegex(UserError, "another amount"):
            mismatch.action_accept_after_review()
        self.assertEqual(self.tx.state, "draft")
        self.assertEqual(mismatch.state, "review")
        log.transaction_id = late
        log.action_accept_after_review()
        self.assertEqual(log.state, "accepted")
        self.assertEqual(log.reviewed_by_id, self.env.user)
        self.assertEqual(late.state, "done")
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


@tagged("post_install", "-at_install")
class TestConcurrentNotifications(TransactionCase):
    """Two workers receive notifications of one payment at the same instant.

    Each delivery runs as the HTTP worker runs a request: its own database cursor,
    the processing retried on a serialization failure (``retrying``, as
    ``odoo.http`` does) and committed. Two real cursors cannot see the test's
    transaction, so the set-up data (two providers, a buyer, two transactions) is
    committed under unique names, and deleted with the logs at the end.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gateway_private, cls.gateway_public = new_key_pair()
        cls.merchant_private, _public = new_key_pair()

    def setUp(self):
        super().setUp()
        suffix = secrets.token_hex(4).upper()
        self.app_id = f"2021{secrets.randbelow(10**12):012d}"
        self.mchid = f"19{secrets.randbelow(10**8):08d}"
        self.serial = f"PUB_KEY_ID_CONCURRENT_{suffix}"
        self.cursors = []
        self.ids = {}
        self.addCleanup(self._cleanup)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            alipay_method = env.ref("payment.payment_method_alipay")
            wechat_method = env.ref("payment.payment_method_wechat_pay")
            alipay, wechatpay = env["payment.provider"].create(
                [
                    {
                        "name": f"Alipay concurrency {suffix}",
                        "code": "alipay",
                        "state": "test",
                        "alipay_app_id": self.app_id,
                        "alipay_merchant_private_key": self.merchant_private,
                        "alipay_public_key": self.gateway_public,
                        "payment_method_ids": [Command.set(alipay_method.ids)],
                    },
                    {
                        "name": f"WeChat Pay concurrency {suffix}",
                        "code": "wechatpay",
                        "state": "test",
                        "wechatpay_mch_id": self.mchid,
                        "wechatpay_app_id": WECHAT_APPID,
                        "wechatpay_api_v3_key": API_V3_KEY,
                        "wechatpay_serial_no": "MERCHANTSERIAL0001",
                        "wechatpay_private_key": self.merchant_private,
                        "wechatpay_platform_serial": self.serial,
                        "wechatpay_platform_certificate": self.gateway_public,
                        "payment_method_ids": [Command.set(wechat_method.ids)],
                    },
                ]
            )
            partner = env["res.partner"].create({"name": f"Buyer {suffix}"})
            txs = env["payment.transaction"].create(
                [
                    {
                        "provider_id": provider.id,
                        "payment_method_id": method.id,
                        "reference": f"SO-CONC-{code}-{suffix}",
                        "amount": 88.8,
                        "currency_id": env.ref("base.CNY").id,
                        "partner_id": partner.id,
                        "operation": "online_redirect",
                    }
                    for provider, method, code in (
                        (alipay, alipay_method, "A"),
                        (wechatpay, wechat_method, "W"),
                    )
                ]
            )
            cr.commit()  # pylint: disable=invalid-commit
            self.ids = {
                "providers": (alipay | wechatpay).ids,
                "partner": partner.id,
                "alipay_tx": txs[0].id,
                "wechat_tx": txs[1].id,
                "references": txs.mapped("reference"),
            }

    def _cleanup(self):
        for cr in self.cursors:
            if not cr.closed:
                cr.rollback()
                cr.close()
        if not self.ids:
            return
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["sales.closing.payment.notification"].search(
                [
                    "|",
                    ("provider_id", "in", self.ids["providers"]),
                    ("reference", "in", self.ids["references"]),
                ]
            ).unlink()
            env["payment.transaction"].browse(
                [self.ids["alipay_tx"], self.ids["wechat_tx"]]
            ).unlink()
            env["payment.provider"].browse(self.ids["providers"]).unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()
            cr.commit()  # pylint: disable=invalid-commit

    # --- gateway side -------------------------------------------------------

    def alipay_notice(self, notify_id=None, **extra):
        reference = self.ids["references"][0]
        return simulator.alipay_notification(
            self.gateway_private, self.app_id, reference, "88.80", notify_id, **extra
        )

    def wechat_notice(self, notify_id=None):
        resource = simulator.wechatpay_transaction(
            WECHAT_APPID, self.mchid, self.ids["references"][1], 8880
        )
        return simulator.wechatpay_notification(
            self.gateway_private, self.serial, API_V3_KEY, resource, notify_id
        )

    @staticmethod
    def alipay_delivery(params):
        return lambda model: model._sales_closing_process_alipay(dict(params))

    @staticmethod
    def wechat_delivery(notice):
        headers, body = notice
        return lambda model: model._sales_closing_process_wechatpay(dict(headers), body)

    # --- workers ------------------------------------------------------------

    def _deliver(self, process, barrier=None):
        """Start one delivery in a thread, as an HTTP worker; return it and its
        outcome (backend pid, attempts, (state, reason) of its log, error)."""
        outcome = {"attempts": 0}

        def run():
            try:
                with self.registry.cursor() as cr:
                    outcome["pid"] = cr._cnx.get_backend_pid()
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    if barrier:
                        barrier.wait(timeout=20)

                    def attempt():
                        outcome["attempts"] += 1
                        log = process(env["sales.closing.payment.notification"])
                        return log.state, log.reason

                    outcome["result"] = retrying(attempt, env)
            except Exception as error:  # noqa: BLE001 - asserted by the test
                outcome["error"] = error

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread, outcome

    def _blockers(self, outcome, timeout=20):
        """Wait until the delivery waits on a lock; return the blocking pids."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not (
            "result" in outcome or "error" in outcome
        ):
            if outcome.get("pid"):
                with self.registry.cursor() as cr:
                    cr.execute("SELECT pg_blocking_pids(%s)", (outcome["pid"],))
                    blockers = cr.fetchone()[0]
                if blockers:
                    return blockers
            time.sleep(0.02)
        self.fail(f"The second delivery never waited on a lock: {outcome}")

    def _count_state_changes(self):
        """Patch _set_done for every cursor; return the list of its calls."""
        tx_class = self.registry["payment.transaction"]
        original = tx_class._set_done
        calls = []

        def counting(tx, *args, **kwargs):
            calls.append(tx.ids)
            return original(tx, *args, **kwargs)

        patcher = patch.object(tx_class, "_set_done", counting)
        patcher.start()
        self.addCleanup(patcher.stop)
        return calls

    def _interleaved(self, first, second):
        """A applies ``first`` and keeps its transaction open; B starts ``second``,
        which must wait on A's row lock; then A commits and B finishes."""
        calls = self._count_state_changes()
        cr_a = self.registry.cursor()
        self.cursors.append(cr_a)
        env_a = api.Environment(cr_a, SUPERUSER_ID, {})
        log_a = first(env_a["sales.closing.payment.notification"])
        result_a = (log_a.state, log_a.reason)
        changed_at = log_a.transaction_id.last_state_change
        env_a.flush_all()
        with self.assertNoLogs("odoo.sql_db", "ERROR"):
            thread, outcome = self._deliver(second)
            self.assertIn(cr_a._cnx.get_backend_pid(), self._blockers(outcome))
            self.assertTrue(thread.is_alive(), "B waits while A holds the row")
            cr_a.commit()  # pylint: disable=invalid-commit
            cr_a.close()
            thread.join(timeout=60)
        self.assertFalse(thread.is_alive())
        self.assertNotIn("error", outcome)
        # B's snapshot predates A's commit: PostgreSQL refuses B's lock once A
        # commits, and B is retried from the start, as the HTTP layer does; the
        # refusal is expected and not logged as an error; nothing else goes wrong
        self.assertEqual(outcome["attempts"], 2)
        self.assertEqual(len(calls), 1, "the transaction is confirmed once")
        return result_a, outcome["result"], changed_at

    def _simultaneous(self, first, second):
        """Both deliveries start at the same instant (a barrier) in two threads."""
        calls = self._count_state_changes()
        barrier = threading.Barrier(2)
        # the second one may be refused a serialization and retried (logged)
        with mute_logger("odoo.sql_db"):
            workers = [self._deliver(process, barrier) for process in (first, second)]
            for thread, _outcome in workers:
                thread.join(timeout=60)
        outcomes = [outcome for _thread, outcome in workers]
        self.assertFalse([o for o in outcomes if "error" in o or "result" not in o])
        self.assertLessEqual(sum(o["attempts"] for o in outcomes), 3)
        self.assertEqual(len(calls), 1, "the transaction is confirmed once")
        return sorted(outcome["result"] for outcome in outcomes)

    def _committed_state(self, tx_key):
        """Return the transaction state and last change, and the log rows."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            tx = env["payment.transaction"].browse(self.ids[tx_key])
            logs = env["sales.closing.payment.notification"].search(
                [("transaction_id", "=", tx.id)], order="id"
            )
            return (
                tx.state,
                tx.last_state_change,
                sorted(logs.mapped(lambda log: (log.state, log.reason))),
            )

    # --- tests --------------------------------------------------------------

    def test_same_alipay_notification_twice_at_once(self):
        params = self.alipay_notice(notify_id=f"N-{secrets.token_hex(6)}")
        result_a, result_b, changed_at = self._interleaved(
            self.alipay_delivery(params), self.alipay_delivery(params)
        )
        self.assertEqual(result_a, ("accepted", "ok"))
        self.assertEqual(result_b, ("duplicate", "replay"))
        state, last_change, logs = self._committed_state("alipay_tx")
        self.assertEqual((state, last_change), ("done", changed_at))
        self.assertEqual(logs, [("accepted", "ok"), ("duplicate", "replay")])

    def test_same_wechatpay_notification_twice_at_once(self):
        notice = self.wechat_notice(notify_id=f"EV-{secrets.token_hex(6)}")
        result_a, result_b, changed_at = self._interleaved(
            self.wechat_delivery(notice), self.wechat_delivery(notice)
        )
        self.assertEqual(result_a, ("accepted", "ok"))
        self.assertEqual(result_b, ("duplicate", "replay"))
        state, last_change, logs = self._committed_state("wechat_tx")
        self.assertEqual((state, last_change), ("done", changed_at))
        self.assertEqual(logs, [("accepted", "ok"), ("duplicate", "replay")])

    def test_endpoint_tries_again_at_once(self):
        """Through _sales_closing_receive, as the endpoints call it, the delivery
        that waited on the row lock is tried again at once inside its request:
        Odoo's retry (which first sleeps up to 2 s) is not reached."""
        params = self.alipay_notice(notify_id=f"N-{secrets.token_hex(6)}")

        def receive(model):
            return model._sales_closing_receive(
                "_sales_closing_process_alipay", dict(params)
            )

        calls = self._count_state_changes()
        cr_a = self.registry.cursor()
        self.cursors.append(cr_a)
        env_a = api.Environment(cr_a, SUPERUSER_ID, {})
        log_a = receive(env_a["sales.closing.payment.notification"])
        result_a = (log_a.state, log_a.reason)
        env_a.flush_all()
        thread, outcome = self._deliver(receive)
        self.assertIn(cr_a._cnx.get_backend_pid(), self._blockers(outcome))
        cr_a.commit()  # pylint: disable=invalid-commit
        cr_a.close()
        thread.join(timeout=60)
        self.assertFalse(thread.is_alive())
        self.assertNotIn("error", outcome)
        # one attempt for Odoo's retrying: no serialization failure reached it
        self.assertEqual(outcome["attempts"], 1)
        self.assertEqual(result_a, ("accepted", "ok"))
        self.assertEqual(outcome["result"], ("duplicate", "replay"))
        self.assertEqual(len(calls), 1, "the transaction is confirmed once")
        _state, _last_change, logs = self._committed_state("alipay_tx")
        self.assertEqual(logs, [("accepted", "ok"), ("duplicate", "replay")])

    def test_same_alipay_notification_in_two_threads(self):
        params = self.alipay_notice()
        results = self._simultaneous(
            self.alipay_delivery(params), self.alipay_delivery(params)
        )
        self.assertEqual(results, [("accepted", "ok"), ("duplicate", "replay")])
        state, _last_change, logs = self._committed_state("alipay_tx")
        self.assertEqual(state, "done")
        self.assertEqual(logs, results)

    def test_alipay_notice_and_its_resend_with_another_notify_id(self):
        genuine = self.alipay_notice()
        resent = dict(self.alipay_notice(trade_no=genuine["trade_no"]))
        self.assertNotEqual(genuine["notify_id"], resent["notify_id"])
        results = self._simultaneous(
            self.alipay_delivery(genuine), self.alipay_delivery(resent)
        )
        self.assertEqual(
            results, [("accepted", "ok"), ("duplicate", "already_applied")]
        )
        state, _last_change, logs = self._committed_state("alipay_tx")
        self.assertEqual(state, "done")
        self.assertEqual(logs, results)

    def test_wechatpay_notice_and_its_resend_with_another_id(self):
        results = self._simultaneous(
            self.wechat_delivery(self.wechat_notice()),
            self.wechat_delivery(self.wechat_notice()),
        )
        self.assertEqual(
            results, [("accepted", "ok"), ("duplicate", "already_applied")]
        )
        state, _last_change, logs = self._committed_state("wechat_tx")
        self.assertEqual(state, "done")
        self.assertEqual(logs, results)
