"""Authorize at order, capture at delivery, void, refund and authorization expiry.

Odoo's demo provider stands for providers with partial capture; Stripe (full capture
only) is exercised with its HTTP calls mocked at the ``requests`` level, as Odoo's
own payment_stripe tests do.
"""

import json
from datetime import timedelta
from unittest.mock import patch

import psycopg2
import requests
from psycopg2 import IntegrityError

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import html2plaintext, mute_logger
from odoo.tools.misc import formatLang

from odoo.addons.sales_closing.tests.report_pdf_common import po_msgstr

STRIPE_REQUEST = "odoo.addons.payment_stripe.models.payment_provider.requests.request"


def FakeResponse(payload, status=200):
    """A real ``requests.Response`` carrying ``payload`` as JSON."""
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(payload).encode()
    response.headers["Content-Type"] = "application/json"
    return response


class CaptureCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.write(
            {
                "sales_closing_capture_on_delivery": True,
                "sales_closing_auth_validity_days": 7,
                "sales_closing_auth_expiry_margin": 1,
                "sales_closing_refund_on_credit_note": True,
            }
        )
        cls.currency = cls.company.currency_id
        cls.card = cls.env.ref("payment.payment_method_card")
        cls.demo = cls._provider("demo")
        cls.stripe = cls._provider(
            "stripe",
            {
                "stripe_secret_key": "sk_test_sales_closing",
                "stripe_publishable_key": "pk_test_sales_closing",
                "stripe_webhook_secret": "whsec_sales_closing",
            },
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Capture Customer", "email": "capture@example.com"}
        )
        cls.tax = cls.env["account.tax"].create(
            {
                "name": "Capture VAT 10%",
                "amount": 10.0,
                "type_tax_use": "sale",
                "company_id": cls.company.id,
            }
        )
        cls.product = cls.env["product.product"].create(
            {
                "name": "Captured Good",
                "is_storable": True,
                "list_price": 100.0,
                "invoice_policy": "order",
                "taxes_id": [Command.set(cls.tax.ids)],
            }
        )
        warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.env["stock.quant"]._update_available_quantity(
            cls.product, warehouse.lot_stock_id, 1000
        )

    @classmethod
    def _provider(cls, code, values=None):
        provider = (
            cls.env["payment.provider"]
            .sudo()
            .search(
                [("code", "=", code), ("company_id", "=", cls.env.company.id)], limit=1
            )
        )
        provider.write(
            {
                "state": "test",
                "capture_manually": True,
                "payment_method_ids": [
                    Command.link(cls.env.ref("payment.payment_method_card").id)
                ],
                **(values or {}),
            }
        )
        return provider

    def _order(self, qty=10):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "product_uom_qty": qty,
                            "price_unit": 100.0,
                            "tax_id": [Command.set(self.tax.ids)],
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        return order

    def _authorize(self, order, provider, token=None, amount=None):
        """An online payment of ``order`` authorized by ``provider``."""
        tx = self.env["payment.transaction"].create(
            {
                "provider_id": provider.id,
                "payment_method_id": self.card.id,
                "amount": amount or order.amount_total,
                "currency_id": order.currency_id.id,
                "partner_id": self.customer.id,
                "operation": "online_token" if token else "online_redirect",
                "token_id": token.id if token else False,
                "sale_order_ids": [Command.set(order.ids)],
                "provider_reference": f"pi_{order.id}",
            }
        )
        tx._set_authorized()
        self.assertEqual(tx.state, "authorized")
        return tx

    def _deliver(self, order, qty, backorder=True):
        picking = order.picking_ids.filtered(
            lambda p: p.state not in ("done", "cancel")
        )
        self.assertEqual(len(picking), 1)
        picking.move_ids.write({"quantity": qty, "picked": True})
        picking.with_context(cancel_backorder=not backorder)._action_done()
        return picking

    def _captures(self, tx):
        return tx.child_transaction_ids.filtered(
            lambda c: c.operation == tx.operation and c.state == "done"
        )


