# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Installation hook: every setting the matching engine reads works on a new
database.  The thresholds, the lead, the fee tolerance and the partial
payments switch have field defaults; the fee account is taken from each
company's chart of accounts (or created), see
``res.company._sales_closing_set_fee_account``."""


def post_init_hook(env):
    env["res.company"]._sales_closing_init_fee_accounts()
