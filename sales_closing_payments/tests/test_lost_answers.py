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
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from odoo.addons.payment_demo.models.payment_transaction import (
    PaymentTransaction as DemoTransaction,
)

from ..models import payment_transaction as ours
from .test_capture import CaptureCase
from .test_installments import InstallmentCommon

QUIET = (
    "odoo.addons.sales_closing_payments.models.sale_order",
    "odoo.addons.sales_closing_payments.models.sales_closing_installment_plan_line",
    "odoo.addons.sales_closing_payments.models.payment_transaction",
)


class LostAnswerMixin:
    def setUp(self):
        super().setUp()
        self.sent = []
        self.asked = []
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

        def query(tx, key=None):
            test.asked.append(key)
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
