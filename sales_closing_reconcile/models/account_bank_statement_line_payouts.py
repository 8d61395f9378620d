"""Gateway payouts: a bank line paying out a payment platform's balance
(Stripe, PayPal, Alipay, WeChat Pay) settles the platform's statement lines,
reconciled with their open items; planned before the engine's pass (see
``account_bank_statement_line_matching``)."""

import re
from datetime import timedelta
from decimal import Decimal

from odoo import models

from ..engine.matching import match_lines, match_payout

PAYOUT_WINDOW_DAYS = 10  # payout (or withdrawal line) to its bank line
PAYOUT_ROWS_DAYS = 62  # platform lines a payout may settle
# How a bank prints a payout of each platform: a payout found by amount
# only (no payout id cited) must name its platform.
PAYOUT_WORDS = {
    "stripe": re.compile(r"stripe", re.IGNORECASE),
    "paypal": re.compile(r"paypal", re.IGNORECASE),
    "alipay": re.compile(r"alipay|支付宝", re.IGNORECASE),
    "wechat": re.compile(r"wechat|weixin|tenpay|微信|财付通", re.IGNORECASE),
}
# States the engine may (re)consider: "auto" lines are reconciled, "manual"
# ones belong to a human.


class AccountBankStatementLine(models.Model):
    # The bank matching, by purpose: see account_bank_statement_line_matching.
    # pylint: disable=consider-merging-classes-inherited
    _inherit = "account.bank.statement.line"

    def _sales_closing_payout_rows(self, company):
        """Platform statement lines not paid out yet that the payouts among
        ``self`` may settle (one search), per platform journal."""
        bank_lines = self.filtered(
            lambda line: not line.sales_closing_platform and line.amount > 0
        )
        if not bank_lines:
            return bank_lines, {}
        dates = bank_lines.mapped("date")
        rows = self.search(
            [
                ("company_id", "=", company.id),
                ("sales_closing_platform", "!=", False),
                ("sales_closing_payout_line_id", "=", False),
                ("date", ">=", min(dates) - timedelta(days=PAYOUT_ROWS_DAYS)),
                ("date", "<=", max(dates)),
            ],
            order="date, id",
        )
        by_journal = {}
        for row in rows:
            by_journal.setdefault(row.journal_id, self.browse())
            by_journal[row.journal_id] |= row
        return bank_lines, by_journal

    def _sales_closing_match_payouts(self, company):
        """Bank lines of ``self`` that pay out a payment platform's balance
        (Stripe, PayPal, Alipay, WeChat Pay), reconciled; returns them.

        A bank credit is a payout when it cites the payout id of imported
        platform lines, or when its label names the platform and its amount
        is that of a platform withdrawal line or the net of the platform
        lines before it (``engine.matching.match_payout``).  Then:

        * each captured payment (and refund) of the batch is reconciled with
          its customer invoice, credit note or gateway payment at its gross
          amount, the platform's fee going to the fee account; separate fee
          lines go to the fee account too; lines the engine cannot match
          with certainty are left for review, linked to the payout;
        * the bank line's counterpart is the platform journal's balance
          account, or, when the platform statement has its own withdrawal
          line, the internal transfer account, reconciled with that line.
        """
        bank_lines, by_journal = self._sales_closing_payout_rows(company)
        if not by_journal:
            return self.browse()
        used = set()
        found = []  # (bank line, journal, rows, withdrawal rows)
        for line in bank_lines:
            payout = line._sales_closing_find_payout(by_journal, used, company)
            if payout:
                journal, rows, withdrawals = payout
                used.update(rows.ids + withdrawals.ids)
                found.append((line, journal, rows, withdrawals))
        if not found:
            return self.browse()
        # the platform lines are locked as the bank lines are: a concurrent
        # run never settles them twice
        all_rows = self.browse(
            [row.id for _l, _j, rows, wd in found for row in rows | wd]
        )
        granted = set(all_rows._sales_closing_lock_payout_rows())
        fee_account = company.sales_closing_fee_account_id
        transfer = company.transfer_account_id
        matches, payouts, row_matches = [], self.browse(), []
        open_rows = self.browse()
        for line, journal, rows, withdrawals in found:
            if not set((rows | withdrawals).ids) <= granted:
                continue
            if withdrawals and not transfer:
                continue
            payout_key = f"payout-{line.id}"
            matches.append(
                {
                    "line": line,
                    "items": self.env["account.move.line"],
                    "remainder_account": transfer
                    if withdrawals
                    else journal.default_account_id,
                    "remainder_label": self.env._(
                        "Payout %(journal)s", journal=journal.name
                    ),
                    "pair": payout_key if withdrawals else None,
                }
            )
            for withdrawal in withdrawals:
                if withdrawal._seek_for_lines()[2] or withdrawal.is_reconciled:
                    continue
                row_matches.append(
                    {
                        "line": withdrawal,
                        "items": self.env["account.move.line"],
                        "remainder_account": transfer,
                        "remainder_label": self.env._("Payout to the bank"),
                        "pair": payout_key,
                    }
                )
            open_rows |= rows.filtered(
                lambda row: not row.is_reconciled and not row._seek_for_lines()[2]
            )
            payouts |= line
            (rows | withdrawals).write({"sales_closing_payout_line_id": line.id})
        if not payouts:
            return payouts
        # fee lines of the platform: to the fee account
        fees = open_rows.filtered(
            lambda row: row.sales_closing_kind == "fee" and row.amount < 0
        )
        if fees and fee_account:
            row_matches += [
                {
                    "line": row,
                    "items": self.env["account.move.line"],
                    "fee": -row.amount,
                }
                for row in fees
            ]
        # captured payments and refunds: at their gross amount, fee booked
        movements = open_rows.filtered(
            lambda row: row.sales_closing_kind in ("payment", "refund", False)
        )
        if movements:
            row_matches += movements._sales_closing_platform_matches(company)
        self._sales_closing_apply_matches(matches + row_matches, state="auto")
        return payouts

    def _sales_closing_lock_payout_rows(self):
        """Ids of the platform lines of ``self`` not paid out yet, locked
        (``SKIP LOCKED``: a concurrent run leaves them alone)."""
        if not self:
            return []
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT id FROM account_bank_statement_line
             WHERE id = ANY(%s) AND sales_closing_payout_line_id IS NULL
             ORDER BY id
               FOR NO KEY UPDATE SKIP LOCKED
            """,
            [self.ids],
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _sales_closing_find_payout(self, by_journal, used, company):
        """(platform journal, platform lines, withdrawal lines) this bank
        line pays out, or None."""
        self.ensure_one()
        amount, currency, _liquidity = self._sales_closing_transaction()
        text = " ".join(
            part for part in (self.payment_ref, self.ref, self.partner_name) if part
        )
        bank = {
            "amount": Decimal(str(amount)),
            "currency": currency.name,
            "date": self.date,
            "label": text,
        }
        for journal, rows in by_journal.items():
            rows = rows.filtered(lambda row: row.id not in used)
            if not rows or (journal.currency_id or company.currency_id) != currency:
                continue
            plain = [
                {
                    "id": row.id,
                    "line_no": row.id,
                    "date": row.date,
                    "amount": Decimal(str(row.amount)),
                    "currency": currency.name,
                    "gross": Decimal(str(row.sales_closing_gross)),
                    "fee": Decimal(str(row.sales_closing_fee)),
                    "kind": row.sales_closing_kind,
                    "payout_ref": row.sales_closing_payout_ref or "",
                }
                for row in rows
            ]
            result = match_payout(bank, plain, window_days=PAYOUT_WINDOW_DAYS)
            if not result:
                continue
            words = PAYOUT_WORDS.get(rows[:1].sales_closing_platform)
            if result.method != "payout_ref" and not (words and words.search(text)):
                continue  # an amount alone does not make a payout
            if result.method == "sum" and not currency.is_zero(
                float(result.difference)
            ):
                continue
            chosen = self.browse([row["id"] for row in result.rows])
            payout_kind = chosen.filtered(
                lambda row: row.sales_closing_kind == "payout"
            )
            if result.method == "payout_row":
                payout_kind = rows.filtered(
                    lambda row, a=amount: (
                        row.sales_closing_kind == "payout"
                        and currency.is_zero(row.amount + a)
                    )
                )[:1]
            return journal, chosen - payout_kind, payout_kind
        return None

    def _sales_closing_platform_matches(self, company):
        """Matches of platform payment lines with open items at their gross
        amount (only the certain ones); the platform's fee and any fee
        within tolerance go to the fee account."""
        engine_lines = self._sales_closing_engine_lines()
        for vals, row in zip(engine_lines, self, strict=True):
            if row.sales_closing_gross:
                vals["amount"] = Decimal(str(row.sales_closing_gross))
        items, partner_accounts = self._sales_closing_fetch_candidates(company)
        decisions = match_lines(
            engine_lines,
            items,
            partner_accounts,
            self._sales_closing_match_config(company),
        )
        by_id = {row.id: row for row in self}
        autos = [d for d in decisions if d.action == "auto"]
        granted = self._sales_closing_lock_items(
            [i for d in autos for i in d.proposals[0].item_ids]
        )
        fee_account = company.sales_closing_fee_account_id
        matches = []
        for decision in autos:
            best = decision.proposals[0]
            row = by_id[decision.line_id]
            fee = float(best.fee_amount) + (
                row.sales_closing_fee if row.sales_closing_gross else 0.0
            )
            if not set(best.item_ids) <= granted or (fee and not fee_account):
                continue
            matches.append(
                {
                    "line": row,
                    "items": self.env["account.move.line"].browse(best.item_ids),
                    "fee": fee,
                }
            )
        return matches
