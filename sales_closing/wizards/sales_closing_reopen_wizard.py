from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

# Soft lock dates a reopening excepts; the hard lock date cannot be excepted.
REOPEN_LOCK_DATE_FIELDS = ("sale_lock_date", "fiscalyear_lock_date", "tax_lock_date")


class SalesClosingReopenWizard(models.TransientModel):
    _name = "sales.closing.reopen.wizard"
    _description = "Reopen a Closing Period"

    period_id = fields.Many2one(
        "sales.closing.period", required=True, readonly=True, ondelete="cascade"
    )
    reason = fields.Text(required=True)
    scope = fields.Selection(
        [("me", "Only me"), ("everyone", "Everyone")],
        required=True,
        default="me",
        help="Who may change the documents of the period while it is reopened.",
    )
    end_datetime = fields.Datetime(
        string="Reopened Until",
        required=True,
        default=lambda self: fields.Datetime.now() + timedelta(hours=24),
        help="The lock dates apply again after this time, even if the period "
        "is not closed again.",
    )

    @api.constrains("end_datetime")
    def _check_end_datetime(self):
        for wizard in self:
            if wizard.end_datetime <= fields.Datetime.now():
                raise ValidationError(
                    self.env._("The end of the reopening must be in the future.")
                )

    def action_confirm(self):
        if not self.env.user.has_group("sales_closing.group_closing_manager"):
            raise AccessError(self.env._("Only closing managers can reopen a period."))
        self.ensure_one()
        period = self.period_id
        if period.state != "closed":
            raise UserError(
                self.env._("Only a closed period can be reopened: %s.", period.name)
            )
        if not (self.reason or "").strip():
            raise UserError(self.env._("Give a reason to reopen %s.", period.name))
        self._check_end_datetime()
        company = period.company_id
        if company.hard_lock_date and company.hard_lock_date >= period.date_from:
            raise UserError(
                self.env._(
                    "Period %(period)s is under the hard lock date of %(company)s "
                    "(%(date)s): a hard lock cannot be excepted, so the period "
                    "can never be reopened.",
                    period=period.name,
                    company=company.name,
                    date=fields.Date.to_string(company.hard_lock_date),
                )
            )
        user = self.env.user if self.scope == "me" else self.env["res.users"]
        values = [
            {
                "company_id": company.id,
                "user_id": user.id,
                "lock_date_field": field,
                "lock_date": period.date_from - timedelta(days=1),
                "end_datetime": self.end_datetime,
                "reason": self.reason,
                "sales_closing_period_id": period.id,
            }
            for field in REOPEN_LOCK_DATE_FIELDS
            if company[field] and company[field] >= period.date_from
        ]
        # sudo: closing managers reopen through exceptions without being
        # Odoo accounting administrators (who alone may create them).
        exceptions = self.env["account.lock_exception"].sudo().create(values)
        period.sudo().write(
            {
                "state": "reopened",
                "reopen_user_id": user.id,
                "reopen_end_datetime": self.end_datetime,
            }
        )
        period._log(
            "reopen",
            reason=self.reason,
            details=self.env._(
                "For %(who)s until %(until)s; lock date exceptions: %(ids)s",
                who=user.name or self.env._("everyone"),
                until=fields.Datetime.to_string(self.end_datetime),
                ids=exceptions.ids,
            ),
        )
        return True
