# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models, tools
from odoo.tools import SQL

from odoo.addons.sale.models.sale_order import SALE_ORDER_STATE


class SalesClosingSalesReport(models.Model):
    """Sales analysis per confirmed order line, with cost and margin.

    One PostgreSQL view.  Amounts are in the company currency: the line's
    untaxed subtotal divided by the order's rate (``sale_order.currency_rate``,
    fixed at the order date).  The cost of a line is, by the best source
    available:

    1. ``valuation``: the stock valuation layers of the line's done moves
       (actual FIFO/average cost of what was delivered, net of returns), per
       unit, times the ordered quantity;
    2. ``order``: ``sale_order_line.purchase_price`` (the cost ``sale_margin``
       freezes at order time, in the order currency) when that column exists
       when this module is installed or updated;
    3. ``product``: the product's standard price for the order's company (a
       company-dependent field stored as jsonb on ``product_product``).
    """

    _name = "sales.closing.sales.report"
    # a group of several companies' currencies gets no total, nor margin %
    _inherit = ["sales.closing.currency.totals.mixin"]
    _sales_closing_amount_ratios = {"margin_percent": "currency_id"}
    _description = "Sales Analysis with Margin"
    _auto = False
    _rec_name = "order_id"
    _order = "date desc, id desc"
    # flushed before the view is read
    _depends = {
        "sale.order.line": [
            "order_id",
            "product_id",
            "product_uom",
            "product_uom_qty",
            "price_subtotal",
            "display_type",
            "is_downpayment",
        ],
        "sale.order": [
            "date_order",
            "state",
            "company_id",
            "currency_id",
            "currency_rate",
            "partner_id",
            "user_id",
            "team_id",
        ],
        "res.partner": ["commercial_partner_id", "country_id", "state_id"],
        "res.company": ["currency_id"],
        "product.product": ["product_tmpl_id", "standard_price"],
        "product.template": ["categ_id", "uom_id"],
        "uom.uom": ["factor"],
        "stock.move": ["sale_line_id", "state"],
        "stock.valuation.layer": ["stock_move_id", "value", "quantity"],
    }

    date = fields.Datetime(string="Order Date", readonly=True)
    order_id = fields.Many2one("sale.order", string="Order", readonly=True)
    state = fields.Selection(SALE_ORDER_STATE, string="Status", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(
        "res.currency", string="Company Currency", readonly=True
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    commercial_partner_id = fields.Many2one(
        "res.partner", string="Customer Entity", readonly=True
    )
    country_id = fields.Many2one("res.country", string="Country", readonly=True)
    state_id = fields.Many2one(
        "res.country.state", string="State / Region", readonly=True
    )
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    product_id = fields.Many2one("product.product", string="Product", readonly=True)
    product_tmpl_id = fields.Many2one(
        "product.template", string="Product Template", readonly=True
    )
    categ_id = fields.Many2one(
        "product.category", string="Product Category", readonly=True
    )
    order_currency_id = fields.Many2one(
        "res.currency", string="Order Currency", readonly=True
    )
    product_uom_qty = fields.Float(
        string="Quantity", digits="Product Unit of Measure", readonly=True
    )
    price_subtotal = fields.Monetary(string="Untaxed Amount", readonly=True)
    cost = fields.Monetary(readonly=True)
    margin = fields.Monetary(readonly=True)
    margin_percent = fields.Float(
        string="Margin %",
        digits=(16, 2),
        readonly=True,
        aggregator="avg",
        help="Margin over untaxed amount.  Grouped rows show the margin of "
        "the group over its untaxed amount, not an average of percentages.",
    )
    cost_source = fields.Selection(
        [
            ("valuation", "Stock Valuation"),
            ("order", "Order Line Cost"),
            ("product", "Product Cost"),
        ],
        readonly=True,
    )

    @api.model
    def _read_group_select(self, aggregate_spec, query):
        """Margin % of a group is SUM(margin) / SUM(untaxed amount)."""
        if aggregate_spec.split(":")[0] == "margin_percent":
            return SQL(
                "100.0 * SUM(%s) / NULLIF(SUM(%s), 0)",
                self._field_to_sql(self._table, "margin", query),
                self._field_to_sql(self._table, "price_subtotal", query),
            )
        return super()._read_group_select(aggregate_spec, query)

    def _order_cost_sql(self):
        """Cost frozen on the order line (``sale_margin``), when it exists."""
        if tools.sql.column_exists(self.env.cr, "sale_order_line", "purchase_price"):
            return SQL(
                "NULLIF(l.purchase_price, 0) * l.product_uom_qty / "
                "(CASE COALESCE(s.currency_rate, 0) WHEN 0 THEN 1.0 "
                "ELSE s.currency_rate END)"
            )
        return SQL("NULL::numeric")

    def _query(self):
        return SQL(
            """
            SELECT base.*,
                   base.price_subtotal - base.cost AS margin,
                   100.0 * (base.price_subtotal - base.cost)
                       / NULLIF(base.price_subtotal, 0) AS margin_percent
              FROM (
                SELECT l.id AS id,
                       s.date_order AS date,
                       s.id AS order_id,
                       s.state AS state,
                       s.company_id AS company_id,
                       company.currency_id AS currency_id,
                       s.currency_id AS order_currency_id,
                       s.partner_id AS partner_id,
                       partner.commercial_partner_id AS commercial_partner_id,
                       COALESCE(partner.country_id, commercial.country_id)
                           AS country_id,
                       COALESCE(partner.state_id, commercial.state_id) AS state_id,
                       s.user_id AS user_id,
                       s.team_id AS team_id,
                       l.product_id AS product_id,
                       p.product_tmpl_id AS product_tmpl_id,
                       t.categ_id AS categ_id,
                       line.qty AS product_uom_qty,
                       line.subtotal AS price_subtotal,
                       CASE
                           WHEN val.unit_cost IS NOT NULL THEN 'valuation'
                           WHEN line.order_cost IS NOT NULL THEN 'order'
                           ELSE 'product'
                       END AS cost_source,
                       COALESCE(
                           val.unit_cost * line.qty,
                           line.order_cost,
                           COALESCE(
                               (p.standard_price ->> s.company_id::text)::numeric, 0
                           ) * line.qty
                       ) AS cost
                  FROM sale_order_line l
                  JOIN sale_order s ON s.id = l.order_id
                  JOIN res_company company ON company.id = s.company_id
                  JOIN res_partner partner ON partner.id = s.partner_id
                  LEFT JOIN res_partner commercial
                         ON commercial.id = partner.commercial_partner_id
                  JOIN product_product p ON p.id = l.product_id
                  JOIN product_template t ON t.id = p.product_tmpl_id
                  LEFT JOIN uom_uom u ON u.id = l.product_uom
                  LEFT JOIN uom_uom u2 ON u2.id = t.uom_id
                  CROSS JOIN LATERAL (
                      SELECT l.product_uom_qty
                                 / COALESCE(NULLIF(u.factor, 0), 1.0)
                                 * COALESCE(u2.factor, 1.0) AS qty,
                             l.price_subtotal
                                 / (CASE COALESCE(s.currency_rate, 0) WHEN 0 THEN 1.0
                                    ELSE s.currency_rate END) AS subtotal,
                             %(order_cost)s AS order_cost
                  ) line
                  LEFT JOIN LATERAL (
                      SELECT SUM(-svl.value) / NULLIF(SUM(-svl.quantity), 0)
                                 AS unit_cost
                        FROM stock_move m
                        JOIN stock_valuation_layer svl ON svl.stock_move_id = m.id
                       WHERE m.sale_line_id = l.id AND m.state = 'done'
                  ) val ON TRUE
                 WHERE l.display_type IS NULL
                   AND NOT COALESCE(l.is_downpayment, FALSE)
                   AND s.state = 'sale'
              ) base
            """,
            order_cost=self._order_cost_sql(),
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
