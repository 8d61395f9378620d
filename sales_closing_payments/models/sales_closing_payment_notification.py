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

Bounds (the endpoints are open to the internet): the shape of a request (keys,
lengths) is checked before any lookup; every stored column is truncated; the
requests that change nothing (rejected, duplicate) are counted per provider and
cause and only the last N are kept (a ring of N slots, N the system parameter
``sales_closing_payments.notification_sample_size``, 200 by default), so junk
and replays cannot grow the database.
"""

import json
import logging
from decimal import Decimal

from psycopg2.errors import SerializationFailure

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.translate import LazyTranslate

from ..engine import alipay as alipay_engine
from ..engine import simulator
from ..engine import wechatpay as wechatpay_engine
from ..engine.common import (
    STATUS_AMOUNT_MISMATCH,
    STATUS_BAD_SIGNATURE,
    STATUS_CURRENCY_MISMATCH,
    STATUS_MALFORMED,
    STATUS_NOT_PAID,
    STATUS_OK,
    STATUS_REPLAY,
    STATUS_STALE,
    STATUS_UNKNOWN_PROVIDER,
    STATUS_UNKNOWN_REFERENCE,
    status_message,
    truncate,
)

_logger = logging.getLogger(__name__)
_lt = LazyTranslate(__name__)

MAX_PAYLOAD = 65536
#: What is kept of the payload of a request that changed nothing.
MAX_SAMPLE_PAYLOAD = 4096
#: Longest text stored in each column a request fills (the Char fields' size).
COLUMN_BOUNDS = {
    "notification_ref": 64,
    "reference": 64,
    "event_type": 64,
    "trade_status": 32,
    "amount": 32,
    "currency": 8,
    "message": 1000,
}
STATUS_REFUND = "refund"
STATUS_ALREADY_APPLIED = "already_applied"
#: The engine's explanation of each status (``engine/common.py``, plain
#: English, stored with the row), shown in the reader's language.
STATUS_TEXTS = {
    STATUS_OK: _lt("The notification is authentic and confirms the payment."),
    STATUS_BAD_SIGNATURE: _lt(
        "The notification signature is missing or invalid; it was ignored."
    ),
    STATUS_UNKNOWN_REFERENCE: _lt(
        "The notification refers to a payment reference or merchant account "
        "that is not ours."
    ),
    STATUS_AMOUNT_MISMATCH: _lt(
        "The amount paid differs from the amount expected for this payment."
    ),
    STATUS_CURRENCY_MISMATCH: _lt(
        "The currency paid differs from the currency expected for this payment."
    ),
    STATUS_REPLAY: _lt(
        "This notification was already processed; it was acknowledged "
        "but not applied again."
    ),
    STATUS_NOT_PAID: _lt("The notification does not report a successful payment."),
    STATUS_STALE: _lt(
        "The notification timestamp is too far from the current time; it was ignored."
    ),
    STATUS_UNKNOWN_PROVIDER: _lt(
        "No active provider has the merchant account of the notification; it was "
        "ignored."
    ),
    STATUS_MALFORMED: _lt(
        "The request does not have the format of a notification of the gateway; "
        "it was ignored."
    ),
}
#: Rows of requests that changed nothing: counted, and only the last N kept.
SAMPLE_STATES = ("rejected", "duplicate")
SAMPLE_SIZE_PARAM = "sales_closing_payments.notification_sample_size"
DEFAULT_SAMPLE_SIZE = 200
#: The sequence whose next value, modulo N, is the slot of a sample row.
SAMPLE_SEQUENCE = "sales_closing_payment_notification_sample_seq"
PROVIDER_CODES = ("alipay", "wechatpay")
STATE_OF_STATUS = {
    STATUS_OK: "accepted",
    STATUS_NOT_PAID: "accepted",
    STATUS_REFUND: "accepted",
    STATUS_REPLAY: "duplicate",
    STATUS_ALREADY_APPLIED: "duplicate",
    STATUS_BAD_SIGNATURE: "rejected",
    STATUS_STALE: "rejected",
    STATUS_UNKNOWN_PROVIDER: "rejected",
    STATUS_MALFORMED: "rejected",
    STATUS_UNKNOWN_REFERENCE: "review",
    STATUS_AMOUNT_MISMATCH: "review",
    STATUS_CURRENCY_MISMATCH: "review",
}
#: What the endpoints read of the log row to answer and log.
LOG_ANSWER = ("state", "reason", "notification_ref", "reference")
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
#: The causes counted per provider code (one PostgreSQL sequence each).
SAMPLE_STATUSES = tuple(
    status for status, state in STATE_OF_STATUS.items() if state in SAMPLE_STATES
)
PROVIDER_KEYS = {
    "alipay": ("alipay_app_id", "alipay_public_key", "alipay_seller_id"),
    "wechatpay": (
        "wechatpay_mch_id",
        "wechatpay_app_id",
        "wechatpay_api_v3_key",
        "wechatpay_platform_serial",
        "wechatpay_platform_certificate",
    ),
}


def counter_sequence(code, status):
    """Name of the PostgreSQL sequence counting ``status`` requests of ``code``.

    A sequence rather than a row: nextval() takes no row lock and is never
    rolled back, so a flood of requests counts without contention.
    """
    return f"sales_closing_notification_{code}_{status}"


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

    #: Fields only the processing (the gateway's request) and the review
    #: actions write, in sudo after their own checks: refused in create() and
    #: write() otherwise.
    _sales_closing_workflow_fields = (
        "provider_id",
        "provider_code",
        "company_id",
        "notification_ref",
        "reference",
        "event_type",
        "trade_status",
        "amount",
        "currency",
        "payload",
        "state",
        "reason",
        "message",
        "reviewed_by_id",
        "reviewed_date",
        "sample_slot",
    )

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
        size=COLUMN_BOUNDS["notification_ref"],
        readonly=True,
        help="notify_id (Alipay) or notification id (WeChat Pay).",
    )
    reference = fields.Char(size=COLUMN_BOUNDS["reference"], readonly=True, index=True)
    transaction_id = fields.Many2one(
        "payment.transaction", string="Transaction", index="btree_not_null"
    )
    event_type = fields.Char(size=COLUMN_BOUNDS["event_type"], readonly=True)
    trade_status = fields.Char(size=COLUMN_BOUNDS["trade_status"], readonly=True)
    amount = fields.Char(
        string="Notified Amount",
        size=COLUMN_BOUNDS["amount"],
        readonly=True,
        help="As sent by the gateway.",
    )
    currency = fields.Char(
        string="Notified Currency", size=COLUMN_BOUNDS["currency"], readonly=True
    )
    # The gateway's data names the buyer (account, login): accountants (and
    # managers) read it to review a payment; closing users see the outcome only.
    payload = fields.Text(
        readonly=True, groups="sales_closing.group_closing_accountant"
    )
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
            (STATUS_MALFORMED, "Malformed request"),
            (STATUS_UNKNOWN_REFERENCE, "Unknown reference"),
            (STATUS_AMOUNT_MISMATCH, "Amount mismatch"),
            (STATUS_CURRENCY_MISMATCH, "Currency mismatch"),
        ],
        required=True,
        readonly=True,
    )
    message = fields.Text(readonly=True)
    message_text = fields.Text(
        string="Explanation",
        compute="_compute_message_text",
        help="The message of the notification's processing, in your language.",
    )
    reviewed_by_id = fields.Many2one("res.users", string="Reviewed By", readonly=True)
    reviewed_date = fields.Datetime(readonly=True)
    review_note = fields.Text()
    sample_slot = fields.Integer(
        readonly=True,
        help="Slot of a request that changed nothing in the ring of the last ones "
        "kept; the next such request of this slot replaces it.",
    )

    def init(self):
        """One applied (accepted or to review) row per gateway notification id;
        one sample row per slot; the sequences of the slots and of the counters."""
        cr = self.env.cr
        cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS
                sales_closing_payment_notification_claim_uniq
            ON sales_closing_payment_notification (provider_code, notification_ref)
            WHERE notification_ref IS NOT NULL AND state IN ('accepted', 'review')
            """
        )
        cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS
                sales_closing_payment_notification_sample_slot_uniq
            ON sales_closing_payment_notification (sample_slot)
            WHERE sample_slot IS NOT NULL
            """
        )
        cr.execute(
            SQL("CREATE SEQUENCE IF NOT EXISTS %s", SQL.identifier(SAMPLE_SEQUENCE))
        )
        for code in PROVIDER_CODES:
            for status in SAMPLE_STATUSES:
                cr.execute(
                    SQL(
                        "CREATE SEQUENCE IF NOT EXISTS %s",
                        SQL.identifier(counter_sequence(code, status)),
                    )
                )

    # === CONTROLS === #

    @api.model_create_multi
    def create(self, vals_list):
        self._sales_closing_check_workflow_write(
            {name for values in vals_list for name in values}
        )
        return super().create(vals_list)

    def write(self, vals):
        self._sales_closing_check_workflow_write(vals)
        return super().write(vals)

    @api.model
    def _sales_closing_check_workflow_write(self, names):
        """Refuse the workflow fields outside the processing and review actions.

        They are the gateway's evidence and the review's outcome: only the
        endpoint (sudo, after the signature checks) and the review actions
        (sudo, after their group check) write them. A context key grants nothing.
        """
        if self.env.su:
            return
        forged = sorted(set(names) & set(self._sales_closing_workflow_fields))
        if forged:
            raise AccessError(
                self.env._(
                    "The fields %(fields)s of a payment notification are written "
                    "by its processing and review only.",
                    fields=", ".join(forged),
                )
            )

    @api.constrains("transaction_id")
    def _check_transaction_id(self):
        """The linked transaction is the one the notification is about (the
        view's domain is only a convenience)."""
        for notification in self.filtered("transaction_id"):
            problem = notification._sales_closing_transaction_problem(
                notification.transaction_id
            )
            if problem:
                raise ValidationError(problem)

    def _sales_closing_transaction_problem(self, tx):
        """Why ``tx`` is not the payment this notification reports ('' if it is):
        same provider, company, reference, currency and amount."""
        self.ensure_one()
        # sudo: reviewers are accountants, transactions are payment-admin records;
        # only the verdict is returned.
        tx = tx.sudo()
        label = self.reference or self.notification_ref or str(self.id)
        checks = (
            (tx.provider_id == self.provider_id, self.env._("another provider")),
            (tx.company_id == self.company_id, self.env._("another company")),
            (
                (tx.reference or "") == (self.reference or ""),
                self.env._("another reference"),
            ),
            (
                tx.currency_id.name == (self.currency or "CNY").upper(),
                self.env._("another currency"),
            ),
            (self._sales_closing_same_amount(tx), self.env._("another amount")),
        )
        for same, difference in checks:
            if not same:
                return self.env._(
                    "Notification %(ref)s cannot confirm transaction %(tx)s: it "
                    "reports a payment of %(difference)s.",
                    ref=label,
                    tx=tx.reference,
                    difference=difference,
                )
        return ""

    def _sales_closing_same_amount(self, tx):
        """Tell whether the notified amount is ``tx``'s (yuan for Alipay, fen
        for WeChat Pay, as each gateway sends it)."""
        self.ensure_one()
        amount = (self.amount or "").strip()
        try:
            if self.provider_code == "wechatpay":
                return int(amount) == tx._sales_closing_amount_fen()
            return Decimal(amount) == tx._sales_closing_decimal_amount()
        except (ValueError, ArithmeticError):
            return False

    @api.autovacuum
    def _gc_sample_rows(self):
        """Delete the rows of requests that changed nothing outside the ring of
        the last N (rows of before the ring, or of slots beyond a lowered N).
        Rows set aside for review and reviewed are never deleted."""
        self.env.cr.execute(
            """
            DELETE FROM sales_closing_payment_notification
            WHERE state IN %s AND reason IN %s AND reviewed_by_id IS NULL
              AND (sample_slot IS NULL OR sample_slot >= %s)
            """,
            (SAMPLE_STATES, SAMPLE_STATUSES, self._sales_closing_sample_size()),
        )
        _logger.info(
            "Payment notifications: %s sample rows outside the last kept deleted",
            self.env.cr.rowcount,
        )

    @api.model
    def _sales_closing_sample_size(self):
        """N, the number of rows of requests that changed nothing kept."""
        value = (
            self.env["ir.config_parameter"].sudo().get_param(SAMPLE_SIZE_PARAM) or ""
        )
        try:
            return max(int(value), 1)
        except ValueError:
            return DEFAULT_SAMPLE_SIZE

    @api.model
    def _sales_closing_rejection_counts(self):
        """{(provider code, status): requests counted} of the requests that
        changed nothing (rejected or duplicate), since installation."""
        counts = {}
        for code in PROVIDER_CODES:
            for status in SAMPLE_STATUSES:
                self.env.cr.execute(
                    SQL(
                        "SELECT last_value, is_called FROM %s",
                        SQL.identifier(counter_sequence(code, status)),
                    )
                )
                last_value, is_called = self.env.cr.fetchone()
                counts[code, status] = last_value if is_called else 0
        return counts

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
            payload=values.get("payload") or "",
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
        if record_id is None and claim:
            status = STATUS_REPLAY
            values.update(
                state="duplicate", reason=status, message=status_message(status)
            )
            record_id = self._sales_closing_insert(values, False)
        if record_id is None:
            # the slot was taken by a concurrent request: counted, not kept
            return self.new({name: values.get(name) for name in LOG_ANSWER}), status
        record = self.browse(record_id)
        # What the endpoint answers and logs, from the values just inserted rather
        # than a query reading the whole row back.
        cache_columns(record, {name: values.get(name) or False for name in LOG_ANSWER})
        return record, status

    @api.model
    def _sales_closing_insert(self, values, claim):
        """INSERT one log row; None when ``claim`` and the id is already claimed.

        Every column is truncated to its bound. A row of a request that changed
        nothing (rejected, duplicate) is counted (per provider and cause) and
        takes the next slot of the ring of the last N, replacing the row that
        was there: such rows never number more than N. None when a concurrent
        request took the same slot (N requests at once).
        """
        values = self._sales_closing_bounded(values)
        sample = values["state"] in SAMPLE_STATES
        if sample:
            values["sample_slot"] = self._sales_closing_sample_slot(
                values["provider_code"], values["reason"]
            )
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
            "sample_slot",
        ]
        row = [values.get(column) for column in columns]
        row = [
            None if value is None or value is False or value == "" else value
            for value in row
        ]
        if claim:
            conflict = SQL(
                "ON CONFLICT (provider_code, notification_ref) WHERE "
                "notification_ref IS NOT NULL AND state IN ('accepted', 'review') "
                "DO NOTHING"
            )
        elif sample:
            conflict = SQL(
                "ON CONFLICT (sample_slot) WHERE sample_slot IS NOT NULL DO NOTHING"
            )
        else:
            conflict = SQL()
        if sample:
            # the row of the slot makes room (a statement of its own: an INSERT
            # does not see the rows a DELETE of the same statement removes)
            self.env.cr.execute(
                "DELETE FROM sales_closing_payment_notification WHERE sample_slot = %s",
                (values["sample_slot"],),
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
    def _sales_closing_bounded(self, values):
        """``values`` with every text truncated to its column's bound."""
        values = dict(values)
        for name, bound in COLUMN_BOUNDS.items():
            values[name] = truncate(values.get(name), bound)
        bound = MAX_SAMPLE_PAYLOAD if values["state"] in SAMPLE_STATES else MAX_PAYLOAD
        values["payload"] = truncate(values.get("payload"), bound)
        for name in (*COLUMN_BOUNDS, "payload"):
            if values[name] and "\x00" in values[name]:
                # PostgreSQL text cannot hold NUL: shown as U+FFFD
                values[name] = values[name].replace("\x00", "\ufffd")
        return values

    @api.model
    def _sales_closing_sample_slot(self, code, status):
        """Count a request that changed nothing; return its slot in the ring.

        Both from sequences, in one query: no row lock, nothing rolled back. A
        counter reaching 1, 10, 100... is logged (not every request: junk must
        not grow the log either).
        """
        self.env.cr.execute(
            SQL(
                "SELECT nextval(%s), nextval(%s)",
                counter_sequence(code, status),
                SAMPLE_SEQUENCE,
            )
        )
        count, serial = self.env.cr.fetchone()
        if str(count).rstrip("0") == "1":
            _logger.warning(
                "%s notifications: %s requests refused or duplicate (%s) so far",
                code,
                count,
                status,
            )
        return serial % self._sales_closing_sample_size()

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

        Rows are dicts, first match first. The credentials of all the active
        providers of ``code`` are cached per worker, keyed by the code only
        (never by what a request sends: the cache holds one entry per code
        whatever the internet sends); the registry's cache is cleared when a
        provider is written, in every worker. On the hot path a notification
        then costs no query before its signature is checked. The provider's
        code, company and name (in the request's language) go into the ORM
        cache too: the transaction's processing reads nothing else of it.
        """
        if not key:
            return []
        providers = self.env["payment.provider"]
        providers.flush_model()
        lang = self.env.lang or "en_US"
        rows = []
        for row in self._sales_closing_provider_table(code):
            row = dict(row)
            if row[key_column] != key:
                continue
            names = row.pop("names") or {}
            row["name"] = names.get(lang) or names.get("en_US") or ""
            cache_columns(
                providers.browse(row["id"]),
                {"code": code, "company_id": row["company_id"], "name": row["name"]},
            )
            rows.append(row)
        return rows

    @api.model
    @tools.ormcache("code")
    def _sales_closing_provider_table(self, code):
        """The credentials of the active providers of ``code``, ordered by id."""
        columns = PROVIDER_KEYS[code]
        self.env.cr.execute(
            SQL(
                """
                SELECT id, company_id, name, %s
                FROM payment_provider
                WHERE code = %s AND state != 'disabled'
                ORDER BY id
                """,
                SQL(", ").join(SQL.identifier(column) for column in columns),
                code,
            )
        )
        names = ["id", "company_id", "names", *columns]
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
        problem = alipay_engine.notification_problem(params)
        if problem:
            # refused before any lookup; a sample of what was sent is kept
            return self._sales_closing_log(
                {
                    "provider_code": "alipay",
                    "payload": json.dumps(params, ensure_ascii=False, sort_keys=True),
                },
                STATUS_MALFORMED,
                f"{status_message(STATUS_MALFORMED)} ({problem})",
            )[0]
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
        seller_id = provider["alipay_seller_id"]
        if not alipay_engine.seller_matches(params, seller_id):
            # Authentic, but the money went to another seller account than ours:
            # nothing to confirm (and nothing a reviewer could accept).
            return self._sales_closing_log(
                values,
                STATUS_UNKNOWN_PROVIDER,
                f"The notification is for the seller account "
                f"{params.get('seller_id') or '(none)'}, not {seller_id}.",
            )[0]
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
            "seller_id": seller_id,
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
        problem = wechatpay_engine.notification_problem(headers, body)
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        if problem:
            # refused before any lookup; a sample of what was sent is kept
            return self._sales_closing_log(
                {"provider_code": "wechatpay", "payload": body},
                STATUS_MALFORMED,
                f"{status_message(STATUS_MALFORMED)} ({problem})",
            )[0]
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
        amount = resource.get("amount")
        amount = amount if isinstance(amount, dict) else {}
        reference = resource.get("out_trade_no")
        values.update(
            provider_id=provider["id"],
            company_id=provider["company_id"],
            # signed by WeChat Pay, but bounded all the same: longer is no
            # reference of ours (and would not fit the indexed column)
            reference=(
                reference
                if isinstance(reference, str)
                and len(reference) <= COLUMN_BOUNDS["reference"]
                else None
            ),
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

    def _sales_closing_check_reviewer(self):
        """Only closing managers review notifications (and only theirs to write)."""
        if not self.env.user.has_group("sales_closing.group_closing_manager"):
            raise AccessError(
                self.env._("Only closing managers can review payment notifications.")
            )
        self.check_access("write")

    def action_accept_after_review(self):
        """Accept notifications set aside for review: confirm their transaction.

        Only when the linked transaction is the payment the notification reports
        (provider, company, reference, currency and amount): accepting never
        confirms a payment that was not received.
        """
        self._sales_closing_check_reviewer()
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
            problem = notification._sales_closing_transaction_problem(tx)
            if problem:
                raise UserError(problem)
            if tx.state != "done":
                tx._set_done(
                    state_message=self.env._(
                        "Confirmed after review of notification %(ref)s by %(user)s.",
                        ref=notification.notification_ref or notification.id,
                        user=self.env.user.name,
                    )
                )
        # sudo: the review's outcome is a workflow field, written here after the
        # group check above (see _sales_closing_check_workflow_write).
        self.sudo().write(
            {
                "state": "accepted",
                "reviewed_by_id": self.env.uid,
                "reviewed_date": fields.Datetime.now(),
            }
        )
        return True

    def action_reject_after_review(self):
        """Reject notifications set aside for review; their transaction is untouched."""
        self._sales_closing_check_reviewer()
        if any(notification.state != "review" for notification in self):
            raise UserError(self.env._("Only notifications to review can be rejected."))
        # sudo: as in action_accept_after_review, after the group check.
        self.sudo().write(
            {
                "state": "rejected",
                "reviewed_by_id": self.env.uid,
                "reviewed_date": fields.Datetime.now(),
            }
        )
        return True

    @api.depends("message", "reason")
    @api.depends_context("lang")
    def _compute_message_text(self):
        """The stored message, its part that is the engine's explanation of
        the status (English) in the reader's language."""
        for notification in self:
            message = notification.message or ""
            english = status_message(notification.reason)
            lazy = STATUS_TEXTS.get(notification.reason)
            if lazy and message.startswith(english):
                message = self.env._(lazy) + message[len(english) :]
            notification.message_text = message
