# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Installments on the invoice portal page: the schedule, and no double payment.

Odoo 18 already lets the customer pay the next installment (or everything) from
the invoice page. Two things are missing and added here:

- the page shows the whole schedule: each installment's due date, amount and
  whether it is paid;
- two tabs, a double click or a retried request (odoo/odoo#287890, #23650) do not
  create a second transaction for the same invoice, installment and amount: the
  request is serialized on an idempotency key (PostgreSQL advisory lock), a draft
  transaction with the same key is reused, and one already sent to the provider
  makes the request fail with a message instead of charging again.
"""

from odoo import fields
from odoo.http import request

from odoo.addons.account_payment.controllers.payment import PaymentPortal
from odoo.addons.account_payment.controllers.portal import PortalAccount
from odoo.addons.payment import utils as payment_utils
from odoo.addons.sales_closing.tools import selection_label

from .portal_payment_key import check_portal_payment_kwargs, claim_portal_payment


class SalesClosingInstallmentPayment(PaymentPortal):
    def _process_transaction(
        self, partner_id, currency_id, invoice_ids, payment_reference, **kwargs
    ):
        """Override of `account_payment`: one transaction per invoice installment."""
        if len(invoice_ids or []) != 1 or kwargs.get("is_validation"):
            return super()._process_transaction(
                partner_id, currency_id, invoice_ids, payment_reference, **kwargs
            )
        check_portal_payment_kwargs(kwargs)
        # sudo: the invoice access was checked by the route (access token)
        invoice = request.env["account.move"].sudo().browse(invoice_ids)
        amount = payment_utils.to_major_currency_units(
            payment_utils.to_minor_currency_units(
                float(kwargs.get("amount") or 0.0), invoice.currency_id
            ),
            invoice.currency_id,
        )
        base_key = invoice._sales_closing_portal_payment_key(partner_id, amount)
        reused = claim_portal_payment(
            base_key,
            kwargs,
            lambda existing: request.env._(
                "A payment of %(amount)s for invoice %(invoice)s is already "
                "under way (status %(state)s, reference %(reference)s); it was "
                "not charged again. Reload the page to see what is left to pay.",
                amount=invoice.currency_id.format(amount),
                invoice=invoice.name,
                state=selection_label(existing, "state", existing.state),
                reference=existing.reference,
            ),
        )
        if reused is not None:
            return reused
        return super()._process_transaction(
            partner_id, currency_id, invoice_ids, payment_reference, **kwargs
        )


class SalesClosingInstallmentPortal(PortalAccount):
    def _invoice_get_page_view_values(self, invoice, access_token, **kwargs):
        """Override of `account_payment`: add the installment schedule."""
        values = super()._invoice_get_page_view_values(invoice, access_token, **kwargs)
        values["sales_closing_installments"] = (
            invoice._sales_closing_portal_installments()
        )
        # sudo: the portal customer reads whether their invoice is charged
        # automatically, not the plan itself
        values["sales_closing_plan"] = (
            request.env["sales.closing.installment.plan"]
            .sudo()
            .search(
                [("invoice_id", "=", invoice.id), ("state", "=", "running")], limit=1
            )
        )
        values["sales_closing_today"] = fields.Date.context_today(invoice)
        return values
