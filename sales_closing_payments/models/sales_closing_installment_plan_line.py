"""One charge of an installment plan, and the cron that charges the due ones.

No double charge, by construction:

1. the cron picks due lines with ``SELECT ... FOR UPDATE SKIP LOCKED``: a second
   cron running at the same time skips the lines the first one holds;
2. while holding the lock it marks each line ``processing`` (attempt + 1) and
   creates its draft transaction, then commits *before* asking the provider: a
   later run never selects a ``processing`` line again;
3. the transaction reference is ``<plan>-<line>-<attempt>`` (unique in
   ``payment_transaction``) and carries an idempotency key: even a run that
   bypassed the lock could not create a second charge of the same attempt;
4. a charge whose answer was lost (a timeout or an error answer after the
   provider may have charged, or a run killed during the request) is never
   sent again on a guess: the provider is asked what became of it
   (``payment.transaction._sales_closing_query_outcome``) and the line stays
   ``processing`` until it tells. The line is locked again for its request,
   so the recovery (``SKIP LOCKED``) never asks about a charge on its way.
"""

import logging
import threading

from odoo import Command, api, fields, models
from odoo.tools import SQL
from odoo.tools.sql import create_index

from odoo.addons.payment import utils as payment_utils

from ..engine.idempotency import operation_key
from .payment_transaction import (
    OUTCOME_ABSENT,
    OUTCOME_DECLINED,
    OUTCOME_DONE,
)

_logger = logging.getLogger(__name__)

CHARGEABLE_STATES = ("pending", "retrying")
#: Idempotency key field of ``payment.transaction`` (added by this addon).
TX_KEY_FIELD = "sales_closing_idempotency_key"


