from odoo import fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.payment import utils as payment_utils

from ..engine.idempotency import operation_key


class AccountMove(models.Model):
    _inherit = "account.move"

    # Payment reminders (dunning)
    sales_closing_dunning_level_id = fields.Many2one(
        "sales.closing.dunning.level",
        string="Reminder Level",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Highest payment reminder level sent for this invoice.",
        groups="sales_closing.group_closing_user,sales_closing.group_closing_auditor",
    )
    sales_closing_dunning_date = fields.Datetime(
        string="Last Reminder", readonly=True, copy=False
    )
    sales_closing_dunning_line_ids = fields.One2many(
        "sales.closing.dunning.line",
        "invoice_id",
        string="Payment Reminders",
        readonly=True,
        groups="sales_closing.group_closing_accountant,sales_closing.group_closing_auditor",
    )

    # Installment plans
    sales_closing_installment_plan_ids = fields.One2many(
        "sales.closing.installment.plan",
        "invoice_id",
        string="Installment Plans",
        groups="sales_closing.group_closing_user,sales_closing.group_closing_auditor",
    )

    # ------------------------------------------------------------------
    # Capture at delivery: reconcile captures, refund credit notes online
    # ------------------------------------------------------------------
    def _post(self, soft=True):
        posted = super()._post(soft)
        posted._sales_closing_reconcile_captures()
        posted._sales_closing_refund_online()
        return posted

    def _sales_closing_reconcile_captures(self):
        """Reconcile the invoices with the payments of their partial captures.

        Odoo reconciles an invoice posted after its payment with the payments of
        its own transactions; partial captures are child transactions, whose
        payments it does not see.
        """
        invoices = self.filtered(lambda move: move.move_type == "out_invoice")
        # sudo: accountants post invoices; transactions may be read-protected
        captures = invoices.sudo().transaction_ids.child_transaction_ids.filtered(
            lambda tx: (
                tx.state == "done"
                and tx.operation == tx.source_transaction_id.operation
                and tx.payment_id.state == "in_process"
            )
        )
        if not captures:
            return
        for invoice in invoices:
            payments = captures.filtered(
                lambda tx, invoice=invoice: (
                    invoice in tx.source_transaction_id.invoice_ids
                )
            ).payment_id
            lines = payments.move_id.line_ids.filtered(
                lambda line: (
                    line.account_type == "asset_receivable" and not line.reconciled
                )
            )
            for line in lines:
                if invoice.amount_residual <= 0:
                    break
                invoice.js_assign_outstanding_line(line.id)

    def _sales_closing_refund_online(self):
        """Refund posted credit notes through the provider of the invoice payment.

        The refund goes to the confirmed transactions (captures included) of the
        reversed invoice, up to the credit note's open amount and what is still
        refundable on them, once per credit note (idempotency key).
        """
        credit_notes = self.filtered(
            lambda move: (
                move.move_type == "out_refund"
                and move.reversed_entry_id
                and move.company_id.sales_closing_refund_on_credit_note
                and move.amount_residual > 0
            )
        )
        for credit_note in credit_notes:
            invoice = credit_note.reversed_entry_id
            currency = credit_note.currency_id
            # sudo: the provider and transactions are restricted models
            txs = invoice.sudo().transaction_ids
            txs |= txs.child_transaction_ids.filtered(
                lambda tx: tx.operation == tx.source_transaction_id.operation
            )
            txs |= invoice.sudo()._get_reconciled_payments().payment_transaction_id
            txs = txs.filtered(
                lambda tx, currency=currency: (
                    tx.state == "done"
                    and tx.operation not in ("validation", "refund")
                    and tx.payment_id
                    and tx.currency_id == currency
                    and tx.provider_id.support_refund in ("partial", "full_only")
                )
            ).sorted("id")
            left = credit_note.amount_residual
            for tx in txs:
                if credit_note.currency_id.compare_amounts(left, 0) <= 0:
                    break
                room = tx._sales_closing_refundable_amount()
                part = credit_note.currency_id.round(min(room, left))
                if part <= 0 or (
                    tx.provider_id.support_refund == "full_only"
                    and credit_note.currency_id.compare_amounts(part, tx.amount)
                ):
                    continue
                try:
                    with self.env.cr.savepoint():
                        refund_tx = tx._sales_closing_refund(
                            part, f"move:{credit_note.id}", invoices=credit_note
                        )
                except (UserError, ValidationError) as error:
                    credit_note.message_post(
                        body=self.env._(
                            "The refund of %(amount)s through %(provider)s failed: "
                            "%(error)s. Refund the customer manually.",
                            amount=part,
                            provider=tx.provider_id.name,
                            error=error,
                        )
                    )
                    continue
                left -= part
                credit_note.message_post(
                    body=self.env._(
                        "Refund of %(amount)s requested through %(provider)s "
                        "(transaction %(ref)s).",
                        amount=part,
                        provider=tx.provider_id.name,
                        ref=refund_tx.reference,
                    )
                )

    def action_sales_closing_installment_plan(self):
        """Open the invoice's installment plan, or a new one from its payment terms."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_closing_payments.action_sales_closing_installment_plan"
        )
        plan = self.sales_closing_installment_plan_ids.filtered(
            lambda plan: plan.state != "cancel"
        )[:1]
        if plan:
            action.update(res_id=plan.id, views=[(False, "form")], view_mode="form")
            return action
        action.update(
            views=[(False, "form")],
            view_mode="form",
            context={
                "default_invoice_id": self.id,
                "default_partner_id": self.partner_id.id,
                "default_currency_id": self.currency_id.id,
                "default_company_id": self.company_id.id,
                "default_user_id": (self.invoice_user_id or self.env.user).id,
                "default_token_id": self.env["sales.closing.installment.plan"]
                ._default_token(self.partner_id, self.company_id)
                .id,
            },
        )
        return action

    def _sales_closing_portal_installments(self):
        """Return the installment schedule shown on the invoice portal page.

        One dict per payment term line (number, due date, amount, left to pay,
        status 'paid', 'partial', 'overdue' or 'due'); empty for a single due date.
        """
        self.ensure_one()
        term_lines = self.line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        )
        if len(term_lines) < 2 or self.move_type != "out_invoice":
            return []
        today = fields.Date.context_today(self)
        sign = -self.direction_sign
        schedule = []
        for installment in term_lines._get_installments_data():
            line = installment["line"]
            amount = sign * line.amount_currency
            residual = installment["amount_residual_currency_unsigned"]
            if line.reconciled or self.currency_id.is_zero(residual):
                status = "paid"
            elif self.currency_id.compare_amounts(residual, amount) < 0:
                status = "partial"
            elif installment["date_maturity"] < today:
                status = "overdue"
            else:
                status = "due"
            schedule.append(
                {
                    "number": installment["number"],
                    "date_maturity": installment["date_maturity"],
                    "amount": amount,
                    "residual": 0.0 if status == "paid" else residual,
                    "status": status,
                }
            )
        return schedule

    def _sales_closing_portal_payment_key(self, partner_id, amount):
        """Return the idempotency key of a portal payment of ``amount``.

        The key names the installment being paid (Odoo's next installment, the
        full amount or a custom amount), so paying installment 1 twice gives the
        same key while paying installment 2 of the same amount afterwards does not.
        """
        self.ensure_one()
        currency = self.currency_id
        values = self._get_invoice_next_payment_values()
        if values.get("installment_state") in ("next", "overdue") and not (
            currency.compare_amounts(amount, values["next_amount_to_pay"])
        ):
            installment = values["next_payment_reference"]
        elif not currency.compare_amounts(amount, self.amount_residual):
            installment = "full"
        else:
            installment = "amount"
        return operation_key(
            "portal",
            self.name or f"account.move,{self.id}",
            "pay",
            payment_utils.to_minor_currency_units(amount, currency),
            scope=f"invoice:{self.id}|partner:{partner_id}|installment:{installment}",
        )
