"""Alipay Open Platform engine (public-key mode, RSA2), free of any Odoo dependency.

Covers the request parameters of ``alipay.trade.page.pay`` (desktop redirect),
``alipay.trade.precreate`` (QR code), ``alipay.trade.query``, ``alipay.trade.refund``
and ``alipay.trade.close``, their RSA2 signature, the verification of synchronous
responses and the verification and business check of asynchronous notifications.

Signature rules implemented here (Alipay "自行实现签名" / "自行实现验签"):

* signing string = parameters sorted by key (ASCII order), ``key=value`` joined by
  ``&``, raw (not URL-encoded) values, leaving out ``sign`` and empty values;
* for **requests** ``sign_type`` is part of the signing string;
* for **asynchronous notifications** both ``sign`` and ``sign_type`` are left out;
* a **synchronous response** is signed over the exact raw JSON text of the
  ``<method with dots replaced by underscores>_response`` member, so that text must be
  cut out of the body as is, never re-serialised.

Certificate mode (``app_cert_sn`` / ``alipay_root_cert_sn``) is not covered.
"""

import json
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

from .common import (
    BASE64_PATTERN,
    STATUS_AMOUNT_MISMATCH,
    STATUS_BAD_SIGNATURE,
    STATUS_CURRENCY_MISMATCH,
    STATUS_NOT_PAID,
    STATUS_OK,
    STATUS_REPLAY,
    STATUS_UNKNOWN_PROVIDER,
    STATUS_UNKNOWN_REFERENCE,
    UTC,
    PaymentEngineError,
    field_problem,
    format_amount,
    rsa_sha256_sign,
    rsa_sha256_verify,
    to_decimal,
)

GATEWAY_URL = "https://openapi.alipay.com/gateway.do"
SANDBOX_GATEWAY_URL = "https://openapi-sandbox.dl.alipaydev.com/gateway.do"

METHOD_PAGE_PAY = "alipay.trade.page.pay"
METHOD_PRECREATE = "alipay.trade.precreate"
METHOD_QUERY = "alipay.trade.query"
METHOD_REFUND = "alipay.trade.refund"
METHOD_CLOSE = "alipay.trade.close"
METHOD_REFUND_QUERY = "alipay.trade.fastpay.refund.query"

SUCCESS_CODE = "10000"
SIGN_TYPE = "RSA2"
PAID_TRADE_STATUSES = ("TRADE_SUCCESS", "TRADE_FINISHED")
DEFAULT_CURRENCY = "CNY"
#: Body Alipay expects in the HTTP answer to an accepted notification.
NOTIFICATION_ACK = "success"
#: Alipay timestamps are Beijing time.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


class AlipayError(PaymentEngineError):
    """A business error (``code`` other than 10000) or a malformed Alipay answer."""

    def __init__(self, message, code=None, msg=None, sub_code=None, sub_msg=None):
        """Keep Alipay's own codes next to the plain English message."""
        super().__init__(message)
        self.code = code
        self.msg = msg
        self.sub_code = sub_code
        self.sub_msg = sub_msg


class AlipaySignatureError(AlipayError):
    """The signature of an Alipay response is missing or does not verify."""


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


def gateway_url(sandbox=False):
    """Return the production or sandbox gateway URL."""
    return SANDBOX_GATEWAY_URL if sandbox else GATEWAY_URL


def alipay_timestamp(now=None):
    """Return ``now`` as an Alipay timestamp 'YYYY-MM-DD HH:MM:SS' in Beijing time.

    A naive ``now`` is taken as UTC (Odoo stores naive UTC datetimes); an aware one is
    converted. Without ``now`` the current time is used.
    """
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now.astimezone(BEIJING).strftime(TIMESTAMP_FORMAT)


def response_key(method):
    """Return a method's response member name (alipay_trade_query_response)."""
    return method.replace(".", "_") + "_response"


def _is_empty(value):
    """Tell whether a parameter value is empty and therefore left out of signatures."""
    return value is None or (isinstance(value, str) and value == "")


def _biz_json(biz_content):
    """Serialise ``biz_content`` deterministically (sorted, compact, UTF-8)."""
    return json.dumps(
        biz_content, ensure_ascii=False, separators=(",", ":"), sort_keys=True
    )


def _drop_empty(mapping):
    """Return a copy of ``mapping`` without None or empty-string values."""
    return {key: value for key, value in mapping.items() if not _is_empty(value)}


