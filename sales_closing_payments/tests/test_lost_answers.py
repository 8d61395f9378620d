"""Captures and installment charges whose answer was lost.

Found by the fault-injection run (``tests/benchmarks/faults.py``): a gateway
that times out or answers 500 *after* it captured or charged. A capture was
then recorded as failed while the money was taken (an activity, the
authorization left open); an installment charge was failed and charged again
at its retry, under a new key: twice. Now the provider is asked
(``payment.transaction._sales_closing_query_outcome``) before anything else,
and a request is never sent again on a guess. Odoo's demo provider stands
for the provider: its request raises as a timeout would, and the answer of
the query is set by each test.
"""

import contextlib
import json
from datetime import timedelta
from unittest.mock import patch

import requests

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.payment_demo.models.payment_transaction import (
    PaymentTransaction as DemoTransaction,
)

from ..engine import alipay as alipay_engine
from ..engine import wechatpay as wechatpay_engine
from ..models import payment_transaction as ours
from .common_cn import PROVIDER_MODULE, CnPaymentCommon
from .test_capture import STRIPE_REQUEST, CaptureCase, FakeResponse
from .test_installments import InstallmentCommon

QUIET = (
    "odoo.addons.sales_closing_payments.models.sale_order",
    "odoo.addons.sales_closing_payments.models.sales_closing_installment_plan_line",
    "odoo.addons.sales_closing_payments.models.payment_transaction",
    "odoo.addons.sales_closing_payments.models.payment_provider",
)


class LostAnswerMixin:
    def setUp(self):
        super().setUp()
        self.sent = []
        self.asked = []
        self.asked_refs = []
        self.outcome = ours.OUTCOME_DONE

    @contextlib.contextmanager
    def lost_answer(self, method, answered=None):
        """The demo provider's ``method`` raises as a timeout does (after
        the provider performed it), except for the requests of
        ``answered`` (a list of booleans, one a request: True goes
        through); the query answers ``self.outcome``."""
        answered = list(answered or [])
        original = getattr(DemoTransaction, method)
        test = self

        def request(tx, *args, **kwargs):
            test.sent.append(tx.reference)
            if answered and answered.pop(0):
                return original(tx, *args, **kwargs)
            raise ValidationError(  # pylint: disable=translation-required
                "Demo: no answer from the gateway (read timed out)"
            )

        def query(tx, key=None, operation=None, request_ref=None):
            test.asked.append(key)
            test.asked_refs.append(request_ref)
            return test.outcome

        with (
            patch.object(DemoTransaction, method, request),
            patch.object(
                self.registry["payment.transaction"],
                "_sales_closing_query_outcome",
                query,
            ),
            mute_logger(*QUIET),
        ):
            yield


@tagged("post_install", "-at_install")
class TestCaptureAnswerLost(LostAnswerMixin, CaptureCase):
    def test_captured_then_timeout_is_recorded_once(self):
        order = self._order()
        tx = self._authorize(order, self.demo)
        with self.lost_answer("_send_capture_request"):
            self._deliver(order, 4)
            capture = self._captures(tx)
            self.assertEqual(len(capture), 1, "the provider captured it: recorded")
            self.assertAlmostEqual(capture.amount, 440.0)
            self.assertTrue(capture.sales_closing_idempotency_key)
            self.assertEqual(self.asked, [capture.sales_closing_idempotency_key])
            self.assertFalse(order.activity_ids, "no failure: the capture happened")
            # the next sync sends nothing: the capture is known
            order._sales_closing_sync_capture()
            self.assertEqual(len(self.sent), 1)
        self.assertEqual(tx.state, "authorized")
        self.assertAlmostEqual(tx.sales_closing_open_amount, 660.0)

    def test_whole_capture_then_timeout_confirms_the_payment(self):
        order = self._order()
        tx = self._authorize(order, self.demo)
        with self.lost_answer("_send_capture_request"):
            self._deliver(order, 10)
        self.assertEqual(tx.state, "done")
        self.assertEqual(len(self.sent), 1)
        self.assertFalse(order.activity_ids)

    def test_provider_unreachable_leaves_the_capture_in_doubt(self):
        order = self._order()
        tx = self._authorize(order, self.demo)
        self.outcome = ours.OUTCOME_UNKNOWN
        with self.lost_answer("_send_capture_request"):
            self._deliver(order, 4)
            in_doubt = tx.child_transaction_ids
            self.assertEqual(len(in_doubt), 1)
            self.assertEqual(in_doubt.state, "pending")
            self.assertAlmostEqual(in_doubt.amount, 440.0)
            self.assertIn("failed", order.activity_ids.summary or "")
            # another sync and the daily check ask again, send nothing
            order._sales_closing_sync_capture()
            self.env["payment.transaction"]._cron_sales_closing_check_authorizations()
            self.assertEqual(len(self.sent), 1)
            self.assertEqual(in_doubt.state, "pending")
            # the provider answers at last: it had captured
            self.outcome = ours.OUTCOME_DONE
            self.env["payment.transaction"]._cron_sales_closing_check_authorizations()
            self.assertEqual(len(self.sent), 1)
        self.assertEqual(in_doubt.state, "done")
        self.assertEqual(self._captures(tx), in_doubt)
        self.assertAlmostEqual(tx.sales_closing_open_amount, 660.0)
        self.assertEqual(len(set(self.asked)), 1, "always the same key")

    def test_capture_the_provider_never_got_is_sent_again(self):
        order = self._order()
        tx = self._authorize(order, self.demo)
        self.outcome = ours.OUTCOME_ABSENT
        with self.lost_answer("_send_capture_request", answered=[False, True]):
            self._deliver(order, 4)
            self.assertFalse(tx.child_transaction_ids)
            self.assertIn("failed", order.activity_ids.summary or "")
            order._sales_closing_sync_capture()
        self.assertEqual(len(self.sent), 2)
        self.assertAlmostEqual(self._captures(tx).amount, 440.0)


