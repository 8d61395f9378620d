# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
import re
from datetime import timedelta
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, float_compare, float_repr
from odoo.tools.misc import hmac as hmac_tool

from ..engine import alipay as alipay_engine
from ..engine import wechatpay as wechatpay_engine
from ..engine.common import to_minor_units
from ..engine.idempotency import idempotency_key, operation_key

_logger = logging.getLogger(__name__)

# --- Alipay / WeChat Pay -------------------------------------------------------

#: Providers handled by this addon through the engines of engine/.
CN_PROVIDERS = ("alipay", "wechatpay")
#: Characters both gateways accept in out_trade_no / out_refund_no.
UNSAFE_REFERENCE_CHARS = re.compile(r"[^0-9A-Za-z_-]")
ALIPAY_STATES = {
    "TRADE_SUCCESS": "done",
    "TRADE_FINISHED": "done",
    "WAIT_BUYER_PAY": "pending",
    "TRADE_CLOSED": "cancel",
}
WECHATPAY_STATES = {
    "SUCCESS": "done",
    "NOTPAY": "pending",
    "USERPAYING": "pending",
    "ACCEPT": "pending",
    "CLOSED": "cancel",
    "REVOKED": "cancel",
    "PAYERROR": "error",
}
#: What the gateway says of a request whose answer was lost (see
#: ``_sales_closing_query_outcome``).
OUTCOME_DONE = "done"
OUTCOME_ABSENT = "absent"
OUTCOME_DECLINED = "declined"
OUTCOME_UNKNOWN = "unknown"


