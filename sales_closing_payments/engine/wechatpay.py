"""WeChat Pay API v3 engine (merchant direct mode), free of any Odoo dependency.

Covers Native payment (QR code) creation, query by merchant reference, close and
domestic refund request builders, the ``WECHATPAY2-SHA256-RSA2048`` request
signature, the verification of response/notification signatures with the platform
public keys (platform certificates or the newer "WeChat Pay public key", both keyed by
their serial / ``PUB_KEY_ID_...``), AEAD_AES_256_GCM decryption of notification
resources, the business check of payment notifications and the download of the
platform certificates (``GET /v3/certificates``).

Amounts are integer fen (1 CNY = 100 fen).
"""

import base64
import binascii
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlencode

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .common import (
    BASE64_PATTERN,
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
    field_problem,
    load_public_key,
    rsa_sha256_sign,
    rsa_sha256_verify,
    to_minor_units,
)

API_BASE_URL = "https://api.mch.weixin.qq.com"
NATIVE_PAY_PATH = "/v3/pay/transactions/native"
QUERY_PATH = "/v3/pay/transactions/out-trade-no/{out_trade_no}"
CLOSE_PATH = "/v3/pay/transactions/out-trade-no/{out_trade_no}/close"
REFUND_PATH = "/v3/refund/domestic/refunds"
CERTIFICATES_PATH = "/v3/certificates"

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


def refund_query_request(out_refund_no):
    """Return ('GET', path, '') querying a domestic refund by ``out_refund_no``
    (WeChat Pay answers 404 RESOURCE_NOT_EXISTS for a refund it never got)."""
    if not out_refund_no:
        raise ValueError("out_refund_no is required to query a refund.")
    return "GET", REFUND_PATH + "/" + quote(out_refund_no, safe=""), ""


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


#: Bounds of a notification (WeChat Pay's documented formats, with room to
#: spare), checked before any lookup.
MAX_NOTIFICATION_BODY = 32768
#: AEAD_AES_256_GCM: WeChat Pay's nonces are 12 characters (96 bits).
RESOURCE_NONCE_LENGTH = 12
HEADER_FORMATS = {
    # header: (max length, pattern)
    HEADER_SERIAL: (64, re.compile(r"[0-9A-Za-z_]+")),
    HEADER_TIMESTAMP: (12, re.compile(r"[0-9]+")),
    HEADER_NONCE: (64, re.compile(r"[0-9A-Za-z_\-]+")),
    HEADER_SIGNATURE: (1024, BASE64_PATTERN),
}
ENVELOPE_FORMATS = {
    "id": (64, re.compile(r"[0-9A-Za-z_\-]+")),
    "event_type": (64, re.compile(r"[A-Z_.]+")),
    "resource_type": (64, re.compile(r"[a-z_\-]+")),
}


def notification_problem(headers, body):
    """Why ``headers`` and ``body`` cannot be a WeChat Pay notification; None if
    they can. Only the shape is checked (signature headers, the envelope and its
    encrypted resource), not the signature."""
    if isinstance(body, bytes):
        if len(body) > MAX_NOTIFICATION_BODY:
            return f"body: longer than {MAX_NOTIFICATION_BODY} bytes"
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            return "body: not UTF-8"
    if not isinstance(body, str) or len(body) > MAX_NOTIFICATION_BODY:
        return f"body: longer than {MAX_NOTIFICATION_BODY} bytes"
    for name, (max_length, pattern) in HEADER_FORMATS.items():
        problem = field_problem(
            name, _header(headers, name), max_length, pattern, required=True
        )
        if problem:
            return problem
    try:
        envelope = json.loads(body)
    except ValueError:
        return "body: not JSON"
    if not isinstance(envelope, dict):
        return "body: not a JSON object"
    for name, (max_length, pattern) in ENVELOPE_FORMATS.items():
        problem = field_problem(name, envelope.get(name), max_length, pattern)
        if problem:
            return problem
    return resource_problem(envelope.get("resource"))


def resource_problem(resource):
    """Why ``resource`` cannot be an encrypted resource; None if it can."""
    if not isinstance(resource, dict):
        return "resource: not an object"
    if resource.get("algorithm") != AEAD_ALGORITHM:
        return "resource: unsupported algorithm"
    nonce = resource.get("nonce")
    if not isinstance(nonce, str) or len(nonce) != RESOURCE_NONCE_LENGTH:
        return f"resource: nonce not of {RESOURCE_NONCE_LENGTH} characters"
    return field_problem(
        "resource.associated_data", resource.get("associated_data"), 64
    ) or field_problem(
        "resource.ciphertext",
        resource.get("ciphertext"),
        MAX_NOTIFICATION_BODY,
        BASE64_PATTERN,
        required=True,
    )


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


