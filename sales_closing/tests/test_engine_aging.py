"""Unit tests of the receivable aging engine (no database)."""

import unittest
from datetime import date, datetime
from decimal import Decimal

from odoo.addons.sales_closing.engine import aging

AS_OF = date(2026, 3, 31)


class TestBucket(unittest.TestCase):
    def test_default_boundaries(self):
        cases = {
            -10: "current",
            0: "current",
            1: "1-30",
            30: "1-30",
            31: "31-60",
            60: "31-60",
            61: "61-90",
            90: "61-90",
            91: "90+",
            1000: "90+",
        }
        for days, label in cases.items():
            with self.subTest(days=days):
                self.assertEqual(aging.bucket(days), label)

    def test_custom_boundaries(self):
        self.assertEqual(aging.bucket(15, (0, 15, 45)), "1-15")
        self.assertEqual(aging.bucket(16, (0, 15, 45)), "16-45")
        self.assertEqual(aging.bucket(46, (0, 15, 45)), "45+")
        self.assertEqual(aging.bucket(5, (0,)), "0+")

    def test_labels(self):
        self.assertEqual(
            aging.bucket_labels(), ["current", "1-30", "31-60", "61-90", "90+"]
        )

    def test_invalid_boundaries(self):
        for buckets in ((), (5, 30), (0, 30, 30), (0, 60, 30), (0, 30.5)):
            with self.subTest(buckets=buckets), self.assertRaises(ValueError):
                aging.bucket(1, buckets)


class TestAging(unittest.TestCase):
    def test_partners_buckets_and_totals(self):
        items = [
            ("A", date(2026, 4, 10), Decimal("100.00")),  # not yet due
            ("A", date(2026, 3, 1), Decimal("50.25")),  # 30 days
            ("B", date(2025, 12, 1), Decimal("200.00")),  # 120 days
            ("A", date(2026, 1, 15), Decimal("10.00")),  # 75 days
            ("B", date(2026, 2, 20), Decimal("-20.00")),  # 39 days, credit
        ]
        result = aging.aging(items, AS_OF)
        self.assertEqual(list(result["partners"]), ["A", "B"])
        self.assertEqual(
            result["partners"]["A"],
            {
                "current": Decimal("100.00"),
                "1-30": Decimal("50.25"),
                "31-60": Decimal(0),
                "61-90": Decimal("10.00"),
                "90+": Decimal(0),
                "total": Decimal("160.25"),
            },
        )
        self.assertEqual(result["partners"]["B"]["31-60"], Decimal("-20.00"))
        self.assertEqual(result["partners"]["B"]["90+"], Decimal("200.00"))
        self.assertEqual(result["partners"]["B"]["total"], Decimal("180.00"))
        self.assertEqual(result["totals"]["total"], Decimal("340.25"))
        self.assertEqual(result["totals"]["current"], Decimal("100.00"))
        self.assertEqual(result["totals"]["90+"], Decimal("200.00"))
        totals = result["totals"]
        self.assertEqual(
            sum(v for k, v in totals.items() if k != "total"), totals["total"]
        )

    def test_missing_due_date_is_current_and_zero_skipped(self):
        result = aging.aging(
            [(1, None, Decimal(5)), (2, date(2020, 1, 1), Decimal("0.00"))], AS_OF
        )
        self.assertEqual(list(result["partners"]), [1])
        self.assertEqual(result["partners"][1]["current"], Decimal(5))

    def test_datetimes_accepted(self):
        result = aging.aging(
            [("A", datetime(2026, 3, 30, 23, 0), Decimal(1))],
            datetime(2026, 3, 31, 1, 0),
        )
        self.assertEqual(result["partners"]["A"]["1-30"], Decimal(1))

    def test_custom_buckets(self):
        result = aging.aging([("A", date(2026, 1, 1), 7)], AS_OF, buckets=(0, 60))
        self.assertEqual(
            result["totals"],
            {
                "current": Decimal(0),
                "1-60": Decimal(0),
                "60+": Decimal(7),
                "total": Decimal(7),
            },
        )

    def test_empty(self):
        result = aging.aging([], AS_OF)
        self.assertEqual(result["partners"], {})
        self.assertEqual(result["totals"]["total"], Decimal(0))

    def test_float_residual_refused(self):
        with self.assertRaises(TypeError):
            aging.aging([("A", AS_OF, 1.5)], AS_OF)


if __name__ == "__main__":
    unittest.main()
