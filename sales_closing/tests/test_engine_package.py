"""Unit tests of the closing package integrity engine (no database)."""

import json
import unittest
from datetime import date, datetime
from decimal import Decimal

from odoo.addons.sales_closing.engine import package


def _sample():
    """Return a small closing snapshot."""
    return {
        "company": "Société Générale de Test",
        "period": {"from": date(2026, 1, 1), "to": date(2026, 1, 31)},
        "closed_at": datetime(2026, 2, 3, 10, 30, 0),
        "checks": [
            {"key": "draft_invoices", "count": 0, "amount": Decimal("0.00")},
            {"key": "overdue_invoices", "count": 3, "amount": Decimal("1250.50")},
        ],
        "revenue": Decimal("98765.43"),
    }


def _seal(data, previous=""):
    """Return ``(content hash, chain hash)`` for ``data``."""
    content = package.content_hash(data)
    return content, package.chain_hash(content, previous)


class TestCanonicalJson(unittest.TestCase):
    def test_key_order_and_whitespace_do_not_matter(self):
        first = {"b": 1, "a": {"y": [1, 2], "x": "é"}}
        second = {"a": {"x": "é", "y": [1, 2]}, "b": 1}
        self.assertEqual(package.canonical_json(first), package.canonical_json(second))
        self.assertEqual(
            package.canonical_json(first), '{"a":{"x":"é","y":[1,2]},"b":1}'.encode()
        )

    def test_non_ascii_kept_as_utf8(self):
        self.assertEqual(
            package.canonical_json({"n": "人民币"}), '{"n":"人民币"}'.encode()
        )

    def test_decimal_and_dates_serialised_as_strings(self):
        data = {
            "amount": Decimal("1250.50"),
            "big": Decimal("1E+3"),
            "neg_zero": Decimal("-0.00"),
            "day": date(2026, 1, 31),
            "moment": datetime(2026, 2, 3, 10, 30),
        }
        self.assertEqual(
            json.loads(package.canonical_json(data)),
            {
                "amount": "1250.5",
                "big": "1000",
                "neg_zero": "0",
                "day": "2026-01-31",
                "moment": "2026-02-03T10:30:00",
            },
        )

    def test_equal_decimals_give_equal_bytes(self):
        self.assertEqual(
            package.canonical_json({"a": Decimal("1.50")}),
            package.canonical_json({"a": Decimal("1.5")}),
        )

    def test_reloaded_json_hashes_the_same(self):
        data = _sample()
        reloaded = json.loads(package.canonical_json(data))
        self.assertEqual(package.content_hash(reloaded), package.content_hash(data))

    def test_non_string_keys(self):
        self.assertEqual(
            package.canonical_json({2: "b", date(2026, 1, 1): "a"}),
            b'{"2":"b","2026-01-01":"a"}',
        )

    def test_colliding_keys_rejected(self):
        with self.assertRaises(ValueError):
            package.canonical_json({1: "a", "1": "b"})

    def test_unsupported_values_rejected(self):
        with self.assertRaises(TypeError):
            package.canonical_json({"a": object()})
        with self.assertRaises(ValueError):
            package.canonical_json({"a": float("nan")})
        with self.assertRaises(ValueError):
            package.canonical_json({"a": Decimal("Infinity")})


