# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

PLATFORMS = [
    ("alipay", "Alipay"),
    ("wechat", "WeChat Pay"),
    ("stripe", "Stripe"),
    ("paypal", "PayPal"),
]

KINDS = [
    ("payment", "Payment"),
    ("refund", "Refund"),
    ("fee", "Fee"),
    ("payout", "Payout"),
    ("other", "Other"),
]


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    sales_closing_platform = fields.Selection(
        PLATFORMS,
        string="Payment Platform",
        readonly=True,
        help="Payment platform whose statement this line was imported from.",
    )
    sales_closing_kind = fields.Selection(
        KINDS,
        string="Platform Line Kind",
        readonly=True,
        help="Payment, refund, fee, payout or other movement of the platform.",
    )
    sales_closing_transaction_id = fields.Char(
        string="Platform Transaction",
        index=True,
        readonly=True,
        copy=False,
        help="The platform's own transaction identifier (Alipay business serial, "
        "WeChat Pay order number, Stripe payment intent, PayPal transaction ID).",
    )
    sales_closing_order_ref = fields.Char(
        string="Order Reference",
        index="btree_not_null",
        readonly=True,
        help="Merchant order reference given by the platform statement.",
    )
    sales_closing_payout_ref = fields.Char(
        string="Payout Reference",
        readonly=True,
        help="Payout (transfer to the bank) this platform line was paid out in.",
    )
    sales_closing_gross = fields.Monetary(
        string="Gross",
        currency_field="currency_id",
        readonly=True,
        help="What the customer paid (negative for refunds).",
    )
    sales_closing_fee = fields.Monetary(
        string="Platform Fee",
        currency_field="currency_id",
        readonly=True,
        help="What the platform charged; the line amount is gross minus fee.",
    )
    sales_closing_net = fields.Monetary(
        string="Net",
        currency_field="currency_id",
        readonly=True,
        help="Gross minus fee, the effect on the platform balance.",
    )
    sales_closing_payout_line_id = fields.Many2one(
        "account.bank.statement.line",
        string="Paid Out in Bank Line",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Bank statement line of the payout that settled this platform line.",
    )
    sales_closing_payout_row_ids = fields.One2many(
        "account.bank.statement.line",
        "sales_closing_payout_line_id",
        string="Platform Lines Paid Out",
        readonly=True,
        help="Platform statement lines (payments, refunds, fees) this bank "
        "line pays out.",
    )
