"""Controls of the payments addon as the server sees them (issue #19).

Each attack is made as the server receives it: through the ORM as each user
(``with_user``, with the context keys any caller can set), through JSON-RPC on
a running server, and, for the public routes, as anonymous HTTP requests with
junk, over-long and replayed bodies.
"""

import json
import secrets

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from ..engine import alipay, simulator, wechatpay
from ..models.sales_closing_payment_notification import (
    SAMPLE_SIZE_PARAM,
    SAMPLE_STATES,
)
from .common_cn import ALIPAY_APP_ID, API_V3_KEY, WECHAT_SERIAL, CnPaymentCommon
from .test_installments import InstallmentCommon

#: Context keys a caller can put in its context: none of them is a permission.
CONTEXT_FLAGS = {
    "sales_closing_workflow": True,
    "sales_closing_decision": True,
    "sales_closing_review": True,
    "install_mode": True,
    "module": "sales_closing_payments",
    "tracking_disable": True,
}
CLOSING_GROUPS = ("user", "accountant", "manager", "auditor")
CONTROLLER_LOGGER = "odoo.addons.sales_closing_payments.controllers.main"
MODEL_LOGGER = (
    "odoo.addons.sales_closing_payments.models.sales_closing_payment_notification"
)


def attackers(env, prefix):
    """A user of each closing group, a sales user, a portal user and the public
    user, by label."""
    users = {
        group: new_test_user(
            env,
            f"{prefix}_{group}",
            password=f"{prefix}_{group}",
            groups=f"sales_closing.group_closing_{group}",
        )
        for group in CLOSING_GROUPS
    }
    users["sales"] = new_test_user(
        env, f"{prefix}_sales", groups="sales_team.group_sale_salesman"
    )
    users["portal"] = new_test_user(env, f"{prefix}_portal", groups="base.group_portal")
    users["public"] = env.ref("base.public_user")
    return users


# --------------------------------------------------------------------------
# Installment plans: the saved card charged is the customer's
# --------------------------------------------------------------------------


@tagged("post_install", "-at_install")
class TestInstallmentTokenControl(InstallmentCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.data = cls._setup_installment_data(cls.env, login="sec_inst_sales")
        cls.customer_a = cls.data["partner"]
        cls.token_a = cls._token(cls.env, cls.data)
        cls.customer_b = cls.env["res.partner"].create({"name": "Customer B"})
        cls.token_b = cls._token(cls.env, dict(cls.data, partner=cls.customer_b))
        cls.accountant = new_test_user(
            cls.env,
            "sec_inst_accountant",
            password="sec_inst_accountant",
            groups="sales_closing.group_closing_accountant",
        )
        cls.Plan = cls.env["sales.closing.installment.plan"]

    def _plan(self, token, user=None):
        invoice = self._invoice(self.env, self.data)
        plans = self.Plan.with_user(user) if user else self.Plan
        return plans.create(
            {
                "invoice_id": invoice.id,
                "partner_id": self.customer_a.id,
                "token_id": token.id,
            }
        )

    def test_another_customers_card_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "not one of"):
            self._plan(self.token_b, user=self.accountant)
        plan = self._plan(self.token_a, user=self.accountant)
        for context in ({}, CONTEXT_FLAGS):
            with self.assertRaises(ValidationError):
                plan.with_user(self.accountant).with_context(**context).write(
                    {"token_id": self.token_b.id}
                )
        self.assertEqual(plan.token_id, self.token_a)
        # a contact of customer A may own the card: same commercial entity
        contact = self.env["res.partner"].create(
            {"name": "A's buyer", "parent_id": self.customer_a.id}
        )
        contact_token = self._token(self.env, dict(self.data, partner=contact))
        plan.with_user(self.accountant).token_id = contact_token
        self.assertEqual(plan.token_id, contact_token)

    def test_archived_card_is_refused(self):
        archived = self._token(self.env, self.data)
        archived.active = False
        with self.assertRaisesRegex(ValidationError, "archived"):
            self._plan(archived, user=self.accountant)

    def test_another_customers_invoice_is_refused(self):
        plan = self._plan(self.token_a, user=self.accountant)
        other = self._invoice(self.env, dict(self.data, partner=self.customer_b))
        with self.assertRaises(ValidationError):
            plan.with_user(self.accountant).invoice_id = other

    def test_charge_refuses_a_card_of_another_customer(self):
        """Even a token set before the control (written in SQL here) is never
        charged: the charge in sudo checks it again."""
        plan = self._plan(self.token_a)
        plan.action_start()
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE sales_closing_installment_plan SET token_id = %s WHERE id = %s",
            (self.token_b.id, plan.id),
        )
        plan.invalidate_recordset()
        self.env["sales.closing.installment.plan.line"]._charge_due_lines(
            today=fields.Date.today(), commit=False
        )
        line = plan.line_ids.sorted("sequence")[0]
        self.assertFalse(line.transaction_ids)
        self.assertIn("not one of", line.last_error)
        self.assertFalse(
            self.env["payment.transaction"]
            .sudo()
            .search([("token_id", "=", self.token_b.id)])
        )