def _trade_reference(out_trade_no, trade_no):
    """Return the trade identification members, requiring at least one of them."""
    if not out_trade_no and not trade_no:
        raise ValueError(
            "Either the merchant reference (out_trade_no) or Alipay's trade_no is "
            "required."
        )
    return _drop_empty({"out_trade_no": out_trade_no, "trade_no": trade_no})


def _positive_amount(amount, label):
    """Format a positive amount as '%.2f'; refuse zero, negative, sub-cent."""
    value = to_decimal(amount)
    if value <= 0:
        raise ValueError(f"The {label} must be greater than zero, got {value}.")
    return format_amount(value)


# --------------------------------------------------------------------------
# Signatures
# --------------------------------------------------------------------------


def signing_string(params, for_notification=False):
    """Build the string Alipay signs from ``params``.

    Keys are sorted, ``sign`` and empty values are left out. ``sign_type`` is kept for
    requests and left out when ``for_notification`` is True (asynchronous
    notification verification).
    """
    excluded = {"sign", "sign_type"} if for_notification else {"sign"}
    pairs = []
    for key in sorted(params):
        value = params[key]
        if key in excluded or _is_empty(value):
            continue
        pairs.append(f"{key}={value}")
    return "&".join(pairs)


def sign_rsa2(params, private_key_pem):
    """Return the base64 RSA2 (SHA256withRSA) signature of request ``params``."""
    return rsa_sha256_sign(signing_string(params), private_key_pem)


def verify_notification(params, alipay_public_key_pem):
    """Return True if an asynchronous notification carries a valid RSA2 signature.

    ``params`` are the decoded form fields (values as strings). ``sign`` and
    ``sign_type`` are left out of the signed string; a ``sign_type`` other than RSA2
    is refused.
    """
    sign_type = params.get("sign_type")
    if sign_type and sign_type != SIGN_TYPE:
        return False
    return rsa_sha256_verify(
        signing_string(params, for_notification=True),
        params.get("sign"),
        alipay_public_key_pem,
    )


# --------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------


def build_request(
    method,
    app_id,
    biz_content,
    private_key_pem,
    notify_url=None,
    return_url=None,
    now=None,
    app_auth_token=None,
):
    """Return the complete signed parameter dict of an Alipay gateway call.

    The result is ready to be posted as ``application/x-www-form-urlencoded`` to the
    gateway (or turned into a redirect URL with :func:`page_pay_url`).
    """
    if not app_id:
        raise ValueError("The Alipay app_id is required.")
    params = _drop_empty(
        {
            "app_id": app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": SIGN_TYPE,
            "timestamp": alipay_timestamp(now),
            "version": "1.0",
            "notify_url": notify_url,
            "return_url": return_url,
            "app_auth_token": app_auth_token,
            "biz_content": _biz_json(biz_content),
        }
    )
    params["sign"] = sign_rsa2(params, private_key_pem)
    return params


def page_pay_biz_content(
    out_trade_no, total_amount, subject, timeout_express=None, body=None
):
    """Return the biz_content of ``alipay.trade.page.pay`` (desktop website payment)."""
    if not subject:
        raise ValueError("The payment subject is required.")
    return _drop_empty(
        {
            "out_trade_no": out_trade_no,
            "total_amount": _positive_amount(total_amount, "payment amount"),
            "subject": subject,
            "product_code": "FAST_INSTANT_TRADE_PAY",
            "timeout_express": timeout_express,
            "body": body,
        }
    )


def precreate_biz_content(
    out_trade_no, total_amount, subject, qr_code_timeout_express=None
):
    """Return the biz_content of ``alipay.trade.precreate`` (QR code to scan)."""
    if not subject:
        raise ValueError("The payment subject is required.")
    return _drop_empty(
        {
            "out_trade_no": out_trade_no,
            "total_amount": _positive_amount(total_amount, "payment amount"),
            "subject": subject,
            "qr_code_timeout_express": qr_code_timeout_express,
        }
    )


def query_biz_content(out_trade_no=None, trade_no=None):
    """Return the biz_content of ``alipay.trade.query``."""
    return _trade_reference(out_trade_no, trade_no)


