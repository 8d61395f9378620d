"""Decisions on lines identified by their payer (names as banks print them,
namesakes, a fee without reference), grouped payments without reference
and partial payments: the engine alone, without a database."""

import random
import unittest
from decimal import Decimal

from odoo.addons.sales_closing_reconcile.engine import matching, subsets
from odoo.addons.sales_closing_reconcile.engine.index import MatchIndex
from odoo.addons.sales_closing_reconcile.engine.scoring import to_cents

from .test_engine_matching import item, line

D = Decimal
HUADA = "上海华达科技有限公司"


def decide(*lines, items, accounts=None, config=None, names=None):
    return matching.match_lines(
        list(lines), items, accounts or {}, config, partner_names=names
    )


class TestPayerNames(unittest.TestCase):
    ITEMS = [
        item(1, 10, "8800.00", "INV/2026/00001", HUADA, currency="CNY"),
        item(2, 10, "1234.56", "INV/2026/00002", HUADA, currency="CNY"),
        item(3, 20, "8800.00", "INV/2026/00003", "Nordic Foods AB", currency="CNY"),
    ]

    def test_printed_forms_of_a_chinese_name_with_the_amount(self):
        for payer in (
            "华达科技",
            "华达科技（上海）有限公司",
            "上海华达科技有",  # cut by the bank
            "SHANGHAI HUADA TECHNOLOGY CO LTD",
            "HUADA KEJI",
            "某某贸易有限公司代付上海华达科技有限公司",
        ):
            dec = decide(line("1234.56", "货款", payer, "CNY"), items=self.ITEMS)[0]
            self.assertEqual(dec.action, "auto", payer)
            self.assertEqual(dec.proposals[0].item_ids, (2,), payer)
            self.assertIn("payer_name", dec.proposals[0].reasons)

    def test_holder_name_of_a_bank_account(self):
        items = [item(1, 10, "77.10", "INV/2026/00001", "Acme Trading Ltd")]
        printed = line("77.10", "TRANSFER", "ZHANG WEI")
        self.assertNotEqual(decide(printed, items=items)[0].action, "auto")
        dec = decide(printed, items=items, names={10: ["Zhang Wei"]})[0]
        self.assertEqual(dec.action, "auto")

    def test_the_agent_is_not_the_customer(self):
        items = [
            item(1, 10, "500.00", "INV/2026/00001", "Nordic Foods AB"),
            item(2, 11, "500.00", "INV/2026/00002", "Paypro Agency Ltd"),
        ]
        dec = decide(
            line("500.00", "TRANSFER", "PAYPRO AGENCY LTD OBO NORDIC FOODS"),
            items=items,
        )[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (1,))

    def test_namesakes_stay_suggestions(self):
        items = [
            item(1, 10, "500.00", "INV/2026/00001", "上海华达科技有限公司", "CNY"),
            item(2, 11, "500.00", "INV/2026/00002", "北京华达科技有限公司", "CNY"),
            item(3, 11, "180.00", "INV/2026/00003", "北京华达科技有限公司", "CNY"),
        ]
        # both could be the payer of 500.00: a human chooses
        dec = decide(line("500.00", "货款", "华达科技", "CNY"), items=items)[0]
        self.assertEqual(dec.action, "suggest")
        self.assertEqual({p.item_ids for p in dec.proposals[:2]}, {(1,), (2,)})
        # the city printed tells them apart
        dec = decide(line("500.00", "货款", "上海华达科技", "CNY"), items=items)[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (1,))
        # a grouped payment of one namesake, the other having a single item
        # of the amount: suggested
        items.append(item(4, 10, "320.00", "INV/2026/00004", HUADA, "CNY"))
        dec = decide(
            line("500.00", "", "华达科技", "CNY"), items=items[:1] + items[1:]
        )[0]
        self.assertEqual(dec.action, "suggest")
        # only one namesake's open items can explain the amount
        dec = decide(line("180.00", "货款", "华达科技", "CNY"), items=items)[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (3,))

    def test_full_name_printed_among_namesakes(self):
        """The legal name printed in full names its partner among
        namesakes of other legal forms when no namesake's items explain the
        amount."""
        items = [
            item(1, 10, "1245.22", "INV/2026/06627", "北京鑫源电子有限责任公司", "CNY"),
            item(2, 11, "980.00", "INV/2026/00002", "北京鑫源电子有限公司", "CNY"),
            item(3, 12, "2760.00", "INV/2026/00003", "北京鑫源电子股份有限公司", "CNY"),
        ]
        # an amount nothing explains: the named payer's nearest items
        dec = decide(
            line("1100.00", "货款", "北京鑫源电子有限责任公司", "CNY"), items=items
        )[0]
        self.assertEqual(dec.action, "suggest")
        self.assertEqual([p.item_ids for p in dec.proposals], [(1,)])
        self.assertIn("amount:nearest", dec.proposals[0].reasons)
        # a part of the invoice its bare number cites: suggested as a partial
        dec = decide(
            line("747.13", "SEPA CT /REF 6627", "北京鑫源电子有限责任公司", "CNY"),
            items=items,
        )[0]
        self.assertEqual(dec.action, "suggest")
        self.assertEqual(dec.proposals[0].item_ids, (1,))
        self.assertTrue(dec.proposals[0].partial)
        # the brand alone names none of them
        dec = decide(line("1100.00", "货款", "鑫源电子", "CNY"), items=items)[0]
        self.assertEqual(dec.action, "none")

    def test_fee_deducted_from_the_payers_only_item_in_reach(self):
        items = [
            item(1, 10, "1000.00", "INV/2026/00001", "Acme Trading Ltd"),
            item(2, 10, "2500.00", "INV/2026/00002", "Acme Trading Ltd"),
            item(3, 11, "1000.00", "INV/2026/00003", "Nordic Foods AB"),
        ]
        dec = decide(line("985.00", "", "ACME TRADING LIMITED"), items=items)[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (1,))
        self.assertEqual(dec.proposals[0].fee_amount, D("15.00"))
        self.assertIn("amount:fee", dec.proposals[0].reasons)
        # 15.00 below two of its items: suggested
        items.append(item(4, 10, "990.00", "INV/2026/00004", "Acme Trading Ltd"))
        dec = decide(line("985.00", "", "ACME TRADING LIMITED"), items=items)[0]
        self.assertEqual(dec.action, "suggest")


