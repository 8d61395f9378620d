"""Unit tests of the capture-at-delivery arithmetic (no Odoo model)."""

import unittest
from decimal import Decimal as D

from odoo.addons.sales_closing_payments.engine import capture


class TestDeliveredRatio(unittest.TestCase):
    def test_pro_rata_of_value(self):
        # 4 of 10 of a 1100 line, all of a 100 line: (440 + 100) / 1200
        ratio = capture.delivered_ratio(
            [(D("1100"), D("10"), D("4")), (D("100"), D("1"), D("1"))]
        )
        self.assertEqual(ratio, D("540") / D("1200"))

    def test_over_delivery_capped_and_empty_lines_ignored(self):
        self.assertEqual(capture.delivered_ratio([(D("50"), D("2"), D("5"))]), 1)
        self.assertEqual(capture.delivered_ratio([(D("0"), D("2"), D("2"))]), 0)
        self.assertEqual(capture.delivered_ratio([(D("10"), D("0"), D("1"))]), 0)
        self.assertEqual(capture.delivered_ratio([]), 0)

    def test_floats_refused(self):
        with self.assertRaises(TypeError):
            capture.delivered_ratio([(10.0, D("1"), D("1"))])


class TestCapturePlan(unittest.TestCase):
    def test_partial_capture_each_delivery(self):
        plan = capture.capture_plan([(1, D("0"), D("1100"))], D("0.4"), False, True)
        self.assertEqual(plan, [(capture.CAPTURE, 1, D("440.00"))])
        plan = capture.capture_plan([(1, D("440"), D("660"))], D("1"), True, True)
        self.assertEqual(plan, [(capture.CAPTURE, 1, D("660.00"))])

    def test_cumulative_so_a_second_run_plans_nothing(self):
        plan = capture.capture_plan([(1, D("440"), D("660"))], D("0.4"), False, True)
        self.assertEqual(plan, [])

    def test_partial_capture_rest_cancelled_voids(self):
        plan = capture.capture_plan([(1, D("0"), D("1100"))], D("0.4"), True, True)
        self.assertEqual(
            plan, [(capture.CAPTURE, 1, D("440.00")), (capture.VOID, 1, D("660.00"))]
        )

    def test_nothing_delivered_voids_everything(self):
        for partial in (True, False):
            with self.subTest(partial=partial):
                plan = capture.capture_plan(
                    [(1, D("0"), D("100"))], D("0"), True, partial
                )
                self.assertEqual(plan, [(capture.VOID, 1, D("100"))])

    def test_full_only_waits_for_last_delivery(self):
        self.assertEqual(
            capture.capture_plan([(1, D("0"), D("1100"))], D("0.4"), False, False), []
        )
        self.assertEqual(
            capture.capture_plan([(1, D("0"), D("1100"))], D("1"), True, False),
            [(capture.CAPTURE, 1, D("1100"))],
        )

    def test_full_only_partial_delivery_refunds_difference(self):
        plan = capture.capture_plan(
            [(1, D("0"), D("1100"))], D("0.4"), True, False, partial_refund=True
        )
        self.assertEqual(
            plan, [(capture.CAPTURE, 1, D("1100")), (capture.REFUND, 1, D("660.00"))]
        )
        plan = capture.capture_plan([(1, D("0"), D("1100"))], D("0.4"), True, False)
        self.assertEqual(plan, [(capture.CAPTURE, 1, D("1100"))])

    def test_several_authorizations_in_order(self):
        txs = [(1, D("0"), D("60")), (2, D("0"), D("40"))]
        plan = capture.capture_plan(txs, D("0.7"), True, True)
        self.assertEqual(
            plan,
            [
                (capture.CAPTURE, 1, D("60")),
                (capture.CAPTURE, 2, D("10.00")),
                (capture.VOID, 2, D("30.00")),
            ],
        )
        plan = capture.capture_plan(txs, D("0.5"), True, False)
        self.assertEqual(
            plan, [(capture.CAPTURE, 1, D("60")), (capture.VOID, 2, D("40"))]
        )

    def test_renewed_authorization_keeps_the_basis(self):
        # 300 captured on the old authorization, 700 renewed: 80 % -> 500 more
        txs = [(1, D("300"), D("0")), (2, D("0"), D("700"))]
        plan = capture.capture_plan(txs, D("0.8"), False, True)
        self.assertEqual(plan, [(capture.CAPTURE, 2, D("500.00"))])

    def test_rounding_and_validation(self):
        plan = capture.capture_plan(
            [(1, D("0"), D("100"))], D(1) / D(3), False, True, rounding="0.01"
        )
        self.assertEqual(plan, [(capture.CAPTURE, 1, D("33.33"))])
        with self.assertRaises(ValueError):
            capture.capture_plan([(1, D("0"), D("1"))], D("1.5"), True, True)
        with self.assertRaises(ValueError):
            capture.capture_plan([(1, D("-1"), D("1"))], D("1"), True, True)

    def test_allocate(self):
        self.assertEqual(
            capture.allocate(D("70"), [(1, D("50")), (2, D("50")), (3, D("50"))]),
            [(1, D("50")), (2, D("20"))],
        )
        self.assertEqual(capture.allocate(D("0"), [(1, D("5"))]), [])
