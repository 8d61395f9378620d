from odoo import fields, models


class AccountLockException(models.Model):
    _inherit = "account.lock_exception"

    # Copied when Odoo recreates an exception after a lock date change
    # (res.company.write -> _recreate), so the period keeps finding it.
    sales_closing_period_id = fields.Many2one(
        "sales.closing.period",
        string="Reopened Closing Period",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        groups="sales_closing.group_closing_user,sales_closing.group_closing_auditor",
    )