class TestNearestItemsOfAKnownPayer(unittest.TestCase):
    """A known payer whose amount nothing explains: its open items nearest
    in amount are suggested (never reconciled); an unknown payer gets
    nothing."""

    ITEMS = [
        item(1, 10, "1000.00", "INV/2026/00001", "Nordic Foods AB"),
        item(2, 10, "2500.00", "INV/2026/00002", "Nordic Foods AB"),
        item(3, 10, "9000.00", "INV/2026/00003", "Nordic Foods AB"),
        item(4, 10, "9900.00", "INV/2026/00004", "Nordic Foods AB"),
        item(5, 20, "2400.00", "INV/2026/00005", "Alpine Dairy GmbH"),
    ]

    def test_overpayment_of_a_known_payer(self):
        dec = decide(line("2600.00", "TRANSFER", "NORDIC FOODS AB"), items=self.ITEMS)[
            0
        ]
        self.assertEqual(dec.action, "suggest")
        self.assertEqual(dec.proposals[0].item_ids, (2,))
        self.assertIn("amount:nearest", dec.proposals[0].reasons)
        self.assertLessEqual(len(dec.proposals), 3)
        self.assertNotIn((5,), [p.item_ids for p in dec.proposals])

    def test_known_by_account(self):
        dec = decide(
            line("1900.00", "", "", payer_account="DE44500105175407324931"),
            items=self.ITEMS,
            accounts={"DE44500105175407324931": 10},
        )[0]
        self.assertEqual(dec.action, "suggest")
        self.assertEqual(sorted(p.item_ids[0] for p in dec.proposals), [1, 2, 3])

    def test_unknown_payer_gets_nothing(self):
        dec = decide(line("2600.00", "TRANSFER", "ZENITH TOOLS"), items=self.ITEMS)[0]
        self.assertEqual(dec.action, "none")


