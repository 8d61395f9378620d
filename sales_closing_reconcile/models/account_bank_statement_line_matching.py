"""Automatic matching of bank statement lines with open customer items.

The pure engine (``engine.matching``) decides; this layer feeds it with the
statement lines and the open items of a company and applies its decisions.
By purpose, in files of their own on ``account.bank.statement.line``:

* this file: the match state, the entry points (button, scheduled action,
  matching runs), planning and applying a plan;
* ``account_bank_statement_line_suggestions``: the engine's suggestions
  stored on the lines, and what a person does with them (accept, reject,
  match by hand, undo);
* ``account_bank_statement_line_candidates``: the lines and open items as
  the engine's plain data (one SQL query for the items, one for the payers'
  bank accounts), the open items locked before they are reconciled;
* ``account_bank_statement_line_reconcile``: applying matches (the suspense
  line of a statement line's entry replaced by counterparts on the open
  items' accounts and a fee line, reconciled in one ``_reconcile_plan``
  call per batch);
* ``account_bank_statement_line_payouts``: gateway payouts.

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
entry (an invoice's installments) or the same customer (what is kept per
customer, such as a collection case's amount due) go to the same slice;
every other row a job writes is its own (its statement lines and their
entries, the items granted to them, new reconciliations, suggestions).
Locks:

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
from decimal import Decimal

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..engine.matching import MatchConfig, Proposal, match_lines
from ..engine.plan import slices as plan_slices

_logger = logging.getLogger(__name__)

# Lines a queue job applies: the run is planned once (the open items are
# read and indexed once per run), a slice only applies its part of the plan;
# more lines than this in one request are handed to a queued run.
CHUNK_SIZE = 2000
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
    sales_closing_matched_score = fields.Float(
        string="Score When Matched",
        digits=(3, 4),
        readonly=True,
        copy=False,
        help="The engine's score of the match when the line was matched "
        "(empty: matched by hand with no suggestion of the engine), written "
        "in the chatter when the match is undone.",
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
        """Demo data: run the engine on every unreconciled line at once, each
        company's lines in the name of its demo accountant (not OdooBot, who
        loads the demo)."""
        lines = self.search([("is_reconciled", "=", False)])
        Demo = self.env["sales.closing.demo"]
        for company in lines.company_id:
            accountant = Demo._demo_user(company, "accountant")
            env = Demo._demo_as(accountant).with_company(company).env
            lines.filtered(lambda line, c=company: line.company_id == c).with_env(
                env
            ).with_context(sales_closing_match_now=True).action_auto_match()
            env.flush_all()
        return True

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
            auto_partial=company.sales_closing_match_partial,
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
        before the engine, as they take open items too) and what ties the
        lines taking an item together (item id -> its journal entry and
        customer, see ``engine.plan``)."""
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
        links = {
            item["id"]: (("move", item["move_id"]), ("partner", item["partner_id"]))
            for item in items
        }
        entries = []
        taken = {}
        for decision in decisions:
            take = (
                list(decision.proposals[0].item_ids)
                if decision.action == "auto"
                else []
            )
            for item_id in take:
                taken[item_id] = links[item_id]
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
                            "score": best.score,
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