class WorkerKilled(Exception):
    """The worker is killed while its request is out: no answer, no error
    handling, the whole transaction is rolled back."""


@contextlib.contextmanager
def killed_with_the_request_out(test, target, method):
    """Run the block; ``target.method`` (the request leaving) records the
    marks written so far and the key in context, then raises WorkerKilled,
    which rolls the block back whole. The marks are written in a cursor of
    their own, committed at once; in a test they share the test's
    transaction and are rolled back with the rest: they are written again
    afterwards, as they stand in the database. Yields a dict that gets
    ``key`` (the request's idempotency key) and ``marks`` (the marks'
    arguments)."""
    Requests = test.registry["sales.closing.gateway.request"]
    original_mark = Requests._sales_closing_mark
    seen = {"marks": [], "keys": []}

    def mark(model, *args, **kwargs):
        seen["marks"].append((args, kwargs))
        return original_mark(model, *args, **kwargs)

    def request(*args, **kwargs):
        test.assertEqual(len(seen["marks"]), 1, "marked before it leaves")
        seen["keys"].append(test.env.context.get("sales_closing_idempotency_key"))
        test.sent.append(method)
        raise WorkerKilled

    with (
        patch.object(Requests, "_sales_closing_mark", mark),
        patch.object(target, method, request),
        test.assertRaises(WorkerKilled),
        test.env.cr.savepoint(),
    ):
        yield seen
    test.env.invalidate_all()
    requests_ = test.env["sales.closing.gateway.request"]
    key = seen["marks"][0][0][0]
    test.assertFalse(requests_._sales_closing_was_sent(key), "rolled back")
    for args, kwargs in seen["marks"]:  # committed by its own cursor outside tests
        requests_._sales_closing_mark(*args, **kwargs)
    seen["key"] = key


