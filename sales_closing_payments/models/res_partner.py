from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Payment reminders and collection
    sales_closing_dunning_exclude = fields.Boolean(
        string="No Payment Reminders",
        company_dependent=True,
        help="The reminder runs leave this customer out (e.g. a special "
        "agreement); collection cases can still be opened by hand.",
    )
    sales_closing_dunning_policy_id = fields.Many2one(
        "sales.closing.dunning.policy",
        string="Dunning Policy",
        company_dependent=True,
        check_company=True,
        help="Reminder levels of this customer; empty: the company's default policy.",
        groups="sales_closing.group_closing_user,sales_closing.group_closing_auditor",
    )
    # who may read the cases: Odoo's users see neither the cases nor their count
    sales_closing_case_ids = fields.One2many(
        "sales.closing.collection.case",
        "partner_id",
        string="Collection Cases",
        groups="sales_closing.group_closing_user,sales_closing.group_closing_auditor",
    )
    sales_closing_case_count = fields.Integer(
        string="Collection Cases Count",
        compute="_compute_sales_closing_case_count",
        groups="sales_closing.group_closing_user,sales_closing.group_closing_auditor",
    )

    def _compute_sales_closing_case_count(self):
        counts = dict(
            self.env["sales.closing.collection.case"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.sales_closing_case_count = counts.get(partner, 0)

    def action_sales_closing_cases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_closing_payments.action_sales_closing_collection_case"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {
            "default_partner_id": self.commercial_partner_id.id,
            "active_test": False,
        }
        return action
