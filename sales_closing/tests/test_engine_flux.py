"""Unit tests of the flux analysis engine (no database)."""

import unittest
from decimal import Decimal

from odoo.addons.sales_closing.engine import flux

D = Decimal
AMOUNT = D("1000")
PCT = D("10")


def _row(rows, key):
    """Return the row of ``key``."""
    return next(row for row in rows if row.key == key)


class TestFlux(unittest.TestCase):
    def test_row_values(self):
        rows = flux.flux(
            {"700": D("12000")}, {"700": D("10000")}, {"700": D("15000")}, AMOUNT, PCT
        )
        self.assertEqual(len(rows), 1)
        row = rows[0]
        self.assertEqual(row.current, D("12000"))
        self.assertEqual(row.var_prev, D("2000"))
        self.assertEqual(row.var_prev_pct, D("20.00"))
        self.assertEqual(row.var_ly, D("-3000"))
        self.assertEqual(row.var_ly_pct, D("-20.00"))
        self.assertTrue(row.needs_explanation)
        self.assertEqual(
            tuple(row),
            (
                "700",
                D("12000"),
                D("10000"),
                D("15000"),
                D("2000"),
                D("20.00"),
                D("-3000"),
                D("-20.00"),
                True,
            ),
        )

    def test_both_thresholds_required(self):
        rows = flux.flux(
            {"big_small_pct": D("105000"), "small_big_pct": D("150")},
            {"big_small_pct": D("100000"), "small_big_pct": D("100")},
            None,
            AMOUNT,
            PCT,
        )
        # 5000 but only 5 %; 50 % but only 50.
        self.assertFalse(_row(rows, "big_small_pct").needs_explanation)
        self.assertFalse(_row(rows, "small_big_pct").needs_explanation)

    def test_thresholds_are_inclusive(self):
        rows = flux.flux({"a": D("11000")}, {"a": D("10000")}, None, AMOUNT, PCT)
        self.assertEqual(rows[0].var_prev_pct, D("10.00"))
        self.assertTrue(rows[0].needs_explanation)
        rows = flux.flux({"a": D("10999")}, {"a": D("10000")}, None, AMOUNT, PCT)
        self.assertFalse(rows[0].needs_explanation)

    def test_either_comparison_flags(self):
        rows = flux.flux(
            {"a": D("10000")}, {"a": D("10000")}, {"a": D("5000")}, AMOUNT, PCT
        )
        self.assertEqual(rows[0].var_prev, D(0))
        self.assertTrue(rows[0].needs_explanation)

    def test_zero_base_is_infinite_pct(self):
        rows = flux.flux({"new": D("5000")}, {}, {}, AMOUNT, D("1000000"))
        row = rows[0]
        self.assertEqual(row.previous, D(0))
        self.assertIsNone(row.var_prev_pct)
        self.assertIsNone(row.var_ly_pct)
        self.assertTrue(row.needs_explanation)

    def test_zero_base_below_amount_threshold(self):
        rows = flux.flux({"new": D("50")}, {}, {}, AMOUNT, PCT)
        self.assertIsNone(rows[0].var_prev_pct)
        self.assertFalse(rows[0].needs_explanation)

    def test_both_zero(self):
        rows = flux.flux({"a": D(0)}, {"a": D(0)}, {}, D(0), D(0))
        self.assertEqual(rows[0].var_prev_pct, D(0))
        # Thresholds of zero flag every row, even an unchanged one.
        self.assertTrue(rows[0].needs_explanation)

    def test_disappeared_key_and_negative_base(self):
        rows = flux.flux(
            {"credit": D("-150")},
            {"gone": D("2000"), "credit": D("-100")},
            None,
            D("10"),
            PCT,
        )
        gone = _row(rows, "gone")
        self.assertEqual(gone.current, D(0))
        self.assertEqual(gone.var_prev, D("-2000"))
        self.assertEqual(gone.var_prev_pct, D("-100.00"))
        self.assertTrue(gone.needs_explanation)
        credit = _row(rows, "credit")
        self.assertEqual(credit.var_prev, D("-50"))
        self.assertEqual(credit.var_prev_pct, D("-50.00"))
        self.assertTrue(credit.needs_explanation)

    def test_no_comparison_available(self):
        rows = flux.flux({"a": D("99999")}, None, None, AMOUNT, PCT)
        row = rows[0]
        self.assertIsNone(row.previous)
        self.assertIsNone(row.var_prev)
        self.assertIsNone(row.var_ly_pct)
        self.assertFalse(row.needs_explanation)

    def test_pct_rounding(self):
        self.assertEqual(flux.variance_pct(D(1), D(3)), D("33.33"))
        self.assertEqual(flux.variance_pct(D(2), D(3)), D("66.67"))

    def test_sorted_keys_and_mixed_types(self):
        rows = flux.flux({"b": D(1), "a": D(1)}, {"c": D(1)}, None, AMOUNT, PCT)
        self.assertEqual([row.key for row in rows], ["a", "b", "c"])
        rows = flux.flux({1: D(1), "x": D(1)}, None, None, AMOUNT, PCT)
        self.assertEqual(len(rows), 2)

    def test_invalid_input(self):
        with self.assertRaises(ValueError):
            flux.flux({}, {}, {}, D("-1"), PCT)
        with self.assertRaises(TypeError):
            flux.flux({"a": 1.5}, {}, {}, AMOUNT, PCT)


if __name__ == "__main__":
    unittest.main()
