# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models, tools
from odoo.tools import SQL

# journals whose entries collect money: a partial reconciliation of an
# installment with a line of one of these is a collection (payments and bank
# statement lines); credit notes, write-off or exchange entries are not
COLLECTION_JOURNAL_TYPES = ("bank", "cash", "credit")


class SalesClosingCollectionAnalysis(models.Model):
    """Due versus collected per customer invoice installment.

    One PostgreSQL view, two kinds of rows sharing the ``date`` column so a
    pivot by day or month puts them side by side:

    - ``due``: each receivable installment of a posted customer invoice,
      dated on its due date, with its amount (``amount_due``) and what is
      still open (``amount_open``);
    - ``collected``: each partial reconciliation of an installment with a
      posted bank, cash or credit-card journal line (a payment or a bank
      statement line), dated on that line's date, with the reconciled
      amount (``amount_collected``).

    Amounts are in company currency: an installment's balance and the
    reconciled ``amount`` of the partial.  For a foreign currency invoice a
    collection is worth the payment's company-currency value; the exchange
    difference (Odoo reconciles an exchange entry with the installment) is
    not a collection, so due and collected differ by it.  The salesperson
    is the invoice's, else the customer's.
    """

    _name = "sales.closing.collection.analysis"
    # a group of several companies' currencies gets no total
    _inherit = ["sales.closing.currency.totals.mixin"]
    _description = "Collection Report: Due vs Collected"
    _auto = False
    _rec_name = "move_id"
    _order = "date desc, id desc"
    # flushed before the view is read
    _depends = {
        "account.move.line": [
            "move_id",
            "company_id",
            "balance",
            "amount_residual",
            "date",
            "date_maturity",
            "partner_id",
            "parent_state",
            "display_type",
            "journal_id",
        ],
        "account.move": ["move_type", "invoice_user_id", "team_id", "currency_id"],
        "account.partial.reconcile": ["debit_move_id", "credit_move_id", "amount"],
        "account.journal": ["type"],
        "res.partner": ["commercial_partner_id", "user_id", "country_id"],
        "res.company": ["currency_id"],
    }

    kind = fields.Selection([("due", "Due"), ("collected", "Collected")], readonly=True)
    date = fields.Date(
        readonly=True, help="Due date of an installment, date of a collection."
    )
    date_maturity = fields.Date(string="Due Date", readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    move_line_id = fields.Many2one(
        "account.move.line", string="Installment", readonly=True
    )
    payment_move_id = fields.Many2one(
        "account.move", string="Payment Entry", readonly=True
    )
    journal_id = fields.Many2one(
        "account.journal", string="Collection Journal", readonly=True
    )
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(
        "res.currency", string="Company Currency", readonly=True
    )
    invoice_currency_id = fields.Many2one(
        "res.currency", string="Invoice Currency", readonly=True
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    country_id = fields.Many2one("res.country", string="Country", readonly=True)
    amount_due = fields.Monetary(string="Due", readonly=True)
    amount_collected = fields.Monetary(string="Collected", readonly=True)
    amount_open = fields.Monetary(
        string="Open Amount",
        readonly=True,
        help="What is still to collect of the installment today.",
    )
    days_late = fields.Integer(
        readonly=True,
        aggregator="max",
        help="Days between the due date and the collection (negative: early).",
    )

    def _query(self):
        return SQL(
            """
            WITH installment AS NOT MATERIALIZED (
                SELECT aml.id, aml.move_id, aml.company_id, aml.balance,
                       aml.amount_residual,
                       COALESCE(aml.date_maturity, aml.date) AS date_maturity,
                       COALESCE(partner.commercial_partner_id, aml.partner_id)
                           AS partner_id,
                       COALESCE(move.invoice_user_id, commercial.user_id) AS user_id,
                       move.team_id, move.currency_id AS invoice_currency_id,
                       company.currency_id, commercial.country_id
                  FROM account_move_line aml
                  JOIN account_move move ON move.id = aml.move_id
                  JOIN res_company company ON company.id = aml.company_id
                  LEFT JOIN res_partner partner ON partner.id = aml.partner_id
                  LEFT JOIN res_partner commercial
                         ON commercial.id = COALESCE(
                             partner.commercial_partner_id, aml.partner_id)
                 WHERE move.move_type = 'out_invoice'
                   AND aml.parent_state = 'posted'
                   AND aml.display_type = 'payment_term'
            )
            SELECT i.id * 2 AS id, 'due' AS kind, i.date_maturity AS date,
                   i.date_maturity, i.move_id, i.id AS move_line_id,
                   NULL::integer AS payment_move_id, NULL::integer AS journal_id,
                   i.company_id, i.currency_id, i.invoice_currency_id,
                   i.partner_id, i.user_id, i.team_id, i.country_id,
                   i.balance AS amount_due, 0.0 AS amount_collected,
                   i.amount_residual AS amount_open, NULL::integer AS days_late
              FROM installment i
            UNION ALL
            SELECT apr.id * 2 + 1, 'collected', pay.date,
                   i.date_maturity, i.move_id, i.id,
                   pay.move_id, pay.journal_id,
                   i.company_id, i.currency_id, i.invoice_currency_id,
                   i.partner_id, i.user_id, i.team_id, i.country_id,
                   0.0, apr.amount, 0.0, pay.date - i.date_maturity
              FROM installment i
              JOIN account_partial_reconcile apr ON apr.debit_move_id = i.id
              JOIN account_move_line pay ON pay.id = apr.credit_move_id
              JOIN account_journal journal ON journal.id = pay.journal_id
             WHERE pay.parent_state = 'posted'
               AND journal.type IN %(journal_types)s
            """,
            journal_types=COLLECTION_JOURNAL_TYPES,
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                self._query(),
            )
        )
