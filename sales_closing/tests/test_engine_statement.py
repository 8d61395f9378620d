"""Unit tests of the customer statement engine (no database)."""

import unittest
from datetime import date, datetime
from decimal import Decimal

from odoo.addons.sales_closing.engine import statement as engine


def _move(day, kind, debit=0, credit=0, ref=""):
    return {
        "date": day,
        "kind": kind,
        "debit": Decimal(debit),
        "credit": Decimal(credit),
        "ref": ref,
    }


class TestStatement(unittest.TestCase):
    def test_empty_period_keeps_opening(self):
        result = engine.statement(Decimal("120.50"), [])
        self.assertEqual(result["opening"], Decimal("120.50"))
        self.assertEqual(result["closing"], Decimal("120.50"))
        self.assertEqual(result["lines"], [])
        self.assertEqual(result["invoices"], 0)

    def test_identity_and_running_balance(self):
        movements = [
            _move(date(2026, 1, 20), engine.PAYMENT, credit=300, ref="PAY1"),
            _move(date(2026, 1, 5), engine.INVOICE, debit=500, ref="INV1"),
            _move(date(2026, 1, 10), engine.CREDIT_NOTE, credit=50, ref="RINV1"),
            _move(date(2026, 1, 10), engine.INVOICE, debit=200, ref="INV2"),
        ]
        result = engine.statement(Decimal(100), movements)
        self.assertEqual(result["invoices"], Decimal(700))
        self.assertEqual(result["credit_notes"], Decimal(50))
        self.assertEqual(result["payments"], Decimal(300))
        self.assertEqual(result["closing"], Decimal(450))
        self.assertEqual(
            result["closing"],
            result["opening"]
            + result["invoices"]
            - result["credit_notes"]
            - result["payments"],
        )
        # sorted by date, same-day movements keep their order
        self.assertEqual(
            [line["ref"] for line in result["lines"]], ["INV1", "RINV1", "INV2", "PAY1"]
        )
        self.assertEqual(
            [line["balance"] for line in result["lines"]],
            [Decimal(600), Decimal(550), Decimal(750), Decimal(450)],
        )
        self.assertEqual(result["lines"][-1]["balance"], result["closing"])

    def test_refund_paid_out_is_negative_payment(self):
        movements = [
            _move(date(2026, 1, 3), engine.CREDIT_NOTE, credit=80),
            _move(datetime(2026, 1, 4, 10, 0), engine.PAYMENT, debit=80),
        ]
        result = engine.statement(0, movements)
        self.assertEqual(result["credit_notes"], Decimal(80))
        self.assertEqual(result["payments"], Decimal(-80))
        self.assertEqual(result["closing"], Decimal(0))

    def test_overpayment_gives_credit_balance(self):
        result = engine.statement(
            Decimal(10), [_move(date(2026, 2, 1), engine.PAYMENT, credit=25)]
        )
        self.assertEqual(result["closing"], Decimal(-15))

    def test_bad_input(self):
        with self.assertRaises(TypeError):
            engine.statement(1.5, [])
        with self.assertRaises(TypeError):
            engine.statement(0, [{**_move(date(2026, 1, 1), "invoice"), "debit": 1.0}])
        with self.assertRaises(ValueError):
            engine.statement(0, [_move(date(2026, 1, 1), "journal", debit=1)])
        with self.assertRaises(ValueError):
            engine.statement(0, [_move(date(2026, 1, 1), engine.INVOICE, debit=-1)])
        with self.assertRaises(TypeError):
            engine.statement(0, [_move("2026-01-01", engine.INVOICE, debit=1)])


class TestKindAndOpenAmount(unittest.TestCase):
    def test_movement_kind(self):
        self.assertEqual(engine.movement_kind("out_invoice"), engine.INVOICE)
        self.assertEqual(engine.movement_kind("out_receipt"), engine.INVOICE)
        self.assertEqual(engine.movement_kind("out_refund"), engine.CREDIT_NOTE)
        self.assertEqual(engine.movement_kind("entry"), engine.PAYMENT)
        self.assertEqual(engine.movement_kind(False), engine.PAYMENT)

    def test_open_amount(self):
        self.assertEqual(engine.open_amount(Decimal(100)), Decimal(100))
        # invoice of 100 of which 60 paid
        self.assertEqual(engine.open_amount(Decimal(100), Decimal(60)), Decimal(40))
        # payment of -100 of which 70 matched with invoices
        self.assertEqual(
            engine.open_amount(Decimal(-100), 0, Decimal(70)), Decimal(-30)
        )
        with self.assertRaises(TypeError):
            engine.open_amount(1.0)


if __name__ == "__main__":
    unittest.main()
