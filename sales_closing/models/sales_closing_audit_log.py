from odoo import fields, models
from odoo.exceptions import UserError


class SalesClosingAuditLog(models.Model):
    """Append-only log of what was done to closing periods.

    Rows are created by the closing code only; nobody, not even the
    superuser through the ORM, can change or delete them.
    """

    _name = "sales.closing.audit.log"
    _description = "Closing Audit Log"
    _order = "id desc"

    period_id = fields.Many2one(
        "sales.closing.period",
        required=True,
        ondelete="restrict",
        index=True,
        readonly=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True
    )
    user_id = fields.Many2one("res.users", required=True, readonly=True)
    date = fields.Datetime(default=fields.Datetime.now, required=True, readonly=True)
    action = fields.Selection(
        [
            ("close", "Closed"),
            ("reopen", "Reopened"),
            ("reclose", "Closed again"),
            ("waive", "Check waived"),
            ("redate", "Re-dated"),
        ],
        required=True,
        readonly=True,
    )
    reason = fields.Text(readonly=True)
    details = fields.Text(readonly=True)

    def write(self, vals):  # pylint: disable=method-required-super
        raise UserError(self.env._("The closing audit log cannot be modified."))

    def unlink(self):  # pylint: disable=method-required-super
        raise UserError(self.env._("The closing audit log cannot be deleted."))
