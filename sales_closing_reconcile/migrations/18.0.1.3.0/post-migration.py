# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Companies of an existing database without a fee account get their
chart's bank fees account (or a new "Bank Fees" one), as a new installation
does: fees deducted by banks are then booked instead of left suggested."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["res.company"]._sales_closing_init_fee_accounts()