class TestGroupedWithoutReference(unittest.TestCase):
    def _items(self, *amounts, partner=10, name="Acme Trading Ltd"):
        return [
            item(i, partner, amount, f"INV/2026/{i:05d}", name)
            for i, amount in enumerate(amounts, start=1)
        ]

    def test_unique_subset_is_reconciled(self):
        items = self._items("120.35", "410.10", "999.99", "75.25", "5230.00")
        dec = decide(line("605.70", "Sammelzahlung", "ACME TRADING"), items=items)[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (1, 2, 4))
        self.assertTrue(dec.proposals[0].certain)
        # by the payer's bank account, no name
        dec = decide(
            line("605.70", "", payer_account="CN12 3456"),
            items=items,
            accounts={"CN123456": 10},
        )[0]
        self.assertEqual(dec.action, "auto")

    def test_unique_subset_less_a_fee(self):
        items = self._items("120.35", "410.10", "999.99", "75.25", "5230.00")
        dec = decide(line("1400.00", "", "ACME TRADING"), items=items)[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (2, 3))
        self.assertEqual(dec.proposals[0].fee_amount, D("10.09"))

    def _large_customer(self, count):
        rng = random.Random(7)
        return self._items(
            *(f"{rng.randrange(10000, 300000) / 100:.2f}" for _ in range(count))
        )

    def test_chance_sums(self):
        """A large customer's open items sum to about any amount by chance,
        a small one's almost never."""
        large = [to_cents(it["amount_residual"]) for it in self._large_customer(40)]
        self.assertGreater(subsets.chance_sums(large, 470000, 4), 0.01)
        self.assertGreater(subsets.chance_sums(large[:20], 470000, 8), 0.01)
        small = [12035, 41010, 99999, 7525, 523000]
        self.assertLess(subsets.chance_sums(small, 60570, 6), 0.001)
        self.assertEqual(subsets.chance_sums(small[:1], 60570, 6), 0.0)

    def test_a_large_customers_exact_sum_is_suggested(self):
        """Among 20 or 40 open items some subset sums to about any amount:
        an exact sum of uncited items is suggested, not reconciled; the same
        items cited are."""
        for count in (20, 40):
            items = self._large_customer(count)
            chosen = items[3:8] if count == 20 else items[9:13]
            total = sum(it["amount_residual"] for it in chosen)
            ids = tuple(it["id"] for it in chosen)
            dec = decide(line(f"{total:.2f}", "", "ACME TRADING"), items=items)[0]
            self.assertEqual(dec.action, "suggest", count)
            self.assertIn(ids, {p.item_ids for p in dec.proposals}, count)
            cites = " ".join(it["move_name"] for it in chosen)
            dec = decide(line(f"{total:.2f}", cites, "ACME TRADING"), items=items)[0]
            self.assertEqual(dec.action, "auto", count)
            self.assertEqual(dec.proposals[0].item_ids, ids, count)
        # two of the 40 summing to the amount: few pairs, no coincidence
        pair = items[:2]
        total = sum(it["amount_residual"] for it in pair)
        dec = decide(line(f"{total:.2f}", "", "ACME TRADING"), items=items)[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (1, 2))

    def test_two_equal_subsets_stay_suggestions(self):
        items = self._items("100.00", "250.00", "150.00", "200.00", "55.55")
        dec = decide(line("350.00", "", "ACME TRADING"), items=items)[0]
        self.assertEqual(dec.action, "suggest")  # 100 + 250 or 150 + 200
        self.assertEqual({p.item_ids for p in dec.proposals[:2]}, {(1, 2), (3, 4)})
        items = self._items("100.00", "200.00", "300.00", "55.55")
        dec = decide(line("355.55", "", "ACME TRADING"), items=items)[0]
        self.assertEqual(dec.action, "suggest")  # 300 + 55.55, 100 + 200 + 55.55
        found = {p.item_ids for p in dec.proposals}
        self.assertIn((3, 4), found)
        self.assertIn((1, 2, 4), found)

    def test_payer_not_certain_is_suggested(self):
        items = self._items("120.35", "410.10", "999.99", "75.25")
        items += [
            item(9, 11, "530.45", "INV/2026/00009", "Acme Trading GmbH"),
        ]
        # two partners named alike, both able to explain 605.70 or not:
        # the namesake's single item does not, so the amount decides ...
        dec = decide(line("605.70", "", "ACME TRADING"), items=items)[0]
        self.assertEqual(dec.proposals[0].item_ids, (1, 2, 4))
        # ... unless the namesake has items of that sum too
        items.append(item(10, 11, "75.25", "INV/2026/00010", "Acme Trading GmbH"))
        dec = decide(line("605.70", "", "ACME TRADING"), items=items)[0]
        self.assertEqual(dec.action, "suggest")


