"""Shared helpers of the payment engines: money, RSA keys and notification statuses.

Nothing here knows about Odoo. Amounts are :class:`decimal.Decimal` or integer minor
units (cents, fen); floats are refused so that no binary rounding error can reach a
payment provider.
"""

import base64
import binascii
import functools
import re
import textwrap
from datetime import timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

#: UTC without relying on datetime.UTC (Python 3.11+); Odoo 18 still runs on 3.10.
UTC = timezone(timedelta(0), "UTC")

# --------------------------------------------------------------------------
# Notification statuses shared by every provider engine
# --------------------------------------------------------------------------

STATUS_OK = "ok"
STATUS_BAD_SIGNATURE = "bad_signature"
STATUS_UNKNOWN_REFERENCE = "unknown_reference"
STATUS_AMOUNT_MISMATCH = "amount_mismatch"
STATUS_CURRENCY_MISMATCH = "currency_mismatch"
STATUS_REPLAY = "replay"
STATUS_NOT_PAID = "not_paid"
STATUS_STALE = "stale"
#: No active provider has the account the notification names (or, for Alipay, the
#: seller account differs from the configured one).
STATUS_UNKNOWN_PROVIDER = "unknown_provider"
#: The request does not have the shape of a notification of the gateway (a key
#: of a wrong format or length, an over-long body): refused before any lookup.
STATUS_MALFORMED = "malformed"

STATUS_MESSAGES = {
    STATUS_OK: "The notification is authentic and confirms the payment.",
    STATUS_BAD_SIGNATURE: (
        "The notification signature is missing or invalid; it was ignored."
    ),
    STATUS_UNKNOWN_REFERENCE: (
        "The notification refers to a payment reference or merchant account "
        "that is not ours."
    ),
    STATUS_AMOUNT_MISMATCH: (
        "The amount paid differs from the amount expected for this payment."
    ),
    STATUS_CURRENCY_MISMATCH: (
        "The currency paid differs from the currency expected for this payment."
    ),
    STATUS_REPLAY: (
        "This notification was already processed; it was acknowledged "
        "but not applied again."
    ),
    STATUS_NOT_PAID: "The notification does not report a successful payment.",
    STATUS_STALE: (
        "The notification timestamp is too far from the current time; it was ignored."
    ),
    STATUS_UNKNOWN_PROVIDER: (
        "No active provider has the merchant account of the notification; it was "
        "ignored."
    ),
    STATUS_MALFORMED: (
        "The request does not have the format of a notification of the gateway; "
        "it was ignored."
    ),
}


def status_message(status):
    """Return a plain English explanation of a notification ``status`` code."""
    return STATUS_MESSAGES.get(status, f"Unknown notification status {status!r}.")


class PaymentEngineError(Exception):
    """Base class of the errors raised by the payment engines."""


# --------------------------------------------------------------------------
# Shape of what the internet sends to the notification endpoints
# --------------------------------------------------------------------------

#: Base64 text (signatures, ciphertexts).
BASE64_PATTERN = re.compile(r"[A-Za-z0-9+/=\s]*")


def field_problem(name, value, max_length, pattern=None, required=False):
    """Why ``value`` cannot be the gateway's field ``name``; None when it can.

    ``value`` must be text of at most ``max_length`` characters matching
    ``pattern`` (a compiled regular expression matched in full) when given;
    None or '' is refused only when ``required``.
    """
    if value is None or value == "":
        return f"{name}: missing" if required else None
    if not isinstance(value, str):
        return f"{name}: not text"
    if len(value) > max_length:
        return f"{name}: longer than {max_length} characters"
    if pattern is not None and not pattern.fullmatch(value):
        return f"{name}: unexpected characters"
    return None


def truncate(value, max_length):
    """``value`` as text of at most ``max_length`` characters (None stays None)."""
    if value is None or value is False:
        return None
    text = value if isinstance(value, str) else str(value)
    return text[:max_length]


# --------------------------------------------------------------------------
# Money
# --------------------------------------------------------------------------

CENT = Decimal("0.01")


def to_decimal(amount):
    """Convert ``amount`` (Decimal, int or numeric string) to a Decimal.

    Floats are refused: convert them explicitly (``Decimal(str(value))``) at the
    boundary where they come from, so that the rounding decision is visible.
    """
    if isinstance(amount, bool):
        raise TypeError("An amount cannot be a boolean.")
    if isinstance(amount, float):
        raise TypeError(
            f"Amounts must be Decimal, int or str, not float (got {amount!r}); "
            "convert with Decimal(str(value)) first."
        )
    if isinstance(amount, Decimal):
        value = amount
    else:
        try:
            value = Decimal(amount)
        except (InvalidOperation, TypeError, ValueError):
            raise ValueError(f"{amount!r} is not a valid amount.") from None
    if not value.is_finite():
        raise ValueError(f"{amount!r} is not a finite amount.")
    return value


