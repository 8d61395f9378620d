"""Unit tests of the document numbering gap/duplicate engine (no database)."""

import unittest

from odoo.addons.sales_closing.engine import sequence


class TestSequence(unittest.TestCase):
    def test_split_name(self):
        self.assertEqual(sequence.split_name("INV/2026/00012"), ("INV/2026/", 12))
        self.assertEqual(sequence.split_name("INV/2026/11/0003"), ("INV/2026/11/", 3))
        self.assertEqual(sequence.split_name(" RINV/2026/7 "), ("RINV/2026/", 7))
        self.assertIsNone(sequence.split_name("/"))
        self.assertIsNone(sequence.split_name("INV/2026/0001-A"))

    def test_clean_sequence(self):
        names = [f"INV/2026/{n:05d}" for n in range(1, 20)]
        self.assertEqual(
            sequence.sequence_issues(names),
            {"gaps": [], "duplicates": [], "unparsed": []},
        )

    def test_gaps_per_prefix(self):
        names = [
            "INV/2026/00001",
            "INV/2026/00002",
            "INV/2026/00005",
            "INV/2026/00012",
            "RINV/2026/00003",
            "RINV/2026/00004",
            "RINV/2026/00006",
        ]
        self.assertEqual(
            sequence.sequence_issues(names)["gaps"],
            [("INV/2026/", 3, 4), ("INV/2026/", 6, 11), ("RINV/2026/", 5, 5)],
        )

    def test_gap_only_inside_min_max(self):
        # Numbers before the first one (previous period) are not gaps.
        result = sequence.sequence_issues(["INV/2026/00040", "INV/2026/00041"])
        self.assertEqual(result["gaps"], [])

    def test_monthly_prefixes_checked_separately(self):
        names = [
            "INV/2026/11/0001",
            "INV/2026/11/0002",
            "INV/2026/12/0001",
            "INV/2026/12/0003",
        ]
        self.assertEqual(
            sequence.sequence_issues(names)["gaps"], [("INV/2026/12/", 2, 2)]
        )

    def test_years_do_not_mix(self):
        names = ["INV/2025/00099", "INV/2026/00001"]
        self.assertEqual(sequence.sequence_issues(names)["gaps"], [])

    def test_duplicates(self):
        names = [
            "INV/2026/00001",
            "INV/2026/00002",
            "INV/2026/00002",
            "INV/2026/0003",
            "INV/2026/00003",
            "RINV/2026/00002",
        ]
        result = sequence.sequence_issues(names)
        self.assertEqual(
            result["duplicates"], ["INV/2026/00002", "INV/2026/00003", "INV/2026/0003"]
        )
        self.assertEqual(result["gaps"], [])

    def test_unparsed_names_ignored(self):
        result = sequence.sequence_issues(["/", "INV/2026/00001", "INV/2026/00003"])
        self.assertEqual(result["unparsed"], ["/"])
        self.assertEqual(result["gaps"], [("INV/2026/", 2, 2)])

    def test_empty(self):
        self.assertEqual(
            sequence.sequence_issues([]),
            {"gaps": [], "duplicates": [], "unparsed": []},
        )


if __name__ == "__main__":
    unittest.main()