# --------------------------------------------------------------------------
# Payment notifications: workflow fields, linked transaction, payload
# --------------------------------------------------------------------------


class NotificationCase(CnPaymentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = attackers(cls.env, "sec_notif")

    def setUp(self):
        super().setUp()
        self.tx = self.make_tx(self.alipay, "SO-SEC-1", amount=88.8)
        # 8.88 received for 88.80: set aside for review, linked to the transaction
        self.review = self.Notification._sales_closing_process_alipay(
            self.alipay_notice(self.tx, amount="8.88")
        )
        self.assertEqual(self.review.state, "review")


@tagged("post_install", "-at_install")
class TestNotificationControls(NotificationCase):
    def _forged_values(self, model, name):
        """A value for field ``name`` of ``model`` differing from any record's."""
        field = model._fields[name]
        if field.type == "many2one":
            return self.env[field.comodel_name].sudo().search([], limit=1).id
        if field.type == "selection":
            return field.get_values(self.env)[0]
        if field.type == "integer":
            return 7
        if field.type == "datetime":
            return fields.Datetime.now()
        return "forged"

    def _workflow_models(self):
        """Every model of this addon listing workflow-owned fields."""
        models = [
            self.env[name]
            for name, model in self.env.registry.items()
            if getattr(model, "_sales_closing_workflow_fields", None)
            and not model._abstract
            and not model._transient
            and name.startswith("sales.closing.payment")
        ]
        self.assertTrue(models)
        return models

    def test_workflow_fields_refused_to_every_user(self):
        """Each workflow-owned field, each user, with and without context flags:
        write, create and unlink are refused."""
        for model in self._workflow_models():
            record = self.review if model._name == self.review._name else None
            self.assertTrue(record, f"no record of {model._name} to attack")
            for label, user in self.users.items():
                for name in model._sales_closing_workflow_fields:
                    value = self._forged_values(model, name)
                    for context in ({}, CONTEXT_FLAGS):
                        with (
                            self.subTest(model=model._name, user=label, field=name),
                            self.assertRaises(AccessError),
                        ):
                            record.with_user(user).with_context(**context).write(
                                {name: value}
                            )
                        with (
                            self.subTest(model=model._name, user=label, create=name),
                            self.assertRaises(AccessError),
                        ):
                            model.with_user(user).with_context(**context).create(
                                {
                                    "provider_code": "alipay",
                                    "state": "accepted",
                                    "reason": "ok",
                                    name: value,
                                }
                            )
                with (
                    self.subTest(model=model._name, user=label, unlink=True),
                    self.assertRaises(AccessError),
                ):
                    record.with_user(user).with_context(**CONTEXT_FLAGS).unlink()
        self.review.invalidate_recordset()
        self.assertEqual(
            (self.review.state, self.review.reason, self.review.amount),
            ("review", "amount_mismatch", "8.88"),
        )
        self.assertFalse(self.review.reviewed_by_id)

    def test_manager_refused_by_the_guard(self):
        """A manager may write the note and the link (ACL), not the outcome."""
        manager = self.users["manager"]
        with self.assertRaisesRegex(AccessError, "processing and review only"):
            self.review.with_user(manager).write({"state": "accepted"})
        self.review.with_user(manager).review_note = "Called the customer."
        self.assertEqual(self.review.review_note, "Called the customer.")

    def test_linked_transaction_must_be_the_notified_payment(self):
        manager = self.users["manager"]
        unknown = self.Notification._sales_closing_process_alipay(
            self.alipay_notice("SO-SEC-3", amount="8.88")
        )
        self.assertEqual(unknown.reason, "unknown_reference")
        others = {
            "another provider": self.make_tx(self.wechatpay, "SO-SEC-3W", 8.88),
            "another reference": self.make_tx(self.alipay, "SO-SEC-2", 8.88),
            "another amount": self.make_tx(self.alipay, "SO-SEC-3", 500.0),
        }
        for difference, tx in others.items():
            with self.subTest(difference), self.assertRaises(ValidationError):
                unknown.with_user(manager).transaction_id = tx
        # the processing's own link, amount differing: accepting is refused
        with self.assertRaisesRegex(UserError, "another amount"):
            self.review.with_user(manager).action_accept_after_review()
        self.assertEqual(self.tx.state, "draft")
        self.assertEqual(self.review.state, "review")
        # only a closing manager reviews
        for label in ("user", "accountant", "auditor", "sales", "portal"):
            with self.subTest(label), self.assertRaises(AccessError):
                self.review.with_user(self.users[label]).with_context(
                    **CONTEXT_FLAGS
                ).action_reject_after_review()
        self.review.with_user(manager).action_reject_after_review()
        self.assertEqual(self.review.state, "rejected")
        self.assertEqual(self.review.reviewed_by_id, manager)

    def test_payload_is_for_accountants(self):
        for label in ("user", "auditor", "sales"):
            with self.subTest(label), self.assertRaises(AccessError):
                self.review.with_user(self.users[label]).read(["payload"])
        for label in ("accountant", "manager"):
            payload = self.review.with_user(self.users[label]).read(["payload"])
            self.assertIn("SO-SEC-1", payload[0]["payload"])
        # the rest of the row stays readable by a closing user
        row = self.review.with_user(self.users["user"]).read(["state", "reference"])
        self.assertEqual(row[0]["state"], "review")

    def test_alipay_seller_is_compared(self):
        self.alipay.alipay_seller_id = "2088000000000001"
        tx = self.make_tx(self.alipay, "SO-SEC-SELLER", amount=10)
        log = self.Notification._sales_closing_process_alipay(
            self.alipay_notice(tx, seller_id="2088999999999999")
        )
        self.assertEqual((log.state, log.reason), ("rejected", "unknown_provider"))
        self.assertEqual(tx.state, "draft")
        log = self.Notification._sales_closing_process_alipay(
            self.alipay_notice(tx, seller_id="2088000000000001")
        )
        self.assertEqual((log.state, log.reason), ("accepted", "ok"))
        self.assertEqual(tx.state, "done")

    def test_credentials_cache_is_not_keyed_by_what_is_sent(self):
        """Looking up junk keys costs no query once the code's providers are
        cached: one cache entry per provider code, whatever is sent."""
        self.Notification._sales_closing_providers("alipay", "alipay_app_id", "1")
        with self.assertQueryCount(0):
            for _index in range(50):
                key = str(secrets.randbelow(10**16))
                self.assertFalse(
                    self.Notification._sales_closing_providers(
                        "alipay", "alipay_app_id", key
                    )
                )

    def test_sample_is_bounded_and_vacuumed(self):
        self.env["ir.config_parameter"].set_param(SAMPLE_SIZE_PARAM, "5")
        Notification = self.Notification
        before = Notification._sales_closing_rejection_counts()
        first_id = Notification.search([], order="id desc", limit=1).id
        for index in range(12):
            Notification._sales_closing_process_alipay(
                self.alipay_notice(f"SO-JUNK-{index}", amount="1.00", app_id="9" * 16)
            )
        for _index in range(8):
            Notification._sales_closing_process_alipay({"out_trade_no": "x" * 10000})
        # the ring keeps the newest: the last request is stored
        Notification._sales_closing_process_alipay(
            self.alipay_notice("SO-JUNK-LAST", amount="1.00", app_id="9" * 16)
        )
        self.assertTrue(Notification.search([("reference", "=", "SO-JUNK-LAST")]))
        samples = Notification.search(
            [("id", ">", first_id), ("state", "in", SAMPLE_STATES)]
        )
        self.assertLessEqual(len(samples), 5)
        after = Notification._sales_closing_rejection_counts()
        self.assertEqual(
            after["alipay", "unknown_provider"] - before["alipay", "unknown_provider"],
            13,
        )
        self.assertEqual(
            after["alipay", "malformed"] - before["alipay", "malformed"], 8
        )
        # stored columns are bounded
        self.assertTrue(all(len(row.reference or "") <= 64 for row in samples))
        # rows outside the ring (kept from before it, or beyond a lowered N) go
        # at the autovacuum; rows reviewed by a person stay
        self.env["ir.config_parameter"].set_param(SAMPLE_SIZE_PARAM, "2")
        self.review.sudo().action_reject_after_review()
        Notification._gc_sample_rows()
        left = Notification.search(
            [("state", "in", SAMPLE_STATES), ("reviewed_by_id", "=", False)]
        )
        self.assertTrue(all(row.sample_slot < 2 for row in left))
        self.assertLessEqual(len(left), 2)
        self.assertTrue(self.review.exists())


@tagged("post_install", "-at_install")
class TestNotificationJsonRpc(HttpCase, NotificationCase):
    """The refusals through JSON-RPC on a running server."""

    def _call(self, login, model, method, args):
        self.authenticate(login, login)
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {
                "model": model,
                "method": method,
                "args": args,
                "kwargs": {"context": CONTEXT_FLAGS},
            },
        )

    def test_manager_cannot_forge_the_outcome(self):
        with (
            mute_logger("odoo.http"),
            self.assertRaisesRegex(JsonRpcException, "AccessError"),
        ):
            self._call(
                "sec_notif_manager",
                self.review._name,
                "write",
                [self.review.ids, {"state": "accepted", "reason": "ok"}],
            )
        other = self.make_tx(self.alipay, "SO-SEC-RPC", amount=8.88)
        with (
            mute_logger("odoo.http"),
            self.assertRaisesRegex(JsonRpcException, "ValidationError"),
        ):
            self._call(
                "sec_notif_manager",
                self.review._name,
                "write",
                [self.review.ids, {"transaction_id": other.id}],
            )
        self.review.invalidate_recordset()
        self.assertEqual(self.review.state, "review")
        self.assertEqual(self.review.transaction_id, self.tx)

    def test_closing_user_cannot_read_the_payload(self):
        with (
            mute_logger("odoo.http"),
            self.assertRaisesRegex(JsonRpcException, "AccessError"),
        ):
            self._call(
                "sec_notif_user",
                self.review._name,
                "read",
                [self.review.ids, ["payload"]],
            )