@tagged("post_install", "-at_install")
class TestCaptureDemo(CaptureCase):
    """Partial capture (demo provider)."""

    def test_partial_deliveries_capture_their_value(self):
        order = self._order()
        self.assertAlmostEqual(order.amount_total, 1100.0)
        tx = self._authorize(order, self.demo)
        self.assertEqual(order.sales_closing_capture_state, "authorized")
        self._deliver(order, 4)
        capture = self._captures(tx)
        self.assertEqual(len(capture), 1)
        self.assertAlmostEqual(capture.amount, 440.0)  # 4 x 100 + 10 % tax
        self.assertTrue(capture.sales_closing_idempotency_key)
        self.assertEqual(tx.state, "authorized")
        self.assertAlmostEqual(tx.sales_closing_open_amount, 660.0)
        order.invalidate_recordset()
        self.assertEqual(order.sales_closing_capture_state, "partial")
        self.assertAlmostEqual(order.sales_closing_captured_amount, 440.0)
        self.assertAlmostEqual(order.sales_closing_authorized_amount, 660.0)
        # the last delivery captures the rest and confirms the authorization
        self._deliver(order, 6)
        self.assertEqual(sorted(self._captures(tx).mapped("amount")), [440.0, 660.0])
        self.assertEqual(tx.state, "done")
        order.invalidate_recordset()
        self.assertEqual(order.sales_closing_capture_state, "captured")

    def test_sync_twice_captures_once(self):
        order = self._order()
        tx = self._authorize(order, self.demo)
        self._deliver(order, 3)
        order._sales_closing_sync_capture()
        order._sales_closing_sync_capture()
        self.assertEqual(len(tx.child_transaction_ids), 1)
        self.assertAlmostEqual(tx.child_transaction_ids.amount, 330.0)

    def test_idempotent_double_request_returns_existing(self):
        order = self._order()
        tx = self._authorize(order, self.demo)
        first = tx._sales_closing_capture(220.0)
        # a double click: same amount on the same captured-so-far figure -> same key
        tx.invalidate_recordset()
        key = first.sales_closing_idempotency_key
        self.assertEqual(tx._sales_closing_find_by_key(key), first)
        self.assertEqual(
            tx._sales_closing_operation_key("capture", 220.0, "after:0"), key
        )
        # a second tab sending the very same request gets the first transaction back
        with (
            patch.object(type(tx), "_sales_closing_operation_key", return_value=key),
            patch.object(type(tx), "_send_capture_request") as send,
        ):
            again = tx._sales_closing_capture(220.0)
        send.assert_not_called()
        self.assertEqual(again, first)
        self.assertEqual(len(tx.child_transaction_ids), 1)

    def test_unique_key_refuses_a_second_transaction(self):
        order = self._order()
        tx = self._authorize(order, self.demo)
        child = tx._sales_closing_capture(110.0)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                tx._create_child_transaction(
                    110.0,
                    sales_closing_idempotency_key=child.sales_closing_idempotency_key,
                )

    def test_cancelled_backorder_voids_the_rest(self):
        order = self._order()
        tx = self._authorize(order, self.demo)
        self._deliver(order, 4, backorder=False)
        children = tx.child_transaction_ids
        self.assertEqual(
            sorted((c.state, c.amount) for c in children),
            [("cancel", 660.0), ("done", 440.0)],
        )
        self.assertEqual(tx.state, "done")
        order.invalidate_recordset()
        self.assertEqual(order.sales_closing_capture_state, "captured")
        self.assertAlmostEqual(order.sales_closing_captured_amount, 440.0)

    def test_cancelled_backorder_picking_voids_the_rest(self):
        order = self._order()
        tx = self._authorize(order, self.demo)
        self._deliver(order, 5)
        backorder = order.picking_ids.filtered(
            lambda p: p.state not in ("done", "cancel")
        )
        backorder.action_cancel()
        self.assertEqual(
            sorted((c.state, c.amount) for c in tx.child_transaction_ids),
            [("cancel", 550.0), ("done", 550.0)],
        )

    def test_cancelled_order_voids_the_authorization(self):
        order = self._order()
        tx = self._authorize(order, self.demo)
        order.with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(order.state, "cancel")
        self.assertEqual(tx.state, "cancel")
        self.assertFalse(tx.child_transaction_ids)
        order.invalidate_recordset()
        self.assertEqual(order.sales_closing_capture_state, "voided")

    def test_partial_authorization_captured_pro_rata(self):
        order = self._order()
        tx = self._authorize(order, self.demo, amount=550.0)  # half paid online
        self._deliver(order, 4)
        self.assertAlmostEqual(self._captures(tx).amount, 220.0)

    def test_setting_off_captures_nothing(self):
        self.company.sales_closing_capture_on_delivery = False
        order = self._order()
        tx = self._authorize(order, self.demo)
        self._deliver(order, 10)
        self.assertEqual(tx.state, "authorized")
        self.assertFalse(tx.child_transaction_ids)

    def test_credit_note_refunds_through_provider(self):
        order = self._order()
        tx = self._authorize(order, self.demo)
        self._deliver(order, 10)
        self.assertEqual(tx.state, "done")
        tx._post_process()  # creates and posts the payment
        self.assertTrue(tx.payment_id)
        invoice = order._create_invoices()
        invoice.action_post()
        self.assertEqual(invoice.payment_state, "paid")
        credit_note = invoice._reverse_moves(
            [{"ref": "Damaged", "invoice_date": fields.Date.today()}]
        )
        credit_note.invoice_line_ids.quantity = 3
        credit_note.action_post()
        refund = tx.child_transaction_ids.filtered(lambda c: c.operation == "refund")
        self.assertEqual(len(refund), 1)
        self.assertAlmostEqual(refund.amount, -330.0)
        # the demo provider answers 'authorized' to refunds when it captures manually
        self.assertIn(refund.state, ("authorized", "done"))
        refund._set_done()
        self.assertEqual(refund.invoice_ids, credit_note)
        self.assertTrue(refund.sales_closing_idempotency_key)
        # posting the same credit note again does not refund twice
        credit_note.button_draft()
        credit_note.action_post()
        self.assertEqual(
            len(tx.child_transaction_ids.filtered(lambda c: c.operation == "refund")), 1
        )
        # the refund payment settles the credit note
        refund._post_process()
        self.assertEqual(credit_note.payment_state, "paid")

    def test_invoice_posted_after_partial_captures_is_reconciled(self):
        order = self._order()
        tx = self._authorize(order, self.demo)
        self._deliver(order, 4)
        self._deliver(order, 6)
        self._captures(tx)._post_process()
        self.assertEqual(len(self._captures(tx).payment_id), 2)
        invoice = order._create_invoices()
        invoice.action_post()
        self.assertEqual(invoice.payment_state, "paid")


