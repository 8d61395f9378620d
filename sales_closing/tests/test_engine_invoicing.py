"""Invoicing automation engine, without database."""

import unittest
from datetime import date

from ..engine import invoicing as engine

TODAY = date(2026, 3, 15)


def line(ref, basis, invoiced=0.0, auto=0.0, goods=True, **extra):
    values = {
        "ref": ref,
        "basis": basis,
        "qty_invoiced": invoiced,
        "auto_qty": auto,
        "is_goods": goods,
        "is_downpayment": False,
        "ordered": basis,
        "price_unit": 10.0,
    }
    values.update(extra)
    return values


def order(policy, lines, day=date(2026, 3, 2), **extra):
    values = {
        "id": 1,
        "policy": policy,
        "period_kind": "month",
        "date": day,
        "company": 1,
        "invoice_partner": 7,
        "currency": 2,
        "pricelist_currency": 2,
        "journal_currency": None,
        "lines": lines,
    }
    values.update(extra)
    return values


class TestLineQuantity(unittest.TestCase):
    def test_first_invoice_is_the_basis(self):
        self.assertEqual(engine.line_quantity(10, 0, 0), 10)

    def test_partial_delivery_then_rest(self):
        self.assertEqual(engine.line_quantity(6, 0, 0), 6)
        self.assertEqual(engine.line_quantity(10, 6, 6), 4)

    def test_return_is_credited(self):
        # delivered 10, invoiced 10, 3 returned
        self.assertEqual(engine.line_quantity(7, 10, 10), -3)

    def test_credit_note_by_user_is_not_invoiced_again(self):
        # OCA sale-workflow #4104: a credit note brings Odoo's quantity back
        self.assertEqual(engine.line_quantity(10, 0, 10), 0)
        # and a later return is not credited a second time
        self.assertEqual(engine.line_quantity(7, 0, 10), 0)

    def test_manual_invoice_counts(self):
        # a user invoiced 4 by hand: the automation invoices the other 6
        self.assertEqual(engine.line_quantity(10, 4, 0), 6)
        # and after that nothing
        self.assertEqual(engine.line_quantity(10, 10, 6), 0)

    def test_nothing_when_done(self):
        self.assertEqual(engine.line_quantity(10, 10, 10), 0)
        self.assertEqual(engine.line_quantity(0, 0, 0), 0)


class TestPeriod(unittest.TestCase):
    def test_bounds(self):
        self.assertEqual(
            engine.period_bounds(date(2026, 2, 10), "month"),
            (date(2026, 2, 1), date(2026, 2, 28)),
        )
        self.assertEqual(
            engine.period_bounds(date(2026, 12, 31), "month"),
            (date(2026, 12, 1), date(2026, 12, 31)),
        )
        self.assertEqual(
            engine.period_bounds(date(2026, 11, 3), "quarter"),
            (date(2026, 10, 1), date(2026, 12, 31)),
        )
        self.assertEqual(
            engine.period_bounds(date(2026, 5, 3), "year"),
            (date(2026, 1, 1), date(2026, 12, 31)),
        )
        with self.assertRaises(ValueError):
            engine.period_bounds(date(2026, 5, 3), "week")