def refund_biz_content(
    refund_amount, out_request_no, out_trade_no=None, trade_no=None, refund_reason=None
):
    """Return the biz_content of ``alipay.trade.refund``.

    ``out_request_no`` identifies the refund itself: Alipay refunds a given
    ``out_request_no`` only once, which makes retries safe.
    """
    if not out_request_no:
        raise ValueError(
            "A refund request number (out_request_no) is required so that retries are "
            "safe."
        )
    content = _trade_reference(out_trade_no, trade_no)
    content.update(
        _drop_empty(
            {
                "refund_amount": _positive_amount(refund_amount, "refund amount"),
                "out_request_no": out_request_no,
                "refund_reason": refund_reason,
            }
        )
    )
    return content


def refund_query_biz_content(out_request_no, out_trade_no=None, trade_no=None):
    """Return the biz_content of ``alipay.trade.fastpay.refund.query``: the
    refund of ``out_request_no`` on the trade."""
    if not out_request_no:
        raise ValueError("A refund request number (out_request_no) is required.")
    content = _trade_reference(out_trade_no, trade_no)
    content["out_request_no"] = out_request_no
    return content


def refund_query_performed(content):
    """Tell whether the verified answer of a refund query reports the refund
    as performed.

    Alipay: the answer's code 10000 only says the query worked; the refund was
    made when the answer carries its data (``refund_amount``) with a
    ``refund_status`` empty or ``REFUND_SUCCESS``; no data: never refunded,
    the refund may be sent again with the same ``out_request_no``.
    """
    if _is_empty(content.get("refund_amount")):
        return False
    return content.get("refund_status") in (None, "", "REFUND_SUCCESS")


def close_biz_content(out_trade_no=None, trade_no=None):
    """Return the biz_content of ``alipay.trade.close``."""
    return _trade_reference(out_trade_no, trade_no)


def page_pay_request(
    app_id,
    private_key_pem,
    out_trade_no,
    total_amount,
    subject,
    notify_url,
    return_url=None,
    now=None,
    timeout_express=None,
):
    """Return the signed parameters of an ``alipay.trade.page.pay`` call."""
    biz = page_pay_biz_content(
        out_trade_no, total_amount, subject, timeout_express=timeout_express
    )
    return build_request(
        METHOD_PAGE_PAY,
        app_id,
        biz,
        private_key_pem,
        notify_url=notify_url,
        return_url=return_url,
        now=now,
    )


def precreate_request(
    app_id,
    private_key_pem,
    out_trade_no,
    total_amount,
    subject,
    notify_url,
    now=None,
    qr_code_timeout_express=None,
):
    """Return the signed parameters of an ``alipay.trade.precreate`` (QR) call."""
    biz = precreate_biz_content(
        out_trade_no, total_amount, subject, qr_code_timeout_express
    )
    return build_request(
        METHOD_PRECREATE, app_id, biz, private_key_pem, notify_url=notify_url, now=now
    )


def query_request(app_id, private_key_pem, out_trade_no=None, trade_no=None, now=None):
    """Return the signed parameters of an ``alipay.trade.query`` call."""
    return build_request(
        METHOD_QUERY,
        app_id,
        query_biz_content(out_trade_no, trade_no),
        private_key_pem,
        now=now,
    )


def refund_request(
    app_id,
    private_key_pem,
    refund_amount,
    out_request_no,
    out_trade_no=None,
    trade_no=None,
    refund_reason=None,
    now=None,
):
    """Return the signed parameters of an ``alipay.trade.refund`` call."""
    biz = refund_biz_content(
        refund_amount, out_request_no, out_trade_no, trade_no, refund_reason
    )
    return build_request(METHOD_REFUND, app_id, biz, private_key_pem, now=now)


def refund_query_request(
    app_id, private_key_pem, out_request_no, out_trade_no=None, trade_no=None, now=None
):
    """Return the signed parameters of an ``alipay.trade.fastpay.refund.query``
    call."""
    return build_request(
        METHOD_REFUND_QUERY,
        app_id,
        refund_query_biz_content(out_request_no, out_trade_no, trade_no),
        private_key_pem,
        now=now,
    )


def close_request(app_id, private_key_pem, out_trade_no=None, trade_no=None, now=None):
    """Return the signed parameters of an ``alipay.trade.close`` call."""
    return build_request(
        METHOD_CLOSE,
        app_id,
        close_biz_content(out_trade_no, trade_no),
        private_key_pem,
        now=now,
    )


def page_pay_url(params, sandbox=False):
    """Return the gateway URL the buyer is redirected to for a page payment."""
    return gateway_url(sandbox) + "?" + urlencode(params)


# --------------------------------------------------------------------------
# Synchronous responses
# --------------------------------------------------------------------------


