"""No double payment of a sales order from the portal (authorize at order):
the order payment route claims its idempotency key with
:func:`.portal_payment_key.claim_portal_payment`, as the invoice route does."""

from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from odoo.addons.payment import utils as payment_utils
from odoo.addons.sale.controllers.portal import PaymentPortal

from .portal_payment_key import check_portal_payment_kwargs, claim_portal_payment


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
        check_portal_payment_kwargs(kwargs)
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
        reused = claim_portal_payment(
            base_key,
            kwargs,
            lambda existing: request.env._(
                "A payment of %(amount)s for order %(order)s is already under way "
                "(reference %(reference)s); it was not charged again. Reload the "
                "page to see what is left to pay.",
                amount=currency.format(amount),
                order=order_sudo.name,
                reference=existing.reference,
            ),
        )
        if reused is not None:
            return reused
        return super().portal_order_transaction(order_id, access_token, **kwargs)
