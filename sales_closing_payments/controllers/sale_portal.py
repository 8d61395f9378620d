"""No double payment of a sales order from the portal (authorize at order).

Two tabs, a double click or a retried request (odoo/odoo#287890, #23650) paying the
same order and amount are serialized on an idempotency key (PostgreSQL advisory
lock): a draft transaction with the same key is reused, and one already sent to the
provider (pending, authorized, confirmed) makes the request fail with a message
instead of charging again.
"""

from datetime import timedelta

from odoo import fields, http
from odoo.exceptions import AccessError, MissingError, ValidationError
from odoo.http import request
from odoo.tools import SQL

from odoo.addons.payment import utils as payment_utils
from odoo.addons.sale.controllers.portal import PaymentPortal

#: A draft portal transaction older than this is taken as abandoned.
ABANDONED_AFTER_HOURS = 1
KEY_CONTEXT = "sales_closing_order_payment_key"


class SalesClosingOrderPayment(PaymentPortal):
    @http.route()
    def portal_order_transaction(self, order_id, access_token, **kwargs):
        """Override of `sale`: one live transaction per order, partner and amount."""
        try:
            order_sudo = self._document_check_access(
                "sale.order", order_id, access_token
            )
        except (AccessError, MissingError):
            # let the standard route answer with its own error
            return super().portal_order_transaction(order_id, access_token, **kwargs)
        if kwargs.get("is_validation") or not kwargs.get("amount"):
            return super().portal_order_transaction(order_id, access_token, **kwargs)
        logged_in = not request.env.user._is_public()
        partner = (
            request.env.user.partner_id if logged_in else order_sudo.partner_invoice_id
        )
        currency = order_sudo.currency_id
        amount = payment_utils.to_major_currency_units(
            payment_utils.to_minor_currency_units(float(kwargs["amount"]), currency),
            currency,
        )
        base_key = order_sudo._sales_closing_portal_payment_key(partner.id, amount)
        # The second request paying the same order waits for the first to commit,
        # then finds its transaction.
        request.env.cr.execute(
            SQL("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", base_key)
        )
        key, existing = request.env["payment.transaction"]._sales_closing_portal_slot(
            base_key,
            stale_before=fields.Datetime.now() - timedelta(hours=ABANDONED_AFTER_HOURS),
        )
        if (
            existing.state == "draft"
            and kwargs.get("flow") != "token"
            and existing.provider_id.id == int(kwargs.get("provider_id") or 0)
        ):
            # the same payment asked again (double click, second tab, retry)
            return existing._get_processing_values()
        if existing:
            raise ValidationError(
                request.env._(
                    "A payment of %(amount)s for order %(order)s is already under way "
                    "(reference %(reference)s); it was not charged again. Reload the "
                    "page to see what is left to pay.",
                    amount=currency.format(amount),
                    order=order_sudo.name,
                    reference=existing.reference,
                )
            )
        request.update_context(**{KEY_CONTEXT: key})
        return super().portal_order_transaction(order_id, access_token, **kwargs)

    def _create_transaction(self, *args, custom_create_values=None, **kwargs):
        """Override of `payment`: store the order payment key on the transaction."""
        key = request.env.context.get(KEY_CONTEXT)
        if key:
            custom_create_values = dict(
                custom_create_values or {}, sales_closing_idempotency_key=key
            )
        return super()._create_transaction(
            *args, custom_create_values=custom_create_values, **kwargs
        )
