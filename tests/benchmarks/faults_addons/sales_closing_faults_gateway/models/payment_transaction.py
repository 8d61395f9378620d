# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Odoo's demo provider, given a gateway: the fault-injection run's simulator.

Odoo's demo provider decides a payment in process, so no request of it can
time out or be answered twice. Installed on the run's database only, this
module sends its charges, captures, voids and refunds first to the gateway simulator of
``tests/benchmarks/faults.py`` (a loopback URL in the system parameter
``sales_closing_faults.gateway_url``), with the idempotency key our addon
gives the request, and lets payment_demo record the result only when the
gateway answered; ``_sales_closing_query_outcome`` asks the simulator about a
key. Without the parameter, payment_demo works as in Odoo.
"""

import requests

from odoo import models
from odoo.exceptions import ValidationError

from odoo.addons.sales_closing_payments.models import payment_transaction as ours

URL_PARAM = "sales_closing_faults.gateway_url"
TIMEOUT_PARAM = "sales_closing_faults.gateway_timeout"


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _faults_gateway(self):
        # sudo: technical parameters of the test run
        params = self.env["ir.config_parameter"].sudo()
        url = params.get_param(URL_PARAM)
        if not url or self.provider_code != "demo":
            return None, None
        return url.rstrip("/"), float(params.get_param(TIMEOUT_PARAM) or 5)

    def _faults_key(self, operation):
        return (
            self.env.context.get("sales_closing_idempotency_key")
            or self.sales_closing_idempotency_key
            or f"{self.reference}:{operation}"
        )

    def _faults_send(self, operation, amount):
        """Send ``operation`` to the gateway; True when it was performed, False
        when refused; raises ValidationError when no answer came."""
        url, timeout = self._faults_gateway()
        payload = {
            "operation": operation,
            "key": self._faults_key(operation),
            "reference": self.reference,
            "amount": amount,
        }
        try:
            response = requests.post(
                f"{url}/demo/{operation}", json=payload, timeout=timeout
            )
        except requests.exceptions.RequestException as error:
            raise ValidationError(
                f"Demo gateway: no answer to the {operation} of {self.reference}: "
                f"{error}"
            ) from error
        if response.status_code >= 500:
            raise ValidationError(
                f"Demo gateway: HTTP {response.status_code} to the {operation} of "
                f"{self.reference}"
            )
        return response.json().get("status") == "done"

    def _send_payment_request(self):
        if not self._faults_gateway()[0]:
            return super()._send_payment_request()
        if not self._faults_send("charge", self.amount):
            self._set_error("Demo gateway: the charge was declined.")
            return None
        return super()._send_payment_request()

    def _send_capture_request(self, amount_to_capture=None):
        if self._faults_gateway()[0] and not self._faults_send(
            "capture", amount_to_capture or self.amount
        ):
            raise ValidationError(
                f"Demo gateway: the capture of {self.reference} was declined."
            )
        return super()._send_capture_request(amount_to_capture=amount_to_capture)

    def _send_void_request(self, amount_to_void=None):
        if self._faults_gateway()[0] and not self._faults_send(
            "void", amount_to_void or self.amount
        ):
            raise ValidationError(
                f"Demo gateway: the void of {self.reference} was declined."
            )
        return super()._send_void_request(amount_to_void=amount_to_void)

    def _send_refund_request(self, amount_to_refund=None):
        if self._faults_gateway()[0] and not self._faults_send(
            "refund", amount_to_refund or self.amount
        ):
            raise ValidationError(
                f"Demo gateway: the refund of {self.reference} was declined."
            )
        return super()._send_refund_request(amount_to_refund=amount_to_refund)

    def _sales_closing_query_outcome(self, key=None, operation=None, request_ref=None):
        """The simulator knows every request by its idempotency key, whatever
        its operation."""
        url, timeout = self._faults_gateway()
        if not url:
            return super()._sales_closing_query_outcome(
                key=key, operation=operation, request_ref=request_ref
            )
        try:
            response = requests.get(
                f"{url}/demo/query",
                params={"key": key or self._faults_key("charge")},
                timeout=timeout,
            )
        except requests.exceptions.RequestException:
            return ours.OUTCOME_UNKNOWN
        if response.status_code != 200:
            return ours.OUTCOME_UNKNOWN
        return {
            "done": ours.OUTCOME_DONE,
            "declined": ours.OUTCOME_DECLINED,
            "absent": ours.OUTCOME_ABSENT,
        }.get(response.json().get("status"), ours.OUTCOME_UNKNOWN)