@tagged("post_install", "-at_install")
class TestInstallmentJsonRpc(HttpCase, InstallmentCommon):
    def test_accountant_cannot_set_another_customers_card(self):
        data = self._setup_installment_data(self.env, login="sec_rpc_sales")
        token_a = self._token(self.env, data)
        customer_b = self.env["res.partner"].create({"name": "Customer B"})
        token_b = self._token(self.env, dict(data, partner=customer_b))
        new_test_user(
            self.env,
            "sec_rpc_accountant",
            password="sec_rpc_accountant",
            groups="sales_closing.group_closing_accountant",
        )
        plan = self.env["sales.closing.installment.plan"].create(
            {
                "invoice_id": self._invoice(self.env, data).id,
                "partner_id": data["partner"].id,
                "token_id": token_a.id,
            }
        )
        self.authenticate("sec_rpc_accountant", "sec_rpc_accountant")
        with (
            mute_logger("odoo.http"),
            self.assertRaisesRegex(JsonRpcException, "ValidationError"),
        ):
            self.make_jsonrpc_request(
                "/web/dataset/call_kw/sales.closing.installment.plan/write",
                {
                    "model": "sales.closing.installment.plan",
                    "method": "write",
                    "args": [plan.ids, {"token_id": token_b.id}],
                    "kwargs": {"context": CONTEXT_FLAGS},
                },
            )
        plan.invalidate_recordset()
        self.assertEqual(plan.token_id, token_a)


