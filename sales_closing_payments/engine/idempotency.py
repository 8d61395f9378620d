"""Stable idempotency keys for provider requests.

Every request that can move money (create a payment, capture, refund, close) is sent
with a key derived only from *what* is being done: provider, business reference,
operation, amount in minor units and an attempt scope. Two browser tabs, a double
click or a network retry therefore produce the same key, and the provider (Alipay
``out_trade_no`` / ``out_request_no``, WeChat Pay ``out_trade_no`` / ``out_refund_no``)
refuses to execute the operation twice.

Change the *scope* (e.g. the installment id, or a retry generation number after a
definitive failure) to deliberately allow a new charge.
"""

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal

KEY_VERSION = "v1"
REFERENCE_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-"


def _canonical(part):
    """Return a type-tagged canonical text for one key part."""
    if part is None:
        return "n:"
    if isinstance(part, bool):
        return f"b:{int(part)}"
    if isinstance(part, int):
        return f"i:{part}"
    if isinstance(part, float):
        raise TypeError(
            "Floats are not accepted in idempotency keys; use integer minor units."
        )
    if isinstance(part, Decimal):
        if not part.is_finite():
            raise ValueError("Idempotency key amounts must be finite.")
        text = format(part.normalize(), "f")
        return "d:%s" % ("0" if text in ("-0", "0") else text)
    if isinstance(part, datetime):
        return f"t:{part.isoformat()}"
    if isinstance(part, date):
        return f"D:{part.isoformat()}"
    if isinstance(part, str):
        return f"s:{part}"
    raise TypeError(f"Unsupported idempotency key part of type {type(part).__name__}.")


def idempotency_key(*parts):
    """Return a 64-character hex SHA-256 key of ``parts``.

    Parts are encoded unambiguously (type tag + JSON list), so ('a|b', 'c') and
    ('a', 'b|c') give different keys, and Decimal('10.0') equals Decimal('10.00').
    At least one part is required.
    """
    if not parts:
        raise ValueError("An idempotency key needs at least one part.")
    payload = json.dumps(
        [KEY_VERSION] + [_canonical(part) for part in parts], ensure_ascii=False
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def operation_key(provider, reference, operation, amount_minor, scope=""):
    """Return the idempotency key of one money movement.

    ``provider`` is the provider code ('alipay', 'wechatpay'), ``reference`` the
    business reference (order or transaction name), ``operation`` e.g. 'pay',
    'capture', 'refund', ``amount_minor`` an int in minor units and ``scope`` what
    distinguishes legitimate repeated operations (installment id, delivery id...).
    """
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise TypeError("The amount must be given as integer minor units.")
    if not provider or not reference or not operation:
        raise ValueError(
            "Provider, reference and operation are required for an idempotency key."
        )
    return idempotency_key(provider, reference, operation, amount_minor, scope)


def provider_reference(key, prefix="", length=32):
    """Shorten ``key`` into a provider-safe reference of at most ``length`` characters.

    WeChat Pay accepts 6 to 32 characters of [0-9A-Za-z_-|*], Alipay up to 64 of
    letters, digits and underscores; the result uses hex digits after ``prefix``.
    """
    if not key:
        raise ValueError("An empty key cannot be turned into a reference.")
    if any(char not in REFERENCE_ALPHABET for char in prefix):
        raise ValueError(
            "The reference prefix may only contain letters, digits, '_' and '-'."
        )
    room = length - len(prefix)
    if room < 16:
        raise ValueError(
            "A reference needs at least 16 characters of key after its prefix."
        )
    digest = (
        key
        if all(char in "0123456789abcdef" for char in key)
        else hashlib.sha256(key.encode("utf-8")).hexdigest()
    )
    return prefix + digest[:room]
