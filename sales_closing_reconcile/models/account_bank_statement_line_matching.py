"""Automatic matching of bank statement lines with open customer items.

The pure engine (``engine.matching``) decides; this layer feeds it with the
statement lines and the open items of a company (one SQL query for the
items, one for the payers' bank accounts) and applies its decisions: it
replaces the suspense line of the statement line's journal entry by
counterpart lines on the open items' accounts (and a fee line), then
reconciles them in one ``_reconcile_plan`` call per slice.

Plan once, apply in parallel
----------------------------
A run is decided in **one planning pass** over all its lines
(``_sales_closing_plan``): the engine sees every line and every open item
of the company at once and grants each item to one line at most, before
any job starts.  Jobs only **apply** slices of that fixed plan
(``_sales_closing_apply_plan``).  So a run cut in slices of 500 or 5,000
lines, applied by one channel or two, in whatever order the jobs finish,
decides exactly as one inline run on the same data: the inline path plans
and applies the same way, in one transaction.

The slices are cut so that two jobs never write the same rows
(``engine.plan``): lines whose automatic matches touch the same journal
entry (an invoice's installments) go to the same slice; every other row a
job writes is its own (its statement lines and their entries, the items
granted to them, new reconciliations, suggestions).  Locks:

* lines and open items are taken ``FOR NO KEY UPDATE SKIP LOCKED``: never
  waited for, and not in conflict with the ``FOR KEY SHARE`` locks that
  PostgreSQL's foreign-key checks take when another job stores suggestions
  naming the same items (``FOR UPDATE`` is, which deadlocked two jobs);
* an item changed since the plan (reconciled by a person meanwhile) is not
  taken: that line gets suggestions instead;
* the exchange-difference entries that reconciling in foreign currency
  creates are numbered by Odoo's sequence mixin, which tries the next
  number and waits when another transaction holds it until that one
  commits; under ``sales_closing_parallel_sequence`` a job skips the
  numbers another job holds (``account.move._set_next_sequence``), so
  parallel jobs get distinct numbers without waiting on each other.

A matching run (``sales.closing.match.run``) records the plan, its slices,
every failed attempt of a job and its error; a job failing on a
concurrency error is retried a bounded number of times (``MAX_RETRIES``).
The jobs run on their own queue_job channel ``root.sales_closing_matching``
and carry an identity key; lines an open run holds are not handed to a
second run, so enqueueing twice does not duplicate work.
"""

import logging
import re
from datetime import timedelta
from decimal import Decimal

from odoo import SUPERUSER_ID, Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..engine.matching import MatchConfig, Proposal, match_lines, match_payout
from ..engine.plan import slices as plan_slices

_logger = logging.getLogger(__name__)

# Lines a queue job applies: the run is planned once (the open items are
# read and indexed once per run), a slice only applies its part of the plan;
# more lines than this in one request are handed to a queued run.
CHUNK_SIZE = 2000
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
RUN_STATES = ("new", "suggested", "unmatched")
CRON_STATES = ("new",)
MATCH_STATES = [
    ("new", "Not Processed"),
    ("auto", "Matched Automatically"),
    ("suggested", "Suggestions"),
    ("unmatched", "Unmatched"),
    ("manual", "Matched by Hand"),
]


