# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The server side of the bank matching review screen (client action
``sales_closing_reconcile.review``).

Every method the screen calls is here, on an abstract model: each checks the
caller's closing group first (accountants and managers decide, auditors only
read, anyone else is refused), takes record ids and plain values (never a
domain from the browser) and applies decisions through the bank matching's
own methods (``_sales_closing_apply_matches``, the manual match wizard's
checks, ``action_undo_reconciliation``).  One call per decision; each
decision is written to the chatter of the statement line's journal entry
with the engine's score at the time.
"""

from decimal import Decimal

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_round

from odoo.addons.base.models.res_bank import sanitize_account_number

from ..engine.accounts import is_masked
from ..engine.matching import Proposal
from .sales_closing_match_wizard import ITEM_ACCOUNT_TYPES

DECIDE_GROUP = "sales_closing.group_closing_accountant"
READ_GROUPS = (DECIDE_GROUP, "sales_closing.group_closing_auditor")
TO_REVIEW = ("new", "suggested", "unmatched")
DONE = ("auto", "manual")
LINE_LIMIT = 200
STATEMENT_LIMIT = 100
ITEM_LIMIT = 80


class SalesClosingReview(models.AbstractModel):
    _name = "sales.closing.review"
    _description = "Bank Matching Review Screen"

    # ------------------------------------------------------------------
    # Access
    # ------------------------------------------------------------------

    @api.model
    def _check_read(self):
        user = self.env.user
        if not any(user.has_group(group) for group in READ_GROUPS):
            raise AccessError(
                self.env._(
                    "Only closing accountants and auditors can open the bank "
                    "matching review."
                )
            )

    @api.model
    def _check_decide(self):
        if not self.env.user.has_group(DECIDE_GROUP):
            raise AccessError(
                self.env._("Only closing accountants can match bank statement lines.")
            )

    @api.model
    def _lines(self, line_ids):
        """The statement lines ``line_ids`` the user may read, in their
        companies; anything else is refused."""
        ids = [int(i) for i in (line_ids or [])]
        lines = self.env["account.bank.statement.line"].browse(ids).exists()
        if len(lines) != len(set(ids)):
            raise UserError(self.env._("A statement line no longer exists."))
        lines.check_access("read")
        if lines.company_id - self.env.companies:
            raise AccessError(
                self.env._("The statement line belongs to a company you cannot use.")
            )
        return lines

    @api.model
    def _line(self, line_id):
        return self._lines([line_id])

    @api.model
    def _statement(self, statement_id):
        """The bank statement ``statement_id``, if the user may read it in
        their companies."""
        statement = self.env["account.bank.statement"].browse(int(statement_id))
        if not statement.exists():
            raise UserError(self.env._("The bank statement no longer exists."))
        statement.check_access("read")
        if statement.company_id - self.env.companies:
            raise AccessError(
                self.env._("The bank statement belongs to a company you cannot use.")
            )
        return statement

    @api.model
    def _check_period_open(self, lines):
        """Refuse a decision on lines dated in a closed period (the period
        named), as the closing's lock rules do for their entries."""
        self.env["sales.closing.period"]._check_documents_open(
            [(line.move_id, line.company_id, line.date) for line in lines.sudo()]
        )

    # ------------------------------------------------------------------
    # Reading
    # ------------------------------------------------------------------

    @api.model
    def _currency_dict(self, currency):
        return {
            "id": currency.id,
            "name": currency.name,
            "symbol": currency.symbol,
            "position": currency.position,
            "digits": currency.decimal_places,
        }

    @api.model
    def _filter_domain(self, filters):
        """The domain of the screen's filters, built here from plain values
        (never a domain from the browser)."""
        filters = filters or {}
        state = filters.get("state") or "todo"
        domain = [("company_id", "in", self.env.companies.ids)]
        if state == "done":
            domain.append(("sales_closing_match_state", "in", DONE))
        else:
            states = TO_REVIEW if state == "todo" else (state,)
            if not set(states) <= set(TO_REVIEW):
                raise UserError(self.env._("Unknown filter."))
            domain += [
                ("is_reconciled", "=", False),
                ("sales_closing_match_state", "in", states),
            ]
        if filters.get("journal_id"):
            domain.append(("journal_id", "=", int(filters["journal_id"])))
        if filters.get("statement_id"):
            domain.append(("statement_id", "=", int(filters["statement_id"])))
        if filters.get("partner_id"):
            domain.append(
                (
                    "partner_id.commercial_partner_id",
                    "=",
                    int(filters["partner_id"]),
                )
            )
        for key, operator in (("date_from", ">="), ("date_to", "<=")):
            if filters.get(key):
                domain.append(("date", operator, fields.Date.to_date(filters[key])))
        for key, operator in (("amount_min", ">="), ("amount_max", "<=")):
            value = filters.get(key)
            if value not in (None, "", False):
                domain.append(("amount", operator, float(value)))
        text = (filters.get("search") or "").strip()
        if text:
            domain += [
                "|",
                "|",
                "|",
                ("payment_ref", "ilike", text),
                ("partner_name", "ilike", text),
                ("partner_id", "ilike", text),
                ("ref", "ilike", text),
            ]
        return domain

    @api.model
    def get_lines(self, filters=None, offset=0):
        """The statement lines of the filter: up to LINE_LIMIT of them, the
        count, the amount left per currency (never added across
        currencies), the journals to filter on, and whether the user may
        decide."""
        self._check_read()
        Line = self.env["account.bank.statement.line"]
        domain = self._filter_domain(filters)
        count = Line.search_count(domain)
        totals = [
            {
                "currency": self._currency_dict(currency),
                "amount": amount,
                "count": lines_count,
            }
            for currency, amount, lines_count in Line._read_group(
                domain, ["currency_id"], ["amount:sum", "__count"]
            )
        ]
        lines = Line.search(
            domain, order="date, id", limit=LINE_LIMIT, offset=int(offset or 0)
        )
        journals = self.env["account.journal"].search(
            [
                ("type", "in", ("bank", "cash", "credit")),
                ("company_id", "in", self.env.companies.ids),
            ]
        )
        return {
            "count": count,
            "totals": totals,
            "lines": [self._line_dict(line) for line in lines],
            "journals": [{"id": j.id, "name": j.display_name} for j in journals],
            "statements": self._statement_choices(filters, journals),
            "can_decide": self.env.user.has_group(DECIDE_GROUP),
        }

    @api.model
    def _statement_choices(self, filters, journals):
        """The latest statements of the journal filtered on (of all the
        journals otherwise), and the one filtered on."""
        filters = filters or {}
        journal_ids = (
            [int(filters["journal_id"])] if filters.get("journal_id") else journals.ids
        )
        Statement = self.env["account.bank.statement"]
        statements = Statement.search(
            [("journal_id", "in", journal_ids)],
            order="date desc, id desc",
            limit=STATEMENT_LIMIT,
        )
        if filters.get("statement_id"):
            statements |= self._statement(filters["statement_id"])
        return [
            {
                "id": statement.id,
                "name": statement.name or "",
                "date": fields.Date.to_string(statement.date),
                "journal": statement.journal_id.display_name,
            }
            for statement in statements
        ]

    @api.model
    def _line_dict(self, line, full=True):
        top = line.sales_closing_suggestion_ids.sorted("rank")[:1]
        amount, currency, _liquidity = line._sales_closing_transaction()
        partner = line.partner_id
        result = {
            "id": line.id,
            "company_id": line.company_id.id,
            "date": fields.Date.to_string(line.date),
            "journal": line.journal_id.display_name,
            "label": line.payment_ref or "",
            "ref": line.ref or "",
            "partner_name": line.partner_name or "",
            "account_number": line.account_number or "",
            "partner": (
                {"id": partner.id, "name": partner.display_name} if partner else False
            ),
            "amount": amount,
            "currency": self._currency_dict(currency),
            "state": line.sales_closing_match_state or "new",
            "is_reconciled": line.is_reconciled,
            "score": top.score if top else None,
            "top": top.items_display if top else "",
        }
        if full:
            bank = self._payer_bank(line)
            result.update(
                suggestions=self._suggestions(line),
                bank_account_partner=bank.partner_id.display_name if bank else "",
                can_create_partner=self.env["res.partner"].has_access("create"),
                matched_items=self._matched_items(line),
            )
        return result

    @api.model
    def _item_dict(self, item):
        return {
            "id": item.id,
            "name": item.move_id.name or "",
            "ref": item.move_id.ref or item.move_id.payment_reference or "",
            "partner": item.partner_id.commercial_partner_id.display_name or "",
            "date": fields.Date.to_string(item.date),
            "date_maturity": fields.Date.to_string(item.date_maturity),
            "residual": item.amount_residual_currency,
            "currency": self._currency_dict(item.currency_id),
        }

    @api.model
    def _suggestions(self, line):
        return [
            {
                "id": s.id,
                "rank": s.rank,
                "score": s.score,
                "reasons": s.reasons_display or "",
                "fee": s.fee_amount,
                "partial": s.partial,
                "partner": s.partner_id.display_name or "",
                "residual": s.items_residual,
                "items": [self._item_dict(item) for item in s.move_line_ids],
            }
            for s in line.sales_closing_suggestion_ids.sorted("rank")
        ]

    @api.model
    def get_line(self, line_id):
        """The line as the screen shows it: suggestions (score, reasons in
        words, items), partner and payer's bank account, matched items."""
        self._check_read()
        return self._line_dict(self._line(line_id), full=True)

    @api.model
    def writeoff_options(self, line_id):
        """Write-off presets (Odoo's reconcile models of type write-off), the
        accounts and taxes of the line's company, the default account."""
        self._check_read()
        line = self._line(line_id)
        company = line.company_id
        presets = []
        for model in self.env["account.reconcile.model"].search(
            [("rule_type", "=", "writeoff_button"), ("company_id", "=", company.id)]
        ):
            first = model.line_ids[:1]
            if not first.account_id:
                continue
            presets.append(
                {
                    "id": model.id,
                    "name": model.name,
                    "account_id": first.account_id.id,
                    "tax_id": first.tax_ids[:1].id or False,
                    "label": first.label or model.name,
                }
            )
        accounts = self.env["account.account"].search(
            [
                *self.env["account.account"]._check_company_domain(company),
                ("deprecated", "=", False),
                (
                    "account_type",
                    "not in",
                    (
                        "asset_receivable",
                        "liability_payable",
                        "asset_cash",
                        "liability_credit_card",
                        "off_balance",
                    ),
                ),
            ]
        )
        taxes = self.env["account.tax"].search(
            [
                *self.env["account.tax"]._check_company_domain(company),
                ("type_tax_use", "in", ("sale", "purchase")),
                ("amount_type", "!=", "group"),
            ]
        )
        fee_account = company.sales_closing_fee_account_id
        return {
            "presets": presets,
            "accounts": [{"id": a.id, "name": a.display_name} for a in accounts],
            "taxes": [{"id": t.id, "name": t.display_name} for t in taxes],
            "default_account_id": fee_account.id or False,
        }

    @api.model
    def _matched_items(self, line, any_state=False):
        """Journal entries a matched line was reconciled with (names)."""
        if not any_state and line.sales_closing_match_state not in DONE:
            return []
        _liquidity, _suspense, other = line.sudo()._seek_for_lines()
        matched = other.matched_debit_ids.debit_move_id | (
            other.matched_credit_ids.credit_move_id
        )
        return sorted(set(matched.move_id.mapped("name")))

    @api.model
    def _payer_bank(self, line):
        number = line.account_number
        if not number:
            return self.env["res.partner.bank"]
        sanitized = sanitize_account_number(number)
        # sudo: only whether the number is known, and to whom (the matching
        # engine reads every payer account of the company the same way)
        return (
            self.env["res.partner.bank"]
            .sudo()
            .search(
                [
                    ("sanitized_acc_number", "=", sanitized),
                    ("company_id", "in", [False, line.company_id.id]),
                ],
                limit=1,
            )
        )

    @api.model
    def search_items(self, line_id, query=None):
        """Open items the line may pay (the manual match wizard's rules),
        narrowed by partner, text (number or reference), amount and date."""
        self._check_read()
        line = self._line(line_id)
        query = query or {}
        _amount, currency, _liquidity = line._sales_closing_transaction()
        domain = [
            ("company_id", "=", line.company_id.id),
            ("parent_state", "=", "posted"),
            ("reconciled", "=", False),
            ("account_id.reconcile", "=", True),
            ("amount_residual_currency", "!=", 0),
            ("currency_id", "=", currency.id),
            ("account_id.account_type", "in", ITEM_ACCOUNT_TYPES),
            ("statement_line_id", "=", False),
        ]
        if query.get("partner_id"):
            domain.append(
                ("partner_id.commercial_partner_id", "=", int(query["partner_id"]))
            )
        text = (query.get("text") or "").strip()
        if text:
            domain += [
                "|",
                "|",
                "|",
                "|",
                ("move_id.name", "ilike", text),
                ("move_id.ref", "ilike", text),
                ("move_id.payment_reference", "ilike", text),
                ("move_id.invoice_origin", "ilike", text),
                ("partner_id.commercial_partner_id.name", "ilike", text),
            ]
        if query.get("amount") not in (None, "", False):
            amount = abs(float(query["amount"]))
            tolerance = currency.rounding / 2
            domain += [
                "|",
                "&",
                ("amount_residual_currency", ">=", amount - tolerance),
                ("amount_residual_currency", "<=", amount + tolerance),
                "&",
                ("amount_residual_currency", ">=", -amount - tolerance),
                ("amount_residual_currency", "<=", -amount + tolerance),
            ]
        if query.get("date_from"):
            domain.append(("date", ">=", fields.Date.to_date(query["date_from"])))
        if query.get("date_to"):
            domain.append(("date", "<=", fields.Date.to_date(query["date_to"])))
        items = self.env["account.move.line"].search(
            domain, order="date_maturity, date, id", limit=ITEM_LIMIT
        )
        return [self._item_dict(item) for item in items]

    @api.model
    def search_partners(self, text):
        self._check_read()
        partners = self.env["res.partner"].search(
            [("name", "ilike", (text or "").strip()), ("parent_id", "=", False)],
            limit=8,
        )
        return [{"id": p.id, "name": p.display_name} for p in partners]

    # ------------------------------------------------------------------
    # Deciding
    # ------------------------------------------------------------------

    @api.model
    def _post(self, lines, body):
        """Write a decision to the chatter of each line's journal entry."""
        for line in lines:
            # sudo: the accountants decide on bank lines through the
            # matching (see _sales_closing_matcher); the author stays the
            # user (sudo keeps the uid)
            line.move_id.sudo().message_post(
                body=body, message_type="comment", subtype_xmlid="mail.mt_note"
            )

    @api.model
    def _score_text(self, score):
        if score is None or score is False:
            return self.env._("no engine suggestion")
        return self.env._("engine score %(score)s%%", score=round(score * 100))

    @api.model
    def _result(self, line):
        line.invalidate_recordset()
        return self._line_dict(line)

    @api.model
    def accept(self, line_id, suggestion_id=None):
        """Accept a suggestion of the line (its best one by default)."""
        self._check_decide()
        line = self._line(line_id)
        self._check_period_open(line)
        suggestions = line.sales_closing_suggestion_ids.sorted("rank")
        if suggestion_id:
            suggestion = suggestions.filtered(lambda s: s.id == int(suggestion_id))
        else:
            suggestion = suggestions[:1]
        if not suggestion:
            raise UserError(
                self.env._(
                    "Statement line %(line)s has no such suggestion.",
                    line=line.display_name,
                )
            )
        score, rank, reasons = suggestion.score, suggestion.rank, suggestion.reasons
        items = suggestion.move_line_ids
        if items.filtered("reconciled"):
            # Another line's decision took its items since the engine
            # suggested them (it may suggest one invoice to two lines):
            # nothing is reconciled, the line's suggestions are renewed.
            return self._renew(line)
        names = ", ".join(items.move_id.mapped("name"))
        suggestion.action_accept()
        self._post(
            line,
            Markup("<p>%s</p>")
            % self.env._(
                "Suggestion %(rank)s accepted by %(user)s (%(score)s: %(reasons)s): "
                "%(items)s.",
                rank=rank,
                user=self.env.user.name,
                score=self._score_text(score),
                reasons=self.env["sales.closing.match.suggestion"]._reasons_text(
                    reasons
                ),
                items=names,
            ),
        )
        return self._result(line)

    @api.model
    def _renew(self, line):
        """The line with the engine's suggestions of now, marked ``stale``
        (its suggestion was out of date)."""
        matcher = line._sales_closing_matcher()
        matcher.sales_closing_suggestion_ids.unlink()
        matcher.write({"sales_closing_match_state": "unmatched"})
        self._resuggest(matcher)
        result = self._result(line)
        result["stale"] = True
        return result

    @api.model
    def reconcile(self, line_id, item_ids, mode="partial", writeoff=None):
        """Match the line by hand with the open items ``item_ids``.

        ``mode``: ``partial`` (what the items and the line do not cover stays
        open: the items' rest, or the line's rest in suspense) or
        ``writeoff`` (the difference booked to ``writeoff['account_id']``,
        with ``writeoff['tax_id']`` if given, ``writeoff['label']`` as the
        reason).  The items are checked by the manual match wizard's rules."""
        self._check_decide()
        line = self._line(line_id)
        self._check_period_open(line)
        if mode not in ("partial", "writeoff"):
            raise UserError(self.env._("Unknown reconciliation mode."))
        items = self.env["account.move.line"].browse([int(i) for i in item_ids or []])
        if not items:
            raise UserError(self.env._("Select the open items this line pays."))
        writeoff = writeoff or {}
        top_score = line.sales_closing_suggestion_ids.sorted("rank")[:1].score
        had_suggestions = bool(line.sales_closing_suggestion_ids)
        # the manual match wizard's rules: company, currency, open receivable
        wizard = self.env["sales.closing.match.wizard"].create(
            {
                "statement_line_id": line.id,
                "move_line_ids": [fields.Command.set(items.ids)],
                "mode": mode,
            }
        )
        wizard._sales_closing_check_items()
        same = line.sales_closing_suggestion_ids.filtered(
            lambda s: set(s.move_line_ids.ids) == set(items.ids)
        )[:1]
        match = {
            "line": line,
            "items": items,
            "partial": mode == "partial",
            "score": same.score,
        }
        difference = wizard.difference
        currency = wizard.currency_id
        if mode == "writeoff" and not currency.is_zero(difference):
            label = (writeoff.get("label") or "").strip()
            if not label:
                raise UserError(self.env._("Give the reason of the difference."))
            account = self.env["account.account"].browse(
                int(writeoff.get("account_id") or 0)
            )
            if (
                not account.exists()
                or account.company_ids
                and (line.company_id not in account.company_ids)
            ):
                raise UserError(self.env._("Choose the account of the difference."))
            match.update(fee=difference, writeoff_account=account, label=label)
            if writeoff.get("tax_id"):
                tax = self.env["account.tax"].browse(int(writeoff["tax_id"])).exists()
                if not tax or tax.company_id.root_id != line.company_id.root_id:
                    raise UserError(self.env._("Choose a tax of the line's company."))
                match["writeoff_tax"] = tax
        line._sales_closing_apply_matches([match], state="manual")
        names = ", ".join(items.move_id.mapped("name"))
        if mode == "writeoff" and match.get("fee"):
            what = self.env._(
                "%(items)s, difference %(amount)s booked to %(account)s (%(reason)s)",
                items=names,
                amount=float_round(difference, precision_rounding=currency.rounding),
                account=match["writeoff_account"].display_name,
                reason=match["label"],
            )
        elif mode == "partial" and not currency.is_zero(difference):
            what = self.env._("%(items)s, partly", items=names)
        else:
            what = names
        self._post(
            line,
            Markup("<p>%s</p>")
            % self.env._(
                "Matched by hand by %(user)s (%(score)s): %(what)s.",
                user=self.env.user.name,
                score=self._score_text(top_score if had_suggestions else None),
                what=what,
            ),
        )
        return self._result(line)

    @api.model
    def undo(self, line_id):
        """Undo the automatic or manual match of a line, refused in a closed
        period; the engine's suggestions are proposed again."""
        self._check_decide()
        line = self._line(line_id)
        if not self._undoable(line):
            raise UserError(
                self.env._(
                    "Statement line %(line)s is not matched.",
                    line=line.display_name,
                )
            )
        self._undo_lines(line)
        return self._result(line)

    @api.model
    def undo_lines(self, line_ids):
        """Undo the automatic and manual matches of the lines ``line_ids``
        (those not matched are left as they are), all or none: refused if
        one of them is dated in a closed period."""
        self._check_decide()
        lines = self._lines(line_ids)
        done = self._undo_lines(lines, scope="selection")
        return self._undo_summary(done)

    @api.model
    def undo_statement_preview(self, statement_id):
        """What undoing the statement ``statement_id`` would do: its matched
        lines, their count (automatic and manual) and total per currency."""
        self._check_decide()
        statement = self._statement(statement_id)
        lines = self._undoable(statement.line_ids)
        summary = self._undo_summary(lines)
        summary.update(
            statement=statement.name or "",
            auto=len(
                lines.filtered(lambda line: line.sales_closing_match_state == "auto")
            ),
        )
        summary["manual"] = summary["count"] - summary["auto"]
        return summary

    @api.model
    def undo_statement(self, statement_id):
        """Undo every automatic and manual match of the statement
        ``statement_id``, all or none: refused if one of its matched lines
        is dated in a closed period (the period named)."""
        self._check_decide()
        statement = self._statement(statement_id)
        done = self._undo_lines(statement.line_ids, statement=statement)
        return self._undo_summary(done)

    @api.model
    def _undo_summary(self, lines):
        return self._bulk_summary([(line, None) for line in lines])

    @api.model
    def _undo_notification(self, count):
        """What the statement's and the selection's Undo Matches buttons
        show, the view reloaded after."""
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if count else "info",
                "message": self.env._(
                    "Matches undone: %(count)s. The lines wait for review again.",
                    count=count,
                )
                if count
                else self.env._("No matched line to undo."),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _undoable(self, lines, states=DONE):
        """The lines of ``lines`` matched in ``states``; with both states,
        also lines reconciled by other means (their entry has lines other
        than the bank and suspense ones), as the line's undo has always
        taken them."""
        # sudo: _seek_for_lines reads the lines' journal items, which Odoo
        # leaves to its accounting groups (the caller checked the closing
        # group and read access on the lines)
        return lines.filtered(
            lambda line: (
                line.sales_closing_match_state in states
                or (set(states) == set(DONE) and bool(line.sudo()._seek_for_lines()[2]))
            )
        )

    @api.model
    def _undo_lines(
        self, lines, states=DONE, resuggest=True, statement=None, scope=None
    ):
        """Undo the matches of ``lines`` in ``states``: all or none, refused
        if one is dated in a closed period (the closing's lock rule, the
        period named); each undo in the chatter of the line's entry with
        who did it, what the line was matched with and the engine's score
        when it was matched.  ``resuggest``: run the engine on the lines
        again, storing what it finds as suggestions only.  The caller checks
        the user's group."""
        lines = self._undoable(lines, states)
        if not lines:
            return lines
        self._check_period_open(lines)
        labels = dict(
            lines._fields["sales_closing_match_state"]._description_selection(self.env)
        )
        # sudo: the score field is for the closing groups, checked by the
        # caller (the statement's undo is also run by the scheduled code)
        before = [
            (
                line,
                labels[
                    line.sales_closing_match_state
                    if line.sales_closing_match_state in DONE
                    else "manual"
                ],
                line.sudo().sales_closing_matched_score,
                ", ".join(self._matched_items(line, any_state=True)) or "-",
            )
            for line in lines
        ]
        matcher = lines._sales_closing_matcher()
        matcher.action_undo_reconciliation()
        matcher.write(
            {"sales_closing_match_state": "unmatched", "sales_closing_matched_score": 0}
        )
        if resuggest:
            self._resuggest(matcher)
        for line, state, score, names in before:
            values = {
                "user": self.env.user.name,
                "state": state,
                "score": self._matched_score_text(score),
                "items": names,
            }
            if statement:
                body = self.env._(
                    "Match undone by %(user)s with every match of statement "
                    "%(statement)s (was %(state)s, %(score)s): %(items)s.",
                    statement=statement.name or statement.display_name,
                    **values,
                )
            elif scope == "selection":
                body = self.env._(
                    "Match undone by %(user)s, one of %(count)s lines undone "
                    "together (was %(state)s, %(score)s): %(items)s.",
                    count=len(lines),
                    **values,
                )
            else:
                body = self.env._(
                    "Match undone by %(user)s (was %(state)s, %(score)s): %(items)s.",
                    **values,
                )
            self._post(line, Markup("<p>%s</p>") % body)
        return lines

    @api.model
    def _matched_score_text(self, score):
        if not score:
            return self.env._("matched without an engine score")
        return self.env._(
            "engine score %(score)s%% when matched", score=round(score * 100)
        )

    @api.model
    def _resuggest(self, lines):
        """Run the engine on lines just unmatched, storing what it finds
        as suggestions only (the person who undid decides again)."""
        for company in lines.company_id:
            company_lines = lines.filtered(lambda line, c=company: line.company_id == c)
            entries, _stats, _taken = company_lines._sales_closing_plan(("unmatched",))
            suggest = []
            for entry in entries:
                if not entry["proposals"]:
                    continue
                suggest.append(
                    (
                        lines.browse(entry["line"]),
                        [
                            Proposal(
                                item_ids=tuple(p["items"]),
                                score=p["score"],
                                reasons=tuple(p["reasons"]),
                                fee_amount=Decimal(p["fee"]),
                                partial=p["partial"],
                            )
                            for p in entry["proposals"]
                        ],
                    )
                )
            lines._sales_closing_store_suggestions(suggest, company)

    @api.model
    def set_partner(self, line_id, partner_id=None, name=None, save_account=True):
        """Set the line's partner (an existing one, or one created from
        ``name``) and save the payer's bank account on it, so the engine
        knows the payer next time."""
        self._check_decide()
        line = self._line(line_id)
        Partner = self.env["res.partner"]
        if partner_id:
            partner = Partner.browse(int(partner_id)).exists()
            if not partner:
                raise UserError(self.env._("The partner no longer exists."))
            partner.check_access("read")
        elif (name or "").strip():
            partner = Partner.create({"name": name.strip(), "is_company": True})
        else:
            raise UserError(self.env._("Choose or name the partner."))
        partner = partner.commercial_partner_id
        if not line.is_reconciled:
            self._check_period_open(line)
            line._sales_closing_matcher().write({"partner_id": partner.id})
        saved = False
        # a masked number ("****1234") is no account to save
        if save_account and line.account_number and not is_masked(line.account_number):
            bank = self._payer_bank(line)
            if bank and bank.partner_id.commercial_partner_id != partner:
                raise UserError(
                    self.env._(
                        "Bank account %(number)s is already saved on %(partner)s.",
                        number=line.account_number,
                        partner=bank.partner_id.display_name,
                    )
                )
            if not bank:
                # sudo: the closing accountants save the payer's account
                # found on the bank line; Odoo leaves bank accounts to its
                # accounting groups
                self.env["res.partner.bank"].sudo().create(
                    {
                        "acc_number": line.account_number,
                        "partner_id": partner.id,
                        "allow_out_payment": False,
                    }
                )
                saved = True
        body = (
            self.env._(
                "Partner set to %(partner)s by %(user)s; bank account %(number)s "
                "saved on it.",
                partner=partner.display_name,
                user=self.env.user.name,
                number=line.account_number,
            )
            if saved
            else self.env._(
                "Partner set to %(partner)s by %(user)s.",
                partner=partner.display_name,
                user=self.env.user.name,
            )
        )
        self._post(line, Markup("<p>%s</p>") % body)
        return self._result(line)

    # ------------------------------------------------------------------
    # Bulk
    # ------------------------------------------------------------------

    @api.model
    def _bulk_candidates(self, lines, min_score):
        """(line, top suggestion) of ``lines`` whose best suggestion scores
        ``min_score`` or more, its items still open and taken once."""
        taken, result = set(), []
        for line in lines:
            if line.is_reconciled or line.sales_closing_match_state != "suggested":
                continue
            top = line.sales_closing_suggestion_ids.sorted("rank")[:1]
            if not top or top.score + 1e-9 < min_score:
                continue
            items = top.move_line_ids
            if not items or any(items.mapped("reconciled")) or taken & set(items.ids):
                continue
            taken |= set(items.ids)
            result.append((line, top))
        return result

    @api.model
    def _bulk_summary(self, pairs):
        totals = {}
        for line, _top in pairs:
            amount, currency, _liquidity = line._sales_closing_transaction()
            entry = totals.setdefault(
                currency.id,
                {"currency": self._currency_dict(currency), "amount": 0.0, "count": 0},
            )
            entry["amount"] += amount
            entry["count"] += 1
        return {
            "line_ids": [line.id for line, _top in pairs],
            "count": len(pairs),
            "totals": list(totals.values()),
        }

    @api.model
    def bulk_preview(self, filters=None, min_score=0.9):
        """What bulk acceptance would do in the current filter: the lines,
        their count and their total per currency."""
        self._check_decide()
        lines = self.env["account.bank.statement.line"].search(
            self._filter_domain(dict(filters or {}, state="suggested")),
            order="date, id",
        )
        return self._bulk_summary(self._bulk_candidates(lines, float(min_score)))

    @api.model
    def bulk_accept(self, line_ids, min_score=0.9):
        """Accept the best suggestion of the lines ``line_ids`` (those the
        preview listed), again only where it scores ``min_score`` or more."""
        self._check_decide()
        lines = self._lines(line_ids)
        self._check_period_open(lines)
        pairs = self._bulk_candidates(lines, float(min_score))
        if not pairs:
            return self._bulk_summary([])
        summary = self._bulk_summary(pairs)
        posts = [
            (
                line,
                self.env._(
                    "Suggestion %(rank)s accepted in bulk by %(user)s (%(score)s, "
                    "at least %(min)s%% asked): %(items)s.",
                    rank=top.rank,
                    user=self.env.user.name,
                    score=self._score_text(top.score),
                    min=round(float(min_score) * 100),
                    items=", ".join(top.move_line_ids.move_id.mapped("name")),
                ),
            )
            for line, top in pairs
        ]
        matches = [
            {
                "line": line,
                "items": top.move_line_ids,
                "fee": top.fee_amount,
                "partial": top.partial,
                "score": top.score,
            }
            for line, top in pairs
        ]
        lines._sales_closing_apply_matches(matches, state="manual")
        for line, body in posts:
            self._post(line, Markup("<p>%s</p>") % body)
        return summary