def to_minor_units(amount, decimals=2):
    """Return ``amount`` as an integer number of minor units (e.g. 12.34 -> 1234).

    Raises ValueError if the amount has more decimals than the currency allows,
    instead of silently rounding money.
    """
    value = to_decimal(amount)
    scaled = value.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise ValueError(
            f"Amount {value} has more than {decimals} decimal places and cannot be "
            "sent as is."
        )
    return int(scaled)


def from_minor_units(units, decimals=2):
    """Return the Decimal amount of integer minor units (1234 -> 12.34)."""
    if isinstance(units, bool) or not isinstance(units, int):
        raise TypeError(f"Minor units must be an integer, got {units!r}.")
    return Decimal(units).scaleb(-decimals).quantize(Decimal(1).scaleb(-decimals))


def format_amount(amount):
    """Format ``amount`` with exactly two decimals, without any float.

    Raises ValueError when the amount has more than two decimal places.
    """
    value = to_decimal(amount)
    to_minor_units(value, 2)  # refuses sub-cent amounts
    return f"{value.quantize(CENT):.2f}"


def round_to(amount, rounding=CENT):
    """Round ``amount`` half-up to a multiple of ``rounding`` (0.01, 0.05, 1...)."""
    value = to_decimal(amount)
    step = to_decimal(rounding)
    if step <= 0:
        raise ValueError("The rounding step must be positive.")
    return ((value / step).to_integral_value(rounding=ROUND_HALF_UP) * step).quantize(
        step
    )


# --------------------------------------------------------------------------
# RSA keys and SHA256withRSA (PKCS#1 v1.5)
# --------------------------------------------------------------------------


def _as_bytes(data):
    """Return ``data`` as bytes (UTF-8 for text)."""
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode("utf-8")
    raise TypeError(f"Expected str or bytes, got {type(data).__name__}.")


def _wrap_pem(body, label):
    """Wrap a bare base64 key body (as shown in provider consoles) into a PEM block."""
    compact = "".join(body.split())
    lines = "\n".join(textwrap.wrap(compact, 64))
    return (f"-----BEGIN {label}-----\n{lines}\n-----END {label}-----\n").encode(
        "ascii"
    )


def load_private_key(key):
    """Load an RSA private key from PEM (PKCS#1 or PKCS#8) or a bare base64 body.

    ``key`` may also already be a loaded private key object.
    """
    if isinstance(key, rsa.RSAPrivateKey):
        return key
    text = _as_bytes(key).strip()
    candidates = (
        [text]
        if text.startswith(b"-----BEGIN")
        else [
            _wrap_pem(text.decode("ascii", "replace"), "PRIVATE KEY"),
            _wrap_pem(text.decode("ascii", "replace"), "RSA PRIVATE KEY"),
        ]
    )
    for candidate in candidates:
        try:
            loaded = serialization.load_pem_private_key(candidate, password=None)
        except (ValueError, TypeError):
            continue
        if isinstance(loaded, rsa.RSAPrivateKey):
            return loaded
    raise PaymentEngineError("The private key is not a valid unencrypted RSA key.")


def load_public_key(key):
    """Load an RSA public key from PEM, an X.509 certificate PEM or a bare base64 body.

    ``key`` may also already be a loaded public key object.
    """
    if isinstance(key, rsa.RSAPublicKey):
        return key
    return _load_public_key_text(_as_bytes(key).strip())


@functools.lru_cache(maxsize=64)
def _load_public_key_text(text):
    """Parse a public key once per process: every notification is verified with it.

    Key objects are immutable; a changed key is another text, so another entry.
    """
    loaded = None
    try:
        if text.startswith(b"-----BEGIN CERTIFICATE"):
            from cryptography import x509

            loaded = x509.load_pem_x509_certificate(text).public_key()
        elif text.startswith(b"-----BEGIN"):
            loaded = serialization.load_pem_public_key(text)
        else:
            loaded = serialization.load_pem_public_key(
                _wrap_pem(text.decode("ascii", "replace"), "PUBLIC KEY")
            )
    except (ValueError, TypeError):
        loaded = None
    if not isinstance(loaded, rsa.RSAPublicKey):
        raise PaymentEngineError("The public key is not a valid RSA public key.")
    return loaded


def rsa_sha256_sign(message, private_key):
    """Sign ``message`` with SHA256withRSA (PKCS#1 v1.5) and return base64 text."""
    key = load_private_key(private_key)
    signature = key.sign(_as_bytes(message), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def rsa_sha256_verify(message, signature_b64, public_key):
    """Tell whether ``signature_b64`` is a SHA256withRSA signature of ``message``.

    Any malformed input (bad base64, empty signature) yields False, never an exception.
    """
    if not signature_b64:
        return False
    key = load_public_key(public_key)
    try:
        compact = b"".join(_as_bytes(signature_b64).split())
        signature = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError, TypeError):
        return False
    try:
        key.verify(signature, _as_bytes(message), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True
