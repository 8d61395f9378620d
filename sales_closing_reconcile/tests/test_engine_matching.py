import datetime
import gc
import time
import unittest
from dataclasses import dataclass
from decimal import Decimal

from odoo.addons.sales_closing_reconcile.engine import matching, parsers, subsets

from .benchmark_data import dataset

D = Decimal
DAY = datetime.date(2026, 9, 10)


def item(
    item_id,
    partner_id,
    amount,
    move_name,
    partner_name="",
    currency="EUR",
    order_refs=(),
    tx_refs=(),
    days_before=20,
):
    return {
        "id": item_id,
        "partner_id": partner_id,
        "partner_name": partner_name,
        "move_name": move_name,
        "payment_ref": "",
        "order_refs": list(order_refs),
        "tx_refs": list(tx_refs),
        "amount_residual": D(amount),
        "currency": currency,
        "date": DAY - datetime.timedelta(days=days_before + 30),
        "date_maturity": DAY - datetime.timedelta(days=days_before),
        "kind": "credit_note" if D(amount) < 0 else "invoice",
    }


def line(
    amount,
    label="",
    payer_name="",
    currency="EUR",
    payer_account=None,
    line_id=1,
    partner_id=None,
):
    return {
        "id": line_id,
        "date": DAY,
        "amount": D(amount),
        "currency": currency,
        "label": label,
        "note": "",
        "payer_name": payer_name,
        "payer_account": payer_account,
        "partner_id": partner_id,
    }


ITEMS = [
    item(
        1,
        10,
        "1200.00",
        "INV/2026/00101",
        "ACME Trading Co., Ltd.",
        order_refs=["S00501"],
        tx_refs=["S00501-1"],
    ),
    item(2, 10, "300.00", "INV/2026/00102", "ACME Trading Co., Ltd.", days_before=15),
    item(3, 10, "450.50", "INV/2026/00103", "ACME Trading Co., Ltd.", days_before=12),
    item(4, 20, "999.99", "INV/2026/00104", "上海某某贸易有限公司", currency="CNY"),
    item(5, 30, "250.00", "INV/2026/00105", "Blue River GmbH"),
    item(6, 30, "250.00", "INV/2026/00106", "Blue River GmbH"),
    item(7, 10, "-80.00", "RINV/2026/00007", "ACME Trading Co., Ltd."),
    item(8, 40, "5000.00", "INV/2026/00108", "Nordic Foods SARL"),
    item(9, 50, "777.77", "INV/2026/00109", "International Business Machines Corp."),
]
ACCOUNTS = {"DE89 3704 0044 0532 0130 00": 30}


def decide(*lines, items=None, accounts=None, config=None):
    items = ITEMS if items is None else items
    accounts = ACCOUNTS if accounts is None else accounts
    return matching.match_lines(list(lines), items, accounts, config)


