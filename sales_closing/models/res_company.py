from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    sales_closing_period_kind = fields.Selection(
        [("month", "Month"), ("quarter", "Quarter"), ("year", "Year")],
        string="Closing Frequency",
        default="month",
        required=True,
        help="Periods the monthly cron creates for this company.",
    )
    sales_closing_deadline_days = fields.Integer(
        string="Closing Deadline (days)",
        default=5,
        help="Days after the period end by which the period must be closed.",
    )
    sales_closing_lock_sale = fields.Boolean(
        string="Lock Sales at Close",
        default=True,
        help="Closing a period sets the sales lock date to its end.",
    )
    sales_closing_lock_fiscalyear = fields.Boolean(
        string="Lock Everything at Close",
        help="Closing a period sets the global lock date to its end.",
    )
    sales_closing_lock_tax = fields.Boolean(
        string="Lock Taxes at Close",
        help="Closing a period sets the tax return lock date to its end.",
    )
    sales_closing_lock_hard = fields.Boolean(
        string="Hard Lock at Close",
        help="Closing a period sets the hard lock date to its end. "
        "A hard lock can never be removed.",
    )
    sales_closing_allow_redate = fields.Boolean(
        string="Re-date into Open Period",
        help="When set, Odoo may re-date entries of a closed period into the "
        "first open period; each re-dating is logged. When not set, such "
        "entries are refused.",
    )
    sales_closing_flux_amount = fields.Monetary(
        string="Materiality Amount",
        currency_field="currency_id",
        default=10000.0,
        help="A flux variance needs an explanation before the close when it "
        "reaches this amount and the materiality percentage.",
    )
    sales_closing_flux_pct = fields.Float(
        string="Materiality (%)",
        default=10.0,
        help="A flux variance needs an explanation before the close when it "
        "reaches this percentage and the materiality amount.",
    )
