from odoo import fields, models

SALES_CLOSING_MOVE_TYPES = ("out_invoice", "out_refund", "out_receipt")


class AccountMove(models.Model):
    _inherit = "account.move"

    def _sales_closing_documents(self):
        """The moves a closed period protects.

        Customer invoices, credit notes and receipts, the entries of
        customer payments and the entries of bank statement lines.
        """
        return self.filtered(
            lambda move: (
                move.move_type in SALES_CLOSING_MOVE_TYPES
                or move.statement_line_id
                or move.origin_payment_id.partner_type == "customer"
            )
        )

    def _sales_closing_check(self, redate=False):
        documents = self._sales_closing_documents()
        self.env["sales.closing.period"]._check_documents_open(
            [(move, move.company_id, move.date) for move in documents], redate=redate
        )

    def _post(self, soft=True):
        """Refuse posting into a closed period; log Odoo's re-dating out of it.

        Odoo's ``_post`` moves the date of an entry violating a lock date to
        the first open date (``_get_accounting_date``). This happens for
        invoices and for statement lines, which are posted when created.
        Intercepted here, around ``super()``, because only here is the
        re-dating distinguishable from a user's own edit of a draft date.
        """
        documents = self._sales_closing_documents()
        Period = self.env["sales.closing.period"]
        before = {move: move.date for move in documents}
        closed = Period._closed_period_for(documents.company_id, list(before.values()))
        in_closed = {}
        for move, old_date in before.items():
            period = closed._covering(move.company_id, old_date)
            if not period:
                continue
            if not move.company_id.sales_closing_allow_redate:
                raise period._closed_error(Period._document_label(move), old_date)
            in_closed[move] = period
        posted = super()._post(soft=soft)
        # Refuse what is still in, or was re-dated into, a closed period:
        # Odoo re-dates only past its own lock dates (a bank journal is not
        # under the sales lock date, for instance).
        documents.filtered(
            lambda move: (
                move.state == "posted"
                and (move in in_closed or move.date != before[move])
            )
        )._sales_closing_check()
        redates = [
            (period, Period._document_label(move), before[move], move.date)
            for move, period in in_closed.items()
            if move.state == "posted" and move.date != before[move]
        ]
        if redates:
            Period._log_redates(redates)
        return posted

    def button_draft(self):
        self._sales_closing_check()
        return super().button_draft()

    def unlink(self):
        self._sales_closing_check()
        return super().unlink()

    def write(self, vals):
        """Refuse cancelling or re-dating a posted document of a closed period."""
        if "state" in vals or "date" in vals:
            new_date = fields.Date.to_date(vals.get("date"))
            posted = self.filtered(
                lambda move: (
                    move.state == "posted"
                    and (
                        vals.get("state", "posted") != "posted"
                        or ("date" in vals and new_date != move.date)
                    )
                )
            )._sales_closing_documents()
            if posted:
                items = [(move, move.company_id, move.date) for move in posted]
                if "date" in vals:
                    items += [(move, move.company_id, new_date) for move in posted]
                self.env["sales.closing.period"]._check_documents_open(items)
        return super().write(vals)