class TestPartialPayments(unittest.TestCase):
    ITEMS = [
        item(1, 10, "1200.00", "INV/2026/00101", "ACME Trading Co., Ltd."),
        item(2, 10, "300.00", "INV/2026/00102", "ACME Trading Co., Ltd."),
        item(3, 20, "400.00", "INV/2026/00103", "Nordic Foods AB"),
    ]

    def test_partial_of_the_cited_invoice(self):
        dec = decide(
            line("500.00", "INV/2026/00101 1st installment"), items=self.ITEMS
        )[0]
        self.assertEqual(dec.action, "auto")
        best = dec.proposals[0]
        self.assertEqual(best.item_ids, (1,))
        self.assertTrue(best.partial)
        self.assertEqual(best.fee_amount, D(0))  # never a fee: the rest stays open
        self.assertIn("amount:partial", best.reasons)

    def test_an_uncited_fee_subset_is_no_rival(self):
        # 500.00: INV/2026/00101 cited; 300.00 + 215.00 less a fee of 15.00
        # is the payer's one fee-deducted explanation, but nobody cited them
        items = [*self.ITEMS, item(4, 10, "215.00", "INV/2026/00104", "ACME")]
        dec = decide(
            line("500.00", "INV/2026/00101 partial", "ACME TRADING CO LTD"),
            items=items,
        )[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (1,))
        self.assertTrue(dec.proposals[0].partial)
        # an uncited item of exactly the amount still is a rival
        items.append(item(5, 10, "500.00", "INV/2026/00105", "ACME"))
        dec = decide(
            line("500.00", "INV/2026/00101 partial", "ACME TRADING CO LTD"),
            items=items,
        )[0]
        self.assertEqual(dec.action, "suggest")

    def test_switched_off(self):
        config = matching.MatchConfig(auto_partial=False)
        dec = decide(line("500.00", "INV/2026/00101"), items=self.ITEMS, config=config)[
            0
        ]
        self.assertEqual(dec.action, "suggest")
        self.assertTrue(dec.proposals[0].partial)

    def test_not_certain_stays_suggested(self):
        # two invoices cited
        dec = decide(line("500.00", "INV/2026/00101 INV/2026/00103"), items=self.ITEMS)[
            0
        ]
        self.assertNotEqual(dec.action, "auto")
        # the amount is exactly another open item of the payer
        dec = decide(
            line("300.00", "INV/2026/00101", "ACME TRADING"), items=self.ITEMS
        )[0]
        self.assertEqual(dec.action, "suggest")
        # a payer name without reference names no invoice
        dec = decide(line("500.00", "transfer", "ACME TRADING"), items=self.ITEMS[:1])[
            0
        ]
        self.assertNotEqual(dec.action, "auto")
        # a bank-fee line citing the invoice is never customer money
        dec = decide(line("-12.00", "bank charges INV/2026/00101"), items=self.ITEMS)[0]
        self.assertNotEqual(dec.action, "auto")

    def test_fee_within_tolerance_is_no_partial(self):
        dec = decide(line("1170.00", "INV/2026/00101"), items=self.ITEMS)[0]
        self.assertEqual(dec.action, "auto")
        self.assertFalse(dec.proposals[0].partial)
        self.assertEqual(dec.proposals[0].fee_amount, D("30.00"))


