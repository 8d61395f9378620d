import unittest

from odoo.addons.sales_closing_reconcile.engine import normalize


class TestReferences(unittest.TestCase):
    def test_normalize_ref(self):
        self.assertEqual(normalize.normalize_ref("inv/2024/0012"), "INV20240012")
        self.assertEqual(normalize.normalize_ref(" INV-2024.0012 "), "INV20240012")
        self.assertEqual(normalize.normalize_ref("ＩＮＶ／２０２４"), "INV2024")
        self.assertEqual(normalize.normalize_ref(None), "")

    def test_ref_tokens_join_separated_parts(self):
        tokens = normalize.ref_tokens("Payment INV 2024/0012, thanks 货款S00046")
        self.assertIn("INV20240012", tokens)
        self.assertIn("S00046", tokens)
        self.assertNotIn("THANKS", tokens, "tokens without digits are dropped")

    def test_exact_containment_any_typing(self):
        for label in (
            "pmt inv 2024-0012 thx",
            "INV20240012",
            "ref:INV/2024/0012.",
            "货款INV/2024/0012",
        ):
            self.assertEqual(normalize.ref_match("INV/2024/0012", label), 1.0, label)

    def test_boundaries_prevent_longer_numbers(self):
        self.assertEqual(normalize.ref_match("S00045", "S000451"), 0.0)
        self.assertEqual(normalize.ref_match("S00045", "S00045 1 pcs"), 1.0)
        self.assertLess(normalize.ref_match("INV/2024/0012", "RINV/2024/0012"), 1.0)

    def test_leading_zeros_and_prefix(self):
        self.assertEqual(normalize.ref_match("INV/2024/0012", "INV-2024-12"), 0.95)
        self.assertEqual(normalize.ref_match("S00045", "S45"), 0.95)
        # prefix missing: long digit runs are trusted, short ones are not
        self.assertGreaterEqual(
            normalize.ref_match("INV/2026/123456", "paid 2026 123456"), 0.9
        )
        self.assertEqual(normalize.ref_match("S00045", "paid 45"), 0.0)
        self.assertEqual(normalize.ref_match("INV/2024/0012", "paid 2024 0012"), 0.0)
        # digit groups typed apart (zeros optional) count a little more
        # than the same digits run together
        self.assertEqual(normalize.ref_match("INV/2026/07812", "REF 2026/07812"), 0.8)
        self.assertEqual(normalize.ref_match("INV/2026/07812", "paid 2026 7812"), 0.8)
        self.assertEqual(normalize.ref_match("INV/2026/07812", "202607812"), 0.75)
        self.assertEqual(normalize.ref_match("INV/2026/07812", "12026/7812"), 0.7)
        # only the last group, year missing
        self.assertEqual(normalize.ref_match("INV/2026/001234", "payment 1234"), 0.7)
        self.assertEqual(normalize.ref_match("INV/2026/0012", "payment 12"), 0.0)

    def test_dates_do_not_match_references(self):
        self.assertEqual(
            normalize.ref_match("INV/2024/0012", "transfer 2024-12-05"), 0.0
        )

    def test_unrelated(self):
        self.assertEqual(normalize.ref_match("INV/2024/0012", "INV/2024/0013"), 0.0)
        self.assertEqual(normalize.ref_match("", "anything"), 0.0)


class TestNames(unittest.TestCase):
    def test_normalize_name(self):
        self.assertEqual(
            normalize.normalize_name("ACME Trading Co., Ltd."), "acme trading"
        )
        self.assertEqual(normalize.normalize_name("Siemens S.A."), "siemens")
        self.assertEqual(
            normalize.normalize_name("Ｓｈｅｎｚｈｅｎ ＡＢＣ Ｌｔｄ"), "shenzhen abc"
        )
        self.assertEqual(
            normalize.normalize_name("上海某某贸易有限公司"), "上海某某贸易"
        )
        self.assertEqual(
            normalize.normalize_name("北京某某科技集团股份有限公司"), "北京某某科技集团"
        )

    def test_similarity(self):
        sim = normalize.name_similarity
        self.assertEqual(sim("ACME Trading Co., Ltd.", "ACME TRADING LIMITED"), 1.0)
        self.assertEqual(sim("Li Wei", "WEI LI"), 1.0)
        self.assertGreaterEqual(
            sim("IBM", "International Business Machines Corp."), 0.9
        )
        self.assertGreaterEqual(sim("上海某某贸易有限公司", "某某贸易"), 0.9)
        self.assertGreaterEqual(
            sim("Intl Business Machines", "International Business Machines"), 0.85
        )
        self.assertLessEqual(sim("ACME Trading GmbH", "ACME Logistics"), 0.5)
        self.assertLess(sim("上海某某贸易有限公司", "北京另外物流有限公司"), 0.3)
        self.assertEqual(sim("", "x"), 0.0)