class TestHashes(unittest.TestCase):
    def test_content_hash_is_sha256_of_canonical_json(self):
        digest = package.content_hash({"a": 1})
        self.assertEqual(len(digest), 64)
        self.assertEqual(
            digest, "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862"
        )

    def test_content_hash_changes_with_any_value(self):
        data = _sample()
        altered = _sample()
        altered["checks"][1]["amount"] = Decimal("1250.51")
        self.assertNotEqual(package.content_hash(data), package.content_hash(altered))

    def test_chain_hash_depends_on_both_inputs(self):
        content_a = package.content_hash({"a": 1})
        content_b = package.content_hash({"a": 2})
        first = package.chain_hash(content_a)
        self.assertEqual(first, package.chain_hash(content_a, ""))
        self.assertEqual(first, package.chain_hash(content_a, None))
        self.assertNotEqual(first, package.chain_hash(content_b))
        self.assertNotEqual(
            package.chain_hash(content_b, first), package.chain_hash(content_b)
        )

    def test_chain_hash_rejects_malformed_hashes(self):
        with self.assertRaises(ValueError):
            package.chain_hash("not-a-hash")
        with self.assertRaises(ValueError):
            package.chain_hash(package.content_hash({}), "abc")

    def test_file_hash(self):
        self.assertEqual(
            package.file_hash(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        )
        self.assertEqual(
            package.file_hash(bytearray(b"pdf")), package.file_hash(b"pdf")
        )
        self.assertNotEqual(package.file_hash(b"pdf"), package.file_hash(b"pdf "))
        with self.assertRaises(TypeError):
            package.file_hash("text")


class TestVerify(unittest.TestCase):
    def test_intact_package_has_no_problem(self):
        data = _sample()
        content, chain = _seal(data)
        self.assertEqual(package.verify(data, content, chain, ""), [])

    def test_intact_package_after_json_round_trip(self):
        data = _sample()
        content, chain = _seal(data)
        stored = json.loads(package.canonical_json(data))
        self.assertEqual(package.verify(stored, content, chain, None), [])

    def test_tampered_data_caught(self):
        data = _sample()
        content, chain = _seal(data)
        data["revenue"] = Decimal("98765.44")
        problems = package.verify(data, content, chain, "")
        self.assertEqual(len(problems), 1)
        self.assertIn("content hash", problems[0])

    def test_rewritten_content_hash_breaks_chain(self):
        data = _sample()
        _content, chain = _seal(data)
        data["revenue"] = Decimal(0)
        forged_content = package.content_hash(data)
        problems = package.verify(data, forged_content, chain, "")
        self.assertEqual(len(problems), 1)
        self.assertIn("chain hash", problems[0])

    def test_broken_link_to_previous_package_caught(self):
        first_content, first_chain = _seal({"period": "2026-01"})
        second = {"period": "2026-02"}
        content, chain = _seal(second, first_chain)
        self.assertEqual(package.verify(second, content, chain, first_chain), [])
        replaced_previous = package.chain_hash(package.content_hash({"period": "x"}))
        problems = package.verify(second, content, chain, replaced_previous)
        self.assertEqual(len(problems), 1)
        self.assertIn("previous package", problems[0])
        # Dropping the previous package (verifying as chain start) is caught too.
        self.assertTrue(package.verify(second, content, chain, ""))
        self.assertTrue(first_content)

    def test_missing_or_malformed_hashes_reported(self):
        data = _sample()
        content, chain = _seal(data)
        self.assertEqual(
            package.verify(data, "", chain, ""), ["The stored content hash is missing."]
        )
        problems = package.verify(data, content, "xyz", "")
        self.assertEqual(
            problems, ["The stored chain hash is not a valid SHA-256 value."]
        )
        problems = package.verify(data, content, chain, "bad")
        self.assertEqual(len(problems), 1)
        self.assertIn("previous package", problems[0])

    def test_unserialisable_data_reported(self):
        content, chain = _seal({"a": 1})
        problems = package.verify({"a": object()}, content, chain, "")
        self.assertEqual(len(problems), 1)
        self.assertIn("cannot be serialised", problems[0])

    def test_verify_chain(self):
        periods = [{"period": f"2026-0{month}"} for month in (1, 2, 3)]
        entries, previous = [], ""
        for data in periods:
            content, chain = _seal(data, previous)
            entries.append([data["period"], data, content, chain])
            previous = chain
        self.assertEqual(package.verify_chain(entries), [])
        entries[1][1] = {"period": "2026-02", "extra": True}
        problems = package.verify_chain(entries)
        self.assertEqual(len(problems), 1)
        self.assertTrue(problems[0].startswith("2026-02: "))
        # Removing a package breaks the link of the next one.
        problems = package.verify_chain([entries[0], entries[2]])
        self.assertEqual(len(problems), 1)
        self.assertTrue(problems[0].startswith("2026-03: "))


class TestDiff(unittest.TestCase):
    def test_identical_snapshots(self):
        self.assertEqual(package.diff(_sample(), _sample()), [])

    def test_nested_change(self):
        old, new = _sample(), _sample()
        new["period"]["to"] = date(2026, 1, 30)
        self.assertEqual(
            package.diff(old, new),
            [("period.to", date(2026, 1, 31), date(2026, 1, 30))],
        )

    def test_keyed_list_ignores_reordering_and_shows_additions(self):
        old, new = _sample(), _sample()
        new["checks"].reverse()
        new["checks"][0]["count"] = 4
        new["checks"].append({"key": "late_deliveries", "count": 1})
        self.assertEqual(
            package.diff(old, new),
            [
                ("checks[overdue_invoices].count", 3, 4),
                ("checks[late_deliveries].count", None, 1),
                ("checks[late_deliveries].key", None, "late_deliveries"),
            ],
        )

    def test_keyed_list_removal(self):
        old, new = _sample(), _sample()
        del new["checks"][0]
        self.assertEqual(
            package.diff(old, new),
            [
                ("checks[draft_invoices].amount", Decimal("0.00"), None),
                ("checks[draft_invoices].count", 0, None),
                ("checks[draft_invoices].key", "draft_invoices", None),
            ],
        )

    def test_plain_list_indexed_by_position(self):
        self.assertEqual(
            package.diff({"a": [1, 2, 3]}, {"a": [1, 5]}),
            [("a[1]", 2, 5), ("a[2]", 3, None)],
        )

    def test_decimal_equal_to_reloaded_string(self):
        old = json.loads(package.canonical_json(_sample()))
        self.assertEqual(package.diff(old, _sample()), [])

    def test_type_changes_detected(self):
        self.assertEqual(package.diff({"a": 1}, {"a": True}), [("a", 1, True)])
        self.assertEqual(package.diff({"a": {}}, {"a": None}), [("a", {}, None)])
        self.assertEqual(
            package.diff({"a": {}}, {"a": {"b": 1}}),
            [("a", {}, None), ("a.b", None, 1)],
        )

    def test_flatten(self):
        self.assertEqual(
            package.flatten({"x": [{"key": 7, "v": 1}], "y": []}),
            {"x[7].key": 7, "x[7].v": 1, "y": []},
        )


if __name__ == "__main__":
    unittest.main()
