"""Differences report of a closing period (订单对账, 发票对账, 支付对账, 数电发票对账).

Each row is one mismatch on the money trail order -> delivery -> invoice ->
payment transaction -> bank line, with links to the documents (for a
company issuing China e-fapiao, also invoice -> e-fapiao issued).  Rows are
computed for a period by ``sales.closing.period.action_compute_differences``
with one SQL query per kind of difference (a constant number of queries
whatever the data size) and replaced at each computation.
"""

import io

from odoo import api, fields, models
from odoo.tools.misc import xlsxwriter

from odoo.addons.sales_closing.tools import safe_text, selection_labels

AREAS = [
    ("order", "Orders (订单对账)"),
    ("invoice", "Invoices (发票对账)"),
    ("payment", "Payments (支付对账)"),
    ("fapiao", "E-Fapiao (数电发票对账)"),
]
KINDS = [
    ("delivered_not_invoiced", "Delivered, Not Invoiced"),
    ("invoiced_not_delivered", "Invoiced, Not Delivered"),
    ("order_invoice_amount", "Invoiced Amount Differs from Order"),
    ("invoiced_not_paid", "Invoiced, Not Paid"),
    ("transaction_amount", "Payment Amount Differs from Invoices"),
    ("paid_not_in_bank", "Paid, Not in the Bank"),
    ("bank_no_invoice", "In the Bank, No Invoice"),
    ("bank_difference", "Bank Amount Differs (fee or write-off)"),
    ("fapiao_not_issued", "Invoiced, No E-Fapiao Issued"),
    ("fapiao_amount", "E-Fapiao Amount Differs from Invoice"),
]
KIND_AREA = {
    "delivered_not_invoiced": "order",
    "invoiced_not_delivered": "order",
    "order_invoice_amount": "order",
    "invoiced_not_paid": "invoice",
    "transaction_amount": "invoice",
    "paid_not_in_bank": "payment",
    "bank_no_invoice": "payment",
    "bank_difference": "payment",
    "fapiao_not_issued": "fapiao",
    "fapiao_amount": "fapiao",
}
FAPIAO_REASONS = [
    ("not_sent", "Not Yet Exported or Sent"),
    ("exported", "Exported or Sent, Not Issued"),
    ("failed", "Issuing Failed"),
    ("red_missing", "Credit Note, No Red E-Fapiao"),
    ("total", "Total Differs"),
    ("tax", "Tax Differs"),
    ("total_tax", "Total and Tax Differ"),
]
# the e-fapiao state of an invoice without an issued e-fapiao, as a reason
FAPIAO_STATE_REASONS = {"exported": "exported", "failed": "failed"}


