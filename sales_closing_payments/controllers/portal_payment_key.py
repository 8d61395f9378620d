# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""One live portal transaction per document, partner and amount.

Two tabs, a double click or a retried request (odoo/odoo#287890, #23650) paying
the same document and amount are serialized on an idempotency key (PostgreSQL
advisory lock): a draft transaction with the same key is reused, and one already
sent to the provider (pending, authorized, confirmed) makes the request fail
instead of charging again. The order and invoice payment routes both call
:func:`claim_portal_payment`; the key reaches the new transaction through the
context.
"""

import math
from datetime import timedelta

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.http import request
from odoo.tools import SQL

from odoo.addons.payment.controllers import portal as payment_portal

#: A draft portal transaction older than this is taken as abandoned.
ABANDONED_AFTER_HOURS = 1
KEY_CONTEXT = "sales_closing_portal_payment_key"
#: The ids a payment request names, checked before anything uses them.
ID_KWARGS = ("provider_id", "payment_method_id", "token_id")


def check_portal_payment_kwargs(kwargs):
    """Refuse a payment request whose ids or amount are junk.

    ``provider_id`` (required), ``payment_method_id`` and ``token_id`` must be
    integers, the provider an enabled or test one; ``amount`` a finite number
    not below zero. Raises ValidationError (a client error, never an internal
    one) otherwise; returns the provider (sudo).
    """
    env = request.env
    invalid = ValidationError(env._("The provided parameters are invalid."))
    ids = {}
    for name in ID_KWARGS:
        value = kwargs.get(name)
        if value in (None, False, "") and name != "provider_id":
            continue
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise invalid
        try:
            ids[name] = int(value)
        except (TypeError, ValueError, OverflowError):
            raise invalid from None
        if not 0 < ids[name] < 2**31:
            raise invalid
    amount = kwargs.get("amount")
    if amount not in (None, False, ""):
        try:
            amount = float(amount)
        except (TypeError, ValueError, OverflowError):
            raise invalid from None
        if not math.isfinite(amount) or amount < 0:
            raise invalid
    # sudo: the portal customer may not read providers; only existence is checked
    provider = env["payment.provider"].sudo().browse(ids["provider_id"]).exists()
    if not provider or provider.state == "disabled":
        raise invalid
    return provider


def claim_portal_payment(base_key, kwargs, refusal):
    """Claim the portal payment of idempotency ``base_key``.

    Returns the processing values of the draft transaction to reuse when the same
    payment is asked again, else ``None`` after putting the key of the new
    transaction in the request context. Raises ``ValidationError`` with the
    message ``refusal(transaction)`` when a payment of that key is under way.
    """
    # The second request paying the same document waits for the first to commit,
    # then finds its transaction.
    request.env.cr.execute(
        SQL("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", base_key)
    )
    key, existing = request.env["payment.transaction"]._sales_closing_portal_slot(
        base_key,
        stale_before=fields.Datetime.now() - timedelta(hours=ABANDONED_AFTER_HOURS),
    )
    provider = check_portal_payment_kwargs(kwargs)
    if (
        existing.state == "draft"
        and kwargs.get("flow") != "token"
        and existing.provider_id == provider
    ):
        # the same payment asked again (double click, second tab, retry)
        return existing._get_processing_values()
    if existing:
        raise ValidationError(refusal(existing))
    request.update_context(**{KEY_CONTEXT: key})
    return None


class SalesClosingPortalPaymentKey(payment_portal.PaymentPortal):
    def _create_transaction(self, *args, custom_create_values=None, **kwargs):
        """Override of `payment`: store the claimed key on the transaction."""
        key = request.env.context.get(KEY_CONTEXT)
        if key:
            custom_create_values = dict(
                custom_create_values or {}, sales_closing_idempotency_key=key
            )
        return super()._create_transaction(
            *args, custom_create_values=custom_create_values, **kwargs
        )