class PaymentTransaction(models.Model):
    _name = "payment.transaction"
    _inherit = ["payment.transaction", "sales.closing.currency.totals.mixin"]

    @api.model
    def _sales_closing_one_currency_totals(self):
        """Group totals in one currency on the addon's screens of transactions
        (their actions ask for it); Odoo's own screens keep Odoo's totals."""
        return bool(self.env.context.get("sales_closing_one_currency_totals"))

    # --- Capture at delivery, idempotency, authorization expiry ----------------

    sales_closing_idempotency_key = fields.Char(
        string="Idempotency Key",
        readonly=True,
        copy=False,
        help="Key of the provider request that created this transaction (capture, "
        "void, refund, re-authorization, installment): a second request with the "
        "same key returns this transaction instead of charging again.",
    )
    sales_closing_authorized_date = fields.Datetime(
        string="Authorized On",
        readonly=True,
        copy=False,
        help="When the provider authorized the payment (manual capture).",
    )
    sales_closing_expiry_date = fields.Datetime(
        string="Authorization Expires",
        compute="_compute_sales_closing_expiry_date",
        help="Authorization date plus the validity configured for the company.",
    )
    sales_closing_expiring = fields.Boolean(
        string="Authorization Expiring",
        readonly=True,
        copy=False,
        help="Set by the daily check when the authorization is about to expire and "
        "could not be renewed on a saved payment method.",
    )
    sales_closing_reauthorized_from_id = fields.Many2one(
        "payment.transaction",
        string="Re-authorization Of",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The expiring authorization this transaction replaces.",
    )
    sales_closing_captured_amount = fields.Monetary(
        string="Captured",
        currency_field="currency_id",
        compute="_compute_sales_closing_amounts",
    )
    sales_closing_open_amount = fields.Monetary(
        string="Still Authorized",
        currency_field="currency_id",
        compute="_compute_sales_closing_amounts",
    )
    sales_closing_request_seq = fields.Integer(
        readonly=True,
        copy=False,
        help="Technical: bumped under row lock before each capture, void or "
        "re-authorization, so that two concurrent requests are serialized.",
    )

    _sql_constraints = [
        (
            "sales_closing_idempotency_key_uniq",
            "unique(sales_closing_idempotency_key)",
            "A provider request with this idempotency key was already sent.",
        ),
    ]

    # --- Alipay / WeChat Pay ---------------------------------------------------

    sales_closing_qr_code = fields.Char(
        string="Payment QR Code",
        readonly=True,
        copy=False,
        help="The code URL returned by Alipay pre-create or WeChat Pay Native, shown "
        "to the buyer as a QR code.",
    )

    @api.model
    def _compute_reference(self, provider_code, prefix=None, separator="-", **kwargs):
        """Override of `payment`: references both gateways accept as out_trade_no.

        Alipay and WeChat Pay take letters, digits, '_' and '-' only (WeChat 6 to 32
        characters), so invoice names like INV/2026/00001 become INV_2026_00001.
        """
        if provider_code in CN_PROVIDERS:
            if not prefix:
                prefix = self.sudo()._compute_reference_prefix(
                    provider_code, separator, **kwargs
                )
            if prefix:
                prefix = UNSAFE_REFERENCE_CHARS.sub("_", prefix)[:24]
                if len(prefix) < 6:
                    prefix = f"pay-{prefix}"
        return super()._compute_reference(
            provider_code, prefix=prefix, separator=separator, **kwargs
        )

    def _sales_closing_decimal_amount(self, amount=None):
        """Return ``amount`` (default: the tx amount) as a 2-decimal Decimal."""
        self.ensure_one()
        value = self.amount if amount is None else amount
        return Decimal(str(self.currency_id.round(value))).quantize(Decimal("0.01"))

    def _sales_closing_amount_fen(self, amount=None):
        """Return ``amount`` (default: the transaction amount) in integer fen."""
        return int(self._sales_closing_decimal_amount(amount).scaleb(2))

    def _sales_closing_subject(self):
        """Return the payment subject shown to the buyer."""
        self.ensure_one()
        return f"{self.company_id.name} {self.reference}"[:120]

    def _sales_closing_qr_page_url(self):
        self.ensure_one()
        return f"{self.provider_id.get_base_url()}/payment/{self.provider_code}/qr"

    def _sales_closing_access_token(self):
        self.ensure_one()
        # Same token as payment.utils.generate_access_token, without needing a request.
        token_str = "|".join(str(value) for value in (self.reference, self.amount))
        return hmac_tool(self.env(su=True), "generate_access_token", token_str)

    def _get_specific_rendering_values(self, processing_values):
        """Override of `payment`: Alipay page pay form or a QR code page."""
        res = super()._get_specific_rendering_values(processing_values)
        if self.provider_code not in CN_PROVIDERS:
            return res
        provider = self.provider_id
        if self.provider_code == "alipay" and provider.alipay_payment_mode != "qr":
            params = provider._alipay_signed_params(
                alipay_engine.page_pay_request,
                self.reference,
                self._sales_closing_decimal_amount(),
                self._sales_closing_subject(),
                provider._sales_closing_notify_url(),
                return_url=f"{provider.get_base_url()}/payment/status",
            )
            return {
                "api_url": provider._alipay_gateway_url() + "?charset=utf-8",
                "method": "post",
                "params": params,
            }
        self._sales_closing_create_qr_code()
        return {
            "api_url": self._sales_closing_qr_page_url(),
            "method": "get",
            "params": {
                "reference": self.reference,
                "access_token": self._sales_closing_access_token(),
            },
        }

    def _sales_closing_create_qr_code(self):
        """Ask the gateway for a payment QR code (Alipay pre-create, WeChat Native).

        The merchant reference is the transaction reference, so a retried request
        returns the same unpaid order instead of creating a second one.
        """
        self.ensure_one()
        provider = self.provider_id
        if self.provider_code == "alipay":
            params = provider._alipay_signed_params(
                alipay_engine.precreate_request,
                self.reference,
                self._sales_closing_decimal_amount(),
                self._sales_closing_subject(),
                provider._sales_closing_notify_url(),
            )
            content = provider._alipay_call(alipay_engine.METHOD_PRECREATE, params)
            code_url = content.get("qr_code")
        else:
            credentials = provider._wechatpay_check_credentials()
            try:
                request_tuple = wechatpay_engine.native_pay_request(
                    credentials.wechatpay_app_id,
                    credentials.wechatpay_mch_id,
                    self._sales_closing_subject(),
                    self.reference,
                    provider._sales_closing_notify_url(),
                    self._sales_closing_amount_fen(),
                    currency=self.currency_id.name,
                )
            except (ValueError, TypeError) as error:
                raise ValidationError(
                    self.env._("WeChat Pay: %(error)s", error=error)
                ) from error
            _status, payload = provider._wechatpay_call(request_tuple)
            code_url = (payload or {}).get("code_url")
        if not code_url:
            raise ValidationError(
                self.env._(
                    "%(provider)s returned no QR code for the payment %(reference)s.",
                    provider=provider._get_provider_name(),
                    reference=self.reference,
                )
            )
        self.sales_closing_qr_code = code_url
        return code_url

    def _get_tx_from_notification_data(self, provider_code, notification_data):
        """Override of `payment`: find the transaction by out_trade_no."""
        tx = super()._get_tx_from_notification_data(provider_code, notification_data)
        if provider_code not in CN_PROVIDERS or len(tx) == 1:
            return tx
        reference = notification_data.get("out_trade_no")
        tx = reference and self.search(
            [("reference", "=", reference), ("provider_code", "=", provider_code)],
            limit=1,
        )
        if not tx:
            raise ValidationError(
                self.env._(
                    "%(provider)s: no transaction found matching reference %(ref)s.",
                    provider=provider_code,
                    ref=reference,
                )
            )
        return tx

    def _process_notification_data(self, notification_data):
        """Override of `payment`: apply a verified Alipay/WeChat Pay trade status.

        ``notification_data`` is an authenticated payload: the decoded Alipay form
        (or trade query answer) or the decrypted WeChat Pay resource (or query
        answer). The amount is checked again so that no path confirms a payment of
        another amount.
        """
        super()._process_notification_data(notification_data)
        if self.provider_code not in CN_PROVIDERS:
            return
        if self.provider_code == "alipay":
            trade_state = notification_data.get("trade_status")
            target = ALIPAY_STATES.get(trade_state)
            provider_reference = notification_data.get("trade_no")
            paid = notification_data.get("total_amount")
            paid_ok = paid is not None and (
                alipay_engine.to_decimal(str(paid))
                == self._sales_closing_decimal_amount()
            )
        else:
            trade_state = notification_data.get("trade_state")
            target = WECHATPAY_STATES.get(trade_state)
            provider_reference = notification_data.get("transaction_id")
            amount = notification_data.get("amount") or {}
            paid_ok = amount.get("total") == self._sales_closing_amount_fen()
        if provider_reference:
            self.provider_reference = provider_reference
        if target == "done":
            if not paid_ok:
                _logger.warning(
                    "%s: amount of %s differs from the transaction; not confirmed",
                    self.provider_code,
                    self.reference,
                )
                return
            self._set_done()
        elif target == "pending":
            self._set_pending()
        elif target == "cancel":
            self._set_canceled(
                state_message=self.env._(
                    "The trade was closed (%(state)s).", state=trade_state
                )
            )
        elif target == "error":
            self._set_error(
                self.env._("The payment failed (%(state)s).", state=trade_state)
            )
        else:
            _logger.info(
                "%s: trade state %s of %s left unchanged",
                self.provider_code,
                trade_state,
                self.reference,
            )

    def _send_refund_request(self, amount_to_refund=None):
        """Override of `payment`: refund through Alipay or WeChat Pay.

        The refund transaction's reference is the gateway's refund number
        (out_request_no / out_refund_no): a retried request cannot refund twice.
        """
        refund_tx = super()._send_refund_request(amount_to_refund=amount_to_refund)
        if self.provider_code not in CN_PROVIDERS:
            return refund_tx
        provider = self.provider_id
        refund_amount = -refund_tx.amount
        if self.provider_code == "alipay":
            params = provider._alipay_signed_params(
                alipay_engine.refund_request,
                refund_tx._sales_closing_decimal_amount(refund_amount),
                refund_tx.reference,
                out_trade_no=self.reference,
                trade_no=self.provider_reference or None,
            )
            content = provider._alipay_call(alipay_engine.METHOD_REFUND, params)
            refund_tx.provider_reference = content.get("trade_no")
            if content.get("fund_change") == "Y" or content.get("refund_fee"):
                refund_tx._set_done()
            else:
                refund_tx._set_pending()
        else:
            provider._wechatpay_check_credentials()
            try:
                request_tuple = wechatpay_engine.refund_request(
                    refund_tx.reference,
                    refund_tx._sales_closing_amount_fen(refund_amount),
                    self._sales_closing_amount_fen(),
                    out_trade_no=self.reference,
                    notify_url=provider._sales_closing_notify_url(),
                    currency=self.currency_id.name,
                )
            except (ValueError, TypeError) as error:
                raise ValidationError(
                    self.env._("WeChat Pay: %(error)s", error=error)
                ) from error
            _status, payload = provider._wechatpay_call(request_tuple)
            payload = payload or {}
            refund_tx.provider_reference = payload.get("refund_id")
            if payload.get("status") == "SUCCESS":
                refund_tx._set_done()
            elif payload.get("status") in ("CLOSED", "ABNORMAL"):
                refund_tx._set_error(
                    self.env._(
                        "WeChat Pay refused the refund (%(status)s).",
                        status=payload.get("status"),
                    )
                )
            else:
                refund_tx._set_pending()
        return refund_tx

    def _sales_closing_query_gateway(self):
        """Query the gateway for the trade and apply its (verified) status.

        Returns the answer of the gateway. Used to recover a missed notification.
        """
        self.ensure_one()
        provider = self.provider_id
        if self.provider_code == "alipay":
            params = provider._alipay_signed_params(
                alipay_engine.query_request, out_trade_no=self.reference
            )
            content = provider._alipay_call(alipay_engine.METHOD_QUERY, params)
        elif self.provider_code == "wechatpay":
            credentials = provider._wechatpay_check_credentials()
            _status, content = provider._wechatpay_call(
                wechatpay_engine.query_request(
                    self.reference, credentials.wechatpay_mch_id
                )
            )
            content = content or {}
            if content.get("mchid") != credentials.wechatpay_mch_id:
                raise ValidationError(
                    self.env._(
                        "WeChat Pay answered for another merchant about %(reference)s.",
                        reference=self.reference,
                    )
                )
        else:
            return {}
        if content.get("out_trade_no") != self.reference:
            raise ValidationError(
                self.env._(
                    "%(provider)s answered about another trade than %(reference)s.",
                    provider=provider._get_provider_name(),
                    reference=self.reference,
                )
            )
        self._process_notification_data(content)
        return content

    def _sales_closing_query_outcome(self, key=None, operation=None, request_ref=None):
        """Ask the gateway what became of a request whose answer was lost.

        ``key`` is the idempotency key the request was sent with (default: the
        transaction's own). ``operation`` is what the request did on this
        transaction: a charge or capture (default), ``"refund"`` (its refund
        number ``request_ref``: Alipay's out_request_no, WeChat Pay's
        out_refund_no) or ``"void"`` (Alipay and WeChat Pay void a trade by
        closing it). Returns ``OUTCOME_DONE`` (the gateway performed it),
        ``OUTCOME_ABSENT`` (it never did: safe to send again),
        ``OUTCOME_DECLINED`` (it refused it), ``OUTCOME_UNKNOWN`` (it could not
        be asked now: ask again later, never send on a guess), or None when the
        provider offers no way to ask (then the caller keeps its former
        behaviour). Sends nothing that moves money.
        """
        self.ensure_one()
        if self.provider_code not in CN_PROVIDERS:
            return None
        if operation == "refund":
            return self._sales_closing_query_refund_outcome(request_ref)
        try:
            with self.env.cr.savepoint():
                self._sales_closing_query_gateway()
        except (UserError, ValidationError) as error:
            _logger.info("Query of %s failed: %s", self.reference, error)
            return OUTCOME_UNKNOWN
        if operation == "void":
            if self.state == "cancel":
                return OUTCOME_DONE
            if self.state in ("done", "error"):
                return OUTCOME_DECLINED
            return OUTCOME_ABSENT
        if self.state in ("done", "authorized"):
            return OUTCOME_DONE
        if self.state in ("cancel", "error"):
            return OUTCOME_DECLINED
        return OUTCOME_UNKNOWN

    def _sales_closing_query_refund_outcome(self, refund_reference):
        """Ask Alipay (``alipay.trade.fastpay.refund.query``) or WeChat Pay
        (query by out_refund_no) about the refund ``refund_reference`` of this
        trade; see ``_sales_closing_query_outcome``. A refund WeChat Pay is
        still processing is ``OUTCOME_UNKNOWN``: it exists, never send it
        again."""
        self.ensure_one()
        if not refund_reference:
            return OUTCOME_UNKNOWN
        provider = self.provider_id
        try:
            with self.env.cr.savepoint():
                if self.provider_code == "alipay":
                    params = provider._alipay_signed_params(
                        alipay_engine.refund_query_request,
                        refund_reference,
                        out_trade_no=self.reference,
                    )
                    content = provider._alipay_call(
                        alipay_engine.METHOD_REFUND_QUERY, params
                    )
                    if content.get("out_request_no") not in (None, refund_reference):
                        return OUTCOME_UNKNOWN
                    if alipay_engine.refund_query_performed(content):
                        return OUTCOME_DONE
                    return OUTCOME_ABSENT
                status, payload = provider._wechatpay_call(
                    wechatpay_engine.refund_query_request(refund_reference),
                    allowed_statuses=(200, 404),
                )
        except (UserError, ValidationError, ValueError) as error:
            _logger.info("Query of the refund %s failed: %s", refund_reference, error)
            return OUTCOME_UNKNOWN
        payload = payload or {}
        if status == 404:
            if payload.get("code") == "RESOURCE_NOT_EXISTS":
                return OUTCOME_ABSENT
            return OUTCOME_UNKNOWN
        if payload.get("out_refund_no") != refund_reference:
            return OUTCOME_UNKNOWN
        refund_status = payload.get("status")
        if refund_status == "SUCCESS":
            return OUTCOME_DONE
        if refund_status in ("CLOSED", "ABNORMAL"):
            return OUTCOME_DECLINED
        return OUTCOME_UNKNOWN

    def _sales_closing_close_trade(self):
        """Close the unpaid trade at the gateway and cancel the transaction."""
        self.ensure_one()
        provider = self.provider_id
        if self.provider_code == "alipay":
            params = provider._alipay_signed_params(
                alipay_engine.close_request, out_trade_no=self.reference
            )
            provider._alipay_call(alipay_engine.METHOD_CLOSE, params)
        elif self.provider_code == "wechatpay":
            credentials = provider._wechatpay_check_credentials()
            provider._wechatpay_call(
                wechatpay_engine.close_request(
                    self.reference, credentials.wechatpay_mch_id
                )
            )
        else:
            return False
        self._set_canceled(state_message=self.env._("Closed at the gateway."))
        return True

    def action_sales_closing_query_gateway(self):
        """Button: refresh the transactions' status from Alipay / WeChat Pay."""
        for tx in self.filtered(lambda t: t.provider_code in CN_PROVIDERS):
            tx._sales_closing_query_gateway()
        return True

    def action_sales_closing_close_trade(self):
        """Button: close the unpaid trades at Alipay / WeChat Pay."""
        for tx in self.filtered(
            lambda t: (
                t.provider_code in CN_PROVIDERS and t.state in ("draft", "pending")
            )
        ):
            tx._sales_closing_close_trade()
        return True

    # --- Capture at delivery, idempotency, authorization expiry ----------------

    @api.depends(
        "state", "amount", "child_transaction_ids.state", "child_transaction_ids.amount"
    )
    def _compute_sales_closing_amounts(self):
        for tx in self:
            children = tx.child_transaction_ids.filtered(
                lambda c, tx=tx: c.operation == tx.operation
            )
            captured = sum(
                children.filtered(lambda c: c.state == "done").mapped("amount")
            )
            settled = sum(
                children.filtered(lambda c: c.state in ("done", "cancel")).mapped(
                    "amount"
                )
            )
            if tx.state == "done" and not children:
                captured = tx.amount
            tx.sales_closing_captured_amount = captured
            tx.sales_closing_open_amount = (
                tx.currency_id.round(tx.amount - settled)
                if tx.state == "authorized"
                else 0.0
            )

    @api.depends("sales_closing_authorized_date", "company_id")
    def _compute_sales_closing_expiry_date(self):
        for tx in self:
            days = tx.company_id.sales_closing_auth_validity_days
            tx.sales_closing_expiry_date = (
                tx.sales_closing_authorized_date + timedelta(days=days)
                if tx.sales_closing_authorized_date and days > 0
                else False
            )

    def _set_authorized(self, state_message=None, extra_allowed_states=()):
        """Override of `payment`: remember when the authorization was given.

        Only the arguments given are passed on: overrides of other addons
        that take none (OCA ``sale_financial_risk``) keep working beside us.
        """
        kwargs = {}
        if state_message is not None:
            kwargs["state_message"] = state_message
        if extra_allowed_states:
            kwargs["extra_allowed_states"] = extra_allowed_states
        txs = super()._set_authorized(**kwargs)
        txs.filtered(lambda tx: tx.operation not in ("refund", "validation")).write(
            {
                "sales_closing_authorized_date": fields.Datetime.now(),
                "sales_closing_expiring": False,
            }
        )
        return txs

    def _create_child_transaction(
        self, amount, is_refund=False, **custom_create_values
    ):
        """Override of `payment`: store the idempotency key of the request on the
        partial capture, partial void or refund transaction it creates."""
        key = self.env.context.get("sales_closing_idempotency_key")
        if key:
            custom_create_values.setdefault("sales_closing_idempotency_key", key)
            custom_create_values.update(
                self.env.context.get("sales_closing_child_values") or {}
            )
        return super()._create_child_transaction(
            amount, is_refund=is_refund, **custom_create_values
        )

    def _send_payment_request(self):
        """Override of `payment`: a payment by token carries the idempotency key
        stored on the transaction (installment, renewal), e.g. Stripe's
        Idempotency-Key header."""
        key = self.sales_closing_idempotency_key
        if key and not self.env.context.get("sales_closing_idempotency_key"):
            return super(
                PaymentTransaction, self._sales_closing_keyed(key)
            )._send_payment_request()
        return super()._send_payment_request()

    @api.model
    def _sales_closing_portal_slot(self, base_key, stale_before=None):
        """Return ``(key, transaction)`` for a portal payment of idempotency
        ``base_key`` (document, partner, amount).

        ``transaction`` is the live transaction a new payment would duplicate: same
        key, not failed nor cancelled, and not yet post-processed when confirmed.
        When every transaction of the key failed, was cancelled or is settled, the
        next generation of the key is free (``transaction`` empty): the customer can
        pay again after a refused card. Drafts created before ``stale_before`` are
        abandoned. Call it under a lock on ``base_key``.
        """
        # sudo: the portal customer's request looks up the document's transactions
        transactions = self.sudo()
        for generation in range(1000):
            key = idempotency_key(base_key, generation) if generation else base_key
            transaction = transactions.search(
                [("sales_closing_idempotency_key", "=", key)], limit=1
            )
            if not transaction:
                return key, transaction
            if (
                transaction.state == "draft"
                and stale_before
                and transaction.create_date < stale_before
            ):
                continue
            if transaction.state in ("draft", "pending", "authorized") or (
                transaction.state == "done" and not transaction.is_post_processed
            ):
                return key, transaction
        raise UserError(self.env._("Too many payment attempts of the same amount."))

    def _sales_closing_minor_units(self, amount):
        """Return ``amount`` in integer minor units of the transaction currency."""
        self.ensure_one()
        digits = self.currency_id.decimal_places
        return to_minor_units(
            Decimal(float_repr(self.currency_id.round(amount), digits)), digits
        )

    def _sales_closing_operation_key(self, operation, amount, scope=""):
        """Return the idempotency key of ``operation`` for ``amount`` on this tx.

        The key depends only on what is done (transaction, operation, amount and
        ``scope``), so a double click, a second tab or a retried request after a
        rollback send the same key.
        """
        self.ensure_one()
        return operation_key(
            self.provider_code or "none",
            self.reference,
            operation,
            self._sales_closing_minor_units(amount),
            scope,
        )

    @api.model
    def _sales_closing_find_by_key(self, key):
        """Return the transaction created by the request of idempotency ``key``."""
        # sudo: the key is unique across companies; the caller only gets a record
        return self.sudo().search(
            [("sales_closing_idempotency_key", "=", key)], limit=1
        )

    def _sales_closing_lock(self):
        """Lock the transactions for the rest of the database transaction.

        An UPDATE (not a mere SELECT FOR UPDATE): a concurrent request that changed
        the same rows and committed makes this one fail with a serialization error,
        so Odoo retries it and it then sees what the first one did.
        """
        if not self:
            return
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                "UPDATE payment_transaction SET sales_closing_request_seq = "
                "COALESCE(sales_closing_request_seq, 0) + 1 WHERE id IN %s",
                tuple(self.ids),
            )
        )
        self.invalidate_recordset(["sales_closing_request_seq"])

    def _sales_closing_keyed(self, key, **child_values):
        """Return self with the idempotency key of the next provider request."""
        return self.with_context(
            sales_closing_idempotency_key=key, sales_closing_child_values=child_values
        )

    def _sales_closing_is_whole(self, amount):
        """Tell whether ``amount`` is the whole, untouched authorization."""
        self.ensure_one()
        return float_compare(
            amount, self.amount, precision_rounding=self.currency_id.rounding
        ) == 0 and not self.child_transaction_ids.filtered(
            lambda c: c.operation == self.operation
        )

    def _sales_closing_capture(self, amount):
        """Capture ``amount`` of this authorized transaction, at most once.

        Returns the transaction that holds the capture (the partial capture child or
        the transaction itself), or the existing one when the same request was
        already sent.
        """
        self.ensure_one()
        tx = self.sudo()  # provider fields are restricted to accountants/admins
        tx._sales_closing_lock()
        captured = tx._sales_closing_minor_units(tx.sales_closing_captured_amount)
        scope = f"after:{captured}"
        key = tx._sales_closing_operation_key("capture", amount, scope)
        existing = tx._sales_closing_find_by_key(key)
        if existing.state == "pending" and existing.source_transaction_id == tx:
            existing._sales_closing_resolve_captures()  # left in doubt before
        if existing or tx.state != "authorized":
            return existing or tx
        rounding = tx.currency_id.rounding
        if (
            float_compare(
                amount, tx.sales_closing_open_amount, precision_rounding=rounding
            )
            > 0
        ):
            raise UserError(
                self.env._(
                    "Cannot capture %(amount)s on %(ref)s: only %(open)s is still "
                    "authorized.",
                    amount=amount,
                    ref=tx.reference,
                    open=tx.sales_closing_open_amount,
                )
            )
        whole = tx._sales_closing_is_whole(amount)
        if not whole and tx.provider_id.support_manual_capture != "partial":
            raise UserError(
                self.env._(
                    "%(provider)s cannot capture part of the payment %(ref)s.",
                    provider=tx.provider_id.name,
                    ref=tx.reference,
                )
            )
        keyed = tx._sales_closing_keyed(key)
        requests = self.env["sales.closing.gateway.request"]
        if requests._sales_closing_was_sent(key):
            # a request of this key left before and the work that sent it was
            # rolled back (a worker killed before the answer): ask the gateway
            # before sending anything again
            outcome = tx._sales_closing_query_outcome(key)
            if outcome == OUTCOME_DONE:
                return keyed._sales_closing_record_capture(amount, whole) or tx
            if outcome == OUTCOME_UNKNOWN:
                return keyed._sales_closing_record_capture(
                    amount,
                    whole,
                    error=self.env._("a request sent before, its answer lost"),
                )
            # absent, declined or no way to ask: send it (with the same key)
        else:
            # mark, then call the provider: the mark is committed at once
            requests._sales_closing_mark(key, tx, "capture", amount)
        try:
            with self.env.cr.savepoint():
                child = keyed._send_capture_request(
                    amount_to_capture=None if whole else amount
                )
        except (UserError, ValidationError) as error:
            # The request may have reached the provider (a timeout after the
            # capture, an error answer): ask it before anything else; never
            # capture again on a guess.
            outcome = tx._sales_closing_query_outcome(key)
            if outcome == OUTCOME_DONE:
                return keyed._sales_closing_record_capture(amount, whole) or tx
            if outcome == OUTCOME_UNKNOWN:
                # in doubt: recorded under its key, pending (so no other
                # request goes for it) until the provider tells (the next
                # sync, the daily _cron_sales_closing_check_authorizations)
                return keyed._sales_closing_record_capture(amount, whole, error=error)
            raise
        return child or tx

    def _sales_closing_record_capture(self, amount, whole, error=None):
        """Record the capture of ``amount`` the provider performed (or, with
        ``error``, may have performed: a pending child transaction) without
        sending any request. Returns the capture's child transaction."""
        self.ensure_one()
        if error is None and whole:
            self._set_done(
                state_message=self.env._("Captured (confirmed by the provider).")
            )
            return self.browse()
        child = self._create_child_transaction(amount)
        if error is None:
            child._set_done(
                state_message=self.env._("Captured (confirmed by the provider).")
            )
        else:
            child._set_pending(
                state_message=self.env._(
                    "No answer from the provider (%(error)s): it will be asked "
                    "whether it captured; nothing is captured again meanwhile.",
                    error=error,
                )
            )
        return child

    def _sales_closing_resolve_captures(self):
        """Ask the provider about the captures left in doubt (pending child
        transactions of an authorization, recorded under their idempotency
        key when the answer was lost); apply what it tells."""
        for child in self:
            outcome = child.source_transaction_id._sales_closing_query_outcome(
                child.sales_closing_idempotency_key
            )
            if outcome == OUTCOME_DONE:
                child._set_done(
                    state_message=self.env._("Captured (confirmed by the provider).")
                )
            elif outcome in (OUTCOME_ABSENT, OUTCOME_DECLINED):
                child._set_canceled(
                    state_message=self.env._("The provider did not capture it.")
                )
        return self

    def _sales_closing_void(self, amount):
        """Void ``amount`` of this authorized transaction (all of it when whole).

        Mark, then call the provider, as a capture: a retry that finds the
        request of its key marked as sent but nothing recorded asks the
        provider first; the provider cannot be asked now, nothing is sent (the
        next sync asks again).
        """
        self.ensure_one()
        tx = self.sudo()  # provider fields are restricted to accountants/admins
        tx._sales_closing_lock()
        settled = tx.amount - tx.sales_closing_open_amount
        scope = f"after:{tx._sales_closing_minor_units(settled)}"
        key = tx._sales_closing_operation_key("void", amount, scope)
        existing = tx._sales_closing_find_by_key(key)
        if existing or tx.state != "authorized":
            return existing or tx
        whole = tx._sales_closing_is_whole(amount)
        keyed = tx._sales_closing_keyed(key)
        requests = self.env["sales.closing.gateway.request"]
        if requests._sales_closing_was_sent(key):
            # sent before, the work that sent it rolled back: ask first
            outcome = tx._sales_closing_query_outcome(key, operation="void")
            if outcome == OUTCOME_DONE:
                return keyed._sales_closing_record_void(amount, whole) or tx
            if outcome == OUTCOME_UNKNOWN:
                raise UserError(tx._sales_closing_in_doubt_message("void"))
            # absent, declined or no way to ask: send it (with the same key)
        else:
            requests._sales_closing_mark(key, tx, "void", amount)
        try:
            with self.env.cr.savepoint():
                child = keyed._send_void_request(
                    amount_to_void=None if whole else amount
                )
        except (UserError, ValidationError):
            # it may have reached the provider: ask it; in doubt, the error
            # stands and the next attempt asks again (the mark stays)
            if tx._sales_closing_query_outcome(key, operation="void") == OUTCOME_DONE:
                return keyed._sales_closing_record_void(amount, whole) or tx
            raise
        return child or tx

    def _sales_closing_record_void(self, amount, whole):
        """Record the void of ``amount`` the provider performed, without
        sending any request. Returns the partial void's child transaction."""
        self.ensure_one()
        message = self.env._("Voided (confirmed by the provider).")
        if whole:
            self._set_canceled(state_message=message)
            return self.browse()
        child = self._create_child_transaction(amount)
        child._set_canceled(state_message=message)
        return child

    def _sales_closing_in_doubt_message(self, operation):
        """The error of a request sent before whose answer was lost, when the
        provider cannot be asked now."""
        self.ensure_one()
        if operation == "void":
            return self.env._(
                "The void of %(ref)s was sent before and its answer lost; the "
                "provider cannot be asked now. It will be asked again; nothing is "
                "sent meanwhile.",
                ref=self.reference,
            )
        return self.env._("a request sent before, its answer lost")

    def _sales_closing_refund(self, amount, scope, invoices=None):
        """Refund ``amount`` of this confirmed transaction through its provider, once
        per ``scope`` (e.g. the credit note). Returns the refund transaction.

        Mark, then call the provider: the refund number (the refund
        transaction's reference, Alipay's out_request_no, WeChat Pay's
        out_refund_no) is chosen and marked, committed, before the request
        leaves. A retry that finds the mark but no refund recorded asks the
        provider about that number first; performed, it is recorded, never
        sent again; not received (or a provider Odoo cannot ask), it is sent
        again with the same number and idempotency key.
        """
        self.ensure_one()
        tx = self.sudo()  # provider fields are restricted to accountants/admins
        key = tx._sales_closing_operation_key("refund", amount, scope)
        existing = tx._sales_closing_find_by_key(key)
        if existing:
            if existing.state == "pending":
                existing._sales_closing_resolve_refunds()  # left in doubt before
            return existing
        child_values = {}
        if invoices:
            child_values["invoice_ids"] = [fields.Command.set(invoices.ids)]
        requests = self.env["sales.closing.gateway.request"]
        mark = requests._sales_closing_find_mark(key)
        if mark:
            reference = mark["request_ref"] or tx._sales_closing_refund_reference(key)
            keyed = tx._sales_closing_keyed(key, reference=reference, **child_values)
            outcome = tx._sales_closing_query_outcome(
                key, operation="refund", request_ref=reference
            )
            if outcome == OUTCOME_DONE:
                return keyed._sales_closing_record_refund(amount)
            if outcome == OUTCOME_UNKNOWN:
                return keyed._sales_closing_record_refund(
                    amount, error=tx._sales_closing_in_doubt_message("refund")
                )
            # absent, declined or no way to ask: send it (same number and key)
        else:
            reference = tx._sales_closing_refund_reference(key)
            keyed = tx._sales_closing_keyed(key, reference=reference, **child_values)
            requests._sales_closing_mark(
                key, tx, "refund", amount, request_ref=reference
            )
        try:
            with self.env.cr.savepoint():
                return keyed._send_refund_request(amount_to_refund=amount)
        except (UserError, ValidationError) as error:
            outcome = tx._sales_closing_query_outcome(
                key, operation="refund", request_ref=reference
            )
            if outcome == OUTCOME_DONE:
                return keyed._sales_closing_record_refund(amount)
            if outcome == OUTCOME_UNKNOWN:
                return keyed._sales_closing_record_refund(amount, error=error)
            raise

    def _sales_closing_refund_reference(self, key):
        """The reference of the next refund of this transaction (the refund
        number sent to the gateway); never one marked for another request."""
        self.ensure_one()
        prefix = f"R-{self.reference}"
        reference = self._compute_reference(self.provider_code, prefix=prefix)
        if self.env["sales.closing.gateway.request"]._sales_closing_ref_taken(
            reference, key
        ):
            # a refund of this number left and was rolled back: another one
            reference = self._compute_reference(
                self.provider_code, prefix=f"{prefix}-{key[:8]}"
            )
        return reference

    def _sales_closing_record_refund(self, amount, error=None):
        """Record the refund of ``amount`` the provider performed (or, with
        ``error``, may have performed: pending) without sending any request.
        Returns the refund transaction."""
        self.ensure_one()
        refund = self._create_child_transaction(amount, is_refund=True)
        if error is None:
            refund._set_done(
                state_message=self.env._("Refunded (confirmed by the provider).")
            )
        else:
            refund._set_pending(
                state_message=self.env._(
                    "No answer from the provider (%(error)s): it will be asked "
                    "whether it refunded; nothing is refunded again meanwhile.",
                    error=error,
                )
            )
        return refund

    def _sales_closing_resolve_refunds(self):
        """Ask the provider about the refunds left in doubt (pending, recorded
        under their idempotency key when the answer was lost); apply what it
        tells."""
        for refund in self:
            outcome = refund.source_transaction_id._sales_closing_query_outcome(
                refund.sales_closing_idempotency_key,
                operation="refund",
                request_ref=refund.reference,
            )
            if outcome == OUTCOME_DONE:
                refund._set_done(
                    state_message=self.env._("Refunded (confirmed by the provider).")
                )
            elif outcome in (OUTCOME_ABSENT, OUTCOME_DECLINED):
                refund._set_error(
                    self.env._(
                        "The provider did not refund it: refund the customer again."
                    )
                )
        return self

    def _sales_closing_refundable_amount(self):
        """Return what can still be refunded on this confirmed transaction."""
        self.ensure_one()
        refunded = -sum(
            self.child_transaction_ids.filtered(
                lambda c: c.operation == "refund" and c.state not in ("cancel", "error")
            ).mapped("amount")
        )
        return self.currency_id.round(self.amount - refunded)

    # --- Authorization expiry ---------------------------------------------------

    @api.model
    def _cron_sales_closing_check_authorizations(self):
        """Flag authorizations about to expire; renew them on a saved token.

        Safe to run twice or concurrently: the renewal has an idempotency key, the
        flag is set under row lock and the activity only when the flag changes.
        """
        now = fields.Datetime.now()
        # sudo: a cron over every company's transactions; the captures left
        # in doubt first (their authorization is captured, not renewed)
        self.sudo().search(
            [
                ("state", "=", "pending"),
                ("source_transaction_id.state", "=", "authorized"),
                ("sales_closing_idempotency_key", "!=", False),
                ("operation", "not in", ("refund", "validation")),
            ]
        )._sales_closing_resolve_captures()
        # the refunds left in doubt (an answer lost, the provider unreachable)
        self.sudo().search(
            [
                ("state", "=", "pending"),
                ("operation", "=", "refund"),
                ("sales_closing_idempotency_key", "!=", False),
                ("provider_code", "in", CN_PROVIDERS),
            ]
        )._sales_closing_resolve_refunds()
        for company in self.env["res.company"].sudo().search([]):
            days = company.sales_closing_auth_validity_days
            if days <= 0:
                continue
            margin = company.sales_closing_auth_expiry_margin
            limit = now - timedelta(days=max(days - margin, 0))
            txs = self.sudo().search(
                [
                    ("company_id", "=", company.id),
                    ("state", "=", "authorized"),
                    ("operation", "not in", ("validation", "refund")),
                    "|",
                    ("sales_closing_authorized_date", "<=", limit),
                    "&",
                    ("sales_closing_authorized_date", "=", False),
                    ("last_state_change", "<=", limit),
                ]
            )
            txs._sales_closing_renew_or_flag()
        return True

    def _sales_closing_renew_or_flag(self):
        """Re-authorize each transaction on its token when possible, else flag it."""
        to_flag = self.browse()
        for tx in self:
            renewed = False
            if tx.token_id.active and tx.sales_closing_open_amount > 0:
                try:
                    with self.env.cr.savepoint():
                        renewed = tx._sales_closing_reauthorize()
                except (UserError, ValidationError) as error:
                    _logger.warning(
                        "Re-authorization of %s failed: %s", tx.reference, error
                    )
            if not renewed:
                to_flag |= tx
        to_flag._sales_closing_flag_expiring()

    def _sales_closing_reauthorize(self):
        """Authorize the open amount again on the saved token, then void this one.

        Returns the new authorized transaction, or False when the provider did not
        authorize it (the old authorization is then kept and flagged).
        """
        self.ensure_one()
        self._sales_closing_lock()
        amount = self.sales_closing_open_amount
        key = self._sales_closing_operation_key("reauthorize", amount, f"tx:{self.id}")
        new_tx = self._sales_closing_find_by_key(key)
        if not new_tx:
            new_tx = self.create(
                {
                    "provider_id": self.provider_id.id,
                    "payment_method_id": self.token_id.payment_method_id.id
                    or self.payment_method_id.id,
                    "amount": amount,
                    "currency_id": self.currency_id.id,
                    "partner_id": self.partner_id.id,
                    "token_id": self.token_id.id,
                    "operation": "offline",
                    "sale_order_ids": [fields.Command.set(self.sale_order_ids.ids)],
                    "invoice_ids": [fields.Command.set(self.invoice_ids.ids)],
                    "sales_closing_idempotency_key": key,
                    "sales_closing_reauthorized_from_id": self.id,
                }
            )
            new_tx._sales_closing_keyed(key)._send_payment_request()
        if new_tx.state not in ("authorized", "done"):
            return False
        if self.state == "authorized":
            self._sales_closing_void(amount)
        message = self.env._(
            "The authorization %(old)s was about to expire: it was renewed as "
            "%(new)s on the saved payment method.",
            old=self.reference,
            new=new_tx.reference,
        )
        for order in self.sale_order_ids:
            order.message_post(body=message)
        return new_tx

    def _sales_closing_flag_expiring(self):
        """Set the expiry flag (once) and schedule an activity on the orders."""
        if not self:
            return
        self.flush_recordset(["sales_closing_expiring"])
        self.env.cr.execute(
            SQL(
                "UPDATE payment_transaction SET sales_closing_expiring = TRUE "
                "WHERE id IN %s AND sales_closing_expiring IS NOT TRUE RETURNING id",
                tuple(self.ids),
            )
        )
        flagged = self.browse([row[0] for row in self.env.cr.fetchall()])
        self.invalidate_recordset(["sales_closing_expiring"])
        for tx in flagged:
            for order in tx.sale_order_ids:
                # in the language of the user who gets the activity
                user = order.user_id or self.env.user
                texts = user.with_context(lang=user.lang).env
                order.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=texts._("Payment authorization expiring"),
                    note=texts._(
                        "The authorization %(ref)s of %(amount)s expires on %(date)s "
                        "and could not be renewed on a saved payment method: capture "
                        "it or ask the customer to pay again.",
                        ref=tx.reference,
                        amount=tx.sales_closing_open_amount,
                        date=tx.sales_closing_expiry_date or "-",
                    ),
                    user_id=order.user_id.id or self.env.uid,
                )
