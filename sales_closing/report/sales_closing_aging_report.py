# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from itertools import pairwise

from odoo import fields, models, tools
from odoo.tools import SQL

from ..engine.aging import DEFAULT_BUCKETS, bucket_labels

# aging bucket label of the engine -> column of the view
BUCKET_FIELDS = dict(
    zip(
        bucket_labels(DEFAULT_BUCKETS),
        ("amount_not_due", "amount_1_30", "amount_31_60", "amount_61_90", "amount_90"),
        strict=True,
    )
)


def _bucket_case(days):
    """SQL CASE giving the engine's bucket label for ``days`` overdue.

    Built from the engine's boundaries so the view and ``engine.aging``
    can never disagree: ``days <= 0`` is current, then each ``low < days <=
    high``, then the last bucket.
    """
    labels = bucket_labels(DEFAULT_BUCKETS)
    whens = [SQL("WHEN %s <= %s THEN %s", days, DEFAULT_BUCKETS[0], labels[0])]
    for (__, high), label in zip(pairwise(DEFAULT_BUCKETS), labels[1:], strict=False):
        whens.append(SQL("WHEN %s <= %s THEN %s", days, high, label))
    return SQL("CASE %s ELSE %s END", SQL(" ").join(whens), labels[-1])


class SalesClosingAgingReport(models.Model):
    """Receivables aging as of today, per open receivable line.

    One PostgreSQL view over posted receivable journal items not fully
    reconciled and dated today at the latest: the residual in company
    currency and the same amount in the column of its bucket (not due,
    1-30, 31-60, 61-90, over 90 days past the due date, today being the
    database's ``CURRENT_DATE``).  Credit notes
    and payments not yet matched are negative and reduce their bucket, as in
    ``engine.aging``, whose boundaries and labels the view uses.
    """

    _name = "sales.closing.aging.report"
    # a group of several companies' currencies gets no total
    _inherit = ["sales.closing.currency.totals.mixin"]
    _description = "Receivables Aging"
    _auto = False
    _rec_name = "move_id"
    _order = "date_maturity, id"
    # flushed before the view is read
    _depends = {
        "account.move.line": [
            "move_id",
            "date",
            "date_maturity",
            "company_id",
            "account_id",
            "partner_id",
            "amount_residual",
            "parent_state",
            "reconciled",
        ],
        "account.move": ["move_type", "invoice_user_id"],
        "account.account": ["account_type"],
        "res.partner": ["commercial_partner_id", "user_id", "country_id"],
        "res.company": ["currency_id"],
    }

    move_id = fields.Many2one("account.move", string="Entry", readonly=True)
    move_type = fields.Selection(
        lambda self: self.env["account.move"]._fields["move_type"].selection,
        string="Type",
        readonly=True,
    )
    date = fields.Date(string="Entry Date", readonly=True)
    date_maturity = fields.Date(string="Due Date", readonly=True)
    days_overdue = fields.Integer(readonly=True, aggregator="max")
    aging_bucket = fields.Selection(
        [
            (label, name)
            for label, name in zip(
                bucket_labels(DEFAULT_BUCKETS),
                ("Not Due", "1-30 Days", "31-60 Days", "61-90 Days", "Over 90 Days"),
                strict=True,
            )
        ],
        string="Bucket",
        readonly=True,
    )
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(
        "res.currency", string="Company Currency", readonly=True
    )
    account_id = fields.Many2one("account.account", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    country_id = fields.Many2one("res.country", string="Country", readonly=True)
    amount_residual = fields.Monetary(string="Open Amount", readonly=True)
    amount_not_due = fields.Monetary(string="Not Due", readonly=True)
    amount_1_30 = fields.Monetary(string="1-30 Days", readonly=True)
    amount_31_60 = fields.Monetary(string="31-60 Days", readonly=True)
    amount_61_90 = fields.Monetary(string="61-90 Days", readonly=True)
    amount_90 = fields.Monetary(string="Over 90 Days", readonly=True)

    def _query(self):
        bucket = SQL.identifier("line", "aging_bucket")
        columns = SQL(", ").join(
            SQL(
                "CASE WHEN %s = %s THEN line.amount_residual ELSE 0.0 END AS %s",
                bucket,
                label,
                SQL.identifier(fname),
            )
            for label, fname in BUCKET_FIELDS.items()
        )
        return SQL(
            """
            SELECT line.*, %(columns)s
              FROM (
                SELECT aged.*, %(bucket_case)s AS aging_bucket
                  FROM (
                    SELECT aml.id, aml.move_id, move.move_type, aml.date,
                           aml.date_maturity, aml.company_id, aml.account_id,
                           company.currency_id,
                           COALESCE(partner.commercial_partner_id, aml.partner_id)
                               AS partner_id,
                           COALESCE(move.invoice_user_id, commercial.user_id)
                               AS user_id,
                           commercial.country_id,
                           aml.amount_residual,
                           CASE WHEN aml.date_maturity IS NULL THEN 0
                                ELSE CURRENT_DATE - aml.date_maturity
                           END AS days_overdue
                      FROM account_move_line aml
                      JOIN account_account account ON account.id = aml.account_id
                      JOIN account_move move ON move.id = aml.move_id
                      JOIN res_company company ON company.id = aml.company_id
                      LEFT JOIN res_partner partner ON partner.id = aml.partner_id
                      LEFT JOIN res_partner commercial
                             ON commercial.id = COALESCE(
                                 partner.commercial_partner_id, aml.partner_id)
                     WHERE account.account_type = 'asset_receivable'
                       AND aml.parent_state = 'posted'
                       AND NOT aml.reconciled
                       AND aml.amount_residual != 0
                       -- as of today: an entry dated later is not open yet
                       AND aml.date <= CURRENT_DATE
                  ) aged
              ) line
            """,
            columns=columns,
            bucket_case=_bucket_case(SQL.identifier("aged", "days_overdue")),
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
