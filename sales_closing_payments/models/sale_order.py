import logging
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.misc import formatLang

from odoo.addons.payment import utils as payment_utils

from ..engine import capture as capture_engine
from ..engine.idempotency import operation_key

_logger = logging.getLogger(__name__)


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # ------------------------------------------------------------------
    # Capture at delivery
    # ------------------------------------------------------------------
    sales_closing_capture_state = fields.Selection(
        [
            ("none", "No Authorization"),
            ("authorized", "Authorized"),
            ("partial", "Partially Captured"),
            ("captured", "Captured"),
            ("voided", "Voided"),
        ],
        string="Payment Capture",
        compute="_compute_sales_closing_capture",
        help="State of the online payments authorized at order and captured at "
        "delivery.",
    )
    sales_closing_authorized_amount = fields.Monetary(
        string="Still Authorized",
        compute="_compute_sales_closing_capture",
        currency_field="currency_id",
    )
    sales_closing_captured_amount = fields.Monetary(
        string="Captured",
        compute="_compute_sales_closing_capture",
        currency_field="currency_id",
    )
    sales_closing_auth_expiring = fields.Boolean(
        string="Authorization Expiring",
        compute="_compute_sales_closing_capture",
        help="An authorization of this order is about to expire and could not be "
        "renewed on a saved payment method.",
    )
    sales_closing_auth_expiry_date = fields.Datetime(
        string="Authorization Expires",
        compute="_compute_sales_closing_capture",
    )

    @api.depends("transaction_ids.state", "transaction_ids.sales_closing_expiring")
    def _compute_sales_closing_capture(self):
        for order in self:
            # sudo: salespeople see the capture state without transaction rights
            txs = order.sudo()._sales_closing_capture_transactions()
            open_txs = txs.filtered(lambda tx: tx.state == "authorized")
            authorized = sum(open_txs.mapped("sales_closing_open_amount"))
            captured = sum(txs.mapped("sales_closing_captured_amount"))
            if not txs:
                state = "none"
            elif open_txs:
                state = "partial" if captured else "authorized"
            else:
                state = "captured" if captured else "voided"
            expiry_dates = [
                day for day in open_txs.mapped("sales_closing_expiry_date") if day
            ]
            order.sales_closing_capture_state = state
            order.sales_closing_authorized_amount = authorized
            order.sales_closing_captured_amount = captured
            order.sales_closing_auth_expiring = any(
                open_txs.mapped("sales_closing_expiring")
            )
            order.sales_closing_auth_expiry_date = (
                min(expiry_dates) if expiry_dates else False
            )

    def _sales_closing_capture_transactions(self):
        """Return the order's payments that were authorized for a later capture."""
        self.ensure_one()
        return self.transaction_ids.filtered(
            lambda tx: (
                tx.sales_closing_authorized_date
                and tx.operation not in ("validation", "refund")
                and tx.currency_id == self.currency_id
            )
        ).sorted("id")

    def _sales_closing_delivery_state(self):
        """Return ``(ratio, nothing_left)``: the delivered share of the goods value
        (incl. taxes, pro rata of the delivered quantities) and whether nothing is
        left to deliver (no open picking, or the order is cancelled)."""
        self.ensure_one()
        lines = self.order_line.filtered(
            lambda line: (
                not line.display_type
                and not line.is_downpayment
                and line.product_id.type == "consu"
            )
        )
        ratio = capture_engine.delivered_ratio(
            (
                Decimal(str(line.price_total)),
                Decimal(str(line.product_uom_qty)),
                Decimal(str(line.qty_delivered)),
            )
            for line in lines
        )
        open_pickings = self.picking_ids.filtered(
            lambda picking: picking.state not in ("done", "cancel")
        )
        nothing_left = self.state == "cancel" or not open_pickings
        if self.state == "cancel" and not any(
            picking.state == "done" for picking in self.picking_ids
        ):
            ratio = Decimal(0)
        return ratio, nothing_left

    def _sales_closing_sync_capture(self):
        """Capture what was delivered and void what will not be, on the order's
        authorized payments (see ``engine/capture.py``).

        Cumulative and idempotent: it compares what should be captured by now with
        what was, so running it twice plans nothing new. A provider error does not
        block the delivery: it is posted on the order with an activity.
        """
        for order in self.filtered(
            lambda o: o.company_id.sales_closing_capture_on_delivery
        ):
            # sudo: stock users validate deliveries without payment rights
            txs = order.sudo()._sales_closing_capture_transactions()
            if not txs.filtered(lambda tx: tx.state == "authorized"):
                continue
            txs.filtered(lambda tx: tx.state == "authorized")._sales_closing_lock()
            ratio, nothing_left = order._sales_closing_delivery_state()
            for provider in txs.provider_id:
                provider_txs = txs.filtered(lambda tx, p=provider: tx.provider_id == p)
                plan = capture_engine.capture_plan(
                    [
                        (
                            tx.id,
                            Decimal(str(tx.sales_closing_captured_amount)),
                            Decimal(str(tx.sales_closing_open_amount)),
                        )
                        for tx in provider_txs
                    ],
                    ratio,
                    nothing_left,
                    partial_capture=provider.support_manual_capture == "partial",
                    partial_refund=provider.support_refund == "partial",
                    rounding=Decimal(str(order.currency_id.rounding)),
                )
                for operation, tx_id, amount in plan:
                    order._sales_closing_apply(
                        operation, txs.browse(tx_id), float(amount)
                    )

    def _sales_closing_apply(self, operation, tx, amount):
        """Send one planned capture, void or refund; report a failure on the order."""
        self.ensure_one()
        in_doubt = None
        try:
            with self.env.cr.savepoint():
                if operation == capture_engine.CAPTURE:
                    result = tx._sales_closing_capture(amount)
                    if result != tx and result.state == "pending":
                        # the provider's answer was lost and it could not be
                        # asked yet: kept (pending) and reported below
                        in_doubt = result
                elif operation == capture_engine.VOID:
                    tx._sales_closing_void(amount)
                elif tx.state == "done":
                    tx._sales_closing_refund(amount, f"undelivered:{self.id}")
                else:
                    raise UserError(
                        self.env._(
                            "The payment %(ref)s is not confirmed yet: the "
                            "undelivered %(amount)s cannot be refunded.",
                            ref=tx.reference,
                            amount=amount,
                        )
                    )
        except (UserError, ValidationError) as error:
            self._sales_closing_report_failure(operation, tx, amount, error)
        else:
            if in_doubt:
                self._sales_closing_report_failure(
                    operation, tx, amount, UserError(in_doubt.state_message)
                )

    def _sales_closing_report_failure(self, operation, tx, amount, error):
        """Post the failure on the order, with an activity for its salesperson."""
        _logger.warning(
            "%s of %s on %s failed: %s", operation, amount, tx.reference, error
        )
        self.message_post(
            body=self._sales_closing_apply_failure(
                self.env, operation, amount, tx, error
            )[1]
        )
        # in the language of the user who gets the activity
        user = self.user_id or self.env.user
        summary, note = self._sales_closing_apply_failure(
            user.with_context(lang=user.lang).env, operation, amount, tx, error
        )
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=summary,
            note=note,
            user_id=user.id,
        )

    def _sales_closing_apply_failure(self, env, operation, amount, tx, error):
        """The summary and the text of a failed capture, void or refund of
        ``amount`` on ``tx``, in the language of ``env``."""
        values = {
            "amount": formatLang(env, amount, currency_obj=self.currency_id),
            "ref": tx.reference,
            "error": error.args[0] if error.args else str(error),
        }
        if operation == capture_engine.CAPTURE:
            return (
                env._("Online payment capture failed"),
                env._(
                    "The capture of %(amount)s on the payment %(ref)s failed: "
                    "%(error)s",
                    **values,
                ),
            )
        if operation == capture_engine.VOID:
            return (
                env._("Online payment void failed"),
                env._(
                    "The void of the authorization of %(amount)s on the payment "
                    "%(ref)s failed: %(error)s",
                    **values,
                ),
            )
        return (
            env._("Online payment refund failed"),
            env._(
                "The refund of %(amount)s on the payment %(ref)s failed: %(error)s",
                **values,
            ),
        )

    def _action_cancel(self):
        res = super()._action_cancel()
        self._sales_closing_sync_capture()
        return res

    def _sales_closing_portal_payment_key(self, partner_id, amount):
        """Return the idempotency key of a portal payment of ``amount`` for the
        order by ``partner_id``: two tabs or a double click give the same key."""
        self.ensure_one()
        return operation_key(
            "portal",
            self.name,
            "pay",
            payment_utils.to_minor_currency_units(amount, self.currency_id),
            scope=f"order:{self.id}|partner:{partner_id}",
        )

    # ------------------------------------------------------------------
    # Payment reminders: block of new orders
    # ------------------------------------------------------------------
    def _sales_closing_credit_errors(self):
        """Add the dunning block to the credit control of ``sales_closing``.

        A customer with an unpaid invoice reminded at a level that blocks
        orders, or with an open collection case that blocks them, cannot get
        a new order confirmed (a manager's credit override lets one through).
        """
        errors = super()._sales_closing_credit_errors()
        orders = self.filtered(lambda o: not o.sales_closing_credit_override)
        if not orders:
            return errors
        blocks = self.env["sales.closing.collection.case"]._order_blocks(
            orders.partner_id.commercial_partner_id, orders.company_id
        )
        for order in orders:
            partner = order.partner_id.commercial_partner_id
            block = blocks.get((partner.id, order.company_id.id))
            if not block:
                continue
            if block["invoices"]:
                errors.append(
                    self.env._(
                        "Order %(order)s: %(partner)s is blocked by payment "
                        "reminders on unpaid invoices %(invoices)s.",
                        order=order.name,
                        partner=partner.display_name,
                        invoices=", ".join(
                            self.env._(
                                "%(name)s (%(level)s)",
                                name=invoice.name,
                                level=invoice.sales_closing_dunning_level_id.name,
                            )
                            for invoice in block["invoices"]
                        ),
                    )
                )
            for case in block["cases"]:
                errors.append(
                    self.env._(
                        "Order %(order)s: %(partner)s is in collection (case "
                        "%(case)s, owner %(owner)s) for invoices %(invoices)s.",
                        order=order.name,
                        partner=partner.display_name,
                        case=case.name,
                        owner=case.user_id.name or "-",
                        invoices=", ".join(case.invoice_ids.mapped("name")) or "-",
                    )
                )
        return errors

    # ------------------------------------------------------------------
    # Installment and recurring plans
    # ------------------------------------------------------------------
    sales_closing_installment_plan_ids = fields.One2many(
        "sales.closing.installment.plan",
        "sale_order_id",
        string="Payment Plans",
        # who may read the plans: Odoo's salespeople see no relation
        groups="sales_closing.group_closing_user,sales_closing.group_closing_auditor",
    )

    def action_sales_closing_installment_plan(self):
        """Open the order's payment plans, or a new one on the customer's token."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_closing_payments.action_sales_closing_installment_plan"
        )
        plans = self.sales_closing_installment_plan_ids
        context = {
            "default_sale_order_id": self.id,
            "default_partner_id": self.partner_id.id,
            "default_currency_id": self.currency_id.id,
            "default_company_id": self.company_id.id,
            "default_user_id": (self.user_id or self.env.user).id,
            "default_token_id": self.env["sales.closing.installment.plan"]
            ._default_token(self.partner_id, self.company_id)
            .id,
        }
        if plans:
            action.update(domain=[("id", "in", plans.ids)], context=context)
            return action
        action.update(views=[(False, "form")], view_mode="form", context=context)
        return action
