# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Log and processing of the asynchronous Alipay / WeChat Pay notifications.

Every notification received is logged, whatever happens to it. Only an authentic
notification (valid signature, our merchant, known reference, same amount and
currency, first time seen) can change a transaction; the others are rejected
(forged, stale), marked duplicate (replayed) or set aside for review (authentic but
not matching a transaction: money may have moved and a person must look).

Concurrency: the transaction row is locked (``FOR UPDATE``) before the replay check,
and a partial unique index on (provider, notification id) over the applied rows is
the last barrier, so two deliveries of one notification, even at the same instant
in two workers, are applied once.
"""

import json
import logging

from psycopg2.errors import SerializationFailure

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..engine import alipay as alipay_engine
from ..engine import simulator
from ..engine import wechatpay as wechatpay_engine
from ..engine.common import (
    STATUS_AMOUNT_MISMATCH,
    STATUS_BAD_SIGNATURE,
    STATUS_CURRENCY_MISMATCH,
    STATUS_NOT_PAID,
    STATUS_OK,
    STATUS_REPLAY,
    STATUS_STALE,
    STATUS_UNKNOWN_REFERENCE,
    status_message,
)

_logger = logging.getLogger(__name__)

MAX_PAYLOAD = 65536
STATUS_REFUND = "refund"
STATUS_ALREADY_APPLIED = "already_applied"
STATUS_UNKNOWN_PROVIDER = "unknown_provider"
STATE_OF_STATUS = {
    STATUS_OK: "accepted",
    STATUS_NOT_PAID: "accepted",
    STATUS_REFUND: "accepted",
    STATUS_REPLAY: "duplicate",
    STATUS_ALREADY_APPLIED: "duplicate",
    STATUS_BAD_SIGNATURE: "rejected",
    STATUS_STALE: "rejected",
    STATUS_UNKNOWN_PROVIDER: "rejected",
    STATUS_UNKNOWN_REFERENCE: "review",
    STATUS_AMOUNT_MISMATCH: "review",
    STATUS_CURRENCY_MISMATCH: "review",
}
#: States holding the (provider, notification id) claim of the unique index.
CLAIM_STATES = ("accepted", "review")
# Tries of a delivery that waited on another delivery's row lock (see _receive)
IMMEDIATE_TRIES = 3
# Columns of the transaction and its currency the processing reads, loaded with the
# row lock (one query) instead of the ORM's fetch of every column of each record.
TX_PREFETCH = [
    "reference",
    "state",
    "amount",
    "currency_id",
    "provider_id",
    "partner_id",
    "operation",
    "company_id",
    "provider_reference",
    "payment_method_id",
    "source_transaction_id",
]
CURRENCY_PREFETCH = ["name", "rounding", "decimal_places", "symbol", "position"]
# Cached with the credentials (_sales_closing_providers); fetched if not.
PROVIDER_PREFETCH = ["code", "name", "company_id"]
# The documents the transaction confirms; read by Odoo's _log_received_message.
TX_LINKS = ["sale_order_ids", "invoice_ids"]
PROVIDER_KEYS = {
    "alipay": ("alipay_app_id", "alipay_public_key"),
    "wechatpay": (
        "wechatpay_mch_id",
        "wechatpay_app_id",
        "wechatpay_api_v3_key",
        "wechatpay_platform_serial",
        "wechatpay_platform_certificate",
    ),
}


def cache_columns(record, values):
    """Put ``values`` ({field name: column value}) in the ORM cache of ``record``
    where it holds nothing yet, as the ORM's _fetch_query does (validate=False:
    a monetary would otherwise read its currency, which may not be cached yet)."""
    cache = record.env.cache
    for name, value in values.items():
        field = record._fields[name]
        value = field.convert_to_cache(value, record, validate=False)
        cache.insert_missing(record, field, [value])


class SalesClosingPaymentNotification(models.Model):
    _name = "sales.closing.payment.notification"
    _description = "Payment Provider Notification"
    _order = "id desc"
    _rec_name = "reference"

    provider_id = fields.Many2one(
        "payment.provider", string="Provider", readonly=True, index=True
    )
    provider_code = fields.Selection(
        selection=[("alipay", "Alipay"), ("wechatpay", "WeChat Pay")],
        required=True,
        readonly=True,
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.company,
    )
    notification_ref = fields.Char(
        string="Notification ID",
        readonly=True,
        help="notify_id (Alipay) or notification id (WeChat Pay).",
    )
    reference = fields.Char(readonly=True, index=True)
    transaction_id = fields.Many2one(
        "payment.transaction", string="Transaction", index="btree_not_null"
    )
    event_type = fields.Char(readonly=True)
    trade_status = fields.Char(readonly=True)
    amount = fields.Char(
        string="Notified Amount", readonly=True, help="As sent by the gateway."
    )
    currency = fields.Char(string="Notified Currency", readonly=True)
    payload = fields.Text(readonly=True)
    state = fields.Selection(
        selection=[
            ("accepted", "Accepted"),
            ("duplicate", "Duplicate"),
            ("rejected", "Rejected"),
            ("review", "To Review"),
        ],
        required=True,
        readonly=True,
        index=True,
    )
    reason = fields.Selection(
        selection=[
            (STATUS_OK, "Payment confirmed"),
            (STATUS_NOT_PAID, "Status other than paid"),
            (STATUS_REFUND, "Refund acknowledged"),
            (STATUS_REPLAY, "Replayed notification"),
            (STATUS_ALREADY_APPLIED, "Trade already applied"),
            (STATUS_BAD_SIGNATURE, "Forged or bad signature"),
            (STATUS_STALE, "Stale timestamp"),
            (STATUS_UNKNOWN_PROVIDER, "Unknown merchant account"),
            (STATUS_UNKNOWN_REFERENCE, "Unknown reference"),
            (STATUS_AMOUNT_MISMATCH, "Amount mismatch"),
            (STATUS_CURRENCY_MISMATCH, "Currency mismatch"),
        ],
        required=True,
        readonly=True,
    )
    message = fields.Text(readonly=True)
    reviewed_by_id = fields.Many2one("res.users", string="Reviewed By", readonly=True)
    reviewed_date = fields.Datetime(readonly=True)
    review_note = fields.Text()

    def init(self):
        """One applied (accepted or to review) row per gateway notification id."""
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS
                sales_closing_payment_notification_claim_uniq
            ON sales_closing_payment_notification (provider_code, notification_ref)
            WHERE notification_ref IS NOT NULL AND state IN ('accepted', 'review')
            """
        )

    # === PROCESSING === #

    @api.model
    def _sales_closing_receive(self, method, *args):
        """Run ``method`` (a _sales_closing_process_* method) for the endpoint.

        A delivery that waited on the row lock of another delivery about the same
        transaction fails to serialize once that one commits (Odoo's transactions
        are REPEATABLE READ). The lock is free by then, so it is tried again at
        once in a new transaction, which sees the committed row: Odoo's own retry
        would first sleep up to 2 seconds, keeping the worker from the other
        notifications. After IMMEDIATE_TRIES the error goes to Odoo's retry.
        """
        for attempt in range(1, IMMEDIATE_TRIES + 1):
            try:
                return getattr(self, method)(*args)
            except SerializationFailure:
                if attempt == IMMEDIATE_TRIES:
                    raise
                _logger.info("%s: retried at once after a concurrent update", method)
                # as odoo.service.model.retrying does before trying again
                self.env.cr.rollback()
                self.env.reset()
                self.env.registry.reset_changes()

    @api.model
    def _sales_closing_log(self, values, status, detail=None):
        """Insert the log row of a notification; return (record, final status).

        One INSERT, no ORM round trip (the endpoint is hot). A row that claims a
        notification id (accepted / review) is inserted with ON CONFLICT on the
        partial unique index: if another delivery of the same notification claimed
        it first, even at the same instant in another worker, the row is logged as
        a duplicate instead.
        """
        values = dict(values)
        values.update(
            payload=(values.get("payload") or "")[:MAX_PAYLOAD],
            state=STATE_OF_STATUS[status],
            reason=status,
            message=detail or status_message(status),
        )
        if not values.get("company_id"):
            # Only when no provider matched: env.company costs two queries (the
            # user and its companies) on the hot path.
            values["company_id"] = self.env.company.id
        claim = values["state"] in CLAIM_STATES and bool(values.get("notification_ref"))
        record_id = self._sales_closing_insert(values, claim)
        if record_id is None:
            status = STATUS_REPLAY
            values.update(
                state="duplicate", reason=status, message=status_message(status)
            )
            record_id = self._sales_closing_insert(values, False)
        record = self.browse(record_id)
        # What the endpoint answers and logs, from the values just inserted rather
        # than a query reading the whole row back.
        names = ("state", "reason", "notification_ref", "reference")
        cache_columns(record, {name: values.get(name) or False for name in names})
        return record, status

    @api.model
    def _sales_closing_insert(self, values, claim):
        """INSERT one log row; None when ``claim`` and the id is already claimed."""
        columns = [
            "provider_id",
            "provider_code",
            "company_id",
            "notification_ref",
            "reference",
            "transaction_id",
            "event_type",
            "trade_status",
            "amount",
            "currency",
            "payload",
            "state",
            "reason",
            "message",
        ]
        row = [values.get(column) or None for column in columns]
        conflict = (
            SQL(
                "ON CONFLICT (provider_code, notification_ref) WHERE "
                "notification_ref IS NOT NULL AND state IN ('accepted', 'review') "
                "DO NOTHING"
            )
            if claim
            else SQL()
        )
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO sales_closing_payment_notification
                    (%s, create_uid, write_uid, create_date, write_date)
                VALUES (%s, %s, %s, now() at time zone 'UTC', now() at time zone 'UTC')
                %s
                RETURNING id
                """,
                SQL(", ").join(SQL.identifier(column) for column in columns),
                SQL(", ").join(row),
                self.env.uid,
                self.env.uid,
                conflict,
            )
        )
        result = self.env.cr.fetchone()
        return result[0] if result else None

    @api.model
    def _sales_closing_lock_transaction(self, provider_id, reference, notification_ref):
        """Lock the provider's transaction ``reference``; tell if the id was seen.

        Returns ``(transaction, seen_ids)`` in one query: the transaction row is
        locked (FOR UPDATE) so that two deliveries about one payment are applied
        one after the other; ``seen_ids`` holds ``notification_ref`` when a
        delivery of it was already accepted or set aside for review.
        """
        seen = set()
        self.env["payment.transaction"].flush_model()
        self.flush_model()
        if not reference:
            if notification_ref and self._sales_closing_seen(
                provider_id, notification_ref
            ):
                seen.add(notification_ref)
            return self.env["payment.transaction"], seen
        transactions = self.env["payment.transaction"]
        links = [
            transactions._fields[name] for name in TX_LINKS if name in transactions
        ]
        self.env.cr.execute(
            SQL(
                """
                SELECT t.id, EXISTS (
                    SELECT 1 FROM sales_closing_payment_notification n
                    WHERE n.provider_code = p.code AND n.notification_ref = %(ref)s
                      AND n.notification_ref IS NOT NULL
                      AND n.state IN ('accepted', 'review')),
                    %(tx_columns)s, %(currency_columns)s %(links)s
                FROM payment_transaction t
                JOIN payment_provider p ON p.id = t.provider_id
                JOIN res_currency c ON c.id = t.currency_id
                WHERE t.reference = %(reference)s AND t.provider_id = %(provider)s
                FOR UPDATE OF t
                """,
                ref=notification_ref,
                reference=reference,
                provider=provider_id,
                tx_columns=SQL(", ").join(
                    SQL.identifier("t", name) for name in TX_PREFETCH
                ),
                currency_columns=SQL(", ").join(
                    SQL.identifier("c", name) for name in CURRENCY_PREFETCH
                ),
                links=SQL("").join(
                    SQL(
                        ", ARRAY(SELECT r.%s FROM %s r WHERE r.%s = t.id)",
                        SQL.identifier(field.column2),
                        SQL.identifier(field.relation),
                        SQL.identifier(field.column1),
                    )
                    for field in links
                ),
            ),
            # A second delivery waiting on this lock fails to serialize once the
            # first commits, and Odoo retries the request: an expected event, not
            # an error to log.
            log_exceptions=False,
        )
        row = self.env.cr.fetchone()
        if not row:
            if notification_ref and self._sales_closing_seen(
                provider_id, notification_ref
            ):
                seen.add(notification_ref)
            return transactions, seen
        if row[1]:
            seen.add(notification_ref)
        tx = transactions.browse(row[0])
        self._sales_closing_prefetch(tx, row[2:], links)
        return tx, seen

    @api.model
    def _sales_closing_prefetch(self, tx, values, links):
        """Put the columns read with the row lock in the ORM cache, and only those.

        The ORM would otherwise fetch every column of the transaction and of its
        currency, and each linked-documents relation, in a query each (about 200
        columns and five queries), which was most of a notification's cost on the
        HTTP path where each request starts with an empty cache. Only missing
        values are inserted, so nothing the request already holds is overwritten.
        """
        values = iter(values)
        cache_columns(tx, {name: next(values) for name in TX_PREFETCH})
        currency = tx.currency_id  # cached just above
        cache_columns(currency, {name: next(values) for name in CURRENCY_PREFETCH})
        for field in links:
            ids = next(values) or []
            if len(ids) <= 1:  # several: the ORM orders them as the comodel does
                self.env.cache.insert_missing(tx, field, [tuple(ids)])
        tx.provider_id.fetch(PROVIDER_PREFETCH)

    @api.model
    def _sales_closing_seen(self, provider_id, notification_ref):
        """Tell whether ``notification_ref`` was already accepted or set aside."""
        self.env.cr.execute(
            """
            SELECT 1 FROM sales_closing_payment_notification n
            JOIN payment_provider p ON p.code = n.provider_code
            WHERE p.id = %s AND n.notification_ref = %s
              AND n.state IN ('accepted', 'review')
            LIMIT 1
            """,
            (provider_id, notification_ref),
        )
        return bool(self.env.cr.fetchone())

    @api.model
    def _sales_closing_apply(self, tx, status, data, values):
        """Log the notification and, when authentic and new, apply it to ``tx``."""
        if status in (STATUS_OK, STATUS_NOT_PAID) and tx.state == "done":
            status = STATUS_ALREADY_APPLIED
        record, status = self._sales_closing_log(values, status)
        if status in (STATUS_OK, STATUS_NOT_PAID):
            tx._process_notification_data(data)
        return record

    @api.model
    def _sales_closing_providers(self, code, key_column, key):
        """Return the credentials of the active providers ``code`` matching ``key``.

        Rows are dicts, first match first. Cached per worker (the registry's cache
        is cleared when a provider is written, in every worker): on the hot path a
        notification then costs no query before its signature is checked. The
        provider's code, company and name (in the request's language) go into the
        ORM cache too: the transaction's processing reads nothing else of it.
        """
        if not key:
            return []
        providers = self.env["payment.provider"]
        providers.flush_model()
        lang = self.env.lang or "en_US"
        rows = [
            dict(row)
            for row in self._sales_closing_provider_rows(code, key_column, key, lang)
        ]
        for row in rows:
            cache_columns(
                providers.browse(row["id"]),
                {"code": code, "company_id": row["company_id"], "name": row["name"]},
            )
        return rows

    @api.model
    @tools.ormcache("code", "key_column", "key", "lang")
    def _sales_closing_provider_rows(self, code, key_column, key, lang):
        columns = PROVIDER_KEYS[code]
        self.env.cr.execute(
            SQL(
                """
                SELECT id, company_id, COALESCE(name->>%s, name->>'en_US'), %s
                FROM payment_provider
                WHERE code = %s AND state != 'disabled' AND %s = %s
                ORDER BY id
                """,
                lang,
                SQL(", ").join(SQL.identifier(column) for column in columns),
                code,
                SQL.identifier(key_column),
                key,
            )
        )
        names = ["id", "company_id", "name", *columns]
        return tuple(
            tuple(zip(names, row, strict=True)) for row in self.env.cr.fetchall()
        )

    @api.model
    def _sales_closing_process_alipay(self, params):
        """Process the decoded form of an Alipay asynchronous notification.

        Returns the log record; the caller answers 'success' unless its state is
        'rejected'.
        """
        params = {key: str(value) for key, value in params.items()}
        values = {
            "provider_code": "alipay",
            "notification_ref": params.get("notify_id") or None,
            "reference": params.get("out_trade_no"),
            "event_type": params.get("notify_type"),
            "trade_status": params.get("trade_status"),
            "amount": params.get("total_amount"),
            "currency": alipay_engine.notification_currency(params),
            "payload": json.dumps(params, ensure_ascii=False, sort_keys=True),
        }
        providers = self._sales_closing_providers(
            "alipay", "alipay_app_id", params.get("app_id")
        )
        if not providers:
            return self._sales_closing_log(values, STATUS_UNKNOWN_PROVIDER)[0]
        provider = providers[0]
        values.update(provider_id=provider["id"], company_id=provider["company_id"])
        public_key = provider["alipay_public_key"]
        if not alipay_engine.verify_notification(params, public_key):
            return self._sales_closing_log(values, STATUS_BAD_SIGNATURE)[0]
        tx, seen = self._sales_closing_lock_transaction(
            provider["id"], values["reference"], values["notification_ref"]
        )
        values["transaction_id"] = tx.id
        if alipay_engine.is_refund_notification(params):
            status = STATUS_REPLAY if seen else STATUS_REFUND
            return self._sales_closing_log(values, status)[0]
        expected = tx and {
            "out_trade_no": tx.reference,
            "total_amount": tx._sales_closing_decimal_amount(),
            "currency": tx.currency_id.name,
            "app_id": provider["alipay_app_id"],
        }
        status = alipay_engine.check_notification(
            params, expected or None, seen, public_key
        )
        return self._sales_closing_apply(tx, status, params, values)

    @api.model
    def _sales_closing_process_wechatpay(self, headers, body):
        """Process a WeChat Pay API v3 notification (headers and raw JSON body).

        Returns the log record; the caller answers HTTP 200 unless its state is
        'rejected'.
        """
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        serial = wechatpay_engine._header(headers, wechatpay_engine.HEADER_SERIAL)
        values = {"provider_code": "wechatpay", "payload": body}
        try:
            envelope = json.loads(body)
        except ValueError:
            envelope = {}
        if isinstance(envelope, dict):
            values["notification_ref"] = str(envelope.get("id") or "") or None
            values["event_type"] = envelope.get("event_type")
        providers = self._sales_closing_providers(
            "wechatpay", "wechatpay_platform_serial", serial
        )
        if not providers:
            return self._sales_closing_log(values, STATUS_UNKNOWN_PROVIDER)[0]
        provider = providers[0]
        values.update(provider_id=provider["id"], company_id=provider["company_id"])
        keys = {serial: provider["wechatpay_platform_certificate"]}
        status = wechatpay_engine.signature_status(headers, body, keys)
        if status != STATUS_OK:
            return self._sales_closing_log(values, status)[0]
        resource = None
        for candidate in providers:
            try:
                _envelope, resource = wechatpay_engine.open_notification(
                    body, candidate["wechatpay_api_v3_key"] or ""
                )
            except wechatpay_engine.WeChatPayError:
                continue
            provider = candidate
            break
        if resource is None:
            return self._sales_closing_log(
                values,
                STATUS_BAD_SIGNATURE,
                "The resource could not be decrypted with the APIv3 key.",
            )[0]
        amount = resource.get("amount") or {}
        values.update(
            provider_id=provider["id"],
            company_id=provider["company_id"],
            reference=resource.get("out_trade_no"),
            payload=json.dumps(
                {"envelope": envelope, "resource": resource},
                ensure_ascii=False,
                sort_keys=True,
            ),
            trade_status=resource.get("trade_state") or resource.get("refund_status"),
            amount=str(amount.get("total")) if amount.get("total") is not None else "",
            currency=amount.get("currency"),
        )
        tx, seen = self._sales_closing_lock_transaction(
            provider["id"], values["reference"], values["notification_ref"]
        )
        values["transaction_id"] = tx.id
        if str(values.get("event_type") or "").startswith("REFUND."):
            record, status = self._sales_closing_log(
                values, STATUS_REPLAY if seen else STATUS_REFUND
            )
            if status == STATUS_REFUND and tx:
                self._sales_closing_apply_wechatpay_refund(tx, resource)
            return record
        expected = tx and {
            "out_trade_no": tx.reference,
            "amount_fen": tx._sales_closing_amount_fen(),
            "currency": tx.currency_id.name,
            "mchid": provider["wechatpay_mch_id"],
            "appid": provider["wechatpay_app_id"],
        }
        status = wechatpay_engine.check_notification(
            headers,
            body,
            keys,
            provider["wechatpay_api_v3_key"],
            expected or None,
            seen,
        )
        return self._sales_closing_apply(tx, status, resource, values)

    @api.model
    def _sales_closing_apply_wechatpay_refund(self, tx, resource):
        """Settle the refund transaction of a REFUND.* notification of ``tx``.

        The refund transaction is the one whose reference is the out_refund_no sent
        by _send_refund_request; it is confirmed only if the refunded amount matches.
        """
        refund_tx = self.env["payment.transaction"].search(
            [
                ("source_transaction_id", "=", tx.id),
                ("operation", "=", "refund"),
                ("reference", "=", resource.get("out_refund_no") or ""),
            ],
            limit=1,
        )
        if not refund_tx or refund_tx.state not in ("draft", "pending"):
            return
        refunded = (resource.get("amount") or {}).get("refund")
        status = resource.get("refund_status")
        if status == "SUCCESS" and refunded == refund_tx._sales_closing_amount_fen(
            -refund_tx.amount
        ):
            refund_tx.provider_reference = resource.get("refund_id")
            refund_tx._set_done()
        elif status in ("CLOSED", "ABNORMAL"):
            refund_tx._set_error(
                self.env._(
                    "WeChat Pay reports the refund as %(status)s.", status=status
                )
            )

    # === DEMO === #

    @api.model
    def _sales_closing_load_demo(self):
        """Demo: the Alipay sandbox provider on throwaway keys, and a notification log.

        One payment confirmed, its replay, a forged notification and two set aside
        for review (amount mismatch, unknown reference), so that the log and the
        closing check show something. The provider stays unpublished.
        """
        alipay = self.env.ref(
            "sales_closing_payments.payment_provider_alipay", raise_if_not_found=False
        )
        if not alipay or self.search_count([], limit=1):
            return
        gateway_private, gateway_public = simulator.new_key_pair()
        merchant_private, _merchant_public = simulator.new_key_pair()
        forger_private, _forger_public = simulator.new_key_pair()
        app_id = "2021000000000000"
        alipay.write(
            {
                "state": "test",
                "is_published": False,
                "alipay_app_id": app_id,
                "alipay_merchant_private_key": merchant_private,
                "alipay_public_key": gateway_public,
            }
        )
        cny = self.env.ref("base.CNY")
        cny.active = True
        partner = self.env.ref("base.res_partner_2", raise_if_not_found=False)
        partner = partner or self.env["res.partner"].create({"name": "Demo Buyer"})
        method = self.env.ref("payment.payment_method_alipay")
        txs = self.env["payment.transaction"].create(
            [
                {
                    "provider_id": alipay.id,
                    "payment_method_id": method.id,
                    "reference": f"DEMO-ALIPAY-{index}",
                    "amount": amount,
                    "currency_id": cny.id,
                    "partner_id": partner.id,
                    "operation": "online_redirect",
                }
                for index, amount in ((1, 1288.0), (2, 560.0), (3, 99.9))
            ]
        )
        paid = simulator.alipay_notification(
            gateway_private, app_id, txs[0].reference, "1288.00"
        )
        notices = [
            paid,
            dict(paid),  # replay
            simulator.alipay_notification(
                forger_private, app_id, txs[1].reference, "560.00"
            ),
            simulator.alipay_notification(
                gateway_private, app_id, txs[2].reference, "9.99"
            ),
            simulator.alipay_notification(
                gateway_private, app_id, "DEMO-ALIPAY-UNKNOWN", "42.00"
            ),
        ]
        for notice in notices:
            self._sales_closing_process_alipay(notice)

    # === REVIEW ACTIONS === #

    def action_accept_after_review(self):
        """Accept notifications set aside for review: confirm their transaction."""
        self.check_access("write")
        for notification in self:
            if notification.state != "review":
                raise UserError(
                    self.env._(
                        "Only notifications to review can be accepted; %(ref)s is "
                        "%(state)s.",
                        ref=notification.reference or notification.id,
                        state=notification.state,
                    )
                )
            tx = notification.transaction_id
            if not tx:
                raise UserError(
                    self.env._(
                        "Link the notification %(ref)s to its transaction before "
                        "accepting it.",
                        ref=notification.reference or notification.id,
                    )
                )
            # sudo: reviewers are accountants, transactions are payment-admin records.
            tx = tx.sudo()
            self.env.cr.execute(
                "SELECT id FROM payment_transaction WHERE id = %s FOR UPDATE", (tx.id,)
            )
            if tx.state != "done":
                tx._set_done(
                    state_message=self.env._(
                        "Confirmed after review of notification %(ref)s by %(user)s.",
                        ref=notification.notification_ref or notification.id,
                        user=self.env.user.name,
                    )
                )
        self.write(
            {
                "state": "accepted",
                "reviewed_by_id": self.env.uid,
                "reviewed_date": fields.Datetime.now(),
            }
        )
        return True

    def action_reject_after_review(self):
        """Reject notifications set aside for review; their transaction is untouched."""
        self.check_access("write")
        if any(notification.state != "review" for notification in self):
            raise UserError(self.env._("Only notifications to review can be rejected."))
        self.write(
            {
                "state": "rejected",
                "reviewed_by_id": self.env.uid,
                "reviewed_date": fields.Datetime.now(),
            }
        )
        return True
