"""Gateway side of Alipay and WeChat Pay, for tests, benchmarks and local trials.

Builds what the gateways send to a merchant: signed asynchronous notifications and
signed synchronous API answers, with the gateway's private key. Nothing here is used
when talking to a real gateway.
"""

import json
import secrets
import time
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from . import alipay, wechatpay
from .common import UTC, load_private_key, rsa_sha256_sign


def new_key_pair():
    """Return (private_pem, public_pem) of a fresh RSA 2048 key (throwaway keys)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    public_pem = (
        key.public_key()
        .public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        .decode("ascii")
    )
    return private_pem, public_pem


def alipay_notification(
    alipay_private_key,
    app_id,
    out_trade_no,
    total_amount,
    notify_id=None,
    trade_status="TRADE_SUCCESS",
    trade_no=None,
    **extra,
):
    """Return the form fields of an Alipay notification signed with Alipay's key."""
    params = {
        "notify_time": "2026-01-01 10:00:00",
        "notify_type": "trade_status_sync",
        "notify_id": notify_id or secrets.token_hex(16),
        "charset": "utf-8",
        "version": "1.0",
        "sign_type": alipay.SIGN_TYPE,
        "app_id": app_id,
        "out_trade_no": out_trade_no,
        "trade_no": trade_no or "2026" + secrets.token_hex(8),
        "trade_status": trade_status,
        "total_amount": str(total_amount),
        "receipt_amount": str(total_amount),
        "buyer_pay_amount": str(total_amount),
        "gmt_payment": "2026-01-01 09:59:58",
    }
    params.update({key: str(value) for key, value in extra.items()})
    params["sign"] = rsa_sha256_sign(
        alipay.signing_string(params, for_notification=True), alipay_private_key
    )
    return params


def alipay_response(alipay_private_key, method, content):
    """Return the JSON body of a synchronous Alipay answer signed with Alipay's key."""
    raw = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    sign = rsa_sha256_sign(raw, alipay_private_key)
    return f'{{"{alipay.response_key(method)}":{raw},"sign":{json.dumps(sign)}}}'


def wechatpay_signed_headers(platform_private_key, serial, body, timestamp=None):
    """Return the Wechatpay-* signature headers of ``body`` (a response or notice)."""
    timestamp = str(int(time.time()) if timestamp is None else int(timestamp))
    nonce = secrets.token_hex(16)
    message = f"{timestamp}\n{nonce}\n{body}\n"
    return {
        wechatpay.HEADER_TIMESTAMP: timestamp,
        wechatpay.HEADER_NONCE: nonce,
        wechatpay.HEADER_SERIAL: serial,
        wechatpay.HEADER_SIGNATURE: rsa_sha256_sign(message, platform_private_key),
    }


def wechatpay_notification(
    platform_private_key,
    serial,
    api_v3_key,
    resource,
    notify_id=None,
    event_type="TRANSACTION.SUCCESS",
    timestamp=None,
):
    """Return ``(headers, body)`` of a WeChat Pay notification carrying ``resource``.

    ``resource`` (a dict) is encrypted with the APIv3 key and the envelope signed
    with the platform key, as WeChat Pay does.
    """
    encrypted = wechatpay.encrypt_resource(
        resource, api_v3_key, secrets.token_hex(6), "transaction"
    )
    encrypted["original_type"] = "transaction"
    envelope = {
        "id": notify_id or secrets.token_hex(16),
        "create_time": "2026-01-01T10:00:00+08:00",
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": "支付成功",
        "resource": encrypted,
    }
    body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))
    headers = wechatpay_signed_headers(platform_private_key, serial, body, timestamp)
    headers["Content-Type"] = "application/json"
    return headers, body


def wechatpay_transaction(
    appid,
    mchid,
    out_trade_no,
    total_fen,
    currency="CNY",
    trade_state="SUCCESS",
    transaction_id=None,
):
    """Return the (decrypted) resource of a WeChat Pay payment notification."""
    return {
        "appid": appid,
        "mchid": mchid,
        "out_trade_no": out_trade_no,
        "transaction_id": transaction_id or "4200" + secrets.token_hex(10),
        "trade_type": "NATIVE",
        "trade_state": trade_state,
        "trade_state_desc": trade_state,
        "success_time": "2026-01-01T10:00:00+08:00",
        "payer": {"openid": "o" + secrets.token_hex(10)},
        "amount": {
            "total": total_fen,
            "payer_total": total_fen,
            "currency": currency,
            "payer_currency": currency,
        },
    }


def new_certificate(private_pem, serial_no, not_before=None, not_after=None):
    """Return the PEM of a self-signed X.509 certificate of ``private_pem``'s key.

    ``serial_no`` is hexadecimal (as WeChat Pay writes platform certificate serials);
    the validity defaults to one day ago .. 5 years ahead (aware or naive-UTC
    datetimes). Throwaway certificates for tests and simulators only.
    """
    key = load_private_key(private_pem)
    now = datetime.now(UTC)
    not_before = not_before or now - timedelta(days=1)
    not_after = not_after or now + timedelta(days=5 * 365)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tenpay.com (test only)"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA (test only)"),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(int(serial_no, 16))
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def wechatpay_certificates_response(
    signer_private_pem, signer_serial, api_v3_key, certificates, timestamp=None
):
    """Return ``(headers, body)`` of a ``GET /v3/certificates`` answer.

    ``certificates`` is a list of dicts with ``serial_no``, ``pem`` and optionally
    ``effective_time`` / ``expire_time`` (RFC 3339 text; taken from the certificate
    when missing). Each PEM is encrypted with the APIv3 key and the answer signed
    with ``signer_private_pem`` under ``signer_serial``, as WeChat Pay does.
    """
    data = []
    for certificate in certificates:
        info = wechatpay.certificate_info(certificate["pem"])
        sealed = wechatpay.encrypt_resource(
            certificate["pem"], api_v3_key, secrets.token_hex(6), "certificate"
        )
        data.append(
            {
                "serial_no": certificate["serial_no"],
                "effective_time": certificate.get("effective_time")
                or info[1].isoformat(timespec="seconds"),
                "expire_time": certificate.get("expire_time")
                or info[2].isoformat(timespec="seconds"),
                "encrypt_certificate": sealed,
            }
        )
    body = json.dumps({"data": data}, ensure_ascii=False, separators=(",", ":"))
    headers = wechatpay_signed_headers(
        signer_private_pem, signer_serial, body, timestamp
    )
    headers["Content-Type"] = "application/json"
    return headers, body
