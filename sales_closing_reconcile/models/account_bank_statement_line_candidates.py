"""Candidates of the bank matching: the statement lines and the company's
open items (and payers' bank accounts) as the engine's plain data, in a
constant number of queries; the open items locked before they are
reconciled."""

from decimal import Decimal

from odoo import api, models


class AccountBankStatementLine(models.Model):
    # The bank matching, by purpose: see account_bank_statement_line_matching.
    # pylint: disable=consider-merging-classes-inherited
    _inherit = "account.bank.statement.line"

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
        partners' bank accounts (their holder names are among the names of
        the items' partner)."""
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
            SELECT b.sanitized_acc_number, COALESCE(p.commercial_partner_id, p.id),
                   b.acc_holder_name
              FROM res_partner_bank b
              JOIN res_partner p ON p.id = b.partner_id
             WHERE b.active
               AND (b.company_id IS NULL OR b.company_id = %s)
               AND p.id != %s
            """,
            [company.id, company.partner_id.id],
        )
        partner_accounts, holders = {}, {}
        for number, pid, holder in cr.fetchall():
            if number:
                partner_accounts[number] = pid
            if holder:
                holders.setdefault(pid, []).append(holder)
        # A partner is also known by its bank accounts' holder names (the
        # name its bank prints, often its English or pinyin name).
        for item in items:
            extra = holders.get(item["partner_id"])
            if extra:
                item["partner_names"] = item["partner_names"] + extra
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