@tagged("post_install", "-at_install")
class TestCaptureRequestLeftThenRolledBack(LostAnswerMixin, CaptureCase):
    """A capture whose request left inside a delivery validation that was then
    rolled back (the worker killed): found twice by the fault-injection run,
    sent again under the same key without asking the gateway. The request is
    now marked as sent in a transaction of its own before it leaves; the retry
    asks the gateway first."""

    def _killed_after_the_request_left(self, order, qty):
        """Validate the delivery; the capture request leaves and the worker is
        killed. Returns the key it was sent with. The mark is written in a
        cursor of its own, committed at once; in a test it shares the test's
        transaction and is rolled back with the rest: the recorded marks are
        written again afterwards, as they stand in the database."""
        Requests = self.registry["sales.closing.gateway.request"]
        original_mark = Requests._sales_closing_mark
        marks, keys, test = [], [], self

        def mark(model, key, transaction, operation, amount):
            marks.append((key, transaction, operation, amount))
            return original_mark(model, key, transaction, operation, amount)

        def request(tx, *args, **kwargs):
            test.assertEqual(len(marks), 1, "marked before it leaves")
            keys.append(tx.env.context.get("sales_closing_idempotency_key"))
            test.sent.append(tx.reference)
            raise WorkerKilled

        with (
            patch.object(Requests, "_sales_closing_mark", mark),
            patch.object(DemoTransaction, "_send_capture_request", request),
            self.assertRaises(WorkerKilled),
            self.env.cr.savepoint(),
        ):
            self._deliver(order, qty)
        self.env.invalidate_all()
        requests = self.env["sales.closing.gateway.request"]
        self.assertFalse(requests._sales_closing_was_sent(keys[0]), "rolled back")
        for values in marks:  # committed by its own cursor outside tests
            requests._sales_closing_mark(*values)
        self.assertEqual([m[0] for m in marks], keys)
        return keys[0]

    def test_retry_asks_the_gateway_before_sending_again(self):
        order = self._order()
        tx = self._authorize(order, self.demo)
        key = self._killed_after_the_request_left(order, 4)
        self.assertFalse(tx.child_transaction_ids, "nothing recorded in Odoo")
        self.assertEqual(len(self.sent), 1)
        # the retried validation: the gateway had captured it
        with self.lost_answer("_send_capture_request"):
            self._deliver(order, 4)
        self.assertEqual(self.asked, [key], "asked first, with the same key")
        self.assertEqual(len(self.sent), 1, "no second capture request")
        capture = self._captures(tx)
        self.assertEqual(len(capture), 1)
        self.assertAlmostEqual(capture.amount, 440.0)
        self.assertEqual(capture.sales_closing_idempotency_key, key)
        self.assertFalse(order.activity_ids)
        self.assertAlmostEqual(tx.sales_closing_open_amount, 660.0)

    def test_gateway_unreachable_keeps_the_capture_in_doubt(self):
        order = self._order()
        tx = self._authorize(order, self.demo)
        key = self._killed_after_the_request_left(order, 4)
        self.outcome = ours.OUTCOME_UNKNOWN
        with self.lost_answer("_send_capture_request"):
            self._deliver(order, 4)
            in_doubt = tx.child_transaction_ids
            self.assertEqual(len(in_doubt), 1)
            self.assertEqual(in_doubt.state, "pending")
            self.assertEqual(in_doubt.sales_closing_idempotency_key, key)
            order._sales_closing_sync_capture()
        self.assertEqual(len(self.sent), 1, "never sent again while in doubt")

    def test_capture_the_gateway_never_got_is_sent_once_more(self):
        order = self._order()
        tx = self._authorize(order, self.demo)
        key = self._killed_after_the_request_left(order, 4)
        self.outcome = ours.OUTCOME_ABSENT
        with self.lost_answer("_send_capture_request", answered=[True]):
            self._deliver(order, 4)
        self.assertEqual(self.asked, [key])
        self.assertEqual(len(self.sent), 2, "sent again: the gateway never got it")
        self.assertAlmostEqual(self._captures(tx).amount, 440.0)

    def test_first_capture_is_marked_not_asked(self):
        order = self._order()
        tx = self._authorize(order, self.demo)
        with self.lost_answer("_send_capture_request", answered=[True]):
            self._deliver(order, 4)
        capture = self._captures(tx)
        self.assertFalse(self.asked, "no mark before: nothing to ask")
        self.assertEqual(len(self.sent), 1)
        self.assertTrue(
            self.env["sales.closing.gateway.request"]._sales_closing_was_sent(
                capture.sales_closing_idempotency_key
            )
        )


