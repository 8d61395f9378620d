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

from datetime import timedelta

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.http import request
from odoo.tools import SQL

from odoo.addons.account_payment.controllers.payment import PaymentPortal
from odoo.addons.account_payment.controllers.portal import PortalAccount
from odoo.addons.payment import utils as payment_utils

from ..models.sales_closing_installment_plan_line import TX_KEY_FIELD

#: A draft portal transaction older than this is taken as abandoned.
ABANDONED_AFTER_HOURS = 1


class SalesClosingInstallmentPayment(PaymentPortal):
    def _process_transaction(
        self, partner_id, currency_id, invoice_ids, payment_reference, **kwargs
    ):
        """Override of `account_payment`: one transaction per invoice installment."""
        if len(invoice_ids or []) != 1 or kwargs.get("is_validation"):
            return super()._process_transaction(
                partner_id, currency_id, invoice_ids, payment_reference, **kwargs
            )
        # sudo: the invoice access was checked by the route (access token)
        invoice = request.env["account.move"].sudo().browse(invoice_ids)
        amount = payment_utils.to_major_currency_units(
            payment_utils.to_minor_currency_units(
                float(kwargs.get("amount") or 0.0), invoice.currency_id
            ),
            invoice.currency_id,
        )
        base_key = invoice._sales_closing_portal_payment_key(partner_id, amount)
        # Serialize the requests paying the same installment: the second waits
        # for the first to commit, then finds its transaction.
        request.env.cr.execute(
            SQL("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", base_key)
        )
        key, existing = invoice._sales_closing_portal_transaction_slot(
            partner_id,
            amount,
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
                    "A payment of %(amount)s for invoice %(invoice)s is already "
                    "under way (status %(state)s, reference %(reference)s); it was "
                    "not charged again. Reload the page to see what is left to pay.",
                    amount=invoice.currency_id.format(amount),
                    invoice=invoice.name,
                    state=dict(
                        existing._fields["state"]._description_selection(request.env)
                    ).get(existing.state, existing.state),
                    reference=existing.reference,
                )
            )
        request.update_context(sales_closing_portal_payment_key=key)
        return super()._process_transaction(
            partner_id, currency_id, invoice_ids, payment_reference, **kwargs
        )

    def _create_transaction(self, *args, custom_create_values=None, **kwargs):
        """Override of `payment`: store the idempotency key on the transaction."""
        key = request.env.context.get("sales_closing_portal_payment_key")
        if key and TX_KEY_FIELD in request.env["payment.transaction"]._fields:
            custom_create_values = dict(
                custom_create_values or {}, **{TX_KEY_FIELD: key}
            )
        return super()._create_transaction(
            *args, custom_create_values=custom_create_values, **kwargs
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
