from odoo import fields, models


class SalesClosingCheckKindCompany(models.Model):
    """Per-company severity, responsible and reviewer of a closing check."""

    _name = "sales.closing.check.kind.company"
    _description = "Closing Check Company Setting"
    _check_company_auto = True

    kind_id = fields.Many2one(
        "sales.closing.check.kind", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    severity = fields.Selection(
        [("blocking", "Blocking"), ("warning", "Warning")],
        help="Leave empty to use the check's default severity.",
    )
    user_id = fields.Many2one("res.users", string="Responsible", check_company=True)
    reviewer_id = fields.Many2one("res.users", string="Reviewer", check_company=True)

    _sql_constraints = [
        (
            "kind_company_uniq",
            "unique(kind_id, company_id)",
            "A check has one setting per company.",
        ),
    ]