class TestEvidence(unittest.TestCase):
    def test_reference_any_typing_exact_amount_is_auto(self):
        for label in (
            "INV/2026/00101",
            "pmt inv 2026-101",
            "inv2026 00101",
            "order S00501",
            "S00501-1",
        ):
            dec = decide(line("1200.00", label))[0]
            self.assertEqual(dec.action, "auto", label)
            self.assertEqual(dec.proposals[0].item_ids, (1,))
        reasons = decide(line("1200.00", "order S00501"))[0].proposals[0].reasons
        self.assertIn("ref:order", reasons)
        self.assertIn("amount:exact", reasons)
        self.assertIn(
            "ref:tx", decide(line("1200.00", "S00501-1"))[0].proposals[0].reasons
        )

    def test_payer_account_and_exact_amount(self):
        dec = decide(
            line("5000.00", "transfer", payer_account="DE89370400440532013000"),
            items=ITEMS
            + [item(11, 30, "5000.00", "INV/2026/00111", "Blue River GmbH")],
        )[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (11,))
        self.assertIn("payer_account", dec.proposals[0].reasons)

    def test_payer_name_and_exact_amount(self):
        dec = decide(line("450.50", "transfer", payer_name="ACME TRADING LIMITED"))[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (3,))
        self.assertIn("payer_name", dec.proposals[0].reasons)
        # Chinese short name and initials
        dec = decide(line("999.99", "货款", payer_name="某某贸易", currency="CNY"))[0]
        self.assertEqual(dec.proposals[0].item_ids, (4,))
        dec = decide(line("777.77", "", payer_name="IBM"))[0]
        self.assertEqual(dec.proposals[0].item_ids, (9,))

    def test_amount_only_is_never_auto(self):
        dec = decide(line("777.77", "TRANSFER", payer_name="Somebody Else"))[0]
        self.assertEqual(dec.action, "suggest")
        self.assertEqual(dec.proposals[0].item_ids, (9,))
        self.assertLess(dec.proposals[0].score, 0.9)

    def test_fee_within_tolerance(self):
        dec = decide(line("1185.00", "INV/2026/00101"))[0]
        self.assertEqual(dec.action, "auto")
        prop = dec.proposals[0]
        self.assertIn("amount:fee", prop.reasons)
        self.assertEqual(prop.fee_amount, D("15.00"))
        self.assertFalse(prop.partial)

    def test_fee_beyond_tolerance_is_partial(self):
        # the one invoice cited, less than its residual beyond the fee
        # tolerance: a partial payment, reconciled (the invoice stays open)
        dec = decide(line("900.00", "INV/2026/00101"))[0]
        self.assertEqual(dec.action, "auto")
        self.assertTrue(dec.proposals[0].partial)
        self.assertIn("amount:partial", dec.proposals[0].reasons)
        self.assertEqual(dec.proposals[0].fee_amount, D(0))
        off = matching.MatchConfig(auto_partial=False)
        dec = decide(line("900.00", "INV/2026/00101"), config=off)[0]
        self.assertEqual(dec.action, "suggest")
        self.assertTrue(dec.proposals[0].partial)
        # 92 %: a larger fee, a deduction (the open credit note of 80.00
        # less a fee of 20.00) or a partial payment: suggested
        dec = decide(line("1100.00", "INV/2026/00101"))[0]
        self.assertEqual(dec.action, "suggest")
        self.assertEqual([p.item_ids for p in dec.proposals[:2]], [(1, 7), (1,)])
        self.assertTrue(dec.proposals[1].partial)
        tight = matching.MatchConfig(fee_tolerance_abs=D("1"), fee_tolerance_pct=D("0"))
        dec = decide(line("1185.00", "INV/2026/00101"), config=tight)[0]
        self.assertTrue(dec.proposals[0].partial)

    def test_partial_needs_strong_reference(self):
        dec = decide(
            line("600.00", "INV/2026/00101 first half"),
            config=matching.MatchConfig(auto_partial=False),
        )[0]
        self.assertEqual(dec.action, "suggest")
        self.assertEqual(dec.proposals[0].item_ids, (1,))
        self.assertTrue(dec.proposals[0].partial)
        # the payer alone makes no partial payment: its items nearest in
        # amount are only suggested for a person to look at
        dec = decide(line("600.00", "transfer", payer_name="ACME Trading"))[0]
        self.assertNotEqual(dec.action, "auto")
        self.assertFalse(any(p.partial for p in dec.proposals))
        self.assertTrue(all("amount:nearest" in p.reasons for p in dec.proposals))

    def test_subset_with_references(self):
        dec = decide(
            line(
                "1500.00", "INV/2026/00101 + INV/2026/00102", payer_name="ACME Trading"
            )
        )[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (1, 2))
        self.assertIn("amount:subset", dec.proposals[0].reasons)

    def test_subset_without_reference(self):
        dec = decide(line("750.50", "Sammelzahlung", payer_name="ACME Trading Ltd"))[0]
        self.assertEqual(set(dec.proposals[0].item_ids), {2, 3})
        self.assertIn("amount:subset", dec.proposals[0].reasons)

    def test_subset_with_fee(self):
        # both invoices cited: their sum less a fee is reconciled
        dec = decide(line("1495.00", "INV/2026/00101 INV/2026/00102"))[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (1, 2))
        self.assertEqual(dec.proposals[0].fee_amount, D("5.00"))
        # nothing cited, a payer name that is not certain: suggested only
        dec = decide(line("1495.00", "Sammelzahlung", payer_name="ACME"))[0]
        self.assertEqual(dec.action, "suggest")
        self.assertIn((1, 2), [p.item_ids for p in dec.proposals])

    def test_currency_must_match(self):
        dec = decide(line("1200.00", "INV/2026/00101", currency="USD"))[0]
        self.assertEqual(dec.action, "none")
        self.assertEqual(dec.proposals, [])
        dec = decide(line("999.99", "INV/2026/00104", currency="CNY"))[0]
        self.assertIn("currency", dec.proposals[0].reasons)

    def test_refund_matches_credit_note_only(self):
        dec = decide(line("-80.00", "refund RINV/2026/00007"))[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (7,))
        dec = decide(line("-300.00", "INV/2026/00102"))[0]
        self.assertEqual(dec.action, "none")

    def test_date_proximity_is_evidence(self):
        dec = decide(line("1200.00", "INV/2026/00101"))[0]
        self.assertIn("date", dec.proposals[0].reasons)


