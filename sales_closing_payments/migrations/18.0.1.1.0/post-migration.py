# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""18.0.1.1.0: Alipay and WeChat Pay get their account payment method (see hooks)."""

from odoo import SUPERUSER_ID, api

from odoo.addons.sales_closing_payments.hooks import post_init_hook


def migrate(cr, version):
    if version:
        post_init_hook(api.Environment(cr, SUPERUSER_ID, {}))
