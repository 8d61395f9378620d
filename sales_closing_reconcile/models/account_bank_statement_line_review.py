# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A write-off with a tax, for the review screen: the difference line a
match books (``_sales_closing_counterpart_vals``) split into its base and
its tax lines, the difference taken as tax included."""

from odoo import Command, models


class AccountBankStatementLine(models.Model):
    # The bank matching, by purpose: see account_bank_statement_line_matching.
    # pylint: disable=consider-merging-classes-inherited
    _inherit = "account.bank.statement.line"

    def _sales_closing_counterpart_vals(self, match):
        vals_list = super()._sales_closing_counterpart_vals(match)
        tax = match.get("writeoff_tax")
        if not tax or not match.get("fee"):
            return vals_list
        account = match.get("writeoff_account")
        fee = match["fee"]
        writeoff = [
            vals
            for vals in vals_list
            if "_sales_closing_item" not in vals
            and account
            and vals["account_id"] == account.id
            and vals["amount_currency"] == fee
        ]
        if not writeoff:
            return vals_list
        base = writeoff[0]
        currency = self.env["res.currency"].browse(base["currency_id"])
        company_currency = self.company_id.currency_id
        rate = base["balance"] / fee if fee else 1.0
        taxes = tax.with_context(force_price_include=True).compute_all(
            fee, currency=currency, partner=self.partner_id
        )
        tax_vals = []
        for tax_data in taxes["taxes"]:
            amount = currency.round(tax_data["amount"])
            if currency.is_zero(amount):
                continue
            tax_vals.append(
                {
                    "name": tax_data["name"],
                    "account_id": tax_data["account_id"] or account.id,
                    "partner_id": base.get("partner_id"),
                    "currency_id": currency.id,
                    "amount_currency": amount,
                    "balance": company_currency.round(amount * rate),
                    "tax_repartition_line_id": tax_data["tax_repartition_line_id"],
                    "tax_tag_ids": [Command.set(tax_data["tag_ids"])],
                    "tax_base_amount": company_currency.round(
                        taxes["total_excluded"] * rate
                    ),
                }
            )
        # the base keeps what the taxes do not take, to the cent of the
        # company currency, so the entry balances as before
        base["amount_currency"] = currency.round(
            fee - sum(v["amount_currency"] for v in tax_vals)
        )
        base["balance"] = company_currency.round(
            base["balance"] - sum(v["balance"] for v in tax_vals)
        )
        base["tax_ids"] = [Command.set(tax.ids)]
        base["tax_tag_ids"] = [Command.set(taxes["base_tags"])]
        position = vals_list.index(base) + 1
        return vals_list[:position] + tax_vals + vals_list[position:]
