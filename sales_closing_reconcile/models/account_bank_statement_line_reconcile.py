"""Applying matches: the suspense line of a statement line's journal entry
replaced by counterparts on the open items' accounts (and a fee line), all
reconciled with one ``_reconcile_plan`` call per batch."""

from odoo import models
from odoo.exceptions import UserError
from odoo.tools import SQL


class AccountBankStatementLine(models.Model):
    # The bank matching, by purpose: see account_bank_statement_line_matching.
    # pylint: disable=consider-merging-classes-inherited
    _inherit = "account.bank.statement.line"

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
        ``partial``, ``writeoff_account``, ``label``, ``score`` (the
        engine's score of the match, kept on the line for its undo).

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
            self._sales_closing_relink_exchange_moves(created)
        done.sales_closing_suggestion_ids.unlink()
        done.write({"sales_closing_match_state": state})
        self._sales_closing_keep_scores(matches)
        return done

    def _sales_closing_relink_exchange_moves(self, counterparts):
        """Give each exchange-difference entry of a batch to its own partial.

        Odoo 18's ``_reconcile_plan_with_sync`` hands the exchange entries
        of a batch to the *first* partials of the batch (its
        ``partial_index`` counts only the partials that have one): in a
        batch where a partial without exchange difference comes first, an
        entry is linked to another line's partial, and undoing that other
        line would reverse it.  Reconciling one statement line at a time,
        as Odoo's own screens do, never shows it.  The entry belongs to the
        batch partial of the journal item its lines are reconciled with
        (``test_reconcile_as_odoo`` compares the result with Odoo's own
        reconciliation, one line at a time)."""
        partials = counterparts.matched_debit_ids | counterparts.matched_credit_ids
        moves = partials.exchange_move_id
        if not moves:
            return
        # the batch's own partials by journal item: not those reconciling an
        # exchange entry's line with a counterpart (they own no entry)
        exchange_lines = moves.line_ids
        owners = {}
        for partial in partials:
            sides = partial.debit_move_id | partial.credit_move_id
            if sides & exchange_lines:
                continue
            for aml in sides:
                owners.setdefault(aml, partial)
        rows = []
        for move in moves:
            reconciled = (
                move.line_ids.matched_debit_ids.debit_move_id
                | move.line_ids.matched_credit_ids.credit_move_id
            ) - exchange_lines
            owner = next((owners[aml] for aml in reconciled if aml in owners), None)
            if owner and owner.exchange_move_id != move:
                rows.append((owner.id, move.id))
        if not rows:
            return
        owner_ids = [row[0] for row in rows]
        self.env["account.partial.reconcile"].flush_model(["exchange_move_id"])
        # the partials losing an entry that is not theirs, then each entry
        # on its own partial (one UPDATE each, not one write per partial)
        self.env.cr.execute(
            SQL(
                """
                UPDATE account_partial_reconcile
                   SET exchange_move_id = NULL
                 WHERE exchange_move_id = ANY(%s) AND id != ALL(%s)
                """,
                [row[1] for row in rows],
                owner_ids,
            )
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE account_partial_reconcile p
                   SET exchange_move_id = v.move_id
                  FROM (VALUES %s) AS v(partial_id, move_id)
                 WHERE p.id = v.partial_id
                """,
                SQL(", ").join(SQL("(%s, %s)", *row) for row in rows),
            )
        )
        partials.invalidate_recordset(["exchange_move_id"])
        moves.invalidate_recordset()

    def _sales_closing_keep_scores(self, matches):
        """The engine's score of each match on its line, in one UPDATE
        (scores differ from line to line: one ``write`` each otherwise)."""
        rows = [
            (match["line"].id, float(match["score"]))
            for match in matches
            if match.get("score")
        ]
        if not rows:
            return
        self.env.cr.execute(
            SQL(
                """
                UPDATE account_bank_statement_line st
                   SET sales_closing_matched_score = v.score
                  FROM (VALUES %s) AS v(line_id, score)
                 WHERE st.id = v.line_id
                """,
                SQL(", ").join(SQL("(%s, %s::numeric)", *row) for row in rows),
            )
        )
        self.browse([row[0] for row in rows]).invalidate_recordset(
            ["sales_closing_matched_score"]
        )

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