def _skip_ws(text, index):
    """Return the index of the first non-whitespace character at or after ``index``."""
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def top_level_spans(body):
    """Map each top-level member of a JSON object to its raw value span.

    Only the first occurrence of a key is kept. Raises AlipayError when the text is
    not a JSON object.
    """
    decoder = json.JSONDecoder()
    spans = {}
    try:
        index = _skip_ws(body, 0)
        if index >= len(body) or body[index] != "{":
            raise ValueError("not an object")
        index = _skip_ws(body, index + 1)
        if index < len(body) and body[index] == "}":
            return spans
        while True:
            key, index = decoder.raw_decode(body, index)
            if not isinstance(key, str):
                raise TypeError("object key is not a string")
            index = _skip_ws(body, index)
            if body[index] != ":":
                raise ValueError("missing colon")
            start = _skip_ws(body, index + 1)
            _value, end = decoder.raw_decode(body, start)
            spans.setdefault(key, (start, end))
            index = _skip_ws(body, end)
            if body[index] == "}":
                return spans
            if body[index] != ",":
                raise ValueError("missing comma")
            index = _skip_ws(body, index + 1)
    except (ValueError, TypeError, IndexError):
        raise AlipayError("The Alipay response is not a valid JSON object.") from None


def extract_signed_content(body, method):
    """Return ``(raw_content, sign)`` of a synchronous response body.

    ``raw_content`` is the exact text of the ``<method>_response`` member (or of
    ``error_response`` when the gateway rejected the call), ``sign`` the top-level
    signature or None.
    """
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    spans = top_level_spans(body)
    key = response_key(method)
    if key not in spans:
        key = "error_response"
    if key not in spans:
        raise AlipayError(
            f"The Alipay response does not contain {response_key(method)}."
        )
    start, end = spans[key]
    sign = None
    if "sign" in spans:
        sign_start, sign_end = spans["sign"]
        sign = json.loads(body[sign_start:sign_end])
    return body[start:end], sign


def parse_response(body_json, method, alipay_public_key_pem):
    """Verify and decode the synchronous response of ``method``.

    The signature is checked over the raw ``<method>_response`` text. Raises
    AlipaySignatureError when a signature is missing on a success or does not verify,
    and AlipayError when the business ``code`` is not 10000 (with Alipay's
    code/sub_code kept on the exception).
    """
    raw_content, sign = extract_signed_content(body_json, method)
    content = json.loads(raw_content)
    if not isinstance(content, dict):
        raise AlipayError("The Alipay response content is not a JSON object.")
    code = str(content.get("code", ""))
    if sign:
        if not rsa_sha256_verify(raw_content, sign, alipay_public_key_pem):
            raise AlipaySignatureError(
                "The signature of the Alipay response is invalid.", code=code
            )
    elif code == SUCCESS_CODE:
        raise AlipaySignatureError("The Alipay response is not signed.", code=code)
    if code != SUCCESS_CODE:
        detail = content.get("sub_msg") or content.get("msg") or "no detail given"
        codes = " ".join(filter(None, (code, content.get("sub_code")))) or "no code"
        raise AlipayError(
            f"Alipay refused the request ({codes}): {detail}.",
            code=code,
            msg=content.get("msg"),
            sub_code=content.get("sub_code"),
            sub_msg=content.get("sub_msg"),
        )
    return content


# --------------------------------------------------------------------------
# Asynchronous notifications
# --------------------------------------------------------------------------


#: Bounds of an asynchronous notification (Alipay's documented field formats,
#: with room to spare): checked before any lookup, so that nothing longer or of
#: another shape reaches the database, the cache or a log.
MAX_NOTIFICATION_FIELDS = 64
MAX_FIELD_NAME = 64
MAX_FIELD_VALUE = 4096
FIELD_NAME_PATTERN = re.compile(r"[A-Za-z0-9_]+")
NOTIFICATION_FORMATS = {
    # name: (max length, pattern, required)
    "app_id": (32, re.compile(r"[0-9]+"), True),
    "notify_id": (128, re.compile(r"[0-9A-Za-z_\-]+"), False),
    # Alipay: 64 characters at most; Odoo references are printable ASCII
    "out_trade_no": (64, re.compile(r"[\x21-\x7e]+"), False),
    "trade_no": (64, re.compile(r"[0-9A-Za-z_\-]+"), False),
    "trade_status": (32, re.compile(r"[A-Z_]+"), False),
    "notify_type": (64, re.compile(r"[a-z_]+"), False),
    "total_amount": (16, re.compile(r"[0-9]{1,12}(\.[0-9]{1,2})?"), False),
    "refund_fee": (16, re.compile(r"[0-9]{1,12}(\.[0-9]{1,2})?"), False),
    "trans_currency": (3, re.compile(r"[A-Z]{3}"), False),
    "currency": (3, re.compile(r"[A-Z]{3}"), False),
    "seller_id": (32, re.compile(r"[0-9]+"), False),
    "sign_type": (8, re.compile(r"[A-Z0-9]+"), False),
    "sign": (1024, BASE64_PATTERN, True),
}