class TestNetOfCreditNote(unittest.TestCase):
    """A customer pays an invoice less its own open credit note (a negative
    residual of the same partner): invoice and credit note together, never
    a partial payment of the invoice nor a fee."""

    ITEMS = [
        item(1, 10, "1200.00", "INV/2026/00101", "ACME Trading Co., Ltd."),
        item(2, 10, "-300.00", "RINV/2026/00007", "ACME Trading Co., Ltd."),
        item(3, 10, "700.00", "INV/2026/00102", "ACME Trading Co., Ltd."),
        item(4, 20, "-250.00", "RINV/2026/00008", "Nordic Foods AB"),
    ]

    def test_invoice_less_its_credit_note(self):
        dec = decide(line("900.00", "INV/2026/00101"), items=self.ITEMS)[0]
        self.assertEqual(dec.action, "auto")
        best = dec.proposals[0]
        self.assertEqual(best.item_ids, (1, 2))
        self.assertFalse(best.partial)
        self.assertEqual(best.fee_amount, D(0))
        self.assertIn("amount:credit_note", best.reasons)

    def test_credit_note_cited_too(self):
        dec = decide(
            line("900.00", "INV/2026/00101 less RINV/2026/00007"), items=self.ITEMS
        )[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (1, 2))

    def test_small_credit_note_beats_a_fee(self):
        # 20.00 short lies within the fee tolerance, but the customer has an
        # open credit note of exactly 20.00: deducted, not a bank fee
        items = [*self.ITEMS, item(5, 10, "-20.00", "RINV/2026/00009", "ACME")]
        dec = decide(line("1180.00", "INV/2026/00101"), items=items)[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (1, 5))
        self.assertEqual(dec.proposals[0].fee_amount, D(0))

    def test_credit_notes_within_a_fee_are_no_rival(self):
        # 300.00 short: the credit note of exactly 300.00; two others would
        # fill it less a fee of 10.00 or 15.00 (one way of several: a guess)
        items = [
            *self.ITEMS,
            item(5, 10, "-290.00", "RINV/2026/00009", "ACME"),
            item(6, 10, "-285.00", "RINV/2026/00010", "ACME"),
        ]
        dec = decide(line("900.00", "INV/2026/00101"), items=items)[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (1, 2))
        self.assertEqual(dec.proposals[0].fee_amount, D(0))

    def test_another_customers_credit_note_is_no_explanation(self):
        # 250.00 short: the credit note of that amount is Nordic's; the line
        # is a partial payment of the cited invoice
        dec = decide(line("950.00", "INV/2026/00101"), items=self.ITEMS)[0]
        self.assertTrue(all(4 not in p.item_ids for p in dec.proposals))

    def test_two_credit_notes_of_the_amount_stay_suggestions(self):
        items = [*self.ITEMS, item(6, 10, "-300.00", "RINV/2026/00010", "ACME")]
        dec = decide(line("900.00", "INV/2026/00101"), items=items)[0]
        self.assertEqual(dec.action, "suggest")
        self.assertEqual({p.item_ids for p in dec.proposals[:2]}, {(1, 2), (1, 6)})

    def test_a_credit_note_within_a_fee_keeps_the_partial_open(self):
        # 310.00 short: the credit note of 300.00 less a fee of 10.00, or a
        # partial payment: a human decides, the invoice is never closed
        dec = decide(line("890.00", "INV/2026/00101"), items=self.ITEMS)[0]
        self.assertEqual(dec.action, "suggest")
        self.assertIn((1, 2), [p.item_ids for p in dec.proposals])

    def test_a_fee_alone_needs_no_credit_note(self):
        items = [*self.ITEMS, item(7, 10, "-25.00", "RINV/2026/00011", "ACME")]
        dec = decide(line("1170.00", "INV/2026/00101"), items=items)[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (1,))
        self.assertEqual(dec.proposals[0].fee_amount, D("30.00"))