@tagged("post_install", "-at_install")
class TestChargeAnswerLost(LostAnswerMixin, InstallmentCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.data = cls._setup_installment_data(cls.env, login="sc_lost_answers")
        cls.token = cls._token(cls.env, cls.data, "done")
        cls.today = fields.Date.today()
        cls.Line = cls.env["sales.closing.installment.plan.line"]

    def _plan(self):
        invoice = self._invoice(self.env, self.data)
        plan = self.env["sales.closing.installment.plan"].create(
            {
                "invoice_id": invoice.id,
                "partner_id": self.data["partner"].id,
                "user_id": self.data["salesperson"].id,
                "token_id": self.token.id,
            }
        )
        plan.action_start()
        return plan.line_ids[0]

    def _run(self, days=0):
        return self.Line._charge_due_lines(
            today=self.today + timedelta(days=days), commit=False
        )

    def test_charged_then_timeout_is_paid_once(self):
        line = self._plan()
        with self.lost_answer("_send_payment_request"):
            self._run()
            self.assertEqual(line.state, "paid")
            self.assertEqual(line.transaction_id.state, "done")
            # the retry days would have charged a second time
            for days in (1, 2, 4, 8):
                self._run(days)
        self.assertEqual(len(self.sent), 1)
        self.assertEqual(len(line.transaction_ids), 1)
        self.assertEqual(
            self.asked, [line.transaction_id.sales_closing_idempotency_key]
        )
        self.assertTrue(line.transaction_id.payment_id, "reconciled with the invoice")

    def test_provider_unreachable_keeps_the_line_processing(self):
        line = self._plan()
        self.outcome = ours.OUTCOME_UNKNOWN
        with self.lost_answer("_send_payment_request"):
            self._run()
            self.assertEqual(line.state, "processing")
            self.assertEqual(line.transaction_id.state, "pending")
            self.assertTrue(line.last_error)
            self._run(1)
            self._run(2)
            self.assertEqual(line.state, "processing")
            self.outcome = ours.OUTCOME_DONE
            self._run(3)
        self.assertEqual(line.state, "paid")
        self.assertEqual(len(self.sent), 1, "never sent again while in doubt")
        self.assertEqual(len(line.transaction_ids), 1)
        self.assertEqual(len(self.asked), 4)

    def test_interrupted_run_asks_the_provider_first(self):
        """A run killed after marking the line (the commit) and before the
        answer: the next run asks; charged, the line is paid, not sent."""
        line = self._plan()
        self.Line._lock_due_lines(self.today, 10)._prepare_charges()
        self.assertEqual(line.state, "processing")
        self.assertEqual(line.transaction_id.state, "draft")
        with self.lost_answer("_send_payment_request"):
            self._run()
        self.assertEqual(line.state, "paid")
        self.assertFalse(self.sent)
        self.assertEqual(len(line.transaction_ids), 1)

    def test_charge_the_provider_never_got_is_retried(self):
        line = self._plan()
        self.outcome = ours.OUTCOME_ABSENT
        with self.lost_answer("_send_payment_request", answered=[False, True]):
            self._run()
            self.assertEqual(line.state, "retrying")
            self.assertEqual(line.transaction_id.state, "error")
            self._run(1)
        self.assertEqual(line.state, "paid")
        self.assertEqual(len(line.transaction_ids), 2)
        self.assertEqual(len(self.sent), 2)

    def test_installment_retried_after_a_later_one_is_charged(self):
        """Both installments due; the first one's charge never reached the
        provider (retried later), the second is charged: Odoo reconciles its
        payment with the earliest open term line, the first one's. The retry
        of the first must still charge it (it was marked paid, never
        charged: the invoice left half open; found by the fault-injection
        run)."""
        first = self._plan()
        plan = first.plan_id
        second = plan.line_ids[1]
        invoice = plan.invoice_id
        self.outcome = ours.OUTCOME_ABSENT
        days = (second.due_date - self.today).days
        with self.lost_answer("_send_payment_request", answered=[False, True, True]):
            self._run(days)
            self.assertEqual(first.state, "retrying")
            self.assertEqual(second.state, "paid")
            self.assertEqual(invoice.amount_residual, 100.0)
            for retry in (1, 2, 4, 8):
                self._run(days + retry)
        self.assertEqual(first.state, "paid")
        self.assertEqual(len(self.sent), 3)
        self.assertEqual(first.transaction_id.state, "done")
        self.assertAlmostEqual(first.transaction_id.amount, 100.0)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(plan.state, "done")


@tagged("post_install", "-at_install")
class TestVoidRequestLeftThenRolledBack(LostAnswerMixin, CaptureCase):
    """A void whose request left inside the cancellation of the order, which
    was then rolled back (the worker killed): marked before it leaves, the
    retry asks the provider first."""

    def _cancel(self, order):
        order.with_context(disable_cancel_warning=True).action_cancel()

    def _killed(self, order):
        with killed_with_the_request_out(
            self, DemoTransaction, "_send_void_request"
        ) as seen:
            self._cancel(order)
        self.assertEqual(seen["marks"][0][0][2], "void")
        self.assertEqual(order.state, "sale", "the cancellation was rolled back")
        return seen["key"]

    def test_retry_asks_the_gateway_before_voiding_again(self):
        order = self._order()
        tx = self._authorize(order, self.demo)
        key = self._killed(order)
        with self.lost_answer("_send_void_request"):
            self._cancel(order)
        self.assertEqual(self.asked, [key], "asked first, with the same key")
        self.assertEqual(len(self.sent), 1, "no second void request")
        self.assertEqual(tx.state, "cancel", "the void is recorded")
        self.assertFalse(order.activity_ids)

    def test_void_the_gateway_never_got_is_sent_once_more(self):
        order = self._order()
        tx = self._authorize(order, self.demo)
        key = self._killed(order)
        self.outcome = ours.OUTCOME_ABSENT
        with self.lost_answer("_send_void_request", answered=[True]):
            self._cancel(order)
        self.assertEqual(self.asked, [key])
        self.assertEqual(len(self.sent), 2, "sent again: the gateway never got it")
        self.assertEqual(tx.state, "cancel")

    def test_gateway_unreachable_sends_nothing(self):
        order = self._order()
        tx = self._authorize(order, self.demo)
        key = self._killed(order)
        self.outcome = ours.OUTCOME_UNKNOWN
        with self.lost_answer("_send_void_request"):
            self._cancel(order)
            self.assertEqual(tx.state, "authorized")
            self.assertIn(
                "Online payment void failed", order.activity_ids.mapped("summary")
            )
            asked = len(self.asked)
            # the next attempt asks again, still sends nothing
            with self.assertRaises(UserError):
                tx._sales_closing_void(tx.amount)
        self.assertEqual(len(self.asked), asked + 1)
        self.assertEqual(set(self.asked), {key})
        self.assertEqual(len(self.sent), 1, "never sent again while in doubt")

    def test_partial_void_recorded_once(self):
        order = self._order()
        tx = self._authorize(order, self.demo)
        self._deliver(order, 4)
        with killed_with_the_request_out(
            self, DemoTransaction, "_send_void_request"
        ) as seen:
            tx._sales_closing_void(660.0)
        with self.lost_answer("_send_void_request"):
            tx._sales_closing_void(660.0)
            tx._sales_closing_void(660.0)
        self.assertEqual(self.asked, [seen["key"]])
        self.assertEqual(len(self.sent), 1)
        voided = tx.child_transaction_ids.filtered(lambda c: c.state == "cancel")
        self.assertEqual(len(voided), 1)
        self.assertAlmostEqual(voided.amount, 660.0)
        self.assertEqual(voided.sales_closing_idempotency_key, seen["key"])
        self.assertEqual(tx.state, "done", "440 captured, 660 voided")


@tagged("post_install", "-at_install")
class TestRefundRequestLeftThenRolledBack(LostAnswerMixin, CaptureCase):
    """A refund whose request left inside the posting of a credit note, which
    was then rolled back: its refund number and key are marked before it
    leaves; the retry asks about that number first, and sends it again (the
    same number, the same key) only when the gateway never got it."""

    def _paid_invoice(self, provider=None):
        order = self._order()
        tx = self._authorize(order, provider or self.demo)
        if provider:
            tx._set_done()
        else:
            self._deliver(order, 10)
        tx._post_process()
        invoice = order._create_invoices()
        invoice.action_post()
        credit_note = invoice._reverse_moves(
            [{"ref": "Damaged", "invoice_date": fields.Date.today()}]
        )
        credit_note.invoice_line_ids.quantity = 3
        return tx, credit_note

    def _refunds(self, tx):
        return tx.child_transaction_ids.filtered(lambda c: c.operation == "refund")

    def _killed(self, credit_note):
        with killed_with_the_request_out(
            self, DemoTransaction, "_send_refund_request"
        ) as seen:
            credit_note.action_post()
        args, kwargs = seen["marks"][0]
        self.assertEqual(args[2], "refund")
        self.assertTrue(kwargs.get("request_ref"), "its refund number is marked")
        self.assertEqual(credit_note.state, "draft", "the posting was rolled back")
        return seen["key"], kwargs["request_ref"]

    def test_retry_asks_about_the_refund_before_sending_again(self):
        tx, credit_note = self._paid_invoice()
        key, number = self._killed(credit_note)
        self.assertFalse(self._refunds(tx), "nothing recorded in Odoo")
        with self.lost_answer("_send_refund_request"):
            credit_note.action_post()
        self.assertEqual(self.asked, [key], "asked first, with the same key")
        self.assertEqual(self.asked_refs, [number], "about the same refund number")
        self.assertEqual(len(self.sent), 1, "no second refund request")
        refund = self._refunds(tx)
        self.assertEqual(len(refund), 1)
        self.assertEqual(refund.state, "done")
        self.assertAlmostEqual(refund.amount, -330.0)
        self.assertEqual(refund.reference, number)
        self.assertEqual(refund.sales_closing_idempotency_key, key)
        self.assertEqual(refund.invoice_ids, credit_note)

    def test_refund_the_gateway_never_got_is_sent_with_the_same_number(self):
        tx, credit_note = self._paid_invoice()
        key, number = self._killed(credit_note)
        self.outcome = ours.OUTCOME_ABSENT
        with self.lost_answer("_send_refund_request", answered=[True]):
            credit_note.action_post()
        self.assertEqual(self.asked, [key])
        self.assertEqual(len(self.sent), 2, "sent again: the gateway never got it")
        refund = self._refunds(tx)
        self.assertEqual(len(refund), 1)
        self.assertEqual(refund.reference, number)
        self.assertEqual(refund.sales_closing_idempotency_key, key)

    def test_gateway_unreachable_keeps_the_refund_in_doubt(self):
        tx, credit_note = self._paid_invoice()
        key, number = self._killed(credit_note)
        self.outcome = ours.OUTCOME_UNKNOWN
        with self.lost_answer("_send_refund_request"):
            credit_note.action_post()
            refund = self._refunds(tx)
            self.assertEqual(refund.state, "pending")
            self.assertEqual(refund.reference, number)
            # posted again: the pending refund is asked about, not sent
            credit_note.button_draft()
            credit_note.action_post()
            self.assertEqual(refund.state, "pending")
            self.outcome = ours.OUTCOME_DONE
            self.env["payment.transaction"]._cron_sales_closing_check_authorizations()
            tx._sales_closing_refund(330.0, f"move:{credit_note.id}")
        self.assertEqual(refund.state, "done")
        self.assertEqual(self._refunds(tx), refund)
        self.assertEqual(len(self.sent), 1, "never sent again while in doubt")
        self.assertEqual(set(self.asked), {key})
        self.assertAlmostEqual(tx._sales_closing_refundable_amount(), 770.0)

    def test_refund_timed_out_after_it_was_made_is_recorded_once(self):
        tx, credit_note = self._paid_invoice()
        with self.lost_answer("_send_refund_request"):
            credit_note.action_post()
            credit_note.button_draft()
            credit_note.action_post()
        refund = self._refunds(tx)
        self.assertEqual(len(refund), 1)
        self.assertEqual(refund.state, "done")
        self.assertEqual(self.asked, [refund.sales_closing_idempotency_key])
        self.assertEqual(self.asked_refs, [refund.reference])
        self.assertEqual(len(self.sent), 1)

    def test_provider_odoo_cannot_ask_gets_it_again_under_the_same_key(self):
        """Stripe: no query by key here; the retry sends the refund again with
        the same Idempotency-Key, which Stripe answers from the first one."""
        tx, credit_note = self._paid_invoice(self.stripe)
        calls = []

        def killed(method, url, data=None, headers=None, timeout=None):
            calls.append(headers.get("Idempotency-Key"))
            raise WorkerKilled

        Requests = self.registry["sales.closing.gateway.request"]
        marks = []
        original_mark = Requests._sales_closing_mark

        def mark(model, *args, **kwargs):
            marks.append((args, kwargs))
            return original_mark(model, *args, **kwargs)

        with (
            patch.object(Requests, "_sales_closing_mark", mark),
            patch(STRIPE_REQUEST, side_effect=killed),
            self.assertRaises(WorkerKilled),
            self.env.cr.savepoint(),
        ):
            credit_note.action_post()
        self.env.invalidate_all()
        for args, kwargs in marks:
            self.env["sales.closing.gateway.request"]._sales_closing_mark(
                *args, **kwargs
            )

        def answered(method, url, data=None, headers=None, timeout=None):
            calls.append(headers.get("Idempotency-Key"))
            return FakeResponse({"id": "re_1", "status": "succeeded", "amount": 33000})

        with patch(STRIPE_REQUEST, side_effect=answered):
            credit_note.action_post()
        refund = self._refunds(tx)
        self.assertEqual(len(refund), 1)
        self.assertEqual(len(calls), 2)
        self.assertEqual(calls[0], calls[1], "the same idempotency key")
        self.assertEqual(calls[0], refund.sales_closing_idempotency_key)
        self.assertEqual(refund.reference, marks[0][1]["request_ref"])


@tagged("post_install", "-at_install")
class TestCnRefundAnswerLost(CnPaymentCommon):
    """Alipay and WeChat Pay: the retry of a refund whose request left asks
    the gateway about its refund number (Alipay's refund query by
    out_request_no, WeChat Pay's query by out_refund_no) before sending it
    again."""

    def _killed(self, tx, amount, scope="credit note"):
        """The refund request leaves (requests.post / request) and the worker
        is killed; returns the refund number marked."""
        marks = []
        Requests = self.registry["sales.closing.gateway.request"]
        original_mark = Requests._sales_closing_mark

        def mark(model, *args, **kwargs):
            marks.append((args, kwargs))
            return original_mark(model, *args, **kwargs)

        def killed(*args, **kwargs):
            raise WorkerKilled

        target = "post" if tx.provider_code == "alipay" else "request"
        with (
            patch.object(Requests, "_sales_closing_mark", mark),
            patch(f"{PROVIDER_MODULE}.requests.{target}", side_effect=killed),
            self.assertRaises(WorkerKilled),
            self.env.cr.savepoint(),
        ):
            tx._sales_closing_refund(amount, scope)
        self.env.invalidate_all()
        for args, kwargs in marks:
            self.env["sales.closing.gateway.request"]._sales_closing_mark(
                *args, **kwargs
            )
        self.assertFalse(tx.child_transaction_ids)
        return marks[0][1]["request_ref"]

    def _alipay_calls(self, answers):
        """Patch requests.post with ``answers`` in turn; return the calls'
        (method, biz_content)."""
        calls = []

        def post(url, data=None, params=None, timeout=None):
            calls.append((data["method"], json.loads(data["biz_content"])))
            return answers.pop(0)

        return patch(f"{PROVIDER_MODULE}.requests.post", side_effect=post), calls

    def test_alipay_refund_made_is_recorded_not_sent(self):
        tx = self.make_tx(self.alipay, "SO-ALI-LR1", amount=88.8)
        tx._set_done()
        number = self._killed(tx, 30)
        query = self.alipay_answer(
            alipay_engine.METHOD_REFUND_QUERY,
            {
                "code": "10000",
                "msg": "Success",
                "out_trade_no": "SO-ALI-LR1",
                "out_request_no": number,
                "refund_amount": "30.00",
                "refund_status": "REFUND_SUCCESS",
            },
        )
        patcher, calls = self._alipay_calls([query])
        with patcher:
            refund = tx._sales_closing_refund(30, "credit note")
        self.assertEqual(
            [method for method, _biz in calls], [alipay_engine.METHOD_REFUND_QUERY]
        )
        self.assertEqual(calls[0][1]["out_request_no"], number)
        self.assertEqual(calls[0][1]["out_trade_no"], "SO-ALI-LR1")
        self.assertEqual(refund.state, "done")
        self.assertEqual(refund.reference, number)
        self.assertAlmostEqual(refund.amount, -30.0)

    def test_alipay_refund_not_made_is_sent_with_the_same_number(self):
        tx = self.make_tx(self.alipay, "SO-ALI-LR2", amount=88.8)
        tx._set_done()
        number = self._killed(tx, 30)
        query = self.alipay_answer(
            alipay_engine.METHOD_REFUND_QUERY,
            {"code": "10000", "msg": "Success", "out_trade_no": "SO-ALI-LR2"},
        )
        refunded = self.alipay_answer(
            alipay_engine.METHOD_REFUND,
            {
                "code": "10000",
                "msg": "Success",
                "out_trade_no": "SO-ALI-LR2",
                "trade_no": "2026120722001",
                "fund_change": "Y",
                "refund_fee": "30.00",
            },
        )
        patcher, calls = self._alipay_calls([query, refunded])
        with patcher:
            refund = tx._sales_closing_refund(30, "credit note")
        self.assertEqual(
            [method for method, _biz in calls],
            [alipay_engine.METHOD_REFUND_QUERY, alipay_engine.METHOD_REFUND],
        )
        self.assertEqual(calls[1][1]["out_request_no"], number)
        self.assertEqual(refund.reference, number)
        self.assertEqual(refund.state, "done")

    def test_alipay_refund_timeout_asks_then_records_once(self):
        tx = self.make_tx(self.alipay, "SO-ALI-LR3", amount=88.8)
        tx._set_done()
        query = None

        def post(url, data=None, params=None, timeout=None):
            nonlocal query
            biz = json.loads(data["biz_content"])
            if data["method"] == alipay_engine.METHOD_REFUND:
                query = biz["out_request_no"]
                raise requests.exceptions.ReadTimeout("read timed out")
            return self.alipay_answer(
                alipay_engine.METHOD_REFUND_QUERY,
                {
                    "code": "10000",
                    "msg": "Success",
                    "out_trade_no": "SO-ALI-LR3",
                    "out_request_no": biz["out_request_no"],
                    "refund_amount": "30.00",
                },
            )

        with (
            patch(f"{PROVIDER_MODULE}.requests.post", side_effect=post) as mock,
            mute_logger(
                *QUIET, "odoo.addons.sales_closing_payments.models.payment_provider"
            ),
        ):
            refund = tx._sales_closing_refund(30, "credit note")
            again = tx._sales_closing_refund(30, "credit note")
        self.assertEqual(mock.call_count, 2, "the refund, then its query")
        self.assertEqual(refund, again)
        self.assertEqual(refund.state, "done")
        self.assertEqual(refund.reference, query)

    def test_wechatpay_refund_processing_is_kept_pending_not_sent(self):
        tx = self.make_tx(self.wechatpay, "SO-WX-LR1", amount=20)
        tx._set_done()
        number = self._killed(tx, 5)
        answer = {
            "refund_id": "50000099",
            "out_refund_no": number,
            "out_trade_no": "SO-WX-LR1",
            "status": "PROCESSING",
        }
        with self.mock_request(self.wechat_answer(answer)) as request:
            refund = tx._sales_closing_refund(5, "credit note")
        self.assertEqual(request.call_count, 1)
        method, url = request.call_args.args[:2]
        self.assertEqual(method, "GET")
        self.assertTrue(url.endswith(wechatpay_engine.REFUND_PATH + "/" + number))
        self.assertEqual(refund.state, "pending")
        self.assertEqual(refund.reference, number)
        # the daily check asks again; WeChat Pay refunded it meanwhile
        answer["status"] = "SUCCESS"
        with self.mock_request(self.wechat_answer(answer)) as request:
            self.env["payment.transaction"]._cron_sales_closing_check_authorizations()
        self.assertEqual(request.call_args.args[0], "GET")
        self.assertEqual(refund.state, "done")

    def test_wechatpay_refund_never_received_is_sent_with_the_same_number(self):
        tx = self.make_tx(self.wechatpay, "SO-WX-LR2", amount=20)
        tx._set_done()
        number = self._killed(tx, 5)
        missing = self.wechat_answer(
            {"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"}, status=404
        )
        refunded = self.wechat_answer(
            {"refund_id": "50000100", "out_refund_no": number, "status": "SUCCESS"}
        )
        with patch(
            f"{PROVIDER_MODULE}.requests.request", side_effect=[missing, refunded]
        ) as request:
            refund = tx._sales_closing_refund(5, "credit note")
        self.assertEqual([c.args[0] for c in request.call_args_list], ["GET", "POST"])
        sent = json.loads(request.call_args_list[1].kwargs["data"])
        self.assertEqual(sent["out_refund_no"], number)
        self.assertEqual(refund.reference, number)
        self.assertEqual(refund.state, "done")


@tagged("post_install", "-at_install")
class TestGatewayRequestCompany(TransactionCase):
    """The marks belong to their transaction's company: a user of another
    company cannot read them."""

    def test_user_of_another_company_cannot_read_the_marks(self):
        company_a = self.env.company
        company_b = self.env["res.company"].create({"name": "Marks Company B"})
        demo = self.env["payment.provider"].search(
            [("code", "=", "demo"), ("company_id", "=", company_a.id)], limit=1
        )
        tx = self.env["payment.transaction"].create(
            {
                "provider_id": demo.id,
                "payment_method_id": self.env.ref("payment.payment_method_card").id,
                "amount": 10.0,
                "currency_id": company_a.currency_id.id,
                "partner_id": self.env.user.partner_id.id,
            }
        )
        requests_ = self.env["sales.closing.gateway.request"]
        requests_._sales_closing_mark("mark-company-a", tx, "capture", 10.0)
        mark = requests_.search([("key", "=", "mark-company-a")])
        self.assertEqual(mark.company_id, company_a, "filled at mark time")
        groups = "sales_closing.group_closing_accountant"
        user_a = new_test_user(
            self.env, "sc_marks_a", groups=groups, company_id=company_a.id
        )
        user_b = new_test_user(
            self.env,
            "sc_marks_b",
            groups=groups,
            company_id=company_b.id,
            company_ids=[Command.set(company_b.ids)],
        )
        Marks = self.env["sales.closing.gateway.request"]
        self.assertEqual(Marks.with_user(user_a).search([]) & mark, mark)
        self.assertFalse(Marks.with_user(user_b).search([("id", "=", mark.id)]))
        with self.assertRaises(AccessError):
            mark.with_user(user_b).read(["key"])
        # and nobody writes them through the ORM
        with self.assertRaises(AccessError):
            mark.with_user(user_a).write({"operation": "void"})