class SalesClosingInstallmentPlanLine(models.Model):
    _name = "sales.closing.installment.plan.line"
    _description = "Installment Plan Line"
    _order = "plan_id, sequence, id"
    _rec_name = "sequence"

    plan_id = fields.Many2one(
        "sales.closing.installment.plan",
        string="Plan",
        required=True,
        ondelete="cascade",
        index=True,
    )
    sequence = fields.Integer(string="#", default=1)
    company_id = fields.Many2one(
        related="plan_id.company_id", store=True, index=True, precompute=True
    )
    currency_id = fields.Many2one(
        related="plan_id.currency_id", store=True, precompute=True
    )
    partner_id = fields.Many2one(related="plan_id.partner_id")
    plan_state = fields.Selection(related="plan_id.state", string="Plan Status")
    due_date = fields.Date(required=True)
    period_end = fields.Date(help="Last day of the period of a recurring plan.")
    amount = fields.Monetary(required=True)
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("processing", "Processing"),
            ("retrying", "Retrying"),
            ("paid", "Paid"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        default="pending",
        required=True,
        copy=False,
        index=True,
        help="Processing: sent to the provider, waiting for its answer; never "
        "charged again while in this state.",
    )
    attempts = fields.Integer(readonly=True, copy=False)
    next_attempt_date = fields.Date(
        compute="_compute_next_attempt_date",
        store=True,
        readonly=False,
        copy=False,
        help="The line is charged by the daily cron from this date.",
    )
    last_attempt_date = fields.Datetime(readonly=True, copy=False)
    last_error = fields.Char(readonly=True, copy=False)
    transaction_id = fields.Many2one(
        "payment.transaction",
        string="Last Transaction",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    transaction_ids = fields.Many2many(
        "payment.transaction",
        "sales_closing_installment_line_transaction_rel",
        "line_id",
        "transaction_id",
        string="Transactions",
        readonly=True,
        copy=False,
    )
    transaction_state = fields.Selection(
        related="transaction_id.state", string="Transaction Status"
    )
    move_line_id = fields.Many2one(
        "account.move.line",
        string="Invoice Installment",
        readonly=True,
        copy=False,
        help="The payment term line of the invoice this line pays: only what is "
        "left to pay on it is charged.",
    )
    invoice_id = fields.Many2one(
        "account.move",
        string="Period Invoice",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Invoice of this period of a recurring plan.",
    )

    def init(self):
        create_index(
            self.env.cr,
            "sales_closing_installment_plan_line_due_idx",
            self._table,
            ["next_attempt_date", "id"],
            where="state IN ('pending', 'retrying')",
        )

    @api.depends("due_date")
    def _compute_next_attempt_date(self):
        for line in self:
            if line.state == "pending" or not line.next_attempt_date:
                line.next_attempt_date = line.due_date

    # ------------------------------------------------------------------
    # Cron entry points
    # ------------------------------------------------------------------
    @api.model
    def _auto_commit(self):
        """Commit between the steps of a charge, except inside tests."""
        return not getattr(threading.current_thread(), "testing", False)

    @api.model
    def _charge_due_lines(self, today=None, limit=200, commit=None):
        """Charge the lines due at ``today``; return the lines charged.

        ``commit`` (default: outside tests) commits the marking of the lines
        before the provider requests, then after each request.
        """
        commit = self._auto_commit() if commit is None else commit
        today = today or fields.Date.context_today(self)
        model = self.with_context(sales_closing_charge_date=today)
        model._sync_processing_lines(commit=commit)
        lines = model._lock_due_lines(today, limit)
        return lines._charge_locked(commit=commit)

    def _charge(self, commit=False):
        """Charge these lines (if still due), through the same locks as the cron."""
        today = fields.Date.context_today(self)
        lines = self._lock_due_lines(today, len(self), ids=self.ids)
        return lines._charge_locked(commit=commit)

    @api.model
    def _lock_due_lines(self, today, limit, ids=None):
        """Lock and return the due lines no other transaction holds.

        ``FOR UPDATE ... SKIP LOCKED``: a concurrent run skips the rows locked
        here; PostgreSQL re-checks the state of a row changed meanwhile by a
        committed run, so a line already marked ``processing`` is not returned.
        """
        self.env.flush_all()
        only_ids = SQL("AND line.id IN %s", tuple(ids)) if ids else SQL()
        self.env.cr.execute(
            SQL(
                """
                SELECT line.id
                  FROM sales_closing_installment_plan_line line
                  JOIN sales_closing_installment_plan plan ON plan.id = line.plan_id
                 WHERE line.state IN %s
                   AND line.next_attempt_date <= %s
                   AND plan.state = 'running'
                   %s
                 ORDER BY line.next_attempt_date, line.id
                 LIMIT %s
                   FOR UPDATE OF line SKIP LOCKED
                """,
                CHARGEABLE_STATES,
                today,
                only_ids,
                limit,
            )
        )
        lines = self.browse([row[0] for row in self.env.cr.fetchall()])
        lines.invalidate_recordset()
        return lines.filtered(lambda line: line.state in CHARGEABLE_STATES)

    def _charge_locked(self, commit=False):
        """Mark, commit, then send the charges of these locked lines.

        The commit releases the locks: each line is locked again for its
        request, and skipped when another run took it meanwhile (the recovery
        of :meth:`_sync_processing_lines` settled it).
        """
        prepared = self._prepare_charges()
        if commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        for line in prepared:
            if commit and not line._lock_for_request():
                continue
            line._send_charge()
            if commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        return prepared

    def _lock_for_request(self):
        """Lock this line, still processing its transaction, for its request."""
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                """
                SELECT id FROM sales_closing_installment_plan_line
                 WHERE id = %s AND state = 'processing' AND transaction_id = %s
                   FOR UPDATE SKIP LOCKED
                """,
                self.id,
                self.transaction_id.id,
            )
        )
        return bool(self.env.cr.fetchone())

    @api.model
    def _sync_processing_lines(self, commit=False):
        """Apply the final state of transactions confirmed after their cron run
        (asynchronous providers, webhooks), and settle the charges whose answer
        was lost by asking the provider (see :meth:`_resolve_unanswered`).

        No line a run is charging is taken: that run holds its lock.
        """
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT line.id
                  FROM sales_closing_installment_plan_line line
                  JOIN payment_transaction tx ON tx.id = line.transaction_id
                 WHERE line.state = 'processing'
                   FOR UPDATE OF line SKIP LOCKED
                """
            )
        )
        lines = self.browse([row[0] for row in self.env.cr.fetchall()])
        lines.invalidate_recordset()
        lines = lines.filtered(lambda line: line.state == "processing")
        settled = lines.filtered(
            lambda line: line.transaction_id.state in ("done", "error", "cancel")
        )
        settled._apply_transaction_result()
        for line in lines - settled:
            line._resolve_unanswered()
            if commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        if commit and lines:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        return lines

    # ------------------------------------------------------------------
    # Charge steps
    # ------------------------------------------------------------------
    def _charge_reference(self, attempt):
        self.ensure_one()
        return f"{self.plan_id.name}-{self.sequence}-{attempt}"

    def _charge_idempotency_key(self, amount, attempt):
        self.ensure_one()
        token = self.plan_id.token_id
        return operation_key(
            token.provider_id.code or "none",
            self.plan_id.name,
            "installment",
            payment_utils.to_minor_currency_units(amount, self.currency_id),
            scope=f"line:{self.id}:attempt:{attempt}",
        )

    def _prepare_charges(self):
        """Create the transaction of each line and mark it processing.

        Runs while the lines are locked. Recurring plans get the invoice of the
        period first, so that the payment is reconciled with it.
        """
        # sudo: the cron (and an accountant's "Charge Now") charge the customer's
        # saved token; transactions are writable by the payment managers only.
        transactions = self.env["payment.transaction"].sudo()
        now = fields.Datetime.now()
        prepared = self.browse()
        for line in self:
            plan = line.plan_id
            token = plan.token_id.sudo()
            # The plan's constraint checked the token when it was set; checked
            # again here because the charge runs in sudo (a token archived or
            # moved to another customer since is never charged).
            problem = (
                self.env._(
                    "The saved payment method of plan %(plan)s is archived or missing.",
                    plan=plan.name,
                )
                if not token.active
                else plan._sales_closing_token_problem()
            )
            if problem:
                line.attempts += 1
                line.last_attempt_date = now
                line._register_failure(problem)
                continue
            invoice = line.invoice_id or plan.invoice_id
            if plan.plan_type == "recurring" and not line.invoice_id:
                invoice = plan._create_period_invoice(line)
                line.write({"invoice_id": invoice.id, "amount": invoice.amount_total})
            amount = line.amount
            if line.move_line_id:
                # paid on the portal or by transfer meanwhile: charge what is left
                amount = min(amount, line._left_on_payment_terms())
            if invoice:
                amount = min(amount, invoice.amount_residual)
                if line.currency_id.compare_amounts(amount, 0) <= 0:
                    line.write({"state": "paid", "last_error": False})
                    plan.message_post(
                        body=self.env._(
                            "Installment %(number)s was not charged: it is already "
                            "paid on invoice %(invoice)s.",
                            number=line.sequence,
                            invoice=invoice.name,
                        )
                    )
                    continue
            attempt = line.attempts + 1
            values = {
                "provider_id": token.provider_id.id,
                "payment_method_id": token.payment_method_id.id,
                "reference": line._charge_reference(attempt),
                "amount": amount,
                "currency_id": line.currency_id.id,
                "partner_id": plan.partner_id.id,
                "token_id": token.id,
                "operation": "offline",
            }
            if invoice:
                values["invoice_ids"] = [Command.set(invoice.ids)]
            elif plan.sale_order_id:
                values["sale_order_ids"] = [Command.set(plan.sale_order_id.ids)]
            if TX_KEY_FIELD in transactions._fields:
                values[TX_KEY_FIELD] = line._charge_idempotency_key(amount, attempt)
            transaction = transactions.with_company(plan.company_id).create(values)
            line.write(
                {
                    "state": "processing",
                    "attempts": attempt,
                    "last_attempt_date": now,
                    "transaction_id": transaction.id,
                    "transaction_ids": [Command.link(transaction.id)],
                }
            )
            prepared |= line
        self.plan_id._check_done()
        return prepared

    def _left_on_payment_terms(self):
        """What this line may still charge of its invoice's payment term lines.

        Odoo reconciles a payment of the invoice (the charge of another
        installment, a transfer, the portal) with the earliest open term line,
        not with the line it was meant for: installment 2 charged while
        installment 1 waits for its retry pays installment 1's term line. So
        the term lines are taken together: what is still open on those of the
        plan, less the confirmed charges not reconciled yet and the later
        installments still to charge, is left for this one (found by the
        fault-injection run: installment 1 was marked paid at its retry, never
        charged).
        """
        self.ensure_one()
        lines = self.plan_id.line_ids
        later = lines.filtered(
            lambda line: (line.sequence, line.id) > (self.sequence, self.id)
        )
        still_open = sum(
            abs(move_line.amount_residual_currency) for move_line in lines.move_line_id
        )
        # sudo: the transactions of the plan's charges (see _prepare_charges)
        unreconciled = sum(
            tx.amount
            for tx in lines.transaction_ids.sudo()
            if tx.state == "done" and not tx.payment_id
        )
        reserved = sum(
            line.amount for line in later if line.state not in ("paid", "cancelled")
        )
        return max(0.0, self.currency_id.round(still_open - unreconciled - reserved))

    def _send_charge(self):
        """Send the payment request of the line's transaction and apply its result."""
        self.ensure_one()
        transaction = self.transaction_id.sudo()  # sudo: see _prepare_charges
        # what is pending (the invoice a recurring plan has just posted) is
        # written in the name of who charges: the savepoint below would
        # flush it in the name of the transaction's first environment
        self.env.flush_all()
        try:
            with self.env.cr.savepoint():
                transaction._send_payment_request()
                # flushed in the name of who charges: the savepoint flushes
                # in the name of the transaction's first environment
                self.env.flush_all()
        except Exception as error:  # noqa: BLE001 - any provider error fails this charge only
            _logger.warning(
                "Installment charge %s failed: %s", transaction.reference, error
            )
            self.env.invalidate_all()
            # the request may have reached the provider: ask it before
            # anything else (a timeout after the charge is not a refusal)
            self._resolve_unanswered(str(error))
            return
        self._apply_transaction_result()

    def _resolve_unanswered(self, error=None):
        """Settle the charge of this processing line whose answer was lost.

        ``error`` is the error its request raised; without one, the run that
        sent it was interrupted (killed, its database session cut) before
        it recorded the answer. The provider is asked
        (``_sales_closing_query_outcome``, which sends nothing that moves
        money): charged, the line is paid; never charged or refused, it is a
        failed attempt (retried on the plan's schedule); when the provider
        cannot be asked now, the line stays processing and the next run asks
        again. A provider that offers no way to ask keeps Odoo's behaviour:
        the error fails the attempt, and a line without error waits for the
        provider's notification.
        """
        self.ensure_one()
        transaction = self.transaction_id.sudo()  # sudo: see _prepare_charges
        outcome = transaction._sales_closing_query_outcome(
            transaction.sales_closing_idempotency_key
        )
        if outcome == OUTCOME_DONE:
            transaction._set_done(
                state_message=self.env._("Charged (confirmed by the provider).")
            )
        elif outcome in (OUTCOME_ABSENT, OUTCOME_DECLINED) or (
            outcome is None and error
        ):
            transaction._set_error(
                error or self.env._("Interrupted before the provider charged it.")
            )
        elif outcome is not None:
            message = self.env._(
                "No answer from the provider (%(error)s): it will be asked "
                "again; the installment is not charged again meanwhile.",
                error=error or self.env._("the run was interrupted"),
            )
            if transaction.state == "draft":
                transaction._set_pending(state_message=message)
            self.last_error = message
        self._apply_transaction_result()

    def _apply_transaction_result(self):
        """Update the lines from the state of their transaction and notify."""
        for line in self:
            transaction = line.transaction_id.sudo()  # sudo: see _prepare_charges
            if transaction.state == "done":
                if not transaction.is_post_processed:
                    try:
                        with self.env.cr.savepoint():
                            # creates the payment and reconciles it with the invoice
                            transaction._post_process()
                            self.env.flush_all()  # see _send_charge
                    except Exception as error:  # noqa: BLE001 - Odoo's cron retries it
                        _logger.warning(
                            "Post-processing of %s failed, left to Odoo's cron: %s",
                            transaction.reference,
                            error,
                        )
                        self.env.invalidate_all()
                line.write({"state": "paid", "last_error": False})
                line._notify("paid")
            elif transaction.state in ("error", "cancel"):
                line._register_failure(
                    transaction.state_message
                    or self.env._(
                        "The payment was refused (%(state)s).", state=transaction.state
                    )
                )
        self.plan_id._check_done()

    def _register_failure(self, message):
        """Schedule a retry with back-off, or give the line up after the last attempt.

        The back-off counts from the day of the run (context
        ``sales_closing_charge_date``, default today).
        """
        today = self.env.context.get(
            "sales_closing_charge_date"
        ) or fields.Date.context_today(self)
        for line in self:
            retry = line.plan_id._next_retry_date(line, today)
            if retry:
                line.write(
                    {
                        "state": "retrying",
                        "next_attempt_date": retry,
                        "last_error": message,
                    }
                )
                line._notify("retrying")
            else:
                line.write(
                    {
                        "state": "failed",
                        "next_attempt_date": False,
                        "last_error": message,
                    }
                )
                line._notify("failed")

    # ------------------------------------------------------------------
    # Notifications
    # ------------------------------------------------------------------
    def _notify(self, event):
        """Email the customer (template) and tell the salesperson.

        ``event``: 'paid', 'retrying' or 'failed'. A given up line also gets an
        activity for the salesperson.
        """
        template_xmlid = (
            "sales_closing_payments.mail_template_installment_paid"
            if event == "paid"
            else "sales_closing_payments.mail_template_installment_failed"
        )
        template = self.env.ref(template_xmlid, raise_if_not_found=False)
        for line in self:
            plan = line.plan_id
            amount = line.currency_id.format(line.amount)
            if template:
                subject = template._render_field("subject", line.ids)[line.id]
                body = template._render_field("body_html", line.ids, compute_lang=True)[
                    line.id
                ]
                plan.message_post(
                    body=body,
                    subject=subject,
                    partner_ids=plan.partner_id.ids,
                    message_type="comment",
                    subtype_xmlid="mail.mt_comment",
                )
            if event == "paid":
                summary = self.env._(
                    "Installment %(number)s of %(amount)s was charged (%(reference)s).",
                    number=line.sequence,
                    amount=amount,
                    reference=line.transaction_id.reference,
                )
            elif event == "retrying":
                summary = self.env._(
                    "Installment %(number)s of %(amount)s failed (attempt %(attempt)s: "
                    "%(error)s); next attempt on %(date)s.",
                    number=line.sequence,
                    amount=amount,
                    attempt=line.attempts,
                    error=line.last_error or "-",
                    date=fields.Date.to_string(line.next_attempt_date),
                )
            else:
                summary = self.env._(
                    "Installment %(number)s of %(amount)s failed %(attempt)s times "
                    "(%(error)s) and is given up: contact %(partner)s.",
                    number=line.sequence,
                    amount=amount,
                    attempt=line.attempts,
                    error=line.last_error or "-",
                    partner=plan.partner_id.display_name,
                )
            plan.message_post(
                body=summary,
                partner_ids=plan.user_id.partner_id.ids,
                subtype_xmlid="mail.mt_note",
            )
            if event == "failed" and plan.user_id:
                plan.activity_schedule(
                    "mail.mail_activity_data_todo",
                    date_deadline=plan._activity_deadline(),
                    # in the language of the user who gets the activity
                    summary=plan.user_id.with_context(lang=plan.user_id.lang).env._(
                        "Installment charge given up"
                    ),
                    note=summary,
                    user_id=plan.user_id.id,
                )