class SalesClosingDifference(models.Model):
    _name = "sales.closing.difference"
    # group totals of the differences of several companies, per currency
    _inherit = ["sales.closing.currency.totals.mixin"]
    _description = "Closing Difference (Order, Invoice and Payment Reconciliation)"
    _order = "period_id, area, kind, date, id"

    period_id = fields.Many2one(
        "sales.closing.period", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True
    )
    area = fields.Selection(AREAS, required=True, readonly=True)
    kind = fields.Selection(KINDS, required=True, readonly=True)
    name = fields.Char(string="Reference", readonly=True)
    date = fields.Date(readonly=True)
    partner_id = fields.Many2one("res.partner", readonly=True, index=True)
    sale_order_id = fields.Many2one("sale.order", string="Order", readonly=True)
    invoice_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    transaction_id = fields.Many2one(
        "payment.transaction", string="Payment Transaction", readonly=True
    )
    payment_id = fields.Many2one("account.payment", string="Payment", readonly=True)
    statement_line_id = fields.Many2one(
        "account.bank.statement.line", string="Bank Line", readonly=True
    )
    currency_id = fields.Many2one("res.currency", readonly=True)
    expected_amount = fields.Monetary(
        readonly=True, help="What the previous step of the trail says."
    )
    actual_amount = fields.Monetary(
        readonly=True, help="What this step of the trail shows."
    )
    amount = fields.Monetary(
        string="Difference",
        readonly=True,
        help="Expected minus actual, in the document currency.",
    )
    fapiao_number = fields.Char(
        string="E-Fapiao Number",
        readonly=True,
        help="The e-fapiao issued for the invoice (20 digits), if any.",
    )
    fapiao_reason = fields.Selection(
        FAPIAO_REASONS,
        string="E-Fapiao Reason",
        readonly=True,
        help="Why the invoice and the tax platform differ.",
    )
    tax_difference = fields.Monetary(
        readonly=True,
        help="Tax of the invoice minus tax of its e-fapiao, in the document currency.",
    )
    company_currency_id = fields.Many2one(
        related="company_id.currency_id",
        string="Company Currency",
        store=True,
        index=True,
    )
    amount_company = fields.Monetary(
        string="Difference (Company Currency)",
        readonly=True,
        currency_field="company_currency_id",
        help="Absolute difference converted at the document's own rate; "
        "the period's checklist sums it. Totals are per company currency.",
    )

    @api.model
    def _sql_rows(self, period):
        """(kind, values) of every difference of ``period``: one query per
        kind."""
        company = period.company_id
        start = fields.Date.to_string(period.date_from)
        end = fields.Date.to_string(period.date_to)
        end_dt = fields.Datetime.to_string(period._end_datetime())
        params = {"company": company.id, "start": start, "end": end, "end_dt": end_dt}
        self.env.flush_all()
        cr = self.env.cr
        rows = []

        # Orders: delivered vs invoiced quantities, per order (one query),
        # valued untaxed after discount (the unit price may include taxes).
        cr.execute(
            """
            SELECT so.id, so.name, so.partner_id, so.date_order::date,
                   so.currency_id, COALESCE(so.currency_rate, 1.0),
                   SUM(GREATEST(sol.qty_delivered - sol.qty_invoiced, 0)
                       * COALESCE(sol.price_reduce_taxexcl, sol.price_unit
                                  * (1 - COALESCE(sol.discount, 0) / 100))),
                   SUM(GREATEST(sol.qty_invoiced - sol.qty_delivered, 0)
                       * COALESCE(sol.price_reduce_taxexcl, sol.price_unit
                                  * (1 - COALESCE(sol.discount, 0) / 100)))
              FROM sale_order_line sol
              JOIN sale_order so ON so.id = sol.order_id
              JOIN product_product pp ON pp.id = sol.product_id
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
             WHERE so.company_id = %(company)s
               AND so.state = 'sale'
               AND so.date_order <= %(end_dt)s
               AND sol.display_type IS NULL
               AND sol.is_downpayment IS NOT TRUE
               AND pt.type = 'consu'
               AND sol.qty_delivered != sol.qty_invoiced
             GROUP BY so.id
            """,
            params,
        )
        for oid, name, pid, date, cur, rate, to_invoice, over in cr.fetchall():
            for kind, amount in (
                ("delivered_not_invoiced", to_invoice),
                ("invoiced_not_delivered", over),
            ):
                if amount and round(amount, 2):
                    rows.append(
                        {
                            "kind": kind,
                            "name": name,
                            "date": date,
                            "partner_id": pid,
                            "sale_order_id": oid,
                            "currency_id": cur,
                            "expected_amount": amount,
                            "actual_amount": 0.0,
                            "amount": amount,
                            "amount_company": abs(amount) / (rate or 1.0),
                        }
                    )

        # Orders fully invoiced whose posted invoices differ in amount.
        cr.execute(
            """
            SELECT so.id, so.name, so.partner_id, so.date_order::date,
                   so.currency_id, COALESCE(so.currency_rate, 1.0),
                   so.amount_total, inv.total
              FROM sale_order so
              JOIN (
                    SELECT sol.order_id,
                           SUM(CASE WHEN m.move_type = 'out_refund'
                                    THEN -aml.price_total ELSE aml.price_total
                               END) AS total
                      FROM sale_order_line sol
                      JOIN sale_order_line_invoice_rel rel
                        ON rel.order_line_id = sol.id
                      JOIN account_move_line aml ON aml.id = rel.invoice_line_id
                      JOIN account_move m ON m.id = aml.move_id
                     WHERE m.state = 'posted'
                     GROUP BY sol.order_id
                   ) inv ON inv.order_id = so.id
             WHERE so.company_id = %(company)s
               AND so.state = 'sale'
               AND so.invoice_status = 'invoiced'
               AND so.date_order <= %(end_dt)s
               AND so.date_order >= %(start)s
               AND ABS(so.amount_total - inv.total) >= 0.005
            """,
            params,
        )
        for oid, name, pid, date, cur, rate, total, invoiced in cr.fetchall():
            rows.append(
                {
                    "kind": "order_invoice_amount",
                    "name": name,
                    "date": date,
                    "partner_id": pid,
                    "sale_order_id": oid,
                    "currency_id": cur,
                    "expected_amount": total,
                    "actual_amount": invoiced,
                    "amount": total - invoiced,
                    "amount_company": abs(total - invoiced) / (rate or 1.0),
                }
            )

        # Invoices of the period not (fully) paid.
        cr.execute(
            """
            SELECT m.id, m.name, m.commercial_partner_id, m.invoice_date,
                   m.currency_id, m.amount_total, m.amount_residual,
                   ABS(m.amount_residual_signed)
              FROM account_move m
             WHERE m.company_id = %(company)s
               AND m.move_type = 'out_invoice'
               AND m.state = 'posted'
               AND m.payment_state IN ('not_paid', 'partial')
               AND m.invoice_date BETWEEN %(start)s AND %(end)s
            """,
            params,
        )
        for mid, name, pid, date, cur, total, residual, residual_co in cr.fetchall():
            rows.append(
                {
                    "kind": "invoiced_not_paid",
                    "name": name,
                    "date": date,
                    "partner_id": pid,
                    "invoice_id": mid,
                    "currency_id": cur,
                    "expected_amount": total,
                    "actual_amount": total - residual,
                    "amount": residual,
                    "amount_company": residual_co,
                }
            )

        # Done payment transactions whose amount differs from their invoices.
        cr.execute(
            """
            SELECT tx.id, tx.reference, tx.partner_id,
                   tx.last_state_change::date, tx.currency_id, tx.amount,
                   SUM(m.amount_total), SUM(ABS(m.amount_total_signed)),
                   MIN(m.id)
              FROM payment_transaction tx
              JOIN account_invoice_transaction_rel rel ON rel.transaction_id = tx.id
              JOIN account_move m ON m.id = rel.invoice_id
             WHERE tx.company_id = %(company)s
               AND tx.state = 'done'
               AND COALESCE(tx.operation, '') != 'refund'
               AND tx.last_state_change BETWEEN %(start)s AND %(end_dt)s
               AND m.state = 'posted'
             GROUP BY tx.id
            HAVING ABS(tx.amount - SUM(m.amount_total)) >= 0.005
            """,
            params,
        )
        for tid, ref, pid, date, cur, amount, invoiced, inv_co, mid in cr.fetchall():
            rate = inv_co / invoiced if invoiced else 1.0
            rows.append(
                {
                    "kind": "transaction_amount",
                    "name": ref,
                    "date": date,
                    "partner_id": pid,
                    "transaction_id": tid,
                    "invoice_id": mid,
                    "currency_id": cur,
                    "expected_amount": invoiced,
                    "actual_amount": amount,
                    "amount": invoiced - amount,
                    "amount_company": abs(invoiced - amount) * rate,
                }
            )

        # Customer payments of the period (from a gateway or by hand) not
        # matched with any bank statement line yet.
        cr.execute(
            """
            SELECT pay.id, m.name, pay.partner_id, m.date, pay.currency_id,
                   pay.amount, ABS(pay.amount_company_currency_signed),
                   (SELECT tx.id FROM payment_transaction tx
                     WHERE tx.payment_id = pay.id LIMIT 1)
              FROM account_payment pay
              JOIN account_move m ON m.id = pay.move_id
             WHERE pay.company_id = %(company)s
               AND pay.payment_type = 'inbound'
               AND pay.partner_type = 'customer'
               AND pay.state IN ('in_process', 'paid')
               AND pay.is_matched IS NOT TRUE
               AND m.date BETWEEN %(start)s AND %(end)s
            """,
            params,
        )
        for pay_id, name, pid, date, cur, amount, amount_co, tx_id in cr.fetchall():
            rows.append(
                {
                    "kind": "paid_not_in_bank",
                    "name": name,
                    "date": date,
                    "partner_id": pid,
                    "payment_id": pay_id,
                    "transaction_id": tx_id,
                    "currency_id": cur,
                    "expected_amount": amount,
                    "actual_amount": 0.0,
                    "amount": amount,
                    "amount_company": amount_co,
                }
            )

        # Money received in the bank that no invoice or payment explains.
        cr.execute(
            """
            SELECT st.id, COALESCE(st.payment_ref, m.name), st.partner_id, m.date,
                   COALESCE(st.foreign_currency_id, j.currency_id, c.currency_id),
                   CASE WHEN st.foreign_currency_id IS NOT NULL
                        THEN st.amount_currency ELSE st.amount END,
                   ABS(st.amount) / CASE WHEN j.currency_id IS NOT NULL
                                          AND j.currency_id != c.currency_id
                                         THEN COALESCE(NULLIF((
                                             SELECT ABS(l.amount_currency)
                                                    / NULLIF(ABS(l.balance), 0)
                                               FROM account_move_line l
                                              WHERE l.move_id = m.id
                                                AND l.account_id = j.default_account_id
                                              LIMIT 1), 0), 1)
                                         ELSE 1 END
              FROM account_bank_statement_line st
              JOIN account_move m ON m.id = st.move_id
              JOIN account_journal j ON j.id = st.journal_id
              JOIN res_company c ON c.id = st.company_id
             WHERE st.company_id = %(company)s
               AND st.amount > 0
               AND st.is_reconciled IS NOT TRUE
               AND m.state = 'posted'
               AND m.date BETWEEN %(start)s AND %(end)s
            """,
            params,
        )
        for st_id, name, pid, date, cur, amount, amount_co in cr.fetchall():
            rows.append(
                {
                    "kind": "bank_no_invoice",
                    "name": name,
                    "date": date,
                    "partner_id": pid,
                    "statement_line_id": st_id,
                    "currency_id": cur,
                    "expected_amount": 0.0,
                    "actual_amount": amount,
                    "amount": -amount,
                    "amount_company": amount_co,
                }
            )

        # Bank lines reconciled with a fee or write-off line (the amount
        # received differs from the open items).
        fee_account = company.sales_closing_fee_account_id
        if fee_account:
            cr.execute(
                """
                SELECT st.id, COALESCE(st.payment_ref, m.name), st.partner_id,
                       m.date, l.currency_id, SUM(l.amount_currency),
                       SUM(l.balance), MIN(cp.move_id)
                  FROM account_bank_statement_line st
                  JOIN account_move m ON m.id = st.move_id
                  JOIN account_move_line l
                    ON l.move_id = m.id AND l.account_id = %(fee)s
                  LEFT JOIN LATERAL (
                        SELECT pm.move_id
                          FROM account_move_line own
                          JOIN account_partial_reconcile pr
                            ON pr.credit_move_id = own.id
                          JOIN account_move_line pm ON pm.id = pr.debit_move_id
                         WHERE own.move_id = m.id
                         LIMIT 1
                  ) cp ON TRUE
                 WHERE st.company_id = %(company)s
                   AND m.state = 'posted'
                   AND m.date BETWEEN %(start)s AND %(end)s
                 GROUP BY st.id, m.id, l.currency_id
                """,
                dict(params, fee=fee_account.id),
            )
            for st_id, name, pid, date, cur, fee, fee_co, inv_id in cr.fetchall():
                rows.append(
                    {
                        "kind": "bank_difference",
                        "name": name,
                        "date": date,
                        "partner_id": pid,
                        "statement_line_id": st_id,
                        "invoice_id": inv_id,
                        "currency_id": cur,
                        "expected_amount": fee,
                        "actual_amount": 0.0,
                        "amount": fee,
                        "amount_company": abs(fee_co),
                    }
                )
        if company.sales_closing_fapiao_enabled:
            rows += self._sql_rows_fapiao(params)
        return rows

    @api.model
    def _sql_rows_fapiao(self, params):
        """Posted customer invoices and credit notes of the period (by
        accounting date, like the checklist's e-fapiao check) without an
        issued e-fapiao, or whose e-fapiao total or tax differs from the
        invoice to the fen (where the platform or the provider gave them).
        Signed: a credit note and its red e-fapiao are negative.  One query."""
        cr = self.env.cr
        cr.execute(
            """
            SELECT m.id, m.name, m.commercial_partner_id, m.date, m.currency_id,
                   m.move_type, m.sales_closing_fapiao_state,
                   m.sales_closing_fapiao_number,
                   CASE WHEN m.move_type = 'out_refund' THEN -1 ELSE 1 END
                       * m.amount_total,
                   CASE WHEN m.move_type = 'out_refund' THEN -1 ELSE 1 END
                       * m.amount_tax,
                   ABS(m.amount_total_signed) / NULLIF(ABS(m.amount_total), 0),
                   m.sales_closing_fapiao_amount_total,
                   m.sales_closing_fapiao_amount_tax
              FROM account_move m
             WHERE m.company_id = %(company)s
               AND m.state = 'posted'
               AND m.move_type IN ('out_invoice', 'out_refund')
               AND m.date BETWEEN %(start)s AND %(end)s
               AND (m.sales_closing_fapiao_number IS NULL
                    OR (m.sales_closing_fapiao_amount_total IS NOT NULL
                        AND (ABS(CASE WHEN m.move_type = 'out_refund' THEN -1
                                      ELSE 1 END * m.amount_total
                                 - m.sales_closing_fapiao_amount_total) >= 0.005
                             OR ABS(CASE WHEN m.move_type = 'out_refund' THEN -1
                                         ELSE 1 END * m.amount_tax
                                    - COALESCE(m.sales_closing_fapiao_amount_tax, 0))
                                >= 0.005)))
            """,
            params,
        )
        rows = []
        for (
            mid,
            name,
            pid,
            date,
            cur,
            move_type,
            state,
            number,
            total,
            tax,
            rate,
            fapiao_total,
            fapiao_tax,
        ) in cr.fetchall():
            rate = rate or 1.0
            values = {
                "name": name,
                "date": date,
                "partner_id": pid,
                "invoice_id": mid,
                "currency_id": cur,
                "expected_amount": total,
                "fapiao_number": number,
            }
            if not number:
                reason = FAPIAO_STATE_REASONS.get(state, "not_sent")
                if move_type == "out_refund" and reason == "not_sent":
                    reason = "red_missing"
                values.update(
                    kind="fapiao_not_issued",
                    fapiao_reason=reason,
                    actual_amount=0.0,
                    amount=total,
                    tax_difference=tax,
                    amount_company=abs(total) * rate,
                )
            else:
                total_diff = total - fapiao_total
                tax_diff = tax - (fapiao_tax or 0.0)
                total_off = abs(total_diff) >= 0.005
                tax_off = abs(tax_diff) >= 0.005
                values.update(
                    kind="fapiao_amount",
                    fapiao_reason="total_tax"
                    if total_off and tax_off
                    else ("total" if total_off else "tax"),
                    actual_amount=fapiao_total,
                    amount=total_diff,
                    tax_difference=tax_diff,
                    amount_company=max(abs(total_diff), abs(tax_diff)) * rate,
                )
            rows.append(values)
        return rows

    @api.model
    def _compute_for_period(self, period):
        """Replace the differences of ``period``; returns the new rows."""
        self.search([("period_id", "=", period.id)]).unlink()
        vals_list = []
        for vals in self._sql_rows(period):
            vals.update(
                period_id=period.id,
                company_id=period.company_id.id,
                area=KIND_AREA[vals["kind"]],
            )
            vals_list.append(vals)
        return self.create(vals_list)

    # ------------------------------------------------------------------
    # XLSX export
    # ------------------------------------------------------------------

    def _xlsx_content(self):
        """The rows as an XLSX workbook (bytes), one sheet per area."""
        output = io.BytesIO()
        book = xlsxwriter.Workbook(
            output, {"in_memory": True, "strings_to_formulas": False}
        )
        bold = book.add_format({"bold": True})
        money = book.add_format({"num_format": "#,##0.00"})
        areas = selection_labels(self, "area")
        kinds = selection_labels(self, "kind")
        headers = [
            self.env._("Kind"),
            self.env._("Reference"),
            self.env._("Date"),
            self.env._("Partner"),
            self.env._("Order"),
            self.env._("Invoice"),
            self.env._("Payment"),
            self.env._("Bank Line"),
            self.env._("Currency"),
            self.env._("Expected"),
            self.env._("Actual"),
            self.env._("Difference"),
            self.env._("Difference (Company Currency)"),
        ]
        fapiao_headers = [
            self.env._("E-Fapiao Number"),
            self.env._("E-Fapiao Reason"),
            self.env._("Tax Difference"),
        ]
        reasons = selection_labels(self, "fapiao_reason")
        for area, label in areas.items():
            rows = self.filtered(lambda d, a=area: d.area == a)
            if area == "fapiao" and not rows:
                # companies issuing e-fapiao only
                continue
            sheet = book.add_worksheet(label[:31])
            sheet_headers = headers + (fapiao_headers if area == "fapiao" else [])
            for col, header in enumerate(sheet_headers):
                sheet.write_string(0, col, safe_text(header), bold)
            sheet.set_column(0, 8, 18)
            sheet.set_column(9, 12, 14)
            for row_no, diff in enumerate(rows, start=1):
                texts = [
                    kinds.get(diff.kind, diff.kind),
                    diff.name or "",
                    fields.Date.to_string(diff.date) if diff.date else "",
                    diff.partner_id.display_name or "",
                    diff.sale_order_id.name or "",
                    diff.invoice_id.name or "",
                    diff.payment_id.name or diff.transaction_id.reference or "",
                    diff.statement_line_id.payment_ref or "",
                    diff.currency_id.name or "",
                ]
                # Partner names and bank labels come from customers and banks:
                # written as text, never as a formula (write() would turn "=..."
                # into one).
                for col, text in enumerate(texts):
                    sheet.write_string(row_no, col, safe_text(text))
                sheet.write_number(row_no, 9, diff.expected_amount, money)
                sheet.write_number(row_no, 10, diff.actual_amount, money)
                sheet.write_number(row_no, 11, diff.amount, money)
                sheet.write_number(row_no, 12, diff.amount_company, money)
                if area == "fapiao":
                    sheet.write_string(row_no, 13, diff.fapiao_number or "")
                    sheet.write_string(row_no, 14, reasons.get(diff.fapiao_reason, ""))
                    sheet.write_number(row_no, 15, diff.tax_difference, money)
        book.close()
        return output.getvalue()
