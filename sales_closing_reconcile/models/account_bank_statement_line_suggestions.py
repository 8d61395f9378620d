"""Suggestions of the bank matching: the engine's proposals stored on the
statement lines (up to three a line, unchanged ones kept), and what a
person does with them: accept the best, reject them, match by hand, undo
automatic or all matches."""

from odoo import Command, models
from odoo.exceptions import UserError


class AccountBankStatementLine(models.Model):
    # The bank matching, by purpose: see account_bank_statement_line_matching.
    # pylint: disable=consider-merging-classes-inherited
    _inherit = "account.bank.statement.line"

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
        """Undo the automatic matches among these lines (manual ones stay),
        as the review's undo does (refused in a closed period, each undo in
        the chatter), leaving them unmatched."""
        self._sales_closing_matcher()  # closing accountants only
        return self.env["sales.closing.review"]._undo_lines(
            self, states=("auto",), resuggest=False
        )

    def action_sales_closing_undo_matches(self):
        """Undo the automatic and manual matches of these lines (closing
        accountants only, checked on the server; all or none, refused if one
        is dated in a closed period); the engine proposes its suggestions
        again."""
        Review = self.env["sales.closing.review"]
        return Review._undo_notification(Review.undo_lines(self.ids)["count"])