class TestAmbiguityAndNoise(unittest.TestCase):
    def test_identical_amounts_without_reference_stay_suggestions(self):
        dec = decide(line("250.00", "payment", payer_name="Blue River"))[0]
        self.assertEqual(dec.action, "suggest")
        self.assertEqual({p.item_ids for p in dec.proposals[:2]}, {(5,), (6,)})
        dec = decide(line("250.00", "", payer_account="DE89370400440532013000"))[0]
        self.assertEqual(dec.action, "suggest")

    def test_reference_breaks_the_tie(self):
        dec = decide(line("250.00", "INV/2026/00106", payer_name="Blue River"))[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (6,))

    def test_noise_lines_are_left_alone(self):
        noise = [
            line("-12.50", "BANK FEES SEPTEMBER", line_id=1),
            line("-3000.00", "Salary September", line_id=2),
            line("-250.00", "VAT payment Q3", line_id=3),
            line("250.00", "Interest credit", line_id=4, payer_name="Blue River"),
            line("-5.00", "手续费", line_id=5, currency="CNY"),
            line("-8000.00", "代发工资", line_id=6, currency="CNY"),
            line(
                "999.99", "税款退还", line_id=7, currency="CNY", payer_name="某某贸易"
            ),
            line(
                "999.99", "贷款发放", line_id=8, currency="CNY", payer_name="某某银行"
            ),
        ]
        for dec in decide(*noise):
            self.assertNotEqual(dec.action, "auto", dec.line_id)
            self.assertEqual(dec.proposals, [], dec.line_id)

    def test_loan_is_a_typo_for_goods(self):
        # 贷款 (loan) typed for 货款 (payment for goods), as memos often
        # are: customer money like any other
        dec = decide(
            line("999.99", "贷款", currency="CNY", payer_name="上海某某贸易有限公司")
        )[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (4,))

    def test_at_most_max_suggestions(self):
        items = [
            item(100 + i, 60 + i, "42.00", f"INV/2026/9{i:04d}", f"Partner {i}")
            for i in range(10)
        ]
        dec = decide(line("42.00", "transfer"), items=items)[0]
        self.assertEqual(dec.action, "suggest")
        self.assertEqual(len(dec.proposals), 3)

    def test_item_used_by_one_auto_only(self):
        decs = decide(
            line(
                "1200.00", "INV/2026/00101 S00501", payer_name="ACME Trading", line_id=1
            ),
            line("1200.00", "INV/2026/00101", line_id=2),
        )
        actions = sorted(d.action for d in decs)
        self.assertEqual(actions, ["auto", "suggest"])
        self.assertEqual(decs[0].action, "auto", "the stronger line wins")

    def test_dataclass_inputs(self):
        @dataclass
        class Line:
            id: int
            date: datetime.date
            amount: Decimal
            currency: str
            label: str
            note: str = ""
            payer_name: str = ""
            payer_account: str = ""
            partner_id: int = None

        dec = decide(Line(1, DAY, D("300.00"), "EUR", "inv 2026/00102"))[0]
        self.assertEqual(dec.action, "auto")

    def test_partner_on_line(self):
        dec = decide(line("450.50", "", partner_id=10))[0]
        self.assertEqual(dec.action, "auto")
        self.assertIn("partner", dec.proposals[0].reasons)