def decrypt_resource_bytes(resource, api_v3_key):
    """Decrypt an AEAD_AES_256_GCM resource and return its plaintext bytes.

    Used for the JSON notification resources and for the PEM platform certificates
    of ``GET /v3/certificates``. The base64 ciphertext carries the 16-byte
    authentication tag at its end. Raises WeChatPayError when the algorithm is
    unsupported or authentication fails.
    """
    if not isinstance(resource, dict):
        raise WeChatPayError("The encrypted resource is not an object.")
    if resource.get("algorithm") != AEAD_ALGORITHM:
        raise WeChatPayError(
            f"Unsupported resource encryption algorithm {resource.get('algorithm')!r}."
        )
    key = _api_v3_key_bytes(api_v3_key)
    try:
        ciphertext = base64.b64decode(resource.get("ciphertext") or "", validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise WeChatPayError("The resource ciphertext is not valid base64.") from None
    nonce = resource.get("nonce")
    associated_data = resource.get("associated_data")
    if not isinstance(nonce, str) or len(nonce) != RESOURCE_NONCE_LENGTH:
        # AES-GCM refuses other lengths with a ValueError: a malformed resource
        raise WeChatPayError(
            f"The resource nonce is not of {RESOURCE_NONCE_LENGTH} characters."
        )
    if associated_data is not None and not isinstance(associated_data, str):
        raise WeChatPayError("The resource associated data is not text.")
    nonce = nonce.encode("utf-8")
    aad = associated_data.encode("utf-8") if associated_data else None
    if len(nonce) != RESOURCE_NONCE_LENGTH or len(ciphertext) < 16:
        raise WeChatPayError("The encrypted resource is incomplete.")
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, aad)
    except (InvalidTag, ValueError):
        raise WeChatPayError(
            "The resource could not be decrypted: wrong APIv3 key or tampered data."
        ) from None


def decrypt_resource(resource, api_v3_key):
    """Decrypt an AEAD_AES_256_GCM notification resource into a dict.

    The base64 ciphertext carries the 16-byte authentication tag at its end. Raises
    WeChatPayError when the algorithm is unsupported or authentication fails.
    """
    plaintext = decrypt_resource_bytes(resource, api_v3_key)
    try:
        decrypted = json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise WeChatPayError("The decrypted resource is not valid JSON.") from None
    if not isinstance(decrypted, dict):
        raise WeChatPayError("The decrypted resource is not a JSON object.")
    return decrypted


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


# --------------------------------------------------------------------------
# Platform certificates (GET /v3/certificates)
# --------------------------------------------------------------------------

#: Reasons of a WeChatPayCertificateError.
CERT_MALFORMED = "malformed"
CERT_DECRYPTION = "decryption"
CERT_BAD_SIGNATURE = "bad_signature"
CERT_STALE = "stale"
CERT_NONE_VALID = "no_valid_certificate"
CERT_UNTRUSTED = "untrusted"


class WeChatPayCertificateError(WeChatPayError):
    """A platform certificate download that cannot be used or trusted.

    ``reason`` is one of CERT_MALFORMED, CERT_DECRYPTION, CERT_BAD_SIGNATURE,
    CERT_STALE, CERT_NONE_VALID or CERT_UNTRUSTED; the message gives the detail.
    """

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class PlatformCertificate:
    """One decrypted platform certificate of the ``data`` list (times in UTC).

    ``not_before`` / ``not_after`` are the certificate's own X.509 validity
    (None when not read), which may be narrower than the announced times.
    """

    serial_no: str
    effective_time: datetime
    expire_time: datetime
    pem: str
    not_before: datetime | None = None
    not_after: datetime | None = None


def _in_force(certificate, moment):
    """Tell whether ``certificate`` is in force at ``moment`` by the announced
    times and by its own X.509 validity."""
    start = max(filter(None, (certificate.effective_time, certificate.not_before)))
    end = min(filter(None, (certificate.expire_time, certificate.not_after)))
    return start <= moment < end


def certificates_request():
    """Return ('GET', path, '') downloading the platform certificates."""
    return "GET", CERTIFICATES_PATH, ""


def _as_datetime(now):
    """Return ``now`` (aware or naive-UTC datetime, Unix seconds or None) in UTC."""
    if now is None:
        return datetime.now(UTC)
    if isinstance(now, datetime):
        if now.tzinfo is None:
            return now.replace(tzinfo=UTC)
        return now.astimezone(UTC)
    return datetime.fromtimestamp(int(now), UTC)


