"""Payer bank accounts as banks print them (``engine.accounts``) and what
the matching makes of them: the engine alone, without a database."""

import unittest

from odoo.addons.sales_closing_reconcile.engine.accounts import (
    FULL,
    TAIL,
    AccountIndex,
)

from .test_engine_matching import item, line
from .test_engine_payer import decide

IBAN = "DE89370400440532013000"  # its domestic number: 370400440532013000
CARD = "6222021001123456789"


class TestAccountIndex(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.index = AccountIndex({IBAN: 1, CARD: 2, "GB33BUKB20201555555555": 3})

    def test_printed_forms_of_an_account_on_file(self):
        for printed, found in (
            ("de89 3704 0044 0532 0130 00", (1, FULL)),
            ("370400440532013000", (1, FULL)),  # the IBAN's domestic number
            ("0532013000", None),  # a part of it is not the number
            ("6222-0210-0112-3456-789", (2, FULL)),
            ("622202*********6789", (2, FULL)),  # 10 characters visible
            ("6222 02** **** *** 6789", (2, FULL)),
            ("****6789", (2, TAIL)),  # the last four: a hint
            ("DE89XXXXXXXXXXXXXX3000", (1, TAIL)),  # country, check digits
            ("622202*********6780", None),  # not the last digits on file
            ("622203*********6789", None),  # not its first digits
            ("", None),
            (None, None),
        ):
            self.assertEqual(self.index.lookup(printed), found, printed)

    def test_domestic_number_on_file_printed_as_iban(self):
        index = AccountIndex({"0012345678901": 7})
        self.assertEqual(index.lookup("12345678901"), (7, FULL))  # zeros
        self.assertEqual(index.lookup("CH9300762011623852957"), None)
        index = AccountIndex({"BUKB20201555555555": 8})
        self.assertEqual(index.lookup("GB33 BUKB 2020 1555 5555 55"), (8, FULL))

    def test_a_form_two_partners_share_names_none(self):
        # the same last four digits on two partners' accounts: a masked
        # number showing only them names neither
        index = AccountIndex({CARD: 2, "6217001234567896789": 4})
        self.assertIsNone(index.lookup("****6789"))
        self.assertEqual(index.lookup("622202*********6789"), (2, FULL))
        # an IBAN and another partner's number that is its domestic part
        index = AccountIndex({IBAN: 1, "370400440532013000": 5})
        self.assertEqual(index.lookup(IBAN), (1, FULL))
        self.assertEqual(index.lookup("370400440532013000"), (5, FULL))
        self.assertIsNone(index.lookup("DE00370400440532013000"))


class TestAccountsInMatching(unittest.TestCase):
    ITEMS = [
        item(1, 30, "5000.00", "INV/2026/00001", "Blue River GmbH"),
        item(2, 31, "5000.00", "INV/2026/00002", "Green Hill SARL"),
    ]
    ACCOUNTS = {IBAN: 30, CARD: 31}

    def _decide(self, **payer):
        return decide(
            line("5000.00", "TRANSFER", **payer),
            items=self.ITEMS,
            accounts=self.ACCOUNTS,
        )[0]

    def test_domestic_number_and_masked_card_identify_the_payer(self):
        for printed, item_id in (
            ("370400440532013000", 1),
            ("622202*********6789", 2),
        ):
            dec = self._decide(payer_account=printed)
            self.assertEqual(dec.action, "auto", printed)
            self.assertEqual(dec.proposals[0].item_ids, (item_id,), printed)
            self.assertIn("payer_account", dec.proposals[0].reasons)

    def test_last_four_digits_alone_only_suggest(self):
        dec = self._decide(payer_account="****6789")
        self.assertEqual(dec.action, "suggest")
        self.assertEqual(dec.proposals[0].item_ids, (2,))

    def test_last_four_digits_and_the_payer_name_reconcile(self):
        dec = self._decide(payer_account="****6789", payer_name="GREEN HILL")
        self.assertEqual(dec.action, "auto")
        self.assertEqual(dec.proposals[0].item_ids, (2,))
        self.assertEqual(
            set(dec.proposals[0].reasons) & {"payer_account", "payer_name"},
            {"payer_account", "payer_name"},
        )