class TestWideEvidence(unittest.TestCase):
    """Evidence beyond the first candidates: common names, large customers,
    payer account and name together, digit groups typed apart."""

    def test_account_and_name_of_one_partner_combine(self):
        items = [
            item(1, 30, "5000.00", "INV/2026/00001", "Blue River GmbH"),
            item(2, 31, "4900.00", "INV/2026/00002", "Blue River SARL"),
        ]
        account = "DE89370400440532013000"
        both = decide(
            line("5000.00", "", payer_name="BLUE RIVER", payer_account=account),
            items=items,
        )[0]
        alone = decide(line("5000.00", "", payer_account=account), items=items)[0]
        self.assertEqual(both.proposals[0].item_ids, (1,))
        self.assertIn("payer_account", both.proposals[0].reasons)
        self.assertIn("payer_name", both.proposals[0].reasons)
        self.assertGreater(both.proposals[0].score, alone.proposals[0].score)

    def test_fee_without_reference(self):
        # account and name agree, the amount is 2 % below the payer's only
        # open item: the one explanation of the amount, reconciled
        items = [item(1, 30, "5000.00", "INV/2026/00001", "Blue River GmbH")]
        payer = {"payer_name": "Blue River", "payer_account": "DE89370400440532013000"}
        dec = decide(line("4900.00", "", **payer), items=items)[0]
        self.assertEqual(dec.proposals[0].item_ids, (1,))
        self.assertIn("amount:fee", dec.proposals[0].reasons)
        self.assertEqual(dec.proposals[0].fee_amount, D("100.00"))
        self.assertEqual(dec.action, "auto")
        # a second open item within the fee: nothing says which was paid
        two = items + [item(2, 30, "4950.00", "INV/2026/00002", "Blue River GmbH")]
        dec = decide(line("4900.00", "", **payer), items=two)[0]
        self.assertEqual(dec.action, "suggest")
        self.assertEqual({p.item_ids for p in dec.proposals[:2]}, {(1,), (2,)})
        # a payer known by a vague name only: suggested
        dec = decide(line("4900.00", "", payer_name="Blue"), items=items)[0]
        self.assertEqual(dec.action, "suggest")

    def test_common_name_beyond_the_name_candidates(self):
        # five partners named alike, only two name candidates kept: the
        # exact amount finds the one paid among all who bear the name
        items = [
            item(i, 100 + i, f"{100 + i}.00", f"INV/2026/0000{i}", "Hans Muller")
            for i in range(1, 6)
        ]
        config = matching.MatchConfig(max_name_candidates=2)
        for paid in range(1, 6):
            dec = decide(
                line(f"{100 + paid}.00", "Zahlung", payer_name="MULLER HANS"),
                items=items,
                config=config,
            )[0]
            self.assertEqual(dec.proposals[0].item_ids, (paid,))
            self.assertIn("payer_name", dec.proposals[0].reasons)
        # two of them with that amount: a human chooses
        twins = items + [item(6, 106, "105.00", "INV/2026/00006", "Hans Muller")]
        dec = decide(
            line("105.00", "Zahlung", payer_name="Hans Muller"),
            items=twins,
            config=config,
        )[0]
        self.assertEqual(dec.action, "suggest")
        self.assertEqual({p.item_ids for p in dec.proposals[:2]}, {(5,), (6,)})

    def test_grouped_payment_of_a_large_customer(self):
        # 60 open items, one a day around the payment date: the three paid
        # are further in date than the 14 nearest the small search takes
        items = [
            item(
                i,
                10,
                f"{1000 + (i * i * 37) % 900}.{(i * 53) % 100:02d}",
                f"INV/2026/{i:05d}",
                "ACME Trading Co., Ltd.",
                days_before=15 - i,
            )
            for i in range(1, 61)
        ]
        paid = [items[0], items[2], items[5]]
        total = sum(it["amount_residual"] for it in paid)
        dec = decide(
            line(str(total), "Sammelzahlung", payer_name="ACME TRADING"),
            items=items,
        )[0]
        self.assertEqual(dec.proposals[0].item_ids, (1, 3, 6))
        self.assertIn("amount:subset", dec.proposals[0].reasons)
        self.assertNotIn("amount:fee", dec.proposals[0].reasons)
        small = matching.MatchConfig(max_exact_pool=14)
        dec = decide(
            line(str(total), "Sammelzahlung", payer_name="ACME TRADING"),
            items=items,
            config=small,
        )[0]
        self.assertNotIn((1, 3, 6), [p.item_ids for p in dec.proposals])

    def test_grouped_payment_of_one_of_several_namesakes(self):
        # five partners named alike: the grouped payment of the fifth is
        # searched too, not only among the first three
        items = []
        for partner in range(5):
            for k in range(4):
                num = 10 * partner + k + 1
                items.append(
                    item(
                        num,
                        200 + partner,
                        f"{300 + 37 * num}.{num:02d}",
                        f"INV/2026/{num:05d}",
                        "Global Furniture Ltd",
                    )
                )
        paid = [it for it in items if it["id"] in (41, 43)]
        total = sum(it["amount_residual"] for it in paid)
        dec = decide(
            line(str(total), "Payment invoices", payer_name="GLOBAL FURNITURE"),
            items=items,
        )[0]
        self.assertIn((41, 43), [p.item_ids for p in dec.proposals])

    def test_account_partner_group_beats_a_namesake_single(self):
        # the payer account names partner 30, whose two items of 250.00
        # make the 500.00; a namesake has one item of 500.00
        items = ITEMS + [item(12, 31, "500.00", "INV/2026/00112", "Blue River SARL")]
        dec = decide(
            line(
                "500.00",
                "Payment invoices",
                payer_name="BLUE RIVER",
                payer_account="DE89370400440532013000",
            ),
            items=items,
        )[0]
        self.assertEqual(dec.proposals[0].item_ids, (5, 6))
        self.assertIn("payer_account", dec.proposals[0].reasons)
        self.assertIn((12,), [p.item_ids for p in dec.proposals])
        self.assertEqual(dec.action, "suggest")

    def test_exact_subsets(self):
        cents = [100, 250, 400, 650, 50, 300]
        found = subsets.exact_subsets(cents, 700, 4)
        sums = {combo: sum(cents[i] for i in combo) for combo in found}
        self.assertTrue(all(total == 700 for total in sums.values()), sums)
        self.assertIn((0, 1, 4, 5), found)  # 100+250+50+300
        self.assertIn((3, 4), found)  # 650+50
        self.assertIn((1, 2, 4), found)  # 250+400+50
        self.assertEqual(len(found), len(set(found)), "no duplicates")
        self.assertTrue(all(len(combo) <= 4 for combo in found))
        self.assertFalse(any(len(c) == 4 for c in subsets.exact_subsets(cents, 700, 3)))

    def test_digit_groups_typed_apart_allow_a_partial(self):
        items = [
            item(1, 10, "7079.40", "INV/2026/03576", "Crown Packaging LLC"),
            item(2, 11, "50.00", "INV/2026/07812", "Southern Logistics"),
        ]
        dec = decide(
            line(
                "4247.64",
                "INVOICE 2026/03576 THANK YOU",
                payer_name="CROWN PACKAGING LLC",
            ),
            items=items,
        )[0]
        self.assertEqual(dec.proposals[0].item_ids, (1,))
        self.assertTrue(dec.proposals[0].partial)
        self.assertEqual(dec.action, "auto")  # cited (0.8) by its partner
        # a bank fee of 5.00 on 50.00 exceeds the 3.5 % tolerance
        dec = decide(
            line("45.00", "SEPA /REF 2026/07812", payer_name="Southern Logistics"),
            items=items,
            config=matching.MatchConfig(fee_tolerance_abs=D(0)),
        )[0]
        self.assertEqual(dec.proposals[0].item_ids, (2,))

    def test_one_number_names_one_document(self):
        """Another customer's order carrying the number of the invoice the
        label cites with its prefix (``S25134`` read in
        ``'INV-2026-25134'``) is no second document named: the partial
        payment of the invoice is certain.  A bare number reads as well as
        the order as the invoice: neither is certain."""
        items = [
            item(1, 10, "6635.58", "INV/2026/25134", "River Foods"),
            item(
                2,
                11,
                "242.83",
                "INV/2026/15134",
                "Pacific Traders",
                order_refs=["S25134"],
            ),
        ]
        payer = "RIVER FOODS"
        dec = decide(line("3981.34", "INV-2026-25134", payer), items=items)[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (1,))
        self.assertTrue(dec.proposals[0].partial)
        self.assertNotIn((2,), [p.item_ids for p in dec.proposals])
        dec = decide(line("3981.34", "25134", payer), items=items)[0]
        self.assertEqual(dec.action, "suggest")
        # the order's own customer paying it in full, the number bare: auto
        dec = decide(line("242.83", "S25134", "Pacific Traders"), items=items)[0]
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (2,))

    def test_one_item_less_a_fee_before_uncited_items_less_a_fee(self):
        """Two namesakes, no reference: one invoice less a bank fee comes
        before two uncited invoices whose sum is near the amount (among a
        payer's many open items some sum comes near any amount)."""
        items = [
            item(1, 10, "6569.92", "INV/2026/46050", "Müller Software GmbH"),
            item(2, 10, "4892.70", "INV/2026/10618", "Müller Software GmbH"),
            item(3, 10, "1674.26", "INV/2026/15246", "Müller Software GmbH"),
            item(4, 11, "6600.00", "INV/2026/00300", "Müller Software KG"),
        ]
        dec = decide(
            line("6544.92", "TRANSFER", payer_name="MUELLER SOFTWARE"),
            items=items,
            accounts={},
        )[0]
        self.assertEqual(dec.action, "suggest")
        ranked = [p.item_ids for p in dec.proposals]
        self.assertEqual(ranked[0], (1,))
        self.assertLess(ranked.index((1,)), ranked.index((2, 3)))
        self.assertIn("amount:subset", dec.proposals[ranked.index((2, 3))].reasons)

    def test_garbage_collector_state_is_restored(self):
        self.assertTrue(gc.isenabled())
        decide(line("1200.00", "INV/2026/00101"))
        self.assertTrue(gc.isenabled())
        gc.disable()
        try:
            decide(line("1200.00", "INV/2026/00101"))
            self.assertFalse(gc.isenabled())
        finally:
            gc.enable()


