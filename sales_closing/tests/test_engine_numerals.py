"""Unit tests of the Chinese capital amount writer (no database)."""

import unittest
from decimal import Decimal

from odoo.addons.sales_closing.engine import numerals

CASES = {
    "0": "零元整",
    "0.00": "零元整",
    "0.05": "伍分",
    "0.50": "伍角",
    "0.55": "伍角伍分",
    "1": "壹元整",
    "1.05": "壹元零伍分",
    "1.50": "壹元伍角",
    "10.00": "壹拾元整",
    "10.10": "壹拾元壹角",
    "11": "壹拾壹元整",
    "20": "贰拾元整",
    "100": "壹佰元整",
    "101": "壹佰零壹元整",
    "110": "壹佰壹拾元整",
    "1004.50": "壹仟零肆元伍角",
    "1010": "壹仟零壹拾元整",
    "1100": "壹仟壹佰元整",
    "10000": "壹万元整",
    "10001": "壹万零壹元整",
    "10010": "壹万零壹拾元整",
    "10100": "壹万零壹佰元整",
    "11000": "壹万壹仟元整",
    "20000.02": "贰万元零贰分",
    "100000": "壹拾万元整",
    "200000": "贰拾万元整",
    "1001000": "壹佰万壹仟元整",
    "1010101.01": "壹佰零壹万零壹佰零壹元零壹分",
    "60036000": "陆仟零叁万陆仟元整",
    "100000000": "壹亿元整",
    "100000001": "壹亿零壹元整",
    "100001000": "壹亿零壹仟元整",
    "100010000": "壹亿零壹万元整",
    "105000000": "壹亿零伍佰万元整",
    "110000000": "壹亿壹仟万元整",
    "1000000000": "壹拾亿元整",
    "123456789.12": "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分",
    "1000000000000": "壹万亿元整",
    "1000200030004.01": "壹万零贰亿零叁万零肆元零壹分",
    "999999999999.99": "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分",
    "10000000000000000": "壹亿亿元整",
}


class TestChineseCapital(unittest.TestCase):
    def test_cases(self):
        for text, expected in CASES.items():
            with self.subTest(amount=text):
                self.assertEqual(
                    numerals.amount_to_chinese_capital(Decimal(text)), expected
                )

    def test_negative(self):
        self.assertEqual(numerals.amount_to_chinese_capital(Decimal(-3)), "负叁元整")
        self.assertEqual(
            numerals.amount_to_chinese_capital(Decimal("-1004.50")), "负壹仟零肆元伍角"
        )
        self.assertEqual(numerals.amount_to_chinese_capital(Decimal("-0.00")), "零元整")

    def test_int_and_trailing_zero_decimals(self):
        self.assertEqual(numerals.amount_to_chinese_capital(15), "壹拾伍元整")
        self.assertEqual(
            numerals.amount_to_chinese_capital(Decimal("15.000")), "壹拾伍元整"
        )
        self.assertEqual(
            numerals.amount_to_chinese_capital(Decimal("1E+2")), "壹佰元整"
        )

    def test_integer_to_capital(self):
        self.assertEqual(numerals.integer_to_capital(1004), "壹仟零肆")
        with self.assertRaises(ValueError):
            numerals.integer_to_capital(0)

    def test_invalid_amounts(self):
        with self.assertRaises(ValueError):
            numerals.amount_to_chinese_capital(Decimal("1.005"))
        with self.assertRaises(ValueError):
            numerals.amount_to_chinese_capital(Decimal("NaN"))
        with self.assertRaises(TypeError):
            numerals.amount_to_chinese_capital(1.5)
        with self.assertRaises(TypeError):
            numerals.amount_to_chinese_capital("1.50")


if __name__ == "__main__":
    unittest.main()