class TestListedInvoices(unittest.TestCase):
    """Several invoices of one customer cited as banks print a list: the
    first in full, the others by their sequence number."""

    ITEMS = [
        item(42, 10, "100.00", "INV/2026/00042", "ACME Trading Co., Ltd."),
        item(43, 10, "215.50", "INV/2026/00043", "ACME Trading Co., Ltd."),
        item(47, 10, "333.10", "INV/2026/00047", "ACME Trading Co., Ltd."),
        item(48, 10, "548.60", "INV/2026/00048", "ACME Trading Co., Ltd."),
        item(2026, 10, "115.50", "INV/2026/02026", "ACME Trading Co., Ltd."),
        item(50, 20, "215.50", "INV/2026/00050", "Nordic Foods AB"),
    ]

    def test_compact_and_numbered_lists(self):
        for label in (
            "INV/2026/00042/43/47",
            "INV/2026/00042 inv 43, 47",
            "Payment INV/2026/00042、43、47",
        ):
            dec = decide(line("648.60", label), items=self.ITEMS)[0]
            self.assertEqual(dec.action, "auto", label)
            self.assertEqual(dec.proposals[0].item_ids, (42, 43, 47), label)

    def test_numbers_of_a_known_payer(self):
        dec = decide(
            line("548.60", "Rechnungen 43 47", "ACME TRADING CO LTD"),
            items=self.ITEMS,
        )[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (43, 47))

    def test_the_year_cites_no_invoice(self):
        # 2026 is the year of every reference: it does not list
        # INV/2026/02026
        index = MatchIndex(self.ITEMS)
        config = matching.MatchConfig()
        prepared = matching._prepare_line(
            line("215.50", "INV/2026/00042 43"), index, config
        )
        cited = {42: (1.0, "ref:invoice")}
        matching._list_citations(prepared, index, cited)
        self.assertEqual(set(cited), {42, 43})
        self.assertEqual(cited[43], (matching.LIST_REF, "ref:invoice"))

    def test_a_bare_number_alone_names_no_customer(self):
        # no invoice cited in full, no certain payer: 43 is a number
        dec = decide(line("215.50", "transfer 43"), items=self.ITEMS)[0]
        self.assertNotEqual(dec.action, "auto")

    def test_a_listed_number_is_no_partial_payment(self):
        # a bare number is below a partial payment's certainty
        dec = decide(
            line("100.00", "INV/2026/00042 43", "ACME TRADING CO LTD"),
            items=self.ITEMS,
        )[0]
        self.assertEqual(dec.proposals[0].item_ids, (42,))
        dec = decide(
            line("100.00", "transfer 48", "ACME TRADING CO LTD"), items=self.ITEMS
        )[0]
        self.assertFalse(dec.action == "auto" and dec.proposals[0].partial)


class TestFeeWithoutReference(unittest.TestCase):
    """A fee deducted from one invoice of a certain payer, no reference:
    the one item the amount pays less a fee, whatever subsets of its many
    items fall within a fee of the amount too."""

    def _items(self, extra=()):
        # a large customer: one invoice of 1000.00 and small ones, many of
        # whose sums fall within 3.5 % above 970.00
        amounts = ["1000.00", "310.00", "322.00", "333.00", "345.00", "351.00"]
        amounts += list(extra)
        return [
            item(i, 10, amount, f"INV/2026/{i:05d}", "Acme Trading Ltd")
            for i, amount in enumerate(amounts, start=1)
        ]

    def test_one_invoice_less_a_fee(self):
        dec = decide(
            line("970.00", "TRANSFER", "ACME TRADING LTD"), items=self._items()
        )[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (1,))
        self.assertEqual(dec.proposals[0].fee_amount, D("30.00"))

    def test_two_invoices_within_a_fee_stay_suggestions(self):
        items = self._items(extra=["990.00"])
        dec = decide(line("970.00", "TRANSFER", "ACME TRADING LTD"), items=items)[0]
        self.assertEqual(dec.action, "suggest")

    def test_an_exact_subset_is_no_fee(self):
        # 310.00 + 333.00 + 327.00 = 970.00 exactly: the grouped payment
        items = self._items(extra=["327.00"])
        dec = decide(line("970.00", "TRANSFER", "ACME TRADING LTD"), items=items)[0]
        self.assertNotEqual(dec.action == "auto" and dec.proposals[0].item_ids, (1,))

    def test_a_document_cited_is_no_fee(self):
        # an advance citing its proforma: the amount alone does not choose
        dec = decide(
            line("970.00", "PI-2026-118", "ACME TRADING LTD"), items=self._items()
        )[0]
        self.assertNotEqual(dec.action, "auto")

    def test_a_payer_not_certain_is_suggested(self):
        items = self._items() + [
            item(9, 11, "985.00", "INV/2026/00009", "Acme Trading GmbH")
        ]
        # namesakes whose items both explain the amount less a fee
        dec = decide(line("970.00", "TRANSFER", "ACME TRADING"), items=items)[0]
        self.assertNotEqual(dec.action, "auto")