class TestPlan(unittest.TestCase):
    def test_manual_does_nothing(self):
        self.assertIsNone(engine.plan(order("manual", [line(1, 5)]), TODAY))

    def test_confirm_invoices_what_is_invoiceable(self):
        result = engine.plan(
            order("confirm", [line(1, 5), line(2, 0, ordered=3)]), TODAY
        )
        self.assertEqual(result["lines"], {1: 5})
        self.assertFalse(result["final"])  # line 2 still to deliver
        self.assertIsNone(result["period"])

    def test_delivery_waits_for_goods(self):
        # a service invoiceable on order, goods not delivered: wait
        lines = [line(1, 1, goods=False), line(2, 0, ordered=4)]
        self.assertIsNone(engine.plan(order("delivery", lines), TODAY))
        # goods delivered: the service goes with them
        lines = [line(1, 1, goods=False), line(2, 4)]
        result = engine.plan(order("delivery", lines), TODAY)
        self.assertEqual(result["lines"], {1: 1, 2: 4})
        self.assertTrue(result["final"])

    def test_delivery_services_only_order(self):
        result = engine.plan(order("delivery", [line(1, 2, goods=False)]), TODAY)
        self.assertEqual(result["lines"], {1: 2})

    def test_return_is_final(self):
        result = engine.plan(order("delivery", [line(1, 7, 10, 10)]), TODAY)
        self.assertEqual(result["lines"], {1: -3})
        self.assertTrue(result["final"])

    def test_credit_note_leaves_nothing(self):
        self.assertIsNone(engine.plan(order("delivery", [line(1, 10, 0, 10)]), TODAY))

    def test_period_waits_for_its_end(self):
        current = order("period", [line(1, 5)], day=date(2026, 3, 2))
        self.assertIsNone(engine.plan(current, TODAY))
        past = order("period", [line(1, 5)], day=date(2026, 2, 27))
        result = engine.plan(past, TODAY)
        self.assertEqual(result["period"], (date(2026, 2, 1), date(2026, 2, 28)))
        quarter = order(
            "period", [line(1, 5)], day=date(2026, 2, 27), period_kind="quarter"
        )
        self.assertIsNone(engine.plan(quarter, TODAY))

    def test_downpayment_deducted_on_the_last_invoice(self):
        down = line(9, 0, is_downpayment=True, qty_to_invoice=-1.0)
        partial = engine.plan(
            order("confirm", [line(1, 5), line(2, 0, ordered=2), down]), TODAY
        )
        self.assertEqual(partial["lines"], {1: 5})
        complete = engine.plan(order("confirm", [line(1, 5), down]), TODAY)
        self.assertEqual(complete["lines"], {1: 5, 9: -1.0})
        self.assertTrue(complete["final"])

    def test_unknown_policy(self):
        self.assertIsNone(engine.plan(order("weekly", [line(1, 5)]), TODAY))


class TestCheckAndGroups(unittest.TestCase):
    def test_bad_input(self):
        item = order(
            "confirm",
            [
                line(1, 5, qty=5),
                line(2, -1, qty=-1),
                line(3, 2, qty=2, price_unit=0.0),
                line(4, 2, qty=0, price_unit=0.0),
            ],
        )
        self.assertEqual(
            engine.check_order(item),
            [(engine.NEGATIVE_QTY, 2), (engine.ZERO_PRICE, 3)],
        )

    def test_currency_mismatch(self):
        item = order("confirm", [line(1, 5, qty=5)], pricelist_currency=3)
        self.assertEqual(engine.check_order(item), [(engine.CURRENCY_MISMATCH, None)])
        item = order("confirm", [line(1, 5, qty=5)], journal_currency=3)
        self.assertEqual(engine.check_order(item), [(engine.CURRENCY_MISMATCH, None)])
        self.assertEqual(engine.check_order(order("confirm", [line(1, 1)])), [])

    def test_groups(self):
        feb = date(2026, 2, 3)
        orders = [
            order("period", [line(1, 1)], day=feb, id=1),
            order("period", [line(2, 1)], day=date(2026, 2, 20), id=2),
            order("period", [line(3, 1)], day=date(2026, 1, 20), id=3),
            order("period", [line(4, 1)], day=feb, id=4, invoice_partner=8),
            order("period", [line(5, 1)], day=feb, id=5, currency=3),
            order("confirm", [line(6, 1)], id=6),
            order("confirm", [line(7, 1)], id=7),
        ]
        plans = [(o, engine.plan(o, TODAY)) for o in orders]
        grouped = engine.groups(plans)
        self.assertEqual(sorted(grouped.values()), [[1, 2], [3], [4], [5], [6], [7]])
