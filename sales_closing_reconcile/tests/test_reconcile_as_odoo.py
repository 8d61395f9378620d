"""The matching's batched reconciliation against Odoo's own, field by field.

The same matches (exact, several invoices, fee deducted, partial payment,
write-off, foreign currency at the bank's rate on a company-currency
journal, foreign-currency journal after the rate moved, a credit note) are
applied twice on the same data, rolled back in between:

- by ``_sales_closing_apply_matches`` (one ``create`` of every counterpart
  of the batch, one ``_reconcile_plan``);
- the way Odoo reconciles a statement line one at a time: counterparts
  priced by ``_prepare_counterpart_amounts_using_st_line_rate`` (the
  statement line's own rates), the suspense line replaced through the
  entry's ``write``, and each counterpart reconciled with its open item by
  ``account.move.line.reconcile()``; whatever is not explained stays on
  the suspense account.

Both must leave the same journal items (account, partner, currency,
amount in currency, balance, label), the same partial reconciliations
(amounts in both currencies), the same full reconciliations and matching
numbers (compared as groups of journal items), the same exchange-difference
entries and the same residuals on the open items.
"""

from odoo import Command
from odoo.tests import tagged

from . import test_matching_odoo
from .common import MatchingCase


class _RolledBack(Exception):
    """Raised to roll back a savepoint after reading what it did."""


