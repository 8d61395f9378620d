from odoo import api, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def _prepare_exchange_difference_move_vals(
        self, amounts_list, company=None, exchange_date=None, **kwargs
    ):
        """Refuse an exchange difference of a closed period unless re-dating is on.

        Odoo dates the exchange difference entry with the exchange journal's
        ``accounting_date`` for ``exchange_date`` (the reconciliation date):
        past a lock date it is re-dated to the first open date, otherwise it
        is booked on that date. Both are checked here, where the original
        and the computed dates are known; the re-dating is logged once the
        entry exists, in ``_create_exchange_difference_moves``.
        """
        res = super()._prepare_exchange_difference_move_vals(
            amounts_list, company=company, exchange_date=exchange_date, **kwargs
        )
        if not res or not exchange_date or not res["move_values"]["line_ids"]:
            return res
        documents = self.move_id._sales_closing_documents()
        if not documents:
            return res
        move_company = (documents.company_id or company)[:1]
        new_date = res["move_values"]["date"]
        Period = self.env["sales.closing.period"]
        periods = Period._closed_period_for(move_company, [exchange_date, new_date])
        if not periods:
            return res
        label = self.env._(
            "The exchange difference of %s",
            ", ".join(Period._document_label(move) for move in documents),
        )
        period = periods._covering(move_company, exchange_date)
        booked_in = periods._covering(move_company, new_date)
        if booked_in:
            raise booked_in._closed_error(label, new_date)
        if not move_company.sales_closing_allow_redate:
            raise period._closed_error(label, exchange_date)
        res["sales_closing_redate"] = (period, label, exchange_date, new_date)
        return res

    @api.model
    def _create_exchange_difference_moves(self, exchange_diff_values_list):
        moves = super()._create_exchange_difference_moves(exchange_diff_values_list)
        redates = [
            values["sales_closing_redate"]
            for values in exchange_diff_values_list
            if values.get("sales_closing_redate")
        ]
        if redates:
            self.env["sales.closing.period"]._log_redates(redates)
        return moves