class TestPayout(unittest.TestCase):
    def _rows(self, name, fmt):
        import os

        with open(
            os.path.join(os.path.dirname(__file__), "data", name), "rb"
        ) as handle:
            return parsers.parse(handle.read(), fmt)

    def test_stripe_payout_by_reference(self):
        rows = self._rows("stripe_payout_reconciliation.csv", "stripe")
        bank = {
            "amount": D("140.14"),
            "currency": "EUR",
            "date": datetime.date(2026, 9, 8),
            "label": "STRIPE PAYOUT po_1QxAbc2eZvKYlo2C0a1b2c3d",
        }
        result = matching.match_payout(bank, rows)
        self.assertEqual(result.method, "payout_ref")
        self.assertEqual(len(result.rows), 3)
        self.assertEqual(result.fees, D("5.36"))
        self.assertEqual(result.difference, D("0"))

    def test_stripe_payout_by_sum(self):
        rows = self._rows("stripe_payout_reconciliation.csv", "stripe")
        bank = {
            "amount": D("140.14"),
            "currency": "EUR",
            "date": datetime.date(2026, 9, 8),
            "label": "STRIPE",
        }
        result = matching.match_payout(bank, rows)
        self.assertEqual(result.method, "sum")
        self.assertEqual(result.net, D("140.14"))
        self.assertEqual(result.gross, D("145.50"))
        bank["amount"] = D("99.99")
        self.assertIsNone(matching.match_payout(bank, rows))
        bank["amount"], bank["currency"] = D("140.14"), "USD"
        self.assertIsNone(matching.match_payout(bank, rows))

    def test_paypal_withdrawal_row(self):
        rows = self._rows("paypal_activity.csv", "paypal")
        bank = {
            "amount": D("141.15"),
            "currency": "EUR",
            "date": datetime.date(2026, 9, 11),
            "label": "PAYPAL TRANSFER",
        }
        result = matching.match_payout(bank, rows)
        self.assertEqual(result.method, "payout_row")
        self.assertEqual(len(result.rows), 2)
        self.assertEqual(result.fees, D("8.85"))
        self.assertEqual(result.difference, D("0"))

    def test_alipay_withdrawal_reports_fees_and_difference(self):
        rows = self._rows("alipay_account_bill.csv", "alipay")
        bank = {
            "amount": D("500.00"),
            "currency": "CNY",
            "date": datetime.date(2026, 9, 16),
            "label": "支付宝提现",
        }
        result = matching.match_payout(bank, rows)
        self.assertEqual(result.method, "payout_row")
        self.assertEqual(result.fees, D("3.36"))
        self.assertEqual(result.net, D("556.64"))
        self.assertEqual(result.difference, D("-56.64"))