@tagged("post_install", "-at_install")
class TestCaptureStripe(CaptureCase):
    """Full capture only (Stripe), HTTP mocked at the requests level."""

    def _stripe(self, answers):
        """Patch requests.request; ``answers`` maps an URL suffix to a payload."""
        calls = []

        def request(method, url, data=None, headers=None, timeout=None):
            calls.append(
                {"method": method, "url": url, "data": data, "headers": headers}
            )
            for suffix, payload in answers.items():
                if url.endswith(suffix):
                    return FakeResponse(payload)
            raise AssertionError(f"Unexpected Stripe call {url}")

        return patch(STRIPE_REQUEST, side_effect=request), calls

    def test_nothing_captured_before_last_delivery(self):
        order = self._order()
        tx = self._authorize(order, self.stripe)
        patcher, calls = self._stripe({})
        with patcher:
            self._deliver(order, 4)
        self.assertFalse(calls)
        self.assertEqual(tx.state, "authorized")
        pi = {"id": tx.provider_reference, "status": "succeeded"}
        patcher, calls = self._stripe({"/capture": pi})
        with patcher:
            self._deliver(order, 6)
        self.assertEqual(len(calls), 1)
        self.assertTrue(
            calls[0]["url"].endswith(f"payment_intents/{tx.provider_reference}/capture")
        )
        expected_key = tx._sales_closing_operation_key("capture", 1100.0, "after:0")
        self.assertEqual(calls[0]["headers"]["Idempotency-Key"], expected_key)
        self.assertEqual(tx.state, "done")
        self.assertFalse(tx.child_transaction_ids)

    def test_double_request_sends_one_capture(self):
        order = self._order()
        tx = self._authorize(order, self.stripe)
        pi = {"id": tx.provider_reference, "status": "succeeded"}
        patcher, calls = self._stripe({"/capture": pi})
        with patcher:
            tx._sales_closing_capture(1100.0)
            tx._sales_closing_capture(1100.0)
        self.assertEqual(len(calls), 1)
        self.assertEqual(tx.state, "done")

    def test_retry_after_rollback_sends_the_same_key(self):
        order = self._order()
        tx = self._authorize(order, self.stripe)
        pi = {"id": tx.provider_reference, "status": "succeeded"}
        patcher, calls = self._stripe({"/capture": pi})
        with patcher:
            try:
                with self.env.cr.savepoint():
                    tx._sales_closing_capture(1100.0)
                    raise RuntimeError("serialization failure after the HTTP call")
            except RuntimeError:
                pass
            self.env.invalidate_all()
            self.assertEqual(tx.state, "authorized")
            tx._sales_closing_capture(1100.0)
        self.assertEqual(len(calls), 2)
        self.assertEqual(
            calls[0]["headers"]["Idempotency-Key"],
            calls[1]["headers"]["Idempotency-Key"],
        )

    def test_rest_cancelled_captures_whole_and_refunds_difference(self):
        order = self._order()
        tx = self._authorize(order, self.stripe)
        pi = {"id": tx.provider_reference, "status": "succeeded"}
        refund = {"id": "re_sc_1", "status": "succeeded", "amount": 66000}
        patcher, calls = self._stripe({"/capture": pi, "/refunds": refund})
        with patcher:
            self._deliver(order, 4, backorder=False)
        self.assertEqual(
            [c["url"].rsplit("/", 1)[-1] for c in calls], ["capture", "refunds"]
        )
        self.assertEqual(calls[1]["data"]["amount"], 66000)
        self.assertTrue(calls[1]["headers"]["Idempotency-Key"])
        self.assertEqual(tx.state, "done")
        refund_tx = tx.child_transaction_ids
        self.assertEqual(refund_tx.operation, "refund")
        self.assertAlmostEqual(refund_tx.amount, -660.0)
        self.assertEqual(refund_tx.state, "done")

    def test_nothing_delivered_voids(self):
        order = self._order()
        tx = self._authorize(order, self.stripe)
        pi = {"id": tx.provider_reference, "status": "canceled"}
        patcher, calls = self._stripe({"/cancel": pi})
        with patcher:
            order.with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(len(calls), 1)
        self.assertTrue(calls[0]["headers"]["Idempotency-Key"])
        self.assertEqual(tx.state, "cancel")

    def test_provider_error_does_not_block_the_delivery(self):
        order = self._order()
        tx = self._authorize(order, self.stripe)
        error = {"error": {"message": "This PaymentIntent could not be captured."}}

        def request(method, url, data=None, headers=None, timeout=None):
            return FakeResponse(error, status=400)

        with (
            patch(STRIPE_REQUEST, side_effect=request),
            mute_logger(
                "odoo.addons.payment_stripe.models.payment_provider",
                "odoo.addons.sales_closing_payments.models.sale_order",
            ),
        ):
            picking = self._deliver(order, 10)
        self.assertEqual(picking.state, "done")
        self.assertEqual(tx.state, "authorized")
        self.assertIn("failed", order.activity_ids.summary or "")

    def test_failure_activity_in_the_salespersons_language(self):
        """An English warehouse user's delivery fails to capture the payment
        of a Chinese salesperson's order: the chatter reads in English, the
        salesperson's activity in Chinese (issue #22 item 6)."""
        self.env["res.lang"]._activate_lang("zh_CN")
        seller = new_test_user(
            self.env, "capture_seller", groups="sales_team.group_sale_salesman"
        )
        seller.lang = "zh_CN"
        order = self._order()
        order.user_id = seller
        tx = self._authorize(order, self.stripe)
        error = {"error": {"message": "This PaymentIntent could not be captured."}}

        def request(method, url, data=None, headers=None, timeout=None):
            return FakeResponse(error, status=400)

        with (
            patch(STRIPE_REQUEST, side_effect=request),
            mute_logger(
                "odoo.addons.payment_stripe.models.payment_provider",
                "odoo.addons.sales_closing_payments.models.sale_order",
            ),
        ):
            self._deliver(order.with_context(lang="en_US"), 10)
        activity = order.activity_ids.filtered(lambda a: a.user_id == seller)
        self.assertEqual(
            activity.summary,
            po_msgstr("sales_closing_payments", "Online payment capture failed"),
        )
        note = html2plaintext(activity.note)
        prefix = po_msgstr(
            "sales_closing_payments",
            "The capture of %(amount)s on the payment %(ref)s failed: %(error)s",
        ).split("%(error)s")[0] % {
            "amount": formatLang(
                self.env(context={"lang": "zh_CN"}), 1100.0, currency_obj=self.currency
            ),
            "ref": tx.reference,
        }
        self.assertTrue(note.startswith(prefix), note)
        self.assertNotIn("capture of", note)
        english = order.message_ids.filtered(lambda m: "capture of" in (m.body or ""))
        self.assertEqual(len(english), 1)

    def test_credit_note_refund_on_stripe_sends_key(self):
        order = self._order()
        tx = self._authorize(order, self.stripe)
        tx._set_done()
        tx._post_process()
        invoice = order._create_invoices()
        invoice.action_post()
        credit_note = invoice._reverse_moves(
            [{"ref": "Return", "invoice_date": fields.Date.today()}]
        )
        refund = {"id": "re_sc_2", "status": "succeeded", "amount": 110000}
        patcher, calls = self._stripe({"/refunds": refund})
        with patcher:
            credit_note.action_post()
        self.assertEqual(len(calls), 1)
        self.assertEqual(calls[0]["data"]["amount"], 110000)
        self.assertEqual(calls[0]["data"]["payment_intent"], tx.provider_reference)
        refund_tx = tx.child_transaction_ids
        self.assertEqual(
            calls[0]["headers"]["Idempotency-Key"],
            refund_tx.sales_closing_idempotency_key,
        )

    def test_token_payment_sends_the_stored_key(self):
        token = self.env["payment.token"].create(
            {
                "provider_id": self.stripe.id,
                "payment_method_id": self.card.id,
                "payment_details": "4242",
                "partner_id": self.customer.id,
                "provider_ref": "cus_sales_closing",
                "stripe_payment_method": "pm_sales_closing",
            }
        )
        tx = self.env["payment.transaction"].create(
            {
                "provider_id": self.stripe.id,
                "payment_method_id": self.card.id,
                "amount": 100.0,
                "currency_id": self.currency.id,
                "partner_id": self.customer.id,
                "operation": "online_token",
                "token_id": token.id,
                "sales_closing_idempotency_key": "sc-installment-1",
            }
        )
        intent = {
            "id": "pi_token",
            "status": "requires_capture",
            "payment_method": "pm_sales_closing",
        }
        patcher, calls = self._stripe({"payment_intents": intent})
        with patcher:
            tx._send_payment_request()
        self.assertEqual(len(calls), 1)
        self.assertEqual(calls[0]["headers"]["Idempotency-Key"], "sc-installment-1")
        self.assertEqual(tx.state, "authorized")

    def test_expiring_stripe_authorization_renewed_on_token(self):
        token = self.env["payment.token"].create(
            {
                "provider_id": self.stripe.id,
                "payment_method_id": self.card.id,
                "payment_details": "4242",
                "partner_id": self.customer.id,
                "provider_ref": "cus_sales_closing",
                "stripe_payment_method": "pm_sales_closing",
            }
        )
        order = self._order()
        tx = self._authorize(order, self.stripe, token=token)
        tx.sales_closing_authorized_date = fields.Datetime.now() - timedelta(days=6)
        new_intent = {
            "id": "pi_renewed",
            "status": "requires_capture",
            "payment_method": "pm_sales_closing",
        }
        old_intent = {"id": tx.provider_reference, "status": "canceled"}
        patcher, calls = self._stripe(
            {"payment_intents": new_intent, "/cancel": old_intent}
        )
        with patcher:
            self.env["payment.transaction"]._cron_sales_closing_check_authorizations()
        self.assertEqual(
            [call["url"].rsplit("/", 1)[-1] for call in calls],
            ["payment_intents", "cancel"],
        )
        self.assertTrue(all(call["headers"].get("Idempotency-Key") for call in calls))
        new_tx = tx.search([("sales_closing_reauthorized_from_id", "=", tx.id)])
        self.assertEqual(new_tx.state, "authorized")
        self.assertEqual(new_tx.provider_reference, "pi_renewed")
        self.assertEqual(new_tx.operation, "offline")
        self.assertEqual(tx.state, "cancel")
        self.assertFalse(tx.sales_closing_expiring)

    def test_views_render(self):
        form = self.env["sale.order"].get_views([(False, "form")])
        arch = form["views"]["form"]["arch"]
        self.assertIn("sales_closing_capture_state", arch)
        action = self.env.ref(
            "sales_closing_payments.action_sales_closing_authorized_payments"
        )
        views = self.env["payment.transaction"].get_views(
            [(view.view_id.id, view.view_mode) for view in action.view_ids]
        )
        self.assertIn("sales_closing_expiry_date", views["views"]["list"]["arch"])
        self.assertIn("sales_closing_open_amount", views["views"]["form"]["arch"])
        settings = self.env["res.config.settings"].get_views([(False, "form")])
        self.assertIn(
            "sales_closing_auth_validity_days", settings["views"]["form"]["arch"]
        )