def parse_time(value):
    """Parse an RFC 3339 time such as '2026-06-08T10:34:56+08:00' into UTC.

    Raises ValueError when the text is not a time with an offset.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{value!r} is not an RFC 3339 time.")
    text = value.strip()
    if text[-1] in "Zz":
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no UTC offset.")
    return moment.astimezone(UTC)


def certificate_info(pem):
    """Return ``(serial_no, not_before, not_after)`` of an X.509 certificate PEM.

    The serial is upper-case hexadecimal, as WeChat Pay writes it; the times are
    aware UTC datetimes. Returns None when ``pem`` is not a certificate (a bare
    public key, such as the newer "WeChat Pay public key"); raises WeChatPayError
    when it looks like a certificate but cannot be read.
    """
    text = pem.encode("ascii", "replace") if isinstance(pem, str) else bytes(pem)
    if b"-----BEGIN CERTIFICATE-----" not in text:
        return None
    try:
        certificate = x509.load_pem_x509_certificate(text.strip())
    except ValueError:
        raise WeChatPayError("The certificate is not a valid X.509 PEM.") from None
    not_before = getattr(certificate, "not_valid_before_utc", None)
    not_after = getattr(certificate, "not_valid_after_utc", None)
    if not_before is None:  # cryptography < 42: naive UTC datetimes
        not_before = certificate.not_valid_before.replace(tzinfo=UTC)
        not_after = certificate.not_valid_after.replace(tzinfo=UTC)
    return f"{certificate.serial_number:X}", not_before, not_after


def _certificate_entry(item, key):
    """Decrypt and check one item of the ``data`` list of /v3/certificates."""
    if not isinstance(item, dict):
        raise WeChatPayCertificateError(
            CERT_MALFORMED, "A certificate entry is not an object."
        )
    serial_no = str(item.get("serial_no") or "").strip()
    if not serial_no:
        raise WeChatPayCertificateError(
            CERT_MALFORMED, "A certificate entry has no serial_no."
        )
    try:
        effective_time = parse_time(item.get("effective_time"))
        expire_time = parse_time(item.get("expire_time"))
    except ValueError as error:
        raise WeChatPayCertificateError(
            CERT_MALFORMED, f"Certificate {serial_no}: {error}"
        ) from None
    try:
        plaintext = decrypt_resource_bytes(item.get("encrypt_certificate"), key)
        pem = plaintext.decode("ascii")
    except (WeChatPayError, UnicodeDecodeError) as error:
        raise WeChatPayCertificateError(
            CERT_DECRYPTION, f"Certificate {serial_no}: {error}"
        ) from None
    try:
        info = certificate_info(pem)
        load_public_key(pem)  # an RSA key, as the signatures need
    except PaymentEngineError as error:
        raise WeChatPayCertificateError(
            CERT_MALFORMED, f"Certificate {serial_no}: {error}"
        ) from None
    if info is None:
        raise WeChatPayCertificateError(
            CERT_MALFORMED, f"Certificate {serial_no}: not an X.509 certificate."
        )
    try:
        same_serial = int(serial_no, 16) == int(info[0], 16)
    except ValueError:
        same_serial = False
    if not same_serial:
        raise WeChatPayCertificateError(
            CERT_MALFORMED,
            f"Certificate {serial_no}: the decrypted certificate has the serial "
            f"{info[0]}.",
        )
    return PlatformCertificate(
        serial_no, effective_time, expire_time, pem, info[1], info[2]
    )


def decrypt_certificates(body, api_v3_key):
    """Return the PlatformCertificate list of a /v3/certificates answer body.

    Each ``encrypt_certificate`` is decrypted with the APIv3 key and must hold an
    RSA X.509 certificate of the announced serial. The answer signature is NOT
    checked here (see open_certificates_response). Raises WeChatPayCertificateError
    (reason CERT_MALFORMED or CERT_DECRYPTION).
    """
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        payload = json.loads(body)
    except ValueError:
        raise WeChatPayCertificateError(
            CERT_MALFORMED, "The answer is not valid JSON."
        ) from None
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list) or not data:
        raise WeChatPayCertificateError(
            CERT_MALFORMED, "The answer holds no certificate (empty 'data')."
        )
    try:
        key = _api_v3_key_bytes(api_v3_key)
    except WeChatPayError as error:
        raise WeChatPayCertificateError(CERT_DECRYPTION, str(error)) from None
    return [_certificate_entry(item, key) for item in data]


def choose_certificate(certificates, now=None):
    """Return the newest certificate in force at ``now`` (latest effective time).

    Raises WeChatPayCertificateError (CERT_NONE_VALID) when none is in force.
    """
    moment = _as_datetime(now)
    in_force = [
        certificate for certificate in certificates if _in_force(certificate, moment)
    ]
    if not in_force:
        raise WeChatPayCertificateError(
            CERT_NONE_VALID, "None of the downloaded certificates is in force now."
        )
    return max(in_force, key=lambda c: (c.effective_time, c.expire_time))


def _same_serial(first, second):
    """Tell whether two serials (hexadecimal or PUB_KEY_ID_...) are the same."""
    first, second = str(first or "").strip(), str(second or "").strip()
    if not first or not second:
        return False
    try:
        return int(first, 16) == int(second, 16)
    except ValueError:
        return first.upper() == second.upper()


def trusted_keys(keys, now=None):
    """The keys of ``keys`` ({serial: PEM}) that can vouch for a download at ``now``.

    A WeChat Pay public key (no certificate) does not expire; a certificate
    counts only within its own X.509 validity. Unreadable entries are left out.
    """
    moment = _as_datetime(now)
    trusted = {}
    for serial, pem in (keys or {}).items():
        if not serial or not pem:
            continue
        try:
            info = certificate_info(pem)
        except WeChatPayError:
            continue
        if info is None or info[1] <= moment < info[2]:
            trusted[str(serial).strip()] = pem
    return trusted


def open_certificates_response(
    headers,
    body,
    api_v3_key,
    now=None,
    max_skew=DEFAULT_MAX_SKEW,
    trusted=None,
    expected_serial=None,
):
    """Decrypt, authenticate and choose the platform certificate of an answer.

    Whose signature is trusted, following WeChat Pay's documented procedure
    ("下载平台证书" and "平台证书更新指引"):

    - ``trusted`` ({serial: PEM}) holds the platform certificate or WeChat Pay
      public key already configured. When one of them is in force, the answer
      must be signed by it: a new certificate is listed 24 hours before WeChat
      Pay starts signing with it, so the refresh (days before the expiry) is
      signed by the certificate we hold, and a download signed by any other key
      is refused, even a key the answer carries itself.
    - Otherwise (first download, or the held certificate has expired) nothing
      can vouch for the answer but itself, as in WeChat Pay's certificate
      downloader: it is verified with the downloaded certificate that signed it,
      and only if that certificate's serial is ``expected_serial``, the serial
      the administrator configured from the merchant platform. Without it the
      download is refused (CERT_UNTRUSTED). The certificates are also encrypted
      with the APIv3 key, which only the merchant and WeChat Pay know.

    Only certificates in force both by the answer's times and by their own
    X.509 validity are used; an expired one is never chosen. Returns
    ``(chosen, certificates)``: the newest certificate in force and the full
    list. Raises WeChatPayCertificateError on any failure.
    """
    certificates = decrypt_certificates(body, api_v3_key)
    moment = _as_datetime(now)
    serial = str(_header(headers, HEADER_SERIAL) or "").strip()
    anchors = trusted_keys(trusted, moment)
    if anchors:
        signer_serial = next((s for s in anchors if _same_serial(s, serial)), None)
        if signer_serial is None:
            raise WeChatPayCertificateError(
                CERT_BAD_SIGNATURE,
                f"The answer is signed by {serial or 'no'} certificate, not by the "
                f"trusted {', '.join(sorted(anchors))}.",
            )
        signer_pem = anchors[signer_serial]
    else:
        if not expected_serial:
            raise WeChatPayCertificateError(
                CERT_UNTRUSTED,
                "No platform certificate in force is configured, nor the serial "
                "of the one to download: the answer cannot be trusted.",
            )
        if not _same_serial(serial, expected_serial):
            raise WeChatPayCertificateError(
                CERT_BAD_SIGNATURE,
                f"The answer is signed by {serial or 'no'} certificate, not by the "
                f"configured {expected_serial}.",
            )
        signer = next(
            (c for c in certificates if _same_serial(c.serial_no, serial)), None
        )
        if signer is None:
            raise WeChatPayCertificateError(
                CERT_BAD_SIGNATURE,
                f"The answer is signed by {serial} certificate, which is not "
                "among the downloaded ones.",
            )
        if not _in_force(signer, moment):
            raise WeChatPayCertificateError(
                CERT_BAD_SIGNATURE,
                f"The answer is signed by certificate {serial}, which is not in force.",
            )
        signer_pem = signer.pem
    status = signature_status(
        headers, body, {serial: signer_pem}, moment.timestamp(), max_skew
    )
    if status == STATUS_STALE:
        raise WeChatPayCertificateError(
            CERT_STALE, "The answer timestamp is too far from the current time."
        )
    if status != STATUS_OK:
        raise WeChatPayCertificateError(
            CERT_BAD_SIGNATURE,
            f"The answer signature does not verify with certificate {serial}.",
        )
    return choose_certificate(certificates, moment), certificates