class TestDatasetQuality(unittest.TestCase):
    def test_generator_is_deterministic(self):
        first = dataset.generate(7, 50, 200)
        second = dataset.generate(7, 50, 200)
        self.assertEqual(first[0], second[0])
        self.assertEqual(first[3], second[3])
        self.assertNotEqual(first[0], dataset.generate(8, 50, 200)[0])

    def test_generator_has_mess(self):
        lines, items, _accounts, truth = dataset.generate(3, 500, 2500)
        self.assertTrue(any(t is None for t in truth.values()), "noise lines")
        self.assertTrue(
            any(t and len(t) > 1 for t in truth.values()), "grouped payments"
        )
        self.assertGreater(len({i["currency"] for i in items}), 2)
        self.assertTrue(any(ln["amount"] < 0 for ln in lines))

    def test_quality_on_1000_lines(self):
        # 1,000 lines rather than 500: at 500 the binomial noise on the auto
        # share (about +-1.4 points) is as large as the margin to the goal.
        lines, items, accounts, truth = dataset.generate(1, 1000, 5000)
        start = time.perf_counter()
        decisions = matching.match_lines(lines, items, accounts)
        elapsed = time.perf_counter() - start
        report = dataset.evaluate(decisions, truth)
        self.assertGreaterEqual(report["precision"], 0.995, report)
        self.assertGreaterEqual(report["auto_share"], 0.90, report)
        self.assertGreaterEqual(report["in_proposals"], 0.99, report)
        self.assertEqual(report["noise_clean"], 1.0, report)
        self.assertLess(elapsed, 20, "1,000 lines must be fast")

    def test_evaluate_counts(self):
        truth = {1: frozenset({1}), 2: None, 3: frozenset({2, 3})}
        decisions = [
            matching.Decision(1, "auto", [matching.Proposal((1,), 0.99)]),
            matching.Decision(2, "none", []),
            matching.Decision(3, "suggest", [matching.Proposal((3, 2), 0.9)]),
        ]
        report = dataset.evaluate(decisions, truth)
        self.assertEqual(report["precision"], 1.0)
        self.assertEqual(report["auto_share"], 0.5)
        self.assertEqual(report["in_proposals"], 1.0)