class TestCitedSet(unittest.TestCase):
    """The invoices a label cites, together, less a bank fee; a list cut at
    the field width completed by the payer's one exact explanation."""

    def _items(self):
        amounts = ["4652.07", "5911.05", "3665.16", "310.00", "322.00", "333.00"]
        amounts += ["345.00", "351.00", "1200.00", "980.00", "1010.00", "150.00"]
        return [
            item(i, 10, amount, f"INV/2026/{i:05d}", "Acme Trading Ltd")
            for i, amount in enumerate(amounts, start=1)
        ]

    def test_cited_invoices_less_a_fee(self):
        # 14228.28 less a fee of 25.00: many fee-window subsets, the label
        # says which
        dec = decide(
            line("14203.28", "INV/2026/00001 INV/2026/00002 INV/2026/00003"),
            items=self._items(),
        )[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (1, 2, 3))
        self.assertEqual(dec.proposals[0].fee_amount, D("25.00"))

    def test_weakly_cited_set_less_a_fee_stays_suggested(self):
        # bare numbers only: none cited strongly
        dec = decide(line("14203.28", "Invoices 4/5/6"), items=self._items())[0]
        self.assertNotEqual(
            dec.action == "auto" and dec.proposals[0].item_ids, (4, 5, 6)
        )

    def test_bare_numbers_of_a_certain_payer_less_a_fee(self):
        # 310.00 + 322.00 + 333.00 = 965.00 less a fee of 15.00, cited by
        # their numbers only, the payer printed in full
        dec = decide(
            line("950.00", "Invoices 4/5/6", "ACME TRADING LTD"),
            items=self._items(),
        )[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (4, 5, 6))
        self.assertEqual(dec.proposals[0].fee_amount, D("15.00"))

    def test_cited_set_short_beyond_a_fee_is_no_match(self):
        dec = decide(
            line("13000.00", "INV/2026/00001 INV/2026/00002 INV/2026/00003"),
            items=self._items(),
        )[0]
        self.assertNotEqual(dec.action, "auto")

    def test_list_cut_at_the_field_width(self):
        # the third reference lost: the payer's one exact explanation holds
        # both cited invoices
        dec = decide(
            line("14228.28", "INV/2026/00001 INV/2026/00002 INV/2", "ACME TRADING LTD"),
            items=self._items(),
        )[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (1, 2, 3))

    def _large_customer(self):
        """Two cited invoices among 32 open items of one customer (more
        than a certain payer's items enumerated)."""
        rng = random.Random(7)
        items = [
            item(1, 10, "4652.07", "INV/2026/00001", "Acme Trading Ltd"),
            item(2, 10, "5911.05", "INV/2026/00002", "Acme Trading Ltd"),
        ]
        for i in range(3, 33):
            amount = D(rng.randrange(5000, 900000)) / 100
            items.append(item(i, 10, amount, f"INV/2026/{i:05d}", "Acme Trading Ltd"))
        return items

    def test_cut_list_of_a_large_customer(self):
        items = self._large_customer()
        third = items[20]
        amount = D("4652.07") + D("5911.05") + third["amount_residual"]
        cut = line(amount, "INV/2026/00001 INV/2026/00002 IN", "ACME TRADING LTD")
        dec = decide(cut, items=items)[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(set(dec.proposals[0].item_ids), {1, 2, third["id"]})
        # two items completing the list alike: suggested, both proposed
        items.append(item(70, 10, third["amount_residual"], "INV/2026/00070", "Acme"))
        dec = decide(cut, items=items)[0]
        self.assertEqual(dec.action, "suggest")
        self.assertEqual(
            {frozenset(p.item_ids) for p in dec.proposals[:2]},
            {frozenset((1, 2, third["id"])), frozenset((1, 2, 70))},
        )

    def test_cut_list_with_two_completions_stays_suggested(self):
        items = [*self._items(), item(20, 10, "3665.16", "INV/2026/00020", "Acme")]
        dec = decide(
            line("14228.28", "INV/2026/00001 INV/2026/00002 INV/2", "ACME TRADING LTD"),
            items=items,
        )[0]
        self.assertEqual(dec.action, "suggest")
