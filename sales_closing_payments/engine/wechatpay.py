"""WeChat Pay API v3 engine (merchant direct mode), free of any Odoo dependency.

Covers Native payment (QR code) creation, query by merchant reference, close and
domestic refund request builders, the ``WECHATPAY2-SHA256-RSA2048`` request
signature, the verification of response/notification signatures with the platform
public keys (platform certificates or the newer "WeChat Pay public key", both keyed by
their serial / ``PUB_KEY_ID_...``), AEAD_AES_256_GCM decryption of notification
resources and the business check of payment notifications.

Amounts are integer fen (1 CNY = 100 fen).
"""

import base64
import binascii
import json
import secrets
from datetime import datetime
from urllib.parse import quote, urlencode

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .common import (
    STATUS_AMOUNT_MISMATCH,
    STATUS_BAD_SIGNATURE,
    STATUS_CURRENCY_MISMATCH,
    STATUS_NOT_PAID,
    STATUS_OK,
    STATUS_REPLAY,
    STATUS_STALE,
    STATUS_UNKNOWN_REFERENCE,
    UTC,
    PaymentEngineError,
    rsa_sha256_sign,
    rsa_sha256_verify,
    to_minor_units,
)

API_BASE_URL = "https://api.mch.weixin.qq.com"
NATIVE_PAY_PATH = "/v3/pay/transactions/native"
QUERY_PATH = "/v3/pay/transactions/out-trade-no/{out_trade_no}"
CLOSE_PATH = "/v3/pay/transactions/out-trade-no/{out_trade_no}/close"
REFUND_PATH = "/v3/refund/domestic/refunds"

AUTH_SCHEMA = "WECHATPAY2-SHA256-RSA2048"
AEAD_ALGORITHM = "AEAD_AES_256_GCM"
CURRENCY = "CNY"
PAID_TRADE_STATE = "SUCCESS"
DEFAULT_MAX_SKEW = 300

HEADER_TIMESTAMP = "Wechatpay-Timestamp"
HEADER_NONCE = "Wechatpay-Nonce"
HEADER_SIGNATURE = "Wechatpay-Signature"
HEADER_SERIAL = "Wechatpay-Serial"


class WeChatPayError(PaymentEngineError):
    """A malformed WeChat Pay message or a request that cannot be built."""


# --------------------------------------------------------------------------
# Amounts and identifiers
# --------------------------------------------------------------------------


def to_fen(amount):
    """Convert a CNY amount in yuan to integer fen, refusing sub-fen values."""
    return to_minor_units(amount, 2)


