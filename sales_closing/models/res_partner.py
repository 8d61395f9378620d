from odoo import fields, models
from odoo.tools import SQL

from ..engine import credit as credit_engine
from ..engine import invoice_layout
from ..engine.invoicing import POLICY_SELECTION

# Who reads a customer's credit exposure: Odoo's readers of the partner's
# credit and credit limit (billing and read-only accounting, which closing
# accountants and auditors have) and sales managers; not every employee nor
# every salesperson (an order still shows its own customer's exposure).
EXPOSURE_GROUPS = (
    "account.group_account_invoice,account.group_account_readonly,"
    "sales_team.group_sale_manager"
)
# Who sets a customer's invoicing automation (automatic invoicing and posting):
# closing accountants and managers only.
POLICY_GROUPS = "sales_closing.group_closing_accountant"


class ResPartner(models.Model):
    _inherit = "res.partner"

    sales_closing_fapiao_type = fields.Selection(
        [("01", "Special VAT Invoice (专票)"), ("02", "Normal Invoice (普票)")],
        string="E-Fapiao Type",
        help="Type of China e-fapiao this customer gets; empty: the company's "
        "default. A special VAT invoice needs the customer's unified social "
        "credit code as Tax ID.",
    )

    sales_closing_exposure = fields.Monetary(
        string="Credit Exposure",
        compute="_compute_sales_closing_exposure",
        currency_field="sales_closing_currency_id",
        help="Open receivables + draft invoices + confirmed orders not yet "
        "invoiced (taxes included) of the customer, in the current company's "
        "currency.",
        groups=EXPOSURE_GROUPS,
    )
    sales_closing_exposure_receivables = fields.Monetary(
        string="Open Receivables",
        compute="_compute_sales_closing_exposure",
        currency_field="sales_closing_currency_id",
        help="Residual of the customer's posted receivable items, at their own rates.",
        groups=EXPOSURE_GROUPS,
    )
    sales_closing_exposure_drafts = fields.Monetary(
        string="Draft Invoices",
        compute="_compute_sales_closing_exposure",
        currency_field="sales_closing_currency_id",
        help="Draft customer invoices less draft credit notes.",
        groups=EXPOSURE_GROUPS,
    )
    sales_closing_exposure_orders = fields.Monetary(
        string="Orders Not Invoiced",
        compute="_compute_sales_closing_exposure",
        currency_field="sales_closing_currency_id",
        help="What confirmed orders have still to invoice, taxes included: "
        "the ordered quantity (or the delivered one if larger) less the "
        "invoiced one, at the orders' rates.",
        groups=EXPOSURE_GROUPS,
    )
    sales_closing_currency_id = fields.Many2one(
        "res.currency", compute="_compute_sales_closing_exposure"
    )
    sales_closing_invoice_layout = fields.Selection(
        invoice_layout.LAYOUT_SELECTION,
        string="Invoice Layout",
        company_dependent=True,
        help="Layout of this customer's invoices; empty: the journal's, then "
        "the company's default.",
    )

    sales_closing_invoice_policy = fields.Selection(
        POLICY_SELECTION,
        string="Invoicing Automation",
        company_dependent=True,
        groups=POLICY_GROUPS,
        help="How this customer's confirmed orders are invoiced; empty: the "
        "company's setting.",
    )

    def _compute_sales_closing_exposure(self):
        company = self.env.company
        commercial = self.commercial_partner_id
        data = commercial._sales_closing_credit_data(company)
        for partner in self:
            parts = data.get((partner.commercial_partner_id.id, company.id), {})
            exposure = credit_engine.exposure(
                parts.get("receivables", []),
                parts.get("orders", []),
                draft_invoices=parts.get("drafts", []),
            )
            partner.sales_closing_exposure = exposure["total"]
            partner.sales_closing_exposure_receivables = exposure["receivables"]
            partner.sales_closing_exposure_drafts = exposure["draft_invoices"]
            partner.sales_closing_exposure_orders = exposure["uninvoiced_orders"]
            partner.sales_closing_currency_id = company.currency_id

    def _sales_closing_credit_data(self, companies, today=None):
        """Credit figures of these commercial partners in ``companies``.

        Returns ``{(commercial_partner_id, company_id): {"receivables": [...],
        "drafts": [...], "orders": [...], "overdue": [...]}}`` with documents
        as the credit engine expects them (``overdue`` holds every open
        invoice with its ``name`` and ``due_date``).  Four queries whatever
        the number of partners and order lines.
        """
        partner_ids = [pid for pid in self.commercial_partner_id.ids if pid]
        result = {}
        if not partner_ids or not companies:
            return result

        def slot(partner_id, company_id):
            return result.setdefault(
                (partner_id, company_id),
                {"receivables": [], "drafts": [], "orders": [], "overdue": []},
            )

        # sudo: exposure counts every document of the customer, not only
        # those the current user may read
        Line = self.env["account.move.line"].sudo()
        # posted: the residual in company currency, at each document's rate
        for partner, company, residual in Line._read_group(
            [
                ("partner_id.commercial_partner_id", "in", partner_ids),
                ("company_id", "in", companies.ids),
                ("account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
            ],
            ["partner_id", "company_id"],
            ["amount_residual:sum"],
        ):
            slot(partner.commercial_partner_id.id, company.id)["receivables"].append(
                {"amount": residual or 0.0, "rate": 1.0}
            )
        # draft customer invoices and credit notes; those of an order are in
        # its lines' invoiced quantity, so the order does not count them again
        for partner, company, balance in Line._read_group(
            [
                ("partner_id.commercial_partner_id", "in", partner_ids),
                ("company_id", "in", companies.ids),
                ("account_type", "=", "asset_receivable"),
                ("parent_state", "=", "draft"),
                ("move_id.move_type", "in", ("out_invoice", "out_refund")),
            ],
            ["partner_id", "company_id"],
            ["balance:sum"],
        ):
            slot(partner.commercial_partner_id.id, company.id)["drafts"].append(
                {"amount": balance or 0.0, "rate": 1.0}
            )
        for row in self._sales_closing_uninvoiced_lines(partner_ids, companies):
            amount = credit_engine.uninvoiced_amount(row)
            if amount:
                slot(row["partner_id"], row["company_id"])["orders"].append(
                    {
                        "amount": amount,
                        "rate": row["currency_rate"] or 1.0,
                        "order_id": row["order_id"],
                    }
                )
        Move = self.env["account.move"].sudo()
        for move in Move.search_read(
            [
                ("commercial_partner_id", "in", partner_ids),
                ("company_id", "in", companies.ids),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
                ("invoice_date_due", "<", today or fields.Date.context_today(self)),
            ],
            ["name", "invoice_date_due", "commercial_partner_id", "company_id"],
            order="invoice_date_due, id",
        ):
            slot(move["commercial_partner_id"][0], move["company_id"][0])[
                "overdue"
            ].append({"name": move["name"], "due_date": move["invoice_date_due"]})
        return result

    def _sales_closing_uninvoiced_lines(self, partner_ids, companies):
        """Lines of confirmed orders billed to ``partner_ids`` (commercial
        partners) in ``companies`` with a quantity left to invoice, as the
        credit engine's ``uninvoiced_quantity`` wants them, plus ``order_id``,
        ``partner_id``, ``company_id`` and the order's ``currency_rate``.
        One query (the lines' stock moves and down payment invoices in
        subqueries)."""
        self.env["sale.order.line"].flush_model()
        self.env["sale.order"].flush_model(
            ["state", "company_id", "partner_invoice_id", "currency_rate"]
        )
        self.env["stock.move"].flush_model(["sale_line_id", "state"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.env["product.product"].flush_model(["product_tmpl_id"])
        self.env["product.template"].flush_model(["invoice_policy"])
        self.env["uom.uom"].flush_model(["rounding"])
        self.env["account.move.line"].flush_model(
            ["sale_line_ids", "price_total", "move_id"]
        )
        self.env["account.move"].flush_model(["move_type", "state"])
        self.env.cr.execute(
            SQL(
                """
                SELECT line.order_id, invoiced.commercial_partner_id AS partner_id,
                       so.company_id, so.currency_rate,
                       line.product_uom_qty AS ordered,
                       line.qty_delivered AS delivered,
                       line.qty_invoiced AS invoiced,
                       line.qty_to_invoice AS to_invoice,
                       line.price_total, line.price_reduce_taxinc
                           AS price_unit_taxinc,
                       template.invoice_policy AS policy,
                       line.qty_delivered_method = 'stock_move' AS stock,
                       EXISTS (
                           SELECT 1 FROM stock_move move
                            WHERE move.sale_line_id = line.id
                              AND move.state NOT IN ('done', 'cancel')
                       ) AS pending,
                       uom.rounding,
                       line.is_downpayment,
                       CASE WHEN line.is_downpayment THEN (
                           SELECT COALESCE(SUM(CASE WHEN move.move_type = 'out_refund'
                                                    THEN -aml.price_total
                                                    ELSE aml.price_total END), 0)
                             FROM sale_order_line_invoice_rel rel
                             JOIN account_move_line aml ON aml.id = rel.invoice_line_id
                             JOIN account_move move ON move.id = aml.move_id
                            WHERE rel.order_line_id = line.id
                              AND move.state != 'cancel'
                       ) END AS invoiced_amount
                  FROM sale_order_line line
                  JOIN sale_order so ON so.id = line.order_id
                  JOIN res_partner invoiced ON invoiced.id = so.partner_invoice_id
                  LEFT JOIN product_product product ON product.id = line.product_id
                  LEFT JOIN product_template template
                         ON template.id = product.product_tmpl_id
                  LEFT JOIN uom_uom uom ON uom.id = line.product_uom
                 WHERE so.state = 'sale'
                   AND line.display_type IS NULL
                   AND so.company_id IN %(companies)s
                   AND invoiced.commercial_partner_id IN %(partners)s
                   AND (line.qty_invoiced != line.product_uom_qty
                        OR line.qty_invoiced != line.qty_delivered
                        OR line.is_downpayment)
                """,
                companies=tuple(companies.ids),
                partners=tuple(partner_ids),
            )
        )
        return self.env.cr.dictfetchall()
