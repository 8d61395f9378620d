from odoo import fields, models


class SalesClosingCollectionReport(models.Model):
    """Collection figures by day: due, reminded, collected, promised, escalated.

    A SQL view, one row per source document; pivot and graph group it by day
    or month. Amounts are in company currency.
    """

    _name = "sales.closing.collection.report"
    # pivot and graph totals per currency (companies in several currencies)
    _inherit = ["sales.closing.currency.totals.mixin"]
    _description = "Collection Report"
    _auto = False
    _order = "date desc"
    _rec_name = "date"
    _depends = {
        "account.move": [
            "move_type",
            "state",
            "invoice_date_due",
            "company_id",
            "commercial_partner_id",
            "amount_total_signed",
        ],
        "account.move.line": [
            "date",
            "journal_id",
            "company_id",
            "partner_id",
            "account_id",
            "parent_state",
            "credit",
            "move_id",
        ],
        "sales.closing.dunning.line": [
            "state",
            "date_sent",
            "company_id",
            "amount_company",
        ],
        "sales.closing.payment.promise": [
            "date_made",
            "company_id",
            "partner_id",
            "amount",
        ],
        "sales.closing.collection.case": [
            "date_escalated",
            "company_id",
            "partner_id",
            "amount_escalated",
        ],
    }

    date = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    kind = fields.Selection(
        [
            ("due", "Falling Due"),
            ("reminded", "Reminded"),
            ("collected", "Collected"),
            ("promised", "Promised"),
            ("escalated", "Escalated"),
        ],
        readonly=True,
    )
    amount_due = fields.Monetary(string="Due", readonly=True)
    amount_reminded = fields.Monetary(string="Reminded", readonly=True)
    amount_collected = fields.Monetary(string="Collected", readonly=True)
    amount_promised = fields.Monetary(string="Promised", readonly=True)
    amount_escalated = fields.Monetary(string="Escalated", readonly=True)
    count = fields.Integer(string="Documents", readonly=True)

    def _select_parts(self):
        amounts = ("due", "reminded", "collected", "promised", "escalated")

        def columns(kind, amount):
            return ", ".join(
                f"{amount if kind == other else '0.0'}::numeric AS amount_{other}"
                for other in amounts
            )

        return [
            f"""
            SELECT m.invoice_date_due AS date, m.company_id,
                   m.commercial_partner_id AS partner_id, 'due' AS kind,
                   {columns("due", "m.amount_total_signed")}
              FROM account_move m
             WHERE m.move_type = 'out_invoice' AND m.state = 'posted'
               AND m.invoice_date_due IS NOT NULL
            """,
            f"""
            SELECT (l.date_sent AT TIME ZONE 'UTC')::date AS date, l.company_id,
                   l.partner_id, 'reminded' AS kind,
                   {columns("reminded", "l.amount_company")}
              FROM sales_closing_dunning_line l
             WHERE l.state = 'sent' AND l.date_sent IS NOT NULL
            """,
            f"""
            SELECT aml.date, aml.company_id, p.commercial_partner_id AS partner_id,
                   'collected' AS kind, {columns("collected", "aml.credit")}
              FROM account_move_line aml
              JOIN account_move m ON m.id = aml.move_id
              JOIN account_account a ON a.id = aml.account_id
              JOIN account_journal j ON j.id = aml.journal_id
              JOIN res_partner p ON p.id = aml.partner_id
             WHERE a.account_type = 'asset_receivable' AND aml.parent_state = 'posted'
               AND m.move_type = 'entry' AND aml.credit > 0
               -- money in: payments and bank statement lines, not the
               -- exchange difference or write-off entries of other journals
               AND j.type IN ('bank', 'cash', 'credit')
            """,
            f"""
            SELECT pr.date_made AS date, pr.company_id, pr.partner_id,
                   'promised' AS kind, {columns("promised", "pr.amount")}
              FROM sales_closing_payment_promise pr
            """,
            f"""
            SELECT c.date_escalated AS date, c.company_id, c.partner_id,
                   'escalated' AS kind, {columns("escalated", "c.amount_escalated")}
              FROM sales_closing_collection_case c
             WHERE c.date_escalated IS NOT NULL
            """,
        ]

    @property
    def _table_query(self):
        union = " UNION ALL ".join(self._select_parts())
        return f"""
            SELECT row_number() OVER (
                       ORDER BY u.date, u.kind, u.partner_id, u.amount_due,
                   u.amount_reminded, u.amount_collected) AS id,
                   u.*, 1 AS count
              FROM ({union}) u
        """