def _positive_fen(fen, label):
    """Check that ``fen`` is a strictly positive integer and return it."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"The {label} must be an integer number of fen, got {fen!r}.")
    if fen <= 0:
        raise ValueError(f"The {label} must be greater than zero, got {fen} fen.")
    return fen


def _check_currency(currency):
    """Refuse currencies other than CNY (the only one of domestic WeChat Pay)."""
    if currency != CURRENCY:
        raise ValueError(
            f"WeChat Pay domestic payments only accept CNY, not {currency}."
        )
    return currency


def _dumps(payload):
    """Serialise a request body as compact UTF-8 JSON (the text signed)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def make_nonce(length=32):
    """Return a random alphanumeric nonce suitable for nonce_str."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(secrets.choice(alphabet) for _index in range(length))


def _epoch(now):
    """Return ``now`` (datetime, naive = UTC, or number) as integer Unix seconds."""
    if now is None:
        now = datetime.now(UTC)
    if isinstance(now, datetime):
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        return int(now.timestamp())
    return int(now)


# --------------------------------------------------------------------------
# Request builders: each returns (http_method, url_path_with_query, body_text)
# --------------------------------------------------------------------------


def native_pay_body(
    appid,
    mchid,
    description,
    out_trade_no,
    notify_url,
    amount_fen,
    currency=CURRENCY,
    time_expire=None,
    attach=None,
):
    """Return the JSON body dict of a Native payment (QR code) order.

    ``time_expire`` is an RFC 3339 string such as '2024-06-08T10:34:56+08:00'.
    """
    if not (appid and mchid and out_trade_no and notify_url):
        raise ValueError("appid, mchid, out_trade_no and notify_url are all required.")
    if not description:
        raise ValueError("The payment description is required.")
    body = {
        "appid": appid,
        "mchid": mchid,
        "description": description,
        "out_trade_no": out_trade_no,
        "notify_url": notify_url,
        "amount": {
            "total": _positive_fen(amount_fen, "payment amount"),
            "currency": _check_currency(currency),
        },
    }
    if time_expire:
        body["time_expire"] = time_expire
    if attach:
        body["attach"] = attach
    return body


def native_pay_request(
    appid, mchid, description, out_trade_no, notify_url, amount_fen, **options
):
    """Return ('POST', path, body_text) creating a Native payment order."""
    body = native_pay_body(
        appid, mchid, description, out_trade_no, notify_url, amount_fen, **options
    )
    return "POST", NATIVE_PAY_PATH, _dumps(body)


def query_path(out_trade_no, mchid):
    """Return the path and query string of the query-by-reference endpoint."""
    if not out_trade_no or not mchid:
        raise ValueError("out_trade_no and mchid are required to query a payment.")
    return (
        QUERY_PATH.format(out_trade_no=quote(out_trade_no, safe=""))
        + "?"
        + urlencode({"mchid": mchid})
    )


def query_request(out_trade_no, mchid):
    """Return ('GET', path, '') querying a payment by merchant reference."""
    return "GET", query_path(out_trade_no, mchid), ""


def close_request(out_trade_no, mchid):
    """Return ('POST', path, body_text) closing an unpaid order (WeChat answers 204)."""
    if not out_trade_no or not mchid:
        raise ValueError("out_trade_no and mchid are required to close a payment.")
    path = CLOSE_PATH.format(out_trade_no=quote(out_trade_no, safe=""))
    return "POST", path, _dumps({"mchid": mchid})


def refund_body(
    out_refund_no,
    refund_fen,
    total_fen,
    out_trade_no=None,
    transaction_id=None,
    reason=None,
    notify_url=None,
    currency=CURRENCY,
):
    """Return the JSON body dict of a domestic refund.

    ``out_refund_no`` identifies the refund: WeChat Pay processes a given value only
    once, which makes retries safe.
    """
    if not out_trade_no and not transaction_id:
        raise ValueError("Either out_trade_no or transaction_id is required to refund.")
    if not out_refund_no:
        raise ValueError(
            "A refund number (out_refund_no) is required so that retries are safe."
        )
    _positive_fen(refund_fen, "refund amount")
    _positive_fen(total_fen, "original order amount")
    if refund_fen > total_fen:
        raise ValueError(
            f"The refund ({refund_fen} fen) exceeds the original order amount "
            f"({total_fen} fen)."
        )
    body = {}
    if transaction_id:
        body["transaction_id"] = transaction_id
    else:
        body["out_trade_no"] = out_trade_no
    body["out_refund_no"] = out_refund_no
    if reason:
        body["reason"] = reason
    if notify_url:
        body["notify_url"] = notify_url
    body["amount"] = {
        "refund": refund_fen,
        "total": total_fen,
        "currency": _check_currency(currency),
    }
    return body


def refund_request(out_refund_no, refund_fen, total_fen, **options):
    """Return ('POST', path, body_text) of a domestic refund."""
    return (
        "POST",
        REFUND_PATH,
        _dumps(refund_body(out_refund_no, refund_fen, total_fen, **options)),
    )


# --------------------------------------------------------------------------
# Request signature
# --------------------------------------------------------------------------


def signature_message(method, url_path, timestamp, nonce, body=""):
    """Return the request signing message (five newline-terminated lines)."""
    return f"{method.upper()}\n{url_path}\n{timestamp}\n{nonce}\n{body or ''}\n"


def sign_request(method, url_path, timestamp, nonce, body, private_key_pem):
    """Return the base64 SHA256withRSA signature of a request."""
    return rsa_sha256_sign(
        signature_message(method, url_path, timestamp, nonce, body), private_key_pem
    )


def authorization_header(
    mchid,
    serial_no,
    private_key_pem,
    method,
    url_path,
    body="",
    timestamp=None,
    nonce=None,
):
    """Return the ``Authorization`` header value of a v3 request.

    ``serial_no`` is the serial of the merchant API certificate; ``timestamp``
    (Unix seconds, datetime or None for now) and ``nonce`` (random when None) can be
    fixed for tests.
    """
    timestamp = _epoch(timestamp)
    nonce = nonce or make_nonce()
    signature = sign_request(method, url_path, timestamp, nonce, body, private_key_pem)
    return (
        f'{AUTH_SCHEMA} mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{serial_no}"'
    )


# --------------------------------------------------------------------------
# Response / notification signature
# --------------------------------------------------------------------------


def _header(headers, name):
    """Read an HTTP header case-insensitively."""
    if name in headers:
        return headers[name]
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def signature_status(
    headers, body, platform_public_keys, now=None, max_skew=DEFAULT_MAX_SKEW
):
    """Check the WeChat Pay signature headers of a response or notification.

    Returns 'ok', 'stale' (timestamp more than ``max_skew`` seconds from ``now``) or
    'bad_signature' (missing header, unknown serial, invalid signature). The signed
    message is TIMESTAMP\\nNONCE\\nBODY\\n.
    """
    timestamp = _header(headers, HEADER_TIMESTAMP)
    nonce = _header(headers, HEADER_NONCE)
    signature = _header(headers, HEADER_SIGNATURE)
    serial = _header(headers, HEADER_SERIAL)
    if not (timestamp and nonce and signature and serial):
        return STATUS_BAD_SIGNATURE
    public_key = platform_public_keys.get(serial)
    if not public_key:
        return STATUS_BAD_SIGNATURE
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return STATUS_BAD_SIGNATURE
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    message = f"{timestamp}\n{nonce}\n{body}\n"
    if not rsa_sha256_verify(message, signature, public_key):
        return STATUS_BAD_SIGNATURE
    if abs(_epoch(now) - sent_at) > max_skew:
        return STATUS_STALE
    return STATUS_OK


def verify_signature(
    headers, body, platform_public_keys, now=None, max_skew=DEFAULT_MAX_SKEW
):
    """Return True if ``body`` is signed by WeChat Pay and its timestamp is fresh.

    ``headers`` holds Wechatpay-Timestamp/-Nonce/-Signature/-Serial (any case);
    ``platform_public_keys`` maps a serial to a public key or certificate PEM.
    """
    return (
        signature_status(headers, body, platform_public_keys, now, max_skew)
        == STATUS_OK
    )


# --------------------------------------------------------------------------
# Notification resource decryption
# --------------------------------------------------------------------------


def _api_v3_key_bytes(api_v3_key):
    """Return the APIv3 key as 32 bytes or raise a plain error."""
    key = (
        api_v3_key.encode("utf-8") if isinstance(api_v3_key, str) else bytes(api_v3_key)
    )
    if len(key) != 32:
        raise WeChatPayError(
            f"The APIv3 key must be exactly 32 bytes long, got {len(key)}."
        )
    return key


def encrypt_resource(plaintext, api_v3_key, nonce, associated_data=""):
    """Encrypt ``plaintext`` like WeChat Pay does (used by tests and simulators).

    Returns the resource dict (algorithm, ciphertext, nonce, associated_data).
    """
    if isinstance(plaintext, dict):
        plaintext = _dumps(plaintext)
    aad = associated_data.encode("utf-8") if associated_data else None
    sealed = AESGCM(_api_v3_key_bytes(api_v3_key)).encrypt(
        nonce.encode("utf-8"), plaintext.encode("utf-8"), aad
    )
    return {
        "algorithm": AEAD_ALGORITHM,
        "ciphertext": base64.b64encode(sealed).decode("ascii"),
        "nonce": nonce,
        "associated_data": associated_data,
    }


def decrypt_resource(resource, api_v3_key):
    """Decrypt an AEAD_AES_256_GCM notification resource into a dict.

    The base64 ciphertext carries the 16-byte authentication tag at its end. Raises
    WeChatPayError when the algorithm is unsupported or authentication fails.
    """
    if resource.get("algorithm") != AEAD_ALGORITHM:
        raise WeChatPayError(
            f"Unsupported resource encryption algorithm {resource.get('algorithm')!r}."
        )
    key = _api_v3_key_bytes(api_v3_key)
    try:
        ciphertext = base64.b64decode(resource.get("ciphertext") or "", validate=True)
    except (binascii.Error, ValueError):
        raise WeChatPayError("The resource ciphertext is not valid base64.") from None
    nonce = (resource.get("nonce") or "").encode("utf-8")
    associated_data = resource.get("associated_data")
    aad = associated_data.encode("utf-8") if associated_data else None
    if not nonce or len(ciphertext) < 16:
        raise WeChatPayError("The encrypted resource is incomplete.")
    try:
        plaintext = AESGCM(key).decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        raise WeChatPayError(
            "The resource could not be decrypted: wrong APIv3 key or tampered data."
        ) from None
    try:
        return json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise WeChatPayError("The decrypted resource is not valid JSON.") from None


def open_notification(body, api_v3_key):
    """Parse a notification body and return ``(envelope, resource_dict)``.

    The signature must have been verified before. Raises WeChatPayError when the body
    is not a JSON notification or cannot be decrypted.
    """
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    try:
        envelope = json.loads(body)
    except ValueError:
        raise WeChatPayError("The notification body is not valid JSON.") from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("resource"), dict):
        raise WeChatPayError("The notification carries no encrypted resource.")
    return envelope, decrypt_resource(envelope["resource"], api_v3_key)


def check_notification(
    headers,
    body,
    platform_public_keys,
    api_v3_key,
    expected,
    seen_notify_ids,
    now=None,
    max_skew=DEFAULT_MAX_SKEW,
):
    """Classify a payment notification (``TRANSACTION.SUCCESS`` and friends).

    ``expected`` is a dict with ``out_trade_no``, ``total_amount`` (Decimal, yuan)
    or ``amount_fen`` (int), ``currency``, ``mchid`` and optionally ``appid`` (or
    ``app_id``), or None when no transaction matches. ``seen_notify_ids`` holds the
    notification ``id`` values already processed (not modified here).

    Returns one of 'bad_signature', 'stale', 'replay', 'unknown_reference',
    'amount_mismatch', 'currency_mismatch', 'not_paid' or 'ok', checked in that order.
    A resource that cannot be decrypted counts as 'bad_signature'.
    """
    status = signature_status(headers, body, platform_public_keys, now, max_skew)
    if status != STATUS_OK:
        return status
    try:
        envelope, resource = open_notification(body, api_v3_key)
    except WeChatPayError:
        return STATUS_BAD_SIGNATURE
    notify_id = envelope.get("id")
    if notify_id and notify_id in seen_notify_ids:
        return STATUS_REPLAY
    if not expected or resource.get("out_trade_no") != expected.get("out_trade_no"):
        return STATUS_UNKNOWN_REFERENCE
    if resource.get("mchid") != expected.get("mchid"):
        return STATUS_UNKNOWN_REFERENCE
    expected_appid = expected.get("appid") or expected.get("app_id")
    if expected_appid and resource.get("appid") != expected_appid:
        return STATUS_UNKNOWN_REFERENCE
    amount = resource.get("amount") or {}
    expected_fen = expected.get("amount_fen")
    if expected_fen is None:
        expected_fen = to_fen(expected.get("total_amount"))
    if amount.get("total") != expected_fen:
        return STATUS_AMOUNT_MISMATCH
    if (amount.get("currency") or CURRENCY) != (expected.get("currency") or CURRENCY):
        return STATUS_CURRENCY_MISMATCH
    if resource.get("trade_state") != PAID_TRADE_STATE:
        return STATUS_NOT_PAID
    return STATUS_OK