@tagged("post_install", "-at_install")
class TestAuthorizationExpiry(CaptureCase):
    def _old(self, tx, days):
        tx.sales_closing_authorized_date = fields.Datetime.now() - timedelta(days=days)

    def _token(self, state="done"):
        return self.env["payment.token"].create(
            {
                "provider_id": self.demo.id,
                "payment_method_id": self.card.id,
                "payment_details": "4242",
                "partner_id": self.customer.id,
                "provider_ref": "demo-token",
                "demo_simulated_state": state,
            }
        )

    def test_expiring_without_token_is_flagged_once(self):
        order = self._order()
        tx = self._authorize(order, self.demo)
        fresh = self._authorize(self._order(), self.demo)
        self._old(tx, 6)  # 7 days validity, 1 day margin
        self._old(fresh, 2)
        Tx = self.env["payment.transaction"]
        Tx._cron_sales_closing_check_authorizations()
        self.assertTrue(tx.sales_closing_expiring)
        self.assertFalse(fresh.sales_closing_expiring)
        self.assertEqual(len(order.activity_ids), 1)
        order.invalidate_recordset()
        self.assertTrue(order.sales_closing_auth_expiring)
        self.assertEqual(
            order.sales_closing_auth_expiry_date,
            tx.sales_closing_authorized_date + timedelta(days=7),
        )
        Tx._cron_sales_closing_check_authorizations()
        self.assertEqual(len(order.activity_ids), 1)

    def test_expiring_with_token_is_reauthorized(self):
        order = self._order()
        token = self._token()
        tx = self._authorize(order, self.demo, token=token)
        self._deliver(order, 4)  # 440 captured, 660 still authorized
        self._old(tx, 6)
        Tx = self.env["payment.transaction"]
        Tx._cron_sales_closing_check_authorizations()
        new_tx = Tx.search([("sales_closing_reauthorized_from_id", "=", tx.id)])
        self.assertEqual(len(new_tx), 1)
        self.assertEqual(new_tx.state, "authorized")
        self.assertAlmostEqual(new_tx.amount, 660.0)
        self.assertEqual(new_tx.token_id, token)
        self.assertEqual(new_tx.sale_order_ids, order)
        self.assertTrue(new_tx.sales_closing_idempotency_key)
        self.assertEqual(tx.state, "done")  # 440 captured + 660 voided
        self.assertFalse(tx.sales_closing_expiring)
        # running again changes nothing; calling the renewal again returns the same
        Tx._cron_sales_closing_check_authorizations()
        self.assertEqual(
            Tx.search_count([("sales_closing_reauthorized_from_id", "=", tx.id)]), 1
        )
        # the rest of the order is captured on the renewed authorization
        self._deliver(order, 6)
        self.assertEqual(new_tx.state, "done")
        order.invalidate_recordset()
        self.assertEqual(order.sales_closing_capture_state, "captured")
        self.assertAlmostEqual(order.sales_closing_captured_amount, 1100.0)

    def test_failed_reauthorization_is_flagged(self):
        order = self._order()
        tx = self._authorize(order, self.demo, token=self._token(state="error"))
        self._old(tx, 6)
        self.env["payment.transaction"]._cron_sales_closing_check_authorizations()
        self.assertEqual(tx.state, "authorized")
        self.assertTrue(tx.sales_closing_expiring)
        self.assertEqual(len(order.activity_ids), 1)


