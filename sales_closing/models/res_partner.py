from odoo import fields, models

from ..engine import credit as credit_engine
from ..engine import invoice_layout
from ..engine.invoicing import POLICY_SELECTION


class ResPartner(models.Model):
    _inherit = "res.partner"

    sales_closing_exposure = fields.Monetary(
        string="Credit Exposure",
        compute="_compute_sales_closing_exposure",
        currency_field="sales_closing_currency_id",
        help="Open receivables plus confirmed orders not yet invoiced of the "
        "customer, in the current company's currency.",
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
        help="How this customer's confirmed orders are invoiced; empty: the "
        "company's setting.",
    )

    def _compute_sales_closing_exposure(self):
        company = self.env.company
        commercial = self.commercial_partner_id
        data = commercial._sales_closing_credit_data(company)
        for partner in self:
            parts = data.get((partner.commercial_partner_id.id, company.id), {})
            partner.sales_closing_exposure = credit_engine.exposure(
                parts.get("receivables", []), parts.get("orders", [])
            )["total"]
            partner.sales_closing_currency_id = company.currency_id

    def _sales_closing_credit_data(self, companies, today=None):
        """Credit figures of these commercial partners in ``companies``.

        Returns ``{(commercial_partner_id, company_id): {"receivables": [...],
        "orders": [...], "overdue": [...]}}`` with documents as the credit
        engine expects them (``overdue`` holds every open invoice with its
        ``name`` and ``due_date``).  Three queries whatever the number of
        partners.
        """
        partner_ids = [pid for pid in self.commercial_partner_id.ids if pid]
        result = {}
        if not partner_ids or not companies:
            return result

        def slot(partner_id, company_id):
            return result.setdefault(
                (partner_id, company_id),
                {"receivables": [], "orders": [], "overdue": []},
            )

        # sudo: exposure counts every document of the customer, not only
        # those the current user may read
        Line = self.env["account.move.line"].sudo()
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
        OrderLine = self.env["sale.order.line"].sudo()
        for order, to_invoice, subtotal, total in OrderLine._read_group(
            [
                ("order_id.partner_id.commercial_partner_id", "in", partner_ids),
                ("company_id", "in", companies.ids),
                ("state", "=", "sale"),
                ("display_type", "=", False),
                ("untaxed_amount_to_invoice", "!=", 0),
            ],
            ["order_id"],
            [
                "untaxed_amount_to_invoice:sum",
                "price_subtotal:sum",
                "price_total:sum",
            ],
        ):
            # taxes included in the proportion of the order's lines
            ratio = total / subtotal if subtotal else 1.0
            slot(order.partner_id.commercial_partner_id.id, order.company_id.id)[
                "orders"
            ].append(
                {
                    "amount": to_invoice * ratio,
                    "rate": order.currency_rate or 1.0,
                    "order_id": order.id,
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