class AccountBankStatementLine(models.Model):
    # Kept apart from account_bank_statement_line.py (statement import).
    # pylint: disable=consider-merging-classes-inherited
    _inherit = "account.bank.statement.line"

    sales_closing_match_state = fields.Selection(
        MATCH_STATES,
        string="Match State",
        default="new",
        index=True,
        copy=False,
        readonly=True,
    )
    sales_closing_match_run_id = fields.Many2one(
        "sales.closing.match.run",
        string="Matching Run",
        index="btree_not_null",
        copy=False,
        readonly=True,
        ondelete="set null",
    )
    sales_closing_suggestion_ids = fields.One2many(
        "sales.closing.match.suggestion",
        "statement_line_id",
        string="Match Suggestions",
        readonly=True,
        # who may read the suggestions: Odoo's accountants see no relation
        groups="sales_closing.group_closing_accountant,sales_closing.group_closing_auditor",
    )
    sales_closing_match_score = fields.Float(
        string="Score",
        compute="_compute_sales_closing_top",
        digits=(3, 4),
        groups="sales_closing.group_closing_accountant,sales_closing.group_closing_auditor",
    )
    sales_closing_match_reasons = fields.Char(
        string="Reasons",
        compute="_compute_sales_closing_top",
        groups="sales_closing.group_closing_accountant,sales_closing.group_closing_auditor",
    )
    sales_closing_match_candidates = fields.Char(
        string="Top Suggestion",
        compute="_compute_sales_closing_top",
        groups="sales_closing.group_closing_accountant,sales_closing.group_closing_auditor",
    )

    @api.depends(
        "sales_closing_suggestion_ids.score",
        "sales_closing_suggestion_ids.rank",
        "sales_closing_suggestion_ids.reasons",
    )
    def _compute_sales_closing_top(self):
        for line in self:
            top = line.sales_closing_suggestion_ids.sorted("rank")[:1]
            line.sales_closing_match_score = top.score
            line.sales_closing_match_reasons = top.reasons_display or False
            line.sales_closing_match_candidates = top.items_display or False

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------

    @api.model
    def _sales_closing_demo_match(self):
        """Demo data: run the engine on every unreconciled line at once."""
        lines = self.search([("is_reconciled", "=", False)])
        return lines.with_context(sales_closing_match_now=True).action_auto_match()

    def action_auto_match(self):
        """Match these statement lines (those not reconciled yet).

        Up to one chunk of lines is matched at once; more are handed to a
        matching run (``sales.closing.match.run``): a queue job plans the
        whole run, parallel jobs apply its slices.  Both ways decide the
        same (see the module docstring)."""
        chunk_size = (
            self.env.context.get("sales_closing_match_chunk_size") or CHUNK_SIZE
        )
        lines = self._sales_closing_runnable(RUN_STATES)
        if len(lines) > chunk_size and not self.env.context.get(
            "sales_closing_match_now"
        ):
            runs = lines._sales_closing_start_runs(RUN_STATES, chunk_size)
            message = self.env._(
                "%(lines)s lines handed to %(count)s matching runs.",
                lines=sum(runs.mapped("line_count")),
                count=len(runs),
            )
        else:
            stats = {"auto": 0, "suggested": 0, "unmatched": 0}
            for company in lines.company_id:
                company_lines = lines.filtered(
                    lambda line, c=company: line.company_id == c
                )
                chunk_stats = company_lines._sales_closing_match_chunk(
                    RUN_STATES, chunk_size
                )
                for key, value in chunk_stats.items():
                    stats[key] = stats.get(key, 0) + value
            message = self.env._(
                "%(auto)s lines matched automatically, %(suggested)s with "
                "suggestions, %(unmatched)s unmatched.",
                **stats,
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Bank Matching"),
                "message": message,
                "type": "info",
                "sticky": False,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _cron_sales_closing_match(self, chunk_size=CHUNK_SIZE):
        """Start a matching run (one queue job) per company with new
        unreconciled lines that no open run holds; returns the runs."""
        lines = self.search(
            [
                ("sales_closing_match_state", "=", "new"),
                ("is_reconciled", "=", False),
            ],
            order="id",
        )
        return lines._sales_closing_start_runs(CRON_STATES, chunk_size)

    def _sales_closing_runnable(self, states):
        """Unreconciled lines of ``self`` in ``states``."""
        return self.filtered(
            lambda line: (
                not line.is_reconciled
                and (line.sales_closing_match_state or "new") in states
            )
        )

    def _sales_closing_start_runs(self, states, chunk_size=CHUNK_SIZE):
        """Hand the lines of ``self`` in ``states`` to one matching run per
        company and enqueue its planning job.

        Lines an open run already holds (planning, or slices still to
        apply) are left to it, and lines another transaction is handing
        out are skipped (``SKIP LOCKED``): enqueueing twice makes no second
        run of the same lines."""
        self = self._sales_closing_matcher()  # pylint: disable=self-cls-assignment
        Run = self.env["sales.closing.match.run"]
        runs = Run
        lines = self._sales_closing_runnable(states)
        for company in lines.company_id:
            ids = lines.filtered(
                lambda line, c=company: line.company_id == c
            )._sales_closing_free_ids(states)
            if not ids:
                continue
            run = Run.create(
                {
                    "company_id": company.id,
                    "states": ",".join(states),
                    "chunk_size": chunk_size,
                    "line_count": len(ids),
                }
            )
            self.env.cr.execute(
                """
                UPDATE account_bank_statement_line
                   SET sales_closing_match_run_id = %s
                 WHERE id = ANY(%s)
                """,
                [run.id, ids],
            )
            self.browse(ids).invalidate_recordset(["sales_closing_match_run_id"])
            run._sales_closing_enqueue_plan()
            runs |= run
        return runs

    def _sales_closing_free_ids(self, states):
        """Ids of ``self`` (one company) still to match that no open run
        holds, locked for this transaction (``SKIP LOCKED``).

        A run is open while it plans or has slices to apply, for a day at
        most (a run whose jobs were lost lets its lines go)."""
        if not self:
            return []
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT l.id FROM account_bank_statement_line l
             WHERE l.id = ANY(%(ids)s)
               AND l.is_reconciled IS NOT TRUE
               AND COALESCE(l.sales_closing_match_state, 'new') = ANY(%(states)s)
               AND NOT EXISTS (
                    SELECT 1 FROM sales_closing_match_run r
                     WHERE r.id = l.sales_closing_match_run_id
                       AND r.create_date > (now() at time zone 'utc')
                                           - interval '1 day'
                       AND (r.plan_state = 'planning'
                            OR EXISTS (SELECT 1 FROM sales_closing_match_slice s
                                        WHERE s.run_id = r.id
                                          AND s.state = 'pending')))
             ORDER BY l.id
               FOR NO KEY UPDATE OF l SKIP LOCKED
            """,
            {"ids": list(self.ids), "states": list(states)},
        )
        return [row[0] for row in self.env.cr.fetchall()]

    # ------------------------------------------------------------------
    # Plan and apply
    # ------------------------------------------------------------------

    def _sales_closing_lock(self, states=RUN_STATES):
        """Ids of ``self`` still to match, locked for this transaction.

        ``FOR NO KEY UPDATE SKIP LOCKED``: a line another run is working on
        is left to it, so two concurrent runs never take the same line; the
        weaker ``NO KEY`` lock (the line's id never changes) does not block
        the ``FOR KEY SHARE`` that PostgreSQL's foreign-key checks take."""
        if not self:
            return []
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT id FROM account_bank_statement_line
             WHERE id = ANY(%s)
               AND is_reconciled IS NOT TRUE
               AND COALESCE(sales_closing_match_state, 'new') = ANY(%s)
             ORDER BY id
               FOR NO KEY UPDATE SKIP LOCKED
            """,
            [list(self.ids), list(states)],
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        self.browse(ids).invalidate_recordset(
            ["is_reconciled", "sales_closing_match_state"]
        )
        return ids

    def _sales_closing_match_config(self, company):
        return MatchConfig(
            auto_threshold=company.sales_closing_match_threshold or 0.95,
            margin=company.sales_closing_match_margin,
            fee_tolerance_abs=Decimal(0),
            fee_tolerance_pct=Decimal(str(company.sales_closing_fee_tolerance or 0))
            / 100,
        )

    def _sales_closing_matcher(self):
        """``self`` as the matching works on it: in sudo mode, for closing
        accountants only.

        Reconciling rewrites the statement lines' journal entries, which
        Odoo Community leaves to its hidden "full accounting features"
        group; the bank matching belongs to the closing accountants (and
        managers, and the scheduled jobs), so they are let through here and
        anyone else is refused."""
        if not (
            self.env.su
            or self.env.uid == SUPERUSER_ID
            or self.env.user.has_group("sales_closing.group_closing_accountant")
        ):
            raise AccessError(
                self.env._("Only closing accountants can match bank statement lines.")
            )
        return self.sudo()

    def _sales_closing_match_chunk(self, states=RUN_STATES, chunk_size=None):
        """Match the lines of one company at once: plan, then apply the
        plan (in slices of ``chunk_size`` lines, as the queue jobs do, in
        this transaction)."""
        entries, stats, moves = self._sales_closing_plan(states)
        if not entries:
            return stats
        for line_ids in plan_slices(
            [(e["line"], e["take"]) for e in entries], moves, chunk_size or CHUNK_SIZE
        ):
            wanted = set(line_ids)
            part = [e for e in entries if e["line"] in wanted]
            for key, value in self._sales_closing_apply_plan(part, states).items():
                stats[key] = stats.get(key, 0) + value
        return stats

    def _sales_closing_plan(self, states=RUN_STATES):
        """Decide every line of ``self`` (one company) in one engine pass.

        Returns ``(entries, stats, moves)``: one JSON-able entry per line
        decided (``line``, ``action``, ``proposals``, ``take``: the items of
        an automatic match, ``residuals``: their open amounts when planned),
        the counts of lines settled while planning (lines a person started
        to reconcile become "manual"; gateway payouts are reconciled here,
        before the engine, as they take open items too) and the journal
        entry of every item taken (item id -> move id)."""
        self = self._sales_closing_matcher()  # pylint: disable=self-cls-assignment
        stats = {"auto": 0, "suggested": 0, "unmatched": 0}
        lines = self.browse(self._sales_closing_lock(states))
        if not lines:
            return [], stats, {}
        company = lines.company_id
        if len(company) > 1:
            raise UserError(self.env._("A matching chunk spans several companies."))
        lines = lines.with_company(company)
        # A line a human started to reconcile (other lines than the bank and
        # suspense ones) belongs to them: never touched by the engine.
        touched = lines.filtered(lambda line: line._seek_for_lines()[2])
        if touched:
            touched.write({"sales_closing_match_state": "manual"})
            lines -= touched
        if not lines:
            return [], stats, {}
        payouts = lines._sales_closing_match_payouts(company)
        if payouts:
            # the payouts, and platform lines of this chunk they reconciled
            lines = lines.filtered(lambda line: not line.is_reconciled) - payouts
            stats["auto"] += len(payouts)
        if not lines:
            return [], stats, {}
        engine_lines = lines._sales_closing_engine_lines()
        items, partner_accounts = lines._sales_closing_fetch_candidates(company)
        decisions = match_lines(
            engine_lines,
            items,
            partner_accounts,
            self._sales_closing_match_config(company),
        )
        residuals = {item["id"]: item["amount_residual"] for item in items}
        moves = {item["id"]: item["move_id"] for item in items}
        entries = []
        taken = {}
        for decision in decisions:
            take = (
                list(decision.proposals[0].item_ids)
                if decision.action == "auto"
                else []
            )
            for item_id in take:
                taken[item_id] = moves[item_id]
            entries.append(
                {
                    "line": decision.line_id,
                    "action": decision.action,
                    "take": take,
                    "residuals": {str(i): str(residuals[i]) for i in take},
                    "proposals": [
                        {
                            "items": list(proposal.item_ids),
                            "score": proposal.score,
                            "reasons": list(proposal.reasons),
                            "fee": str(proposal.fee_amount),
                            "partial": proposal.partial,
                        }
                        for proposal in decision.proposals
                    ],
                }
            )
        return entries, stats, taken

    def _sales_closing_apply_plan(self, entries, states=RUN_STATES):
        """Apply planned decisions (``_sales_closing_plan``'s entries).

        Lines no longer to match (reconciled, matched or locked by someone
        else meanwhile) are skipped.  An automatic match whose items were
        reconciled or changed since the plan (by a person: the plan grants
        each item to one line) becomes a suggestion.  The suggestions are
        stored before the reconciliation, so that the exchange-difference
        entries the reconciliation numbers are the last work before the
        commit."""
        self = self._sales_closing_matcher()  # pylint: disable=self-cls-assignment
        stats = {"auto": 0, "suggested": 0, "unmatched": 0}
        by_id = {entry["line"]: entry for entry in entries}
        lines = self.browse(self.browse(list(by_id))._sales_closing_lock(states))
        touched = lines.filtered(lambda line: line._seek_for_lines()[2])
        if touched:
            touched.write({"sales_closing_match_state": "manual"})
            lines -= touched
        if not lines:
            return stats
        company = lines.company_id
        if len(company) > 1:
            raise UserError(self.env._("A matching chunk spans several companies."))
        lines = lines.with_company(company)
        autos = [by_id[line.id] for line in lines if by_id[line.id]["action"] == "auto"]
        granted = lines._sales_closing_lock_items(
            {int(i): r for entry in autos for i, r in entry["residuals"].items()}
        )
        fee_account = company.sales_closing_fee_account_id
        matches, suggest, unmatched = [], [], []
        for line in lines:
            entry = by_id[line.id]
            proposals = [
                Proposal(
                    item_ids=tuple(p["items"]),
                    score=p["score"],
                    reasons=p["reasons"],
                    fee_amount=Decimal(p["fee"]),
                    partial=p["partial"],
                )
                for p in entry["proposals"]
            ]
            if entry["action"] == "auto":
                best = proposals[0]
                if set(best.item_ids) <= granted and (
                    fee_account or not best.fee_amount
                ):
                    matches.append(
                        {
                            "line": line,
                            "items": lines.env["account.move.line"].browse(
                                best.item_ids
                            ),
                            "fee": float(best.fee_amount),
                            "partial": best.partial,
                        }
                    )
                    continue
                suggest.append((line, proposals))
            elif entry["action"] == "suggest":
                suggest.append((line, proposals))
            else:
                unmatched.append(line)
        lines._sales_closing_store_suggestions(suggest, company)
        if unmatched:
            unmatched = lines.browse([line.id for line in unmatched])
            unmatched.sales_closing_suggestion_ids.unlink()
            unmatched.write({"sales_closing_match_state": "unmatched"})
        if matches:
            lines.with_context(
                sales_closing_parallel_sequence=True
            )._sales_closing_apply_matches(matches, state="auto")
        stats.update(
            auto=len(matches),
            suggested=len(suggest),
            unmatched=len(unmatched),
        )
        _logger.info(
            "Sales Closing matching, company %s: %s lines, %s",
            company.id,
            len(lines),
            stats,
        )
        return stats

    # ------------------------------------------------------------------
    # Gateway payouts
    # ------------------------------------------------------------------

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

    def _sales_closing_engine_lines(self):
        """The lines as the engine's plain dicts."""
        extra = [
            name
            for name in (
                "sales_closing_order_ref",
                "sales_closing_transaction_id",
                "sales_closing_payout_ref",
            )
            if name in self._fields
        ]
        result = []
        for line in self:
            currency = line.foreign_currency_id or line.currency_id
            amount = line.amount_currency if line.foreign_currency_id else line.amount
            notes = [line.ref or ""] + [line[name] or "" for name in extra]
            partner = line.partner_id.commercial_partner_id
            result.append(
                {
                    "id": line.id,
                    "date": line.date,
                    "amount": Decimal(str(amount)),
                    "currency": currency.name,
                    "label": line.payment_ref or "",
                    "note": " ".join(n for n in notes if n),
                    "payer_name": line.partner_name or "",
                    "payer_account": line.account_number or "",
                    "partner_id": partner.id if partner else None,
                }
            )
        return result

    def _sales_closing_fetch_candidates(self, company):
        """Open items and payer bank accounts of ``company``, as plain data.

        Three queries whatever the number of lines: open receivable items
        (invoices, credit notes, journal entries; not payments, which are
        already matched on their outstanding account) plus open payments on
        the outstanding accounts of the lines' journals; the references of
        their payment transactions (captured gateway payments); and the
        partners' bank accounts."""
        journals = self.journal_id
        cr = self.env.cr
        cr.execute(
            """
            SELECT aml.id, aml.partner_id,
                   COALESCE(p.commercial_partner_id, p.id) AS cpartner_id,
                   p.name, cp.name, m.name, m.payment_reference, m.ref,
                   m.invoice_origin, m.move_type, aml.payment_id IS NOT NULL,
                   cur.name, aml.amount_residual_currency, aml.date,
                   aml.date_maturity, aml.payment_id, aml.move_id
              FROM account_move_line aml
              JOIN account_move m ON m.id = aml.move_id
              JOIN res_currency cur ON cur.id = aml.currency_id
              LEFT JOIN res_partner p ON p.id = aml.partner_id
              LEFT JOIN res_partner cp ON cp.id = p.commercial_partner_id
             WHERE aml.company_id = %(company)s
               AND aml.parent_state = 'posted'
               AND aml.reconciled IS NOT TRUE
               AND aml.amount_residual_currency != 0
               AND (
                    (aml.account_id IN (SELECT id FROM account_account
                                         WHERE account_type = 'asset_receivable')
                     AND aml.payment_id IS NULL
                     AND aml.statement_line_id IS NULL)
                 OR (aml.payment_id IS NOT NULL
                     AND aml.journal_id = ANY(%(journals)s)
                     AND aml.account_id = (SELECT pay.outstanding_account_id
                                             FROM account_payment pay
                                            WHERE pay.id = aml.payment_id))
               )
             ORDER BY aml.date, aml.id
            """,
            {
                "company": company.id,
                "journals": journals.ids,
            },
        )
        items, tx_refs = [], {}
        for (
            aml_id,
            _partner_id,
            cpartner_id,
            name,
            cname,
            move_name,
            payment_ref,
            ref,
            origin,
            move_type,
            is_payment,
            currency,
            residual,
            date,
            date_maturity,
            payment_id,
            move_id,
        ) in cr.fetchall():
            order_refs = [o.strip() for o in (origin or "").split(",") if o.strip()]
            if ref:
                order_refs.append(ref)
            if is_payment:
                kind = "payment"
            elif move_type == "out_refund" or (
                move_type != "out_invoice" and residual < 0
            ):
                kind = "credit_note"
            else:
                kind = "invoice"
            items.append(
                {
                    "id": aml_id,
                    "partner_id": cpartner_id,
                    "partner_names": [n for n in (name, cname) if n],
                    "move_name": move_name,
                    "payment_ref": payment_ref,
                    "order_refs": order_refs,
                    "tx_refs": tx_refs.setdefault(
                        ("payment", payment_id) if is_payment else ("move", move_id),
                        [],
                    ),
                    "amount_residual": Decimal(str(residual)),
                    "currency": currency,
                    "date": date,
                    "date_maturity": date_maturity,
                    "kind": kind,
                    "move_id": move_id,
                }
            )
        # Payment transactions (the gateway's own references, e.g. a Stripe
        # payment intent) of the open payments and invoices: one query.
        payment_ids = [key[1] for key in tx_refs if key[0] == "payment"]
        move_ids = [key[1] for key in tx_refs if key[0] == "move"]
        cr.execute(
            """
            SELECT 'payment', tx.payment_id, tx.reference, tx.provider_reference
              FROM payment_transaction tx
             WHERE tx.payment_id = ANY(%(payments)s)
            UNION ALL
            SELECT 'move', rel.invoice_id, tx.reference, tx.provider_reference
              FROM account_invoice_transaction_rel rel
              JOIN payment_transaction tx ON tx.id = rel.transaction_id
             WHERE rel.invoice_id = ANY(%(moves)s)
               AND tx.state IN ('authorized', 'done')
            """,
            {"payments": payment_ids, "moves": move_ids},
        )
        for key_kind, key_id, reference, provider_reference in cr.fetchall():
            refs = tx_refs[(key_kind, key_id)]
            refs.extend(
                ref
                for ref in (provider_reference, reference)
                if ref and ref not in refs
            )
        cr.execute(
            """
            SELECT b.sanitized_acc_number, COALESCE(p.commercial_partner_id, p.id)
              FROM res_partner_bank b
              JOIN res_partner p ON p.id = b.partner_id
             WHERE b.active
               AND (b.company_id IS NULL OR b.company_id = %s)
               AND p.id != %s
            """,
            [company.id, company.partner_id.id],
        )
        partner_accounts = {number: pid for number, pid in cr.fetchall() if number}
        return items, partner_accounts

    @api.model
    def _sales_closing_lock_items(self, aml_ids):
        """Lock open items about to be reconciled; returns the ids obtained.

        ``aml_ids``: ids, or {id: open amount when planned} (an item whose
        open amount changed since is not obtained).  ``FOR NO KEY UPDATE
        SKIP LOCKED``: an item another transaction holds is not waited for,
        and the suggestions other jobs store on these items (their foreign
        keys take ``FOR KEY SHARE``) are not blocked."""
        if not aml_ids:
            return set()
        planned = aml_ids if isinstance(aml_ids, dict) else {}
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT aml.id, aml.amount_residual_currency, cur.rounding
              FROM account_move_line aml
              JOIN res_currency cur ON cur.id = aml.currency_id
             WHERE aml.id = ANY(%s) AND aml.reconciled IS NOT TRUE
             ORDER BY aml.id
               FOR NO KEY UPDATE OF aml SKIP LOCKED
            """,
            [sorted(set(aml_ids))],
        )
        return {
            aml_id
            for aml_id, residual, rounding in self.env.cr.fetchall()
            if aml_id not in planned
            or abs(Decimal(str(residual)) - Decimal(str(planned[aml_id])))
            < Decimal(str(rounding)) / 2
        }

    def _sales_closing_store_suggestions(self, suggest, company):
        """Store up to three proposals per line (unchanged ones are kept)."""
        if not suggest:
            return
        Suggestion = self.env["sales.closing.match.suggestion"]
        lines = self.browse([line.id for line, _p in suggest])
        existing = {}
        for suggestion in lines.sales_closing_suggestion_ids:
            existing.setdefault(suggestion.statement_line_id.id, []).append(
                (
                    suggestion.rank,
                    tuple(sorted(suggestion.move_line_ids.ids)),
                    round(suggestion.score, 4),
                )
            )
        stale = self.browse()
        vals_list = []
        for line, proposals in suggest:
            wanted = [
                (rank, tuple(sorted(p.item_ids)), round(p.score, 4))
                for rank, p in enumerate(proposals[:3], start=1)
            ]
            if sorted(existing.get(line.id, [])) == wanted:
                continue
            stale |= line
            for rank, proposal in enumerate(proposals[:3], start=1):
                vals_list.append(
                    {
                        "statement_line_id": line.id,
                        "company_id": company.id,
                        "move_line_ids": [Command.set(list(proposal.item_ids))],
                        "score": proposal.score,
                        "reasons": ", ".join(proposal.reasons),
                        "fee_amount": float(proposal.fee_amount),
                        "partial": proposal.partial,
                        "rank": rank,
                    }
                )
        stale.sales_closing_suggestion_ids.unlink()
        Suggestion.create(vals_list)
        lines.filtered(
            lambda line: line.sales_closing_match_state != "suggested"
        ).write({"sales_closing_match_state": "suggested"})

    # ------------------------------------------------------------------
    # Reconciliation
    # ------------------------------------------------------------------

    def _sales_closing_transaction(self):
        """(transaction amount, transaction currency, liquidity line)."""
        self.ensure_one()
        liquidity, _suspense, _other = self._seek_for_lines()
        currency = self.foreign_currency_id or self.currency_id
        amount = self.amount_currency if self.foreign_currency_id else self.amount
        return amount, currency, liquidity

    def _sales_closing_counterpart_vals(self, match):
        """Journal items replacing the suspense line for ``match``: a dict
        with ``items`` (open move lines), ``fee`` (in the transaction
        currency, statement sign, booked to ``writeoff_account`` or the
        company's fee account), ``partial`` (pay the items in order up to
        the line's amount).  Whatever the line does not cover stays on the
        suspense account.  Amounts are converted at the line's own rate
        (company amount over transaction amount)."""
        self.ensure_one()
        amount, currency, liquidity = self._sales_closing_transaction()
        items = match["items"]
        if any(item.currency_id != currency for item in items):
            raise UserError(
                self.env._(
                    "Statement line %(line)s: the open items must be in the "
                    "transaction currency %(currency)s.",
                    line=self.display_name,
                    currency=currency.name,
                )
            )
        fee = match.get("fee") or 0.0
        remaining = amount
        pays = []
        for item in items:
            due = item.amount_residual_currency
            if match.get("partial"):
                due = min(due, remaining) if amount > 0 else max(due, remaining)
                if currency.is_zero(due) or due * amount < 0:
                    continue
            pays.append((item, due))
            remaining -= due
        remainder = currency.round(remaining + fee)
        if remainder * amount < 0 and not currency.is_zero(remainder):
            raise UserError(
                self.env._(
                    "Statement line %(line)s: the open items exceed the amount "
                    "received; reconcile partially or book the difference.",
                    line=self.display_name,
                )
            )
        company_currency = self.company_id.currency_id
        rate = liquidity.balance / amount if amount else 1.0
        vals_list = []
        for item, due in pays:
            vals_list.append(
                {
                    "name": item.move_id.name,
                    "account_id": item.account_id.id,
                    "partner_id": item.partner_id.id,
                    "currency_id": currency.id,
                    "amount_currency": -due,
                    "balance": company_currency.round(-due * rate),
                    "_sales_closing_item": item,
                }
            )
        if not currency.is_zero(fee):
            account = (
                match.get("writeoff_account")
                or self.company_id.sales_closing_fee_account_id
            )
            if not account:
                raise UserError(
                    self.env._("Set a fee account in the Closing settings first.")
                )
            vals_list.append(
                {
                    "name": match.get("label") or self.env._("Bank and gateway fees"),
                    "account_id": account.id,
                    "partner_id": items.partner_id.commercial_partner_id[:1].id,
                    "currency_id": currency.id,
                    "amount_currency": fee,
                    "balance": company_currency.round(fee * rate),
                }
            )
        if not currency.is_zero(remainder):
            # what the items do not explain stays in suspense, unless the
            # match says where it goes (a payout: the platform's balance or
            # the internal transfer account, paired with the platform's own
            # withdrawal line)
            vals = {
                "name": match.get("remainder_label") or self.payment_ref,
                "account_id": (
                    match.get("remainder_account")
                    or self.journal_id.suspense_account_id
                ).id,
                "partner_id": self.partner_id.id,
                "currency_id": currency.id,
                "amount_currency": -remainder,
                "balance": company_currency.round(-remainder * rate),
            }
            if match.get("pair"):
                vals["_sales_closing_pair"] = match["pair"]
            vals_list.append(vals)
        # The entry must balance in company currency: the rounding
        # difference goes to the largest line.
        gap = company_currency.round(
            liquidity.balance + sum(v["balance"] for v in vals_list)
        )
        if vals_list and not company_currency.is_zero(gap):
            biggest = max(vals_list, key=lambda v: abs(v["balance"]))
            biggest["balance"] = company_currency.round(biggest["balance"] - gap)
        return vals_list

    def _sales_closing_apply_matches(self, matches, state):
        """Reconcile statement lines with open items, in one batch.

        ``matches``: dicts with ``line``, ``items`` and optionally ``fee``,
        ``partial``, ``writeoff_account``, ``label``.

        The suspense lines of all the entries are deleted and the
        counterpart lines created in one ``create`` (the entries are checked
        balanced at its end), then everything is reconciled with one
        ``_reconcile_plan`` call: writing each entry on its own costs ten
        times more."""
        if not matches:
            return self.browse()
        self = self._sales_closing_matcher()  # pylint: disable=self-cls-assignment
        matches = [
            dict(
                match,
                line=match["line"].sudo(),
                items=match["items"].sudo(),
            )
            for match in matches
        ]
        # The open items of all the matches in one read (each match's own
        # recordset then finds them in the cache), not one query per match.
        all_items = self.env["account.move.line"].browse(
            {item_id for match in matches for item_id in match["items"].ids}
        )
        all_items.fetch(
            ["currency_id", "amount_residual_currency", "account_id", "partner_id"]
        )
        all_items.move_id.fetch(["name"])
        # ids in lists and sets: a recordset grown by ``|=`` in the loop costs
        # the square of the number of matches
        suspense_ids, done_ids, done_set = [], [], set()
        vals_list, items, pairs, partners = [], [], [], {}
        for match in matches:
            line = match["line"]
            liquidity, suspense, other = line._seek_for_lines()
            if line.is_reconciled or other or len(suspense) != 1 or line.id in done_set:
                raise UserError(
                    self.env._(
                        "Statement line %(line)s is already (partly) reconciled.",
                        line=line.display_name,
                    )
                )
            for vals in line._sales_closing_counterpart_vals(match):
                items.append(vals.pop("_sales_closing_item", None))
                pairs.append(vals.pop("_sales_closing_pair", None))
                vals["move_id"] = line.move_id.id
                vals_list.append(vals)
            partner = match["items"].partner_id.commercial_partner_id[:1]
            if partner and not line.partner_id:
                partners.setdefault(partner, []).append(line.id)
            suspense_ids.append(suspense.id)
            done_ids.append(line.id)
            done_set.add(line.id)
        suspense_lines = self.env["account.move.line"].browse(suspense_ids)
        done = self.browse(done_ids)
        partners = {partner: self.browse(ids) for partner, ids in partners.items()}
        # The suspense line is replaced by the counterparts, as the bank
        # reconciliation does, not edited by a person: no "journal item
        # deleted / created" message per entry (tracking_disable), and no
        # invoice synchronisation (tax, payment term and rounding lines) on
        # these bank entries (skip_invoice_sync, as account.payment does).
        ctx = {
            "skip_readonly_check": True,
            "skip_account_move_synchronization": True,
            "skip_invoice_sync": True,
            "tracking_disable": True,
        }
        AccountMoveLine = self.env["account.move.line"].with_context(**ctx)
        suspense_lines.with_context(
            force_delete=True, check_move_validity=False, **ctx
        ).unlink()
        created = AccountMoveLine.create(vals_list)
        if partners:
            self._sales_closing_set_partners(partners)
        plan = [
            counterpart | item
            for counterpart, item in zip(created, items, strict=True)
            if item
        ]
        paired = {}
        for counterpart, pair in zip(created, pairs, strict=True):
            if pair:
                paired[pair] = paired.get(pair, counterpart.browse()) | counterpart
        plan += [group for group in paired.values() if len(group) > 1]
        if plan:
            self.env["account.move.line"]._reconcile_plan(plan)
        done.sales_closing_suggestion_ids.unlink()
        done.write({"sales_closing_match_state": state})
        return done

    def _sales_closing_set_partners(self, partners):
        """Set the partner found by the match on statement lines without
        one, their journal entries and liquidity lines, in three UPDATE
        queries instead of three ``write`` per partner (each checking the
        companies and tracking the change of each entry).

        ``partners``: {partner: statement lines}.  The ORM is told what
        changed (``modified``) so that fields depending on the partner are
        recomputed in batch at the next flush."""
        rows = [
            (line.id, line.move_id.id, partner.id, partner.commercial_partner_id.id)
            for partner, lines in partners.items()
            for line in lines
        ]
        if not rows:
            return
        lines = self.browse([row[0] for row in rows])
        moves = lines.move_id
        liquidity = self.env["account.move.line"].browse(
            [lid for line in lines for lid in line._seek_for_lines()[0].ids]
        )
        self.env.flush_all()
        cr = self.env.cr
        values = SQL(", ").join(SQL("(%s, %s, %s, %s)", *row) for row in rows)
        cr.execute(
            SQL(
                """
                UPDATE account_bank_statement_line st
                   SET partner_id = v.partner_id
                  FROM (VALUES %s) AS v(line_id, move_id, partner_id, cpartner_id)
                 WHERE st.id = v.line_id
                """,
                values,
            )
        )
        cr.execute(
            SQL(
                """
                UPDATE account_move m
                   SET partner_id = v.partner_id,
                       commercial_partner_id = v.cpartner_id
                  FROM (VALUES %s) AS v(line_id, move_id, partner_id, cpartner_id)
                 WHERE m.id = v.move_id
                """,
                values,
            )
        )
        cr.execute(
            SQL(
                """
                UPDATE account_move_line aml
                   SET partner_id = v.partner_id
                  FROM (VALUES %s) AS v(line_id, move_id, partner_id, cpartner_id)
                 WHERE aml.move_id = v.move_id AND aml.id = ANY(%s)
                """,
                values,
                liquidity.ids,
            )
        )
        lines.invalidate_recordset(["partner_id"])
        moves.invalidate_recordset(["partner_id", "commercial_partner_id"])
        liquidity.invalidate_recordset(["partner_id"])
        lines.modified(["partner_id"])
        moves.modified(["partner_id", "commercial_partner_id"])
        liquidity.modified(["partner_id"])

    # ------------------------------------------------------------------
    # Review actions
    # ------------------------------------------------------------------

    def action_sales_closing_accept(self):
        """Accept the best suggestion of each line."""
        for line in self:
            top = line.sales_closing_suggestion_ids.sorted("rank")[:1]
            if not top:
                raise UserError(
                    self.env._(
                        "Statement line %(line)s has no suggestion.",
                        line=line.display_name,
                    )
                )
            top.action_accept()
        return True

    def action_sales_closing_reject(self):
        """Reject the suggestions: the line stays to match by hand."""
        self = self._sales_closing_matcher()  # pylint: disable=self-cls-assignment
        self.sales_closing_suggestion_ids.unlink()
        self.filtered(lambda line: not line.is_reconciled).write(
            {"sales_closing_match_state": "unmatched"}
        )
        return True

    def action_sales_closing_match_by_hand(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Match by Hand"),
            "res_model": "sales.closing.match.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_statement_line_id": self.id,
                "default_move_line_ids": [
                    Command.set(
                        self.sales_closing_suggestion_ids.sorted("rank")[
                            :1
                        ].move_line_ids.ids
                    )
                ],
            },
        }

    def action_sales_closing_undo_auto(self):
        """Undo the automatic matches among these lines (manual ones stay)."""
        self = self._sales_closing_matcher()  # pylint: disable=self-cls-assignment
        autos = self.filtered(lambda line: line.sales_closing_match_state == "auto")
        if autos:
            autos.action_undo_reconciliation()
            autos.write({"sales_closing_match_state": "unmatched"})
        return autos


class AccountBankStatement(models.Model):
    _inherit = "account.bank.statement"

    def action_sales_closing_auto_match(self):
        return self.line_ids.action_auto_match()

    def action_sales_closing_undo_auto(self):
        self.line_ids.action_sales_closing_undo_auto()
        return True


class AccountJournal(models.Model):
    _inherit = "account.journal"

    def action_sales_closing_auto_match(self):
        lines = self.env["account.bank.statement.line"].search(
            [
                ("journal_id", "in", self.ids),
                ("is_reconciled", "=", False),
                ("sales_closing_match_state", "in", list(RUN_STATES)),
            ]
        )
        return lines.action_auto_match()