def notification_problem(params):
    """Why ``params`` cannot be an Alipay asynchronous notification; None if they
    can. Only the shape is checked (number, names and lengths of the fields, the
    format of the keys), not the signature."""
    if not isinstance(params, dict):
        return "not a form"
    if len(params) > MAX_NOTIFICATION_FIELDS:
        return f"more than {MAX_NOTIFICATION_FIELDS} fields"
    for name, value in params.items():
        if (
            not isinstance(name, str)
            or len(name) > MAX_FIELD_NAME
            or not FIELD_NAME_PATTERN.fullmatch(name)
        ):
            return "a field name of an unexpected format"
        if not isinstance(value, str) or len(value) > MAX_FIELD_VALUE:
            return f"{name}: longer than {MAX_FIELD_VALUE} characters"
    for name, (max_length, pattern, required) in NOTIFICATION_FORMATS.items():
        problem = field_problem(name, params.get(name), max_length, pattern, required)
        if problem:
            return problem
    return None


def is_refund_notification(params):
    """Tell whether a notification reports a refund (refund_fee present).

    Alipay notifies partial refunds with ``trade_status=TRADE_SUCCESS``: such a
    notification must not be mistaken for a new payment.
    """
    refund_fields = (params.get("refund_fee"), params.get("gmt_refund"))
    return any(not _is_empty(value) for value in refund_fields)


def notification_currency(params):
    """Return a notification's currency (trans_currency, else CNY)."""
    return params.get("trans_currency") or params.get("currency") or DEFAULT_CURRENCY


def seller_matches(params, seller_id):
    """Tell whether the notification is for the seller account ``seller_id``
    (Alipay's PID, 2088...); always True when no seller is configured."""
    if not seller_id:
        return True
    return (params.get("seller_id") or "").strip() == str(seller_id).strip()


def check_notification(params, expected, seen_notify_ids, alipay_public_key_pem):
    """Classify an asynchronous payment notification.

    ``expected`` is a dict with ``out_trade_no``, ``total_amount`` (Decimal),
    ``currency`` and ``app_id`` of the transaction the notification claims to be about,
    and optionally ``seller_id`` (the merchant's PID; when given, a notification
    for another seller is 'unknown_provider'), or None when no such transaction
    exists. ``seen_notify_ids`` is a container of the
    ``notify_id`` values already processed (it is not modified: record the id once the
    notification has been applied).

    Returns one of 'bad_signature', 'unknown_provider', 'replay',
    'unknown_reference', 'amount_mismatch', 'currency_mismatch', 'not_paid' or
    'ok', checked in that order.
    """
    if not verify_notification(params, alipay_public_key_pem):
        return STATUS_BAD_SIGNATURE
    if not seller_matches(params, (expected or {}).get("seller_id")):
        return STATUS_UNKNOWN_PROVIDER
    notify_id = params.get("notify_id")
    if notify_id and notify_id in seen_notify_ids:
        return STATUS_REPLAY
    if not expected:
        return STATUS_UNKNOWN_REFERENCE
    same_trade = params.get("out_trade_no") == expected.get("out_trade_no")
    same_app = params.get("app_id") == expected.get("app_id")
    if not (same_trade and same_app):
        return STATUS_UNKNOWN_REFERENCE
    try:
        paid = to_decimal(params.get("total_amount"))
    except (TypeError, ValueError):
        return STATUS_AMOUNT_MISMATCH
    if paid != to_decimal(expected.get("total_amount")):
        return STATUS_AMOUNT_MISMATCH
    expected_currency = expected.get("currency") or DEFAULT_CURRENCY
    if notification_currency(params).upper() != expected_currency.upper():
        return STATUS_CURRENCY_MISMATCH
    if params.get("trade_status") not in PAID_TRADE_STATUSES:
        return STATUS_NOT_PAID
    return STATUS_OK