@tagged("post_install", "-at_install")
class TestPaymentChecks(CaptureCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.today()
        cls.period = cls.env["sales.closing.period"].create(
            {
                "name": "Capture period",
                "date_from": today.replace(day=1),
                "date_to": today.replace(day=1) + timedelta(days=40),
            }
        )

    def _result(self, code):
        kind = self.env["sales.closing.check.kind"].search([("code", "=", code)])
        return kind._evaluate(self.period)

    def test_authorized_then_captured_then_matched(self):
        base_uncaptured = self._result("uncaptured_transactions")["count"]
        base_unreconciled = self._result("unreconciled_transactions")["count"]
        order = self._order()
        tx = self._authorize(order, self.demo)
        self.assertEqual(
            self._result("uncaptured_transactions")["count"], base_uncaptured + 1
        )
        self._deliver(order, 10)
        self.assertEqual(
            self._result("uncaptured_transactions")["count"], base_uncaptured
        )
        # captured, not yet recorded as a payment
        result = self._result("unreconciled_transactions")
        self.assertEqual(result["count"], base_unreconciled + 1)
        tx._post_process()
        result = self._result("unreconciled_transactions")
        self.assertEqual(result["count"], base_unreconciled + 1)
        self.assertIn(tx, self.env["payment.transaction"].search(result["domain"]))
        # once the payment is matched with the bank it leaves the check
        self._match_with_bank(tx.payment_id)
        self.assertTrue(tx.payment_id.is_matched)
        self.assertEqual(
            self._result("unreconciled_transactions")["count"], base_unreconciled
        )

    def test_partial_captures_count_through_their_captures(self):
        base = self._result("unreconciled_transactions")["count"]
        order = self._order()
        tx = self._authorize(order, self.demo)
        self._deliver(order, 4)
        self._deliver(order, 6)
        self._captures(tx)._post_process()
        result = self._result("unreconciled_transactions")
        self.assertEqual(result["count"], base + 2)
        self.assertNotIn(tx, self.env["payment.transaction"].search(result["domain"]))

    def _match_with_bank(self, payment):
        """Reconcile ``payment``'s outstanding line with a bank statement line."""
        journal = payment.journal_id
        st_line = self.env["account.bank.statement.line"].create(
            {
                "journal_id": journal.id,
                "date": fields.Date.today(),
                "payment_ref": payment.memo,
                "partner_id": payment.partner_id.id,
                "amount": payment.amount,
            }
        )
        _liquidity, suspense, _other = st_line._seek_for_lines()
        outstanding = payment.move_id.line_ids.filtered(
            lambda line: line.account_id == payment.outstanding_account_id
        )
        move = st_line.move_id
        move.button_draft()
        suspense.with_context(
            skip_readonly_check=True
        ).account_id = outstanding.account_id
        move.action_post()
        (suspense + outstanding).reconcile()


@tagged("post_install", "-at_install")
class TestCaptureConcurrency(TransactionCase):
    """Two requests (database cursors) settle the same authorization at once."""

    def setUp(self):
        super().setUp()
        self.cursors = []
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            provider = env["payment.provider"].search(
                [("code", "=", "demo"), ("company_id", "=", env.company.id)], limit=1
            )
            card = env.ref("payment.payment_method_card")
            self.provider_values = {
                "state": provider.state,
                "capture_manually": provider.capture_manually,
                "payment_method_ids": [Command.set(provider.payment_method_ids.ids)],
            }
            provider.write(
                {
                    "state": "test",
                    "capture_manually": True,
                    "payment_method_ids": [Command.link(card.id)],
                }
            )
            partner = env["res.partner"].create({"name": "Concurrent Payer"})
            product = env["product.product"].create(
                {"name": "Concurrent Service", "type": "service", "list_price": 50.0}
            )
            order = env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "order_line": [Command.create({"product_id": product.id})],
                }
            )
            order.action_confirm()
            tx = env["payment.transaction"].create(
                {
                    "provider_id": provider.id,
                    "payment_method_id": card.id,
                    "amount": order.amount_total,
                    "currency_id": order.currency_id.id,
                    "partner_id": partner.id,
                    "operation": "online_redirect",
                    "sale_order_ids": [Command.set(order.ids)],
                }
            )
            tx._set_authorized()
            cr.commit()  # pylint: disable=invalid-commit
            self.ids = {
                "provider": provider.id,
                "partner": partner.id,
                "product": product.id,
                "order": order.id,
                "tx": tx.id,
            }
        self.addCleanup(self._cleanup)

    def _env(self):
        cr = self.registry.cursor()
        self.cursors.append(cr)
        return api.Environment(cr, SUPERUSER_ID, {})

    def _cleanup(self):
        for cr in self.cursors:
            if not cr.closed:
                cr.rollback()
                cr.close()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            tx = env["payment.transaction"].browse(self.ids["tx"])
            (tx.child_transaction_ids | tx).unlink()
            order = env["sale.order"].browse(self.ids["order"])
            order.with_context(disable_cancel_warning=True).action_cancel()
            order.unlink()
            env["product.product"].browse(self.ids["product"]).unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()
            env["payment.provider"].browse(self.ids["provider"]).write(
                self.provider_values
            )
            cr.commit()  # pylint: disable=invalid-commit

    def test_second_request_is_serialized_and_settles_nothing(self):
        """A and B both void the undeliverable authorization; B read before A
        committed, so its row lock fails with a serialization error (Odoo retries
        the request) and the retry finds nothing left to settle."""
        env_a, env_b = self._env(), self._env()
        order_a = env_a["sale.order"].browse(self.ids["order"])
        order_b = env_b["sale.order"].browse(self.ids["order"])
        tx_b = env_b["payment.transaction"].browse(self.ids["tx"])
        self.assertEqual(tx_b.state, "authorized")  # B's snapshot is taken here
        order_a._sales_closing_sync_capture()
        env_a.cr.commit()
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.errors.SerializationFailure),
        ):
            order_b._sales_closing_sync_capture()
        env_b.cr.rollback()
        env_b.invalidate_all()
        order_b._sales_closing_sync_capture()  # the retry
        env_b.cr.commit()
        tx = env_b["payment.transaction"].browse(self.ids["tx"])
        self.assertEqual(tx.state, "cancel")
        self.assertFalse(tx.child_transaction_ids)