@tagged("post_install", "-at_install")
class TestReconcileAsOdoo(MatchingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.discount_account = cls.env["account.account"].create(
            {"name": "Discounts Granted", "code": "709100", "account_type": "expense"}
        )
        # units per company currency unit: the invoices at 2.0, the
        # payments after the rate moved to 2.5
        cls.usd = cls.setup_other_currency(
            "EUR",
            rates=[("2016-01-01", 3.0), ("2026-01-01", 2.0), ("2026-01-15", 2.5)],
        )
        cls.usd_bank = cls.env["account.journal"].create(
            {
                "name": "Bank in EUR",
                "code": "BNKE",
                "type": "bank",
                "currency_id": cls.usd.id,
            }
        )
        names = ("Nordic Trading", "Alpine Foods", "Orion Motors", "Baltic Retail")
        cls.partners = cls.env["res.partner"].create([{"name": n} for n in names])

    # ------------------------------------------------------------------
    # the data: invoices, statement lines and what each line pays
    # ------------------------------------------------------------------

    # the invoices and their receivable lines as the matching tests make them
    _invoice = test_matching_odoo.TestMatchingOdoo._invoice
    _receivable = test_matching_odoo.TestMatchingOdoo._receivable

    def _line(self, amount, label, journal=None, **extra):
        return self.env["account.bank.statement.line"].create(
            dict(
                {
                    "journal_id": (journal or self.bank).id,
                    "date": "2026-01-20",
                    "payment_ref": label,
                    "amount": amount,
                },
                **extra,
            )
        )

    def _cases(self):
        """Statement lines and their matches (as the engine hands them to
        ``_sales_closing_apply_matches``), one of each kind."""
        nordic, alpine, orion, baltic = self.partners
        exact = self._invoice(nordic, 1000)
        first, second = self._invoice(alpine, 300), self._invoice(alpine, 450.5)
        fee_deducted = self._invoice(orion, 2000)
        partial = self._invoice(baltic, 1200)
        writeoff = self._invoice(orion, 990)
        # in foreign currency, at 2.0 when invoiced
        converted = self._invoice(nordic, 1000, currency=self.usd)
        on_usd_journal = self._invoice(alpine, 800, currency=self.usd)
        usd_partial = self._invoice(baltic, 1500, currency=self.usd)
        net = self._invoice(nordic, 700)
        credit = self._invoice(nordic, 100, refund=True)
        cases = [
            (self._line(1000, exact.name), {"items": exact}),
            (self._line(750.5, "invoices 300 + 450.50"), {"items": first | second}),
            (self._line(1985, fee_deducted.name), {"items": fee_deducted, "fee": 15}),
            (
                self._line(500, partial.name),
                {"items": partial, "partial": True},
            ),
            (
                self._line(950, writeoff.name),
                {
                    "items": writeoff,
                    "fee": 40,
                    "writeoff_account": self.discount_account,
                    "label": "Discount agreed",
                },
            ),
            # the bank's rate: 1,000 EUR booked 455.55 (neither 2.0 nor 2.5)
            (
                self._line(
                    455.55,
                    converted.name,
                    foreign_currency_id=self.usd.id,
                    amount_currency=1000,
                ),
                {"items": converted},
            ),
            # the journal's currency: 800 at today's 2.5 (320), invoiced at
            # 2.0 (400): an exchange difference
            (
                self._line(800, on_usd_journal.name, journal=self.usd_bank),
                {"items": on_usd_journal},
            ),
            (
                self._line(600, usd_partial.name, journal=self.usd_bank),
                {"items": usd_partial, "partial": True},
            ),
            # an invoice paid net of the customer's credit note
            (self._line(600, net.name), {"items": net | credit}),
        ]
        return [
            (line, dict(match, items=self._receivable(match["items"])))
            for line, match in cases
        ]

    # ------------------------------------------------------------------
    # Odoo's own reconciliation, one statement line at a time
    # ------------------------------------------------------------------

    def _reconcile_as_odoo(self, line, match):
        # the customer found is set on the line first (its entry follows)
        partner = match["items"].partner_id.commercial_partner_id[:1]
        if partner and not line.partner_id:
            line.partner_id = partner
        liquidity, suspense, _other = line._seek_for_lines()
        (
            transaction_amount,
            currency,
            _journal_amount,
            _journal_currency,
            _company_amount,
            _company_currency,
        ) = line._get_accounting_amounts_and_currencies()
        remaining = transaction_amount
        vals_list, pairs = [], []
        for item in match["items"]:
            due = item.amount_residual_currency
            if match.get("partial"):
                due = min(due, remaining)
            amounts = line._prepare_counterpart_amounts_using_st_line_rate(
                item.currency_id, -item.amount_residual, -due
            )
            vals_list.append(
                {
                    "name": item.move_id.name,
                    "account_id": item.account_id.id,
                    "partner_id": item.partner_id.id,
                    "currency_id": currency.id,
                    **amounts,
                }
            )
            pairs.append(item)
            remaining -= due
        fee = match.get("fee") or 0.0
        if fee:
            amounts = line._prepare_counterpart_amounts_using_st_line_rate(
                currency, None, fee
            )
            vals_list.append(
                {
                    "name": match.get("label") or "Bank and gateway fees",
                    "account_id": (
                        match.get("writeoff_account") or self.fee_account
                    ).id,
                    "partner_id": match["items"]
                    .partner_id.commercial_partner_id[:1]
                    .id,
                    "currency_id": currency.id,
                    **amounts,
                }
            )
        # what the items and the fee leave: the open balance, on suspense
        open_balance = -(liquidity.balance + sum(v["balance"] for v in vals_list))
        open_amount = -(remaining + fee)
        if not currency.is_zero(open_amount) or not line.company_currency_id.is_zero(
            open_balance
        ):
            vals_list.append(
                {
                    "name": line.payment_ref,
                    "account_id": line.journal_id.suspense_account_id.id,
                    "partner_id": line.partner_id.id,
                    "currency_id": currency.id,
                    "amount_currency": open_amount,
                    "balance": open_balance,
                }
            )
        before = line.move_id.line_ids
        line.move_id.with_context(
            skip_readonly_check=True,
            skip_account_move_synchronization=True,
            skip_invoice_sync=True,
            force_delete=True,
        ).write(
            {
                "line_ids": [Command.unlink(suspense.id)]
                + [Command.create(vals) for vals in vals_list]
            }
        )
        created = line.move_id.line_ids - before
        for counterpart, item in zip(created, pairs, strict=False):
            (counterpart | item).reconcile()

    # ------------------------------------------------------------------
    # what a reconciliation leaves, in terms both runs share
    # ------------------------------------------------------------------

    def _key(self, aml):
        """A journal item by what it is, not by its id (the two runs
        create their counterparts anew)."""
        return (
            aml.move_id.name,
            aml.account_id.code,
            aml.partner_id.name or "",
            aml.currency_id.name,
            round(aml.amount_currency, 2),
            round(aml.balance, 2),
            aml.name or "",
        )

    def _snapshot(self, cases):
        self.env.flush_all()
        self.env.invalidate_all()
        lines = self.env["account.bank.statement.line"].browse(
            [line.id for line, _match in cases]
        )
        items = self.env["account.move.line"].browse(
            [i for _line, match in cases for i in match["items"].ids]
        )
        amls = lines.move_id.line_ids | items
        partials = amls.matched_debit_ids | amls.matched_credit_ids
        exchange = partials.exchange_move_id | amls.full_reconcile_id.exchange_move_id
        amls |= exchange.line_ids
        groups = {}
        for aml in amls.filtered("matching_number"):
            groups.setdefault(aml.matching_number, []).append(self._key(aml))
        return {
            "journal items": sorted(self._key(aml) for aml in lines.move_id.line_ids),
            "partials": sorted(
                (
                    self._key(partial.debit_move_id),
                    self._key(partial.credit_move_id),
                    round(partial.amount, 2),
                    round(partial.debit_amount_currency, 2),
                    round(partial.credit_amount_currency, 2),
                    bool(partial.exchange_move_id),
                )
                for partial in partials
            ),
            "full reconciliations": sorted(
                (
                    sorted(self._key(aml) for aml in full.reconciled_line_ids),
                    sorted(self._key(aml) for aml in full.exchange_move_id.line_ids),
                )
                for full in amls.full_reconcile_id
            ),
            "matching numbers": sorted(
                (number.startswith("P"), sorted(keys))
                for number, keys in groups.items()
            ),
            "exchange differences": sorted(
                (
                    aml.account_id.code,
                    round(aml.amount_currency, 2),
                    round(aml.balance, 2),
                )
                for aml in exchange.line_ids
            ),
            "residuals": sorted(
                (
                    self._key(item),
                    round(item.amount_residual, 2),
                    round(item.amount_residual_currency, 2),
                    item.reconciled,
                )
                for item in items
            ),
            "statement lines": sorted(
                (line.payment_ref, line.is_reconciled, line.partner_id.name or "")
                for line in lines
            ),
        }

    def _run(self, cases, apply):
        try:
            with self.env.cr.savepoint():
                apply()
                snapshot = self._snapshot(cases)
                raise _RolledBack
        except _RolledBack:
            pass
        self.env.invalidate_all()
        return snapshot

    def test_same_accounting_as_odoo(self):
        cases = self._cases()
        Line = self.env["account.bank.statement.line"]

        def ours():
            matches = [dict(match, line=line) for line, match in cases]
            Line._sales_closing_apply_matches(matches, "auto")

        def odoo():
            for line, match in cases:
                self._reconcile_as_odoo(line, match)

        mine = self._run(cases, ours)
        theirs = self._run(cases, odoo)
        # the runs did something: every kind of result is there
        self.assertEqual(len(mine["full reconciliations"]), 9, mine)
        self.assertTrue(mine["exchange differences"])
        # the two partial payments leave their invoices open
        self.assertEqual(len([r for r in mine["residuals"] if not r[3]]), 2)
        differences = {
            part: {
                "ours only": [v for v in mine[part] if v not in value],
                "Odoo's only": [v for v in value if v not in mine[part]],
            }
            for part, value in theirs.items()
            if mine[part] != value
        }
        self.assertFalse(differences)

    def test_undo_reverses_only_its_own_exchange_difference(self):
        """Undoing a line of a batch reverses its own exchange difference
        and no other line's (Odoo's batch links them to the first partials
        of the batch; see ``_sales_closing_relink_exchange_moves``)."""
        cases = self._cases()
        matches = [dict(match, line=line) for line, match in cases]
        self.env["account.bank.statement.line"]._sales_closing_apply_matches(
            matches, "auto"
        )
        exact_line, exact_items = cases[0][0], cases[0][1]["items"]
        fx_line, fx_items = cases[6][0], cases[6][1]["items"]
        exchange = (
            fx_items.matched_debit_ids | fx_items.matched_credit_ids
        ).exchange_move_id | fx_items.full_reconcile_id.exchange_move_id
        self.assertTrue(exchange)
        reversals = self.env["account.move"].search_count(
            [("reversed_entry_id", "!=", False)]
        )
        exact_line.action_undo_reconciliation()
        self.assertFalse(exact_items.reconciled)
        self.assertTrue(fx_items.reconciled)
        self.assertEqual(
            self.env["account.move"].search_count([("reversed_entry_id", "!=", False)]),
            reversals,
        )
        fx_line.action_undo_reconciliation()
        self.assertFalse(fx_items.reconciled)
        self.assertTrue(
            self.env["account.move"].search([("reversed_entry_id", "in", exchange.ids)])
        )
