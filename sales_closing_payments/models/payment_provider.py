# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Alipay and WeChat Pay providers: credentials, gateway URLs and signed API calls.

The signatures, request bodies and notification checks live in the pure engines
(``engine/alipay.py``, ``engine/wechatpay.py``); this model only holds the
credentials, picks the production or sandbox URL from the provider state and sends
the requests with ``requests``.
"""

import json
import logging
from datetime import timedelta

import requests

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..engine import alipay as alipay_engine
from ..engine import wechatpay as wechatpay_engine
from ..engine.common import PaymentEngineError

_logger = logging.getLogger(__name__)

#: Currencies the domestic Alipay and WeChat Pay merchant APIs settle in.
SUPPORTED_CURRENCIES = {"alipay": ("CNY",), "wechatpay": ("CNY",)}
DEFAULT_PAYMENT_METHOD_CODES = {"alipay": {"alipay"}, "wechatpay": {"wechat_pay"}}
REQUEST_TIMEOUT = 15
#: The cron downloads the WeChat Pay platform certificate this many days before expiry.
WECHATPAY_CERT_REFRESH_DAYS = 10
#: System parameter: the URL of the Alipay gateway in test mode (a simulator).
ALIPAY_SANDBOX_URL_PARAM = "sales_closing_payments.alipay_sandbox_url"
#: Stripe endpoints that move money and take our idempotency key.
STRIPE_KEYED_ENDPOINTS = ("payment_intents", "refunds")


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    code = fields.Selection(
        selection_add=[("alipay", "Alipay"), ("wechatpay", "WeChat Pay")],
        ondelete={"alipay": "set default", "wechatpay": "set default"},
    )

    # Alipay (open platform, public-key mode, RSA2)
    alipay_app_id = fields.Char(
        string="Alipay App ID",
        required_if_provider="alipay",
        groups="base.group_system",
        help="The APPID of the application on the Alipay open platform.",
    )
    alipay_merchant_private_key = fields.Text(
        string="Alipay Merchant Private Key",
        groups="base.group_system",
        help="The application private key (PEM or bare base64), used to sign requests "
        "with RSA2.",
    )
    alipay_public_key = fields.Text(
        string="Alipay Public Key",
        groups="base.group_system",
        help="Alipay's public key (not the application public key), used to verify "
        "responses and asynchronous notifications.",
    )
    alipay_seller_id = fields.Char(
        string="Alipay Seller ID",
        groups="base.group_system",
        help="The PID of the merchant account (2088...). When set, a notification "
        "for another seller account is refused.",
    )
    alipay_payment_mode = fields.Selection(
        selection=[("page", "Page pay (redirect)"), ("qr", "QR code (pre-create)")],
        string="Alipay Payment Mode",
        default="page",
        help="Page pay redirects the buyer to Alipay's cashier; QR code shows a code "
        "the buyer scans with the Alipay app.",
    )

    # WeChat Pay API v3 (merchant direct mode, Native payment)
    wechatpay_mch_id = fields.Char(
        string="WeChat Pay Merchant ID",
        required_if_provider="wechatpay",
        groups="base.group_system",
    )
    wechatpay_app_id = fields.Char(
        string="WeChat Pay App ID",
        required_if_provider="wechatpay",
        groups="base.group_system",
    )
    wechatpay_api_v3_key = fields.Char(
        string="WeChat Pay APIv3 Key",
        groups="base.group_system",
        help="The 32-character APIv3 key that decrypts the notification resources.",
    )
    wechatpay_serial_no = fields.Char(
        string="Merchant Certificate Serial Number",
        groups="base.group_system",
        help="The serial number of the merchant API certificate, sent with each "
        "signed request.",
    )
    wechatpay_private_key = fields.Text(
        string="WeChat Pay Merchant Private Key",
        groups="base.group_system",
        help="The private key of the merchant API certificate (apiclient_key.pem).",
    )
    wechatpay_platform_serial = fields.Char(
        string="Platform Certificate Serial",
        groups="base.group_system",
        help="The serial of the WeChat Pay platform certificate or the ID of the "
        "WeChat Pay public key (PUB_KEY_ID_...), as sent in the Wechatpay-Serial "
        "header.",
    )
    wechatpay_platform_certificate = fields.Text(
        string="Platform Certificate",
        groups="base.group_system",
        help="The WeChat Pay platform certificate or public key (PEM), used to verify "
        "responses and notifications.",
    )
    wechatpay_platform_cert_expiry = fields.Datetime(
        string="Platform Certificate Expiry",
        compute="_compute_wechatpay_platform_cert_expiry",
        store=True,
        help="When the platform certificate expires (empty for a WeChat Pay public "
        "key, which does not expire). A daily job downloads the new certificate "
        "10 days before.",
    )
    wechatpay_sandbox_url = fields.Char(
        string="WeChat Pay Test URL",
        groups="base.group_system",
        help="WeChat Pay API v3 has no public sandbox: in test mode requests go to "
        "this base URL (a simulator) when set, else to the production API with your "
        "test merchant account.",
    )

    # === COMPUTE METHODS === #

    def _compute_feature_support_fields(self):
        """Override of `payment`: both providers refund partially."""
        res = super()._compute_feature_support_fields()
        self.filtered(lambda p: p.code in ("alipay", "wechatpay")).update(
            {"support_refund": "partial"}
        )
        return res

    @api.depends("wechatpay_platform_certificate")
    def _compute_wechatpay_platform_cert_expiry(self):
        for provider in self:
            # sudo: the certificate is restricted to base.group_system
            pem = provider.sudo().wechatpay_platform_certificate
            info = None
            if pem:
                try:
                    info = wechatpay_engine.certificate_info(pem)
                except wechatpay_engine.WeChatPayError:
                    info = None
            provider.wechatpay_platform_cert_expiry = (
                info[2].replace(tzinfo=None) if info else False
            )

    # === CONSTRAINT METHODS === #

    @api.constrains("state", "code", "wechatpay_api_v3_key")
    def _check_wechatpay_api_v3_key(self):
        for provider in self.sudo():
            key = provider.wechatpay_api_v3_key
            if provider.code == "wechatpay" and key and len(key.encode()) != 32:
                raise ValidationError(
                    self.env._(
                        "The APIv3 key of the WeChat Pay provider %(name)s must be "
                        "exactly 32 characters long.",
                        name=provider.name,
                    )
                )

    # === BUSINESS METHODS - IDEMPOTENCY (capture at delivery) === #

    def _stripe_make_request(
        self, endpoint, payload=None, method="POST", offline=False, idempotency_key=None
    ):
        """Override of `payment_stripe`: send our idempotency key with the money
        requests (payment intents, captures, voids, refunds), so that a retried or
        repeated request is answered by Stripe without charging twice.

        Only called when payment_stripe is installed (it loads before this addon).
        """
        key = self.env.context.get("sales_closing_idempotency_key")
        if (
            key
            and not idempotency_key
            and method == "POST"
            and (
                endpoint in STRIPE_KEYED_ENDPOINTS
                or endpoint.endswith(("/capture", "/cancel"))
            )
        ):
            idempotency_key = key
        return super()._stripe_make_request(
            endpoint,
            payload=payload,
            method=method,
            offline=offline,
            idempotency_key=idempotency_key,
        )

    # === CRUD: the notification endpoints cache the credentials === #

    @api.model_create_multi
    def create(self, vals_list):
        providers = super().create(vals_list)
        self.env.registry.clear_cache()
        return providers

    def write(self, vals):
        result = super().write(vals)
        # Any provider write may change a key, a state or a company: drop the
        # credentials cached by sales.closing.payment.notification, in every worker.
        self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    # === BUSINESS METHODS - GETTERS === #

    def _get_supported_currencies(self):
        """Override of `payment`: Alipay and WeChat Pay settle in CNY."""
        supported = super()._get_supported_currencies()
        if self.code in SUPPORTED_CURRENCIES:
            supported = supported.filtered(
                lambda c: c.name in SUPPORTED_CURRENCIES[self.code]
            )
        return supported

    def _get_default_payment_method_codes(self):
        """Override of `payment`: Alipay and WeChat Pay payment methods."""
        codes = super()._get_default_payment_method_codes()
        if self.code not in DEFAULT_PAYMENT_METHOD_CODES:
            return codes
        return DEFAULT_PAYMENT_METHOD_CODES[self.code]

    def _sales_closing_is_sandbox(self):
        """Tell whether the provider talks to the sandbox (provider state 'test')."""
        self.ensure_one()
        return self.state == "test"

    def _alipay_gateway_url(self):
        """Return Alipay's production or sandbox gateway URL.

        In test mode, the system parameter ``ALIPAY_SANDBOX_URL_PARAM`` (a
        simulator's URL, for trials and the fault-injection run) replaces
        Alipay's sandbox, as the WeChat Pay provider's Test URL does.
        """
        self.ensure_one()
        sandbox = self._sales_closing_is_sandbox()
        if sandbox:
            # sudo: a technical parameter, set by administrators only
            url = (
                self.env["ir.config_parameter"]
                .sudo()
                .get_param(ALIPAY_SANDBOX_URL_PARAM)
            )
            if url:
                return url
        return alipay_engine.gateway_url(sandbox=sandbox)

    def _wechatpay_api_url(self):
        """Return the base URL of the WeChat Pay API v3 for the provider state."""
        self.ensure_one()
        if self._sales_closing_is_sandbox() and self.sudo().wechatpay_sandbox_url:
            return self.sudo().wechatpay_sandbox_url.rstrip("/")
        return wechatpay_engine.API_BASE_URL

    def _wechatpay_platform_keys(self):
        """Return {serial: platform certificate or public key PEM}."""
        self.ensure_one()
        provider = self.sudo()  # credentials are restricted to base.group_system
        if not (
            provider.wechatpay_platform_serial
            and provider.wechatpay_platform_certificate
        ):
            return {}
        return {
            provider.wechatpay_platform_serial.strip(): (
                provider.wechatpay_platform_certificate
            )
        }

    def _sales_closing_notify_url(self):
        """Return the asynchronous notification URL of the provider."""
        self.ensure_one()
        return f"{self.get_base_url()}/payment/{self.code}/notify"

    def _sales_closing_credentials_error(self, missing):
        """Return the error raised when credentials are missing."""
        return ValidationError(
            self.env._(
                "The %(provider)s provider %(name)s is missing: %(fields)s.",
                provider=self._get_provider_name(),
                name=self.name,
                fields=", ".join(missing),
            )
        )

    # === BUSINESS METHODS - ALIPAY === #

    def _alipay_check_credentials(self):
        self.ensure_one()
        provider = self.sudo()  # credentials are restricted to base.group_system
        missing = [
            label
            for label, value in (
                ("App ID", provider.alipay_app_id),
                ("merchant private key", provider.alipay_merchant_private_key),
                ("Alipay public key", provider.alipay_public_key),
            )
            if not value
        ]
        if missing:
            raise self._sales_closing_credentials_error(missing)
        return provider

    def _alipay_signed_params(self, builder, *args, **kwargs):
        """Return the signed parameters built by an engine ``*_request`` function."""
        provider = self._alipay_check_credentials()
        try:
            return builder(
                provider.alipay_app_id,
                provider.alipay_merchant_private_key,
                *args,
                **kwargs,
            )
        except (PaymentEngineError, ValueError, TypeError) as error:
            raise ValidationError(
                self.env._(
                    "Alipay: the request cannot be built: %(error)s", error=error
                )
            ) from error

    def _alipay_call(self, method, params):
        """Post signed ``params`` to the gateway and return the verified content.

        Raises ValidationError when the gateway cannot be reached, when the response
        signature does not verify or when Alipay refuses the request.
        """
        provider = self._alipay_check_credentials()
        url = self._alipay_gateway_url()
        try:
            response = requests.post(
                url,
                data=params,
                params={"charset": "utf-8"},
                timeout=REQUEST_TIMEOUT,
            )
            response.raise_for_status()
        except requests.exceptions.RequestException as error:
            _logger.warning("Alipay %s failed: %s", method, error)
            raise ValidationError(
                self.env._(
                    "Alipay: the gateway could not be reached (%(method)s): %(error)s",
                    method=method,
                    error=error,
                )
            ) from error
        try:
            return alipay_engine.parse_response(
                response.content.decode("utf-8"), method, provider.alipay_public_key
            )
        except alipay_engine.AlipayError as error:
            _logger.warning("Alipay %s refused: %s", method, error)
            raise ValidationError(
                self.env._("Alipay (%(method)s): %(error)s", method=method, error=error)
            ) from error

    # === BUSINESS METHODS - WECHAT PAY === #

    def _wechatpay_check_credentials(self, platform=True):
        """Return the provider in sudo, or raise if credentials are missing.

        ``platform=False`` leaves out the platform certificate, which the
        certificate download fetches with the merchant credentials alone.
        """
        self.ensure_one()
        provider = self.sudo()  # credentials are restricted to base.group_system
        checks = [
            ("merchant ID", provider.wechatpay_mch_id),
            ("App ID", provider.wechatpay_app_id),
            ("APIv3 key", provider.wechatpay_api_v3_key),
            ("merchant serial number", provider.wechatpay_serial_no),
            ("merchant private key", provider.wechatpay_private_key),
        ]
        if platform:
            checks += [
                ("platform certificate serial", provider.wechatpay_platform_serial),
                ("platform certificate", provider.wechatpay_platform_certificate),
            ]
        missing = [label for label, value in checks if not value]
        if missing:
            raise self._sales_closing_credentials_error(missing)
        return provider

    def _wechatpay_send(self, provider, method, path, body):
        """Send a request signed with the merchant key; return the raw response.

        ``provider`` is the sudo record returned by _wechatpay_check_credentials.
        Raises requests' RequestException when the API cannot be reached.
        """
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "Authorization": wechatpay_engine.authorization_header(
                provider.wechatpay_mch_id,
                provider.wechatpay_serial_no,
                provider.wechatpay_private_key,
                method,
                path,
                body,
            ),
        }
        return requests.request(
            method,
            self._wechatpay_api_url() + path,
            data=body.encode("utf-8") if body else None,
            headers=headers,
            timeout=REQUEST_TIMEOUT,
        )

    def _wechatpay_call(self, request_tuple, allowed_statuses=(200, 204)):
        """Send a signed API v3 request and return ``(status, json_or_None)``.

        ``request_tuple`` is the (method, path, body) triple of an engine builder. The
        response signature is verified against the platform certificate (WeChat signs
        every answer, errors included).
        """
        provider = self._wechatpay_check_credentials()
        method, path, body = request_tuple
        try:
            response = self._wechatpay_send(provider, method, path, body)
        except requests.exceptions.RequestException as error:
            _logger.warning("WeChat Pay %s %s failed: %s", method, path, error)
            raise ValidationError(
                self.env._(
                    "WeChat Pay: the API could not be reached (%(path)s): %(error)s",
                    path=path,
                    error=error,
                )
            ) from error
        status = wechatpay_engine.signature_status(
            response.headers, response.content, self._wechatpay_platform_keys()
        )
        if status != "ok":
            raise ValidationError(
                self.env._(
                    "WeChat Pay: the answer to %(path)s is not signed by WeChat Pay "
                    "(%(status)s); it was ignored.",
                    path=path,
                    status=status,
                )
            )
        payload = None
        if response.content:
            try:
                payload = json.loads(response.content.decode("utf-8"))
            except ValueError:
                payload = None
        if response.status_code not in allowed_statuses:
            detail = (payload or {}).get("message") or response.reason
            code = (payload or {}).get("code") or response.status_code
            raise ValidationError(
                self.env._(
                    "WeChat Pay refused %(path)s (%(code)s): %(detail)s",
                    path=path,
                    code=code,
                    detail=detail,
                )
            )
        return response.status_code, payload

    # === BUSINESS METHODS - WECHAT PAY PLATFORM CERTIFICATE === #

    def _wechatpay_certificate_error(self, reason):
        """Return the UserError of a failed platform certificate download."""
        return UserError(
            self.env._(
                "The platform certificate of the WeChat Pay provider %(name)s could "
                "not be downloaded: %(reason)s",
                name=self.name,
                reason=reason,
            )
        )

    def _wechatpay_certificate_reason(self, error):
        """Return the translated explanation of a WeChatPayCertificateError."""
        reasons = {
            wechatpay_engine.CERT_BAD_SIGNATURE: self.env._(
                "the answer is not signed by WeChat Pay (bad signature)"
            ),
            wechatpay_engine.CERT_STALE: self.env._(
                "the answer timestamp is too far from the current time (check the "
                "server clock)"
            ),
            wechatpay_engine.CERT_DECRYPTION: self.env._(
                "the certificates could not be decrypted (check the APIv3 key)"
            ),
            wechatpay_engine.CERT_MALFORMED: self.env._("the answer is malformed"),
            wechatpay_engine.CERT_NONE_VALID: self.env._(
                "none of the certificates is in force"
            ),
            wechatpay_engine.CERT_UNTRUSTED: self.env._(
                "no platform certificate in force is configured to verify the "
                "answer: enter the serial of the platform certificate shown by "
                "the merchant platform in Platform Certificate Serial, then "
                "download again"
            ),
        }
        label = reasons.get(error.reason) or error.reason
        return f"{label} ({error})"

    def _wechatpay_download_platform_certificate(self):
        """Download the platform certificates and store the newest one in force.

        ``GET /v3/certificates`` is signed with the merchant key; the certificates
        are decrypted with the APIv3 key and the answer must be signed by the
        platform certificate or public key already configured (or, the first
        time, by the downloaded certificate of the configured serial). Nothing is
        stored unless every check passes; an expired certificate is never stored.
        Returns the engine's PlatformCertificate; raises UserError.
        """
        self.ensure_one()
        provider = self._wechatpay_check_credentials(platform=False)
        method, path, body = wechatpay_engine.certificates_request()
        try:
            response = self._wechatpay_send(provider, method, path, body)
        except requests.exceptions.RequestException as error:
            _logger.warning("WeChat Pay %s %s failed: %s", method, path, error)
            raise self._wechatpay_certificate_error(
                self.env._("the API could not be reached (%(error)s)", error=error)
            ) from error
        if response.status_code != 200:
            try:
                payload = json.loads(response.content.decode("utf-8"))
            except ValueError:
                payload = None
            payload = payload if isinstance(payload, dict) else {}
            raise self._wechatpay_certificate_error(
                self.env._(
                    "WeChat Pay answered HTTP %(status)s (%(code)s: %(detail)s)",
                    status=response.status_code,
                    code=payload.get("code") or "-",
                    detail=payload.get("message") or response.reason or "-",
                )
            )
        # The certificate (or WeChat Pay public key) already configured vouches
        # for the download while in force; without one, the configured serial
        # names the downloaded certificate that may verify its own answer (the
        # first download). See the engine's open_certificates_response.
        serial = (provider.wechatpay_platform_serial or "").strip()
        trusted = (
            {serial: provider.wechatpay_platform_certificate}
            if serial and provider.wechatpay_platform_certificate
            else {}
        )
        try:
            chosen, certificates = wechatpay_engine.open_certificates_response(
                response.headers,
                response.content,
                provider.wechatpay_api_v3_key,
                trusted=trusted,
                expected_serial=serial or None,
            )
        except wechatpay_engine.WeChatPayCertificateError as error:
            _logger.warning(
                "WeChat Pay provider %s (id %s): platform certificate refused: %s",
                self.name,
                self.id,
                error,
            )
            raise self._wechatpay_certificate_error(
                self._wechatpay_certificate_reason(error)
            ) from error
        provider.write(
            {
                "wechatpay_platform_serial": chosen.serial_no,
                "wechatpay_platform_certificate": chosen.pem,
            }
        )
        _logger.info(
            "WeChat Pay provider %s (id %s): platform certificate %s stored, valid "
            "until %s (%s certificate(s) downloaded)",
            self.name,
            self.id,
            chosen.serial_no,
            chosen.expire_time.isoformat(),
            len(certificates),
        )
        return chosen

    def action_wechatpay_download_platform_certificate(self):
        """Button: download and store the WeChat Pay platform certificate."""
        if not self.env.user.has_group("base.group_system"):
            raise AccessError(
                self.env._("Only administrators can download platform certificates.")
            )
        chosen = None
        for provider in self:
            chosen = provider._wechatpay_download_platform_certificate()
        if not chosen:
            return True
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "Platform certificate %(serial)s stored, valid until %(date)s.",
                    serial=chosen.serial_no,
                    date=chosen.expire_time.date().isoformat(),
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _wechatpay_platform_certificate_due(self, limit):
        """Tell whether the platform certificate is missing or expires by ``limit``.

        A WeChat Pay public key (no expiry) is never due.
        """
        self.ensure_one()
        provider = self.sudo()
        if not (
            provider.wechatpay_platform_serial
            and provider.wechatpay_platform_certificate
        ):
            return True
        expiry = provider.wechatpay_platform_cert_expiry
        return bool(expiry) and expiry <= limit

    @api.model
    def _cron_wechatpay_refresh_platform_certificates(self):
        """Cron: refresh the missing or expiring platform certificates.

        Looks at the enabled and test WeChat Pay providers whose certificate is
        missing or expires within WECHATPAY_CERT_REFRESH_DAYS days. A provider that
        fails is logged and skipped; the others are still refreshed. Returns the
        providers refreshed.
        """
        limit = fields.Datetime.now() + timedelta(days=WECHATPAY_CERT_REFRESH_DAYS)
        providers = self.sudo().search(
            [("code", "=", "wechatpay"), ("state", "in", ("enabled", "test"))]
        )
        refreshed = self.browse()
        for provider in providers:
            if not provider._wechatpay_platform_certificate_due(limit):
                continue
            try:
                with self.env.cr.savepoint():
                    provider._wechatpay_download_platform_certificate()
            except UserError as error:
                _logger.error(
                    "WeChat Pay provider %s (id %s): platform certificate not "
                    "refreshed: %s",
                    provider.name,
                    provider.id,
                    error,
                )
                continue
            except Exception:
                _logger.exception(
                    "WeChat Pay provider %s (id %s): platform certificate not "
                    "refreshed",
                    provider.name,
                    provider.id,
                )
                continue
            refreshed |= provider
        return refreshed
