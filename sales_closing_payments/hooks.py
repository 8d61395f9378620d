# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Install and uninstall hooks: register Alipay and WeChat Pay with Odoo's payments.

As each of Odoo's own provider modules does: ``setup_provider`` creates the
``account.payment.method`` of the provider code, which Odoo links to the bank
journals, so that a confirmed transaction can be posted as a payment.
"""

from odoo.tools import SQL

from odoo.addons.payment import reset_payment_provider, setup_provider

from .models.sales_closing_payment_notification import (
    SAMPLE_SEQUENCE,
    SAMPLE_STATUSES,
    counter_sequence,
)

PROVIDER_CODES = ("alipay", "wechatpay")


def post_init_hook(env):
    for code in PROVIDER_CODES:
        setup_provider(env, code)


def uninstall_hook(env):
    for code in PROVIDER_CODES:
        reset_payment_provider(env, code)
    # The sequences of the notification sample ring and counters (created by
    # the notification model's init(), not by the ORM).
    names = [SAMPLE_SEQUENCE] + [
        counter_sequence(code, status)
        for code in PROVIDER_CODES
        for status in SAMPLE_STATUSES
    ]
    for name in names:
        env.cr.execute(SQL("DROP SEQUENCE IF EXISTS %s", SQL.identifier(name)))