# --------------------------------------------------------------------------
# Public routes: junk, over-long and replayed bodies
# --------------------------------------------------------------------------


@tagged("post_install", "-at_install")
class TestPublicRoutes(HttpCase, CnPaymentCommon):
    """Every public route of the addon, called anonymously with junk: 4xx or
    the gateway's 'fail', never 500; the stored sample stays bounded."""

    SAMPLE = 10

    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].set_param(SAMPLE_SIZE_PARAM, str(self.SAMPLE))
        self.first_id = self.Notification.search([], order="id desc", limit=1).id

    def assert_refused(self, response, allowed=(200,)):
        self.assertLess(response.status_code, 500, response.text[:300])
        if response.status_code not in allowed:
            self.assertGreaterEqual(response.status_code, 400)

    def post(self, path, **kwargs):
        """POST (url_open sends a GET when the body is empty)."""
        with mute_logger(CONTROLLER_LOGGER, MODEL_LOGGER):
            return self.opener.post(self.base_url() + path, timeout=30, **kwargs)

    def post_alipay(self, data):
        response = self.post("/payment/alipay/notify", data=data)
        self.assert_refused(response)
        if response.status_code == 200:
            self.assertIn(response.text, ("fail", "success"))
        return response

    def post_wechat(self, body, headers=None):
        response = self.post(
            "/payment/wechatpay/notify",
            data=body if isinstance(body, bytes) else body.encode(),
            headers=headers or {"Content-Type": "application/json"},
        )
        self.assertLess(response.status_code, 500, response.text[:300])
        return response

    def stored_samples(self):
        return self.Notification.search_count(
            [("id", ">", self.first_id), ("state", "in", SAMPLE_STATES)]
        )

    def test_alipay_junk(self):
        tx = self.make_tx(self.alipay, "SO-ROUTE-1", amount=12.5)
        genuine = self.alipay_notice(tx)
        junk = [
            {},
            {"foo": "bar"},
            {"app_id": "abc", "sign": "x"},
            dict(genuine, out_trade_no="x" * 10000),
            dict(genuine, notify_id="n" * 5000),
            dict(genuine, trade_status="T" * 3000),
            dict(genuine, total_amount="1e999"),
            dict(genuine, app_id="1" * 200),
            dict(genuine, sign="not base64 !!!"),
            dict(genuine, **{f"f{index}": "v" for index in range(100)}),
            dict(genuine, self="x", cls="y"),
            dict(genuine, seller_id="<script>"),
        ]
        for data in junk:
            with self.subTest(keys=sorted(data)[:5]):
                response = self.post_alipay(data)
                self.assertNotEqual(response.text, "success")
        # over the size limit: refused unread
        response = self.post_alipay({"blob": "x" * 70000})
        self.assertEqual(response.status_code, 413)
        self.env.invalidate_all()
        self.assertEqual(tx.state, "draft")
        self.assertLessEqual(self.stored_samples(), self.SAMPLE)

    def test_alipay_flood_and_replay_stay_bounded(self):
        tx = self.make_tx(self.alipay, "SO-ROUTE-2", amount=3)
        genuine = self.alipay_notice(tx, notify_id="ROUTE-REPLAY")
        self.assertEqual(self.post_alipay(genuine).text, "success")
        for index in range(self.SAMPLE + 50):
            if index % 2:
                self.assertEqual(self.post_alipay(genuine).text, "success")  # replay
            else:
                self.post_alipay(
                    {"app_id": str(index), "out_trade_no": "x" * (index + 1)}
                )
        self.assertLessEqual(self.stored_samples(), self.SAMPLE)
        self.assertEqual(
            self.Notification.search_count(
                [("notification_ref", "=", "ROUTE-REPLAY"), ("state", "=", "accepted")]
            ),
            1,
        )

    def test_wechatpay_junk(self):
        tx = self.make_tx(self.wechatpay, "SO-ROUTE-W", amount=3)
        headers, body = self.wechat_notice(tx)
        signed_headers = dict(headers)
        # a nonce of a wrong length in a correctly signed notification
        envelope = json.loads(body)
        envelope["resource"]["nonce"] = "abc"
        short_nonce = json.dumps(envelope)
        short_headers = simulator.wechatpay_signed_headers(
            self.gateway_private, WECHAT_SERIAL, short_nonce
        )
        short_headers["Content-Type"] = "application/json"
        cases = [
            ("", {"Content-Type": "application/json"}),
            ("not json", headers),
            ("[1, 2]", headers),
            (body, {"Content-Type": "application/json"}),  # no signature headers
            (body, dict(headers, **{"Wechatpay-Serial": "S" * 5000})),
            (body, dict(headers, **{"Wechatpay-Timestamp": "soon"})),
            (body, dict(headers, **{"Wechatpay-Nonce": "n" * 500})),
            (body, dict(headers, **{"Wechatpay-Signature": "%%%"})),
            (json.dumps(dict(json.loads(body), id="i" * 10000)), headers),
            (b"\xff\xfe\x00junk", headers),
            (short_nonce, short_headers),
        ]
        for case_body, case_headers in cases:
            with self.subTest(body=str(case_body)[:40]):
                response = self.post_wechat(case_body, case_headers)
                self.assertIn(response.status_code, (400, 401))
                self.assertEqual(response.json()["code"], "FAIL")
        response = self.post_wechat(b"x" * 70000, headers)
        self.assertEqual(response.status_code, 413)
        self.env.invalidate_all()
        self.assertEqual(tx.state, "draft")
        # the genuine one, then its replays
        self.assertEqual(self.post_wechat(body, signed_headers).status_code, 200)
        for _index in range(self.SAMPLE + 5):
            self.assertEqual(self.post_wechat(body, signed_headers).status_code, 200)
        self.env.invalidate_all()
        self.assertEqual(tx.state, "done")
        self.assertLessEqual(self.stored_samples(), self.SAMPLE)

    def test_qr_pages_junk(self):
        for gateway in ("alipay", "wechatpay"):
            for query in (
                "",
                "?reference=&access_token=",
                "?reference=" + "x" * 10000 + "&access_token=y",
                "?reference=SO%00&access_token=%ff",
            ):
                with self.subTest(gateway=gateway, query=query[:30]):
                    response = self.url_open(f"/payment/{gateway}/qr{query}")
                    self.assertEqual(response.status_code, 404)

    def test_portal_payment_routes_junk_ids(self):
        """Junk ids or amount on the order and invoice payment routes are a
        client error (ValidationError), not an internal one."""
        demo = self.env["payment.provider"].search(
            [("code", "=", "demo"), ("company_id", "=", self.env.company.id)], limit=1
        )
        demo.state = "test"
        card = self.env.ref("payment.payment_method_card")
        product = self.env["product.product"].create(
            {"name": "Route Good", "list_price": 80.0, "taxes_id": False}
        )
        order = self.env["sale.order"].create(
            {
                "partner_id": self.partner.id,
                "order_line": [Command.create({"product_id": product.id})],
            }
        )
        order.action_confirm()
        order._portal_ensure_token()
        invoice = order._create_invoices()
        invoice.action_post()
        invoice._portal_ensure_token()
        base = {
            "payment_method_id": card.id,
            "token_id": None,
            "amount": 80.0,
            "flow": "direct",
            "tokenization_requested": False,
            "landing_route": "/my",
        }
        junk = [
            {"provider_id": "abc"},
            {"provider_id": "99999999"},
            {"provider_id": 2**40},
            {"provider_id": None},
            {"provider_id": [1]},
            {"provider_id": demo.id, "amount": "lots"},
            {"provider_id": demo.id, "amount": "nan"},
            {"provider_id": demo.id, "payment_method_id": "x"},
        ]
        routes = [
            (f"/my/orders/{order.id}/transaction", order.access_token),
            (f"/invoice/transaction/{invoice.id}", invoice.access_token),
        ]
        for route, token in routes:
            for values in junk:
                with self.subTest(route=route, values=values):
                    payload = {
                        "jsonrpc": "2.0",
                        "method": "call",
                        "id": 1,
                        "params": dict(base, access_token=token, **values),
                    }
                    with mute_logger("odoo.http"):
                        response = self.url_open(
                            route,
                            data=json.dumps(payload),
                            headers={"Content-Type": "application/json"},
                        )
                    self.assertLess(response.status_code, 500)
                    error = response.json().get("error")
                    self.assertTrue(error, "a junk payment request was accepted")
                    self.assertEqual(
                        error["data"]["name"], "odoo.exceptions.ValidationError"
                    )
        self.assertFalse(
            self.env["payment.transaction"].search(
                [("sale_order_ids", "in", order.ids)]
            )
        )


@tagged("post_install", "-at_install")
class TestAlipayIds(TransactionCase):
    """The engine's shape check accepts what Alipay sends."""

    def test_genuine_notification_has_the_shape(self):
        private, _public = simulator.new_key_pair()
        params = simulator.alipay_notification(
            private, ALIPAY_APP_ID, "S00042-1", "12.50"
        )
        self.assertIsNone(alipay.notification_problem(params))
        headers, body = simulator.wechatpay_notification(
            private,
            WECHAT_SERIAL,
            API_V3_KEY,
            simulator.wechatpay_transaction("wx1", "1900000109", "S00042-1", 1250),
        )
        self.assertIsNone(wechatpay.notification_problem(headers, body))
