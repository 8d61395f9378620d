import base64

from odoo import api, fields, models


class SalesClosingPeriod(models.Model):
    _inherit = "sales.closing.period"

    difference_ids = fields.One2many(
        "sales.closing.difference", "period_id", string="Differences"
    )
    difference_count = fields.Integer(compute="_compute_difference_count")
    differences_computed = fields.Datetime(
        string="Differences Computed On", readonly=True, copy=False
    )

    def _compute_difference_count(self):
        counts = dict(
            self.env["sales.closing.difference"]._read_group(
                [("period_id", "in", self.ids)], ["period_id"], ["__count"]
            )
        )
        for period in self:
            period.difference_count = counts.get(period, 0)

    @api.model
    def _sales_closing_demo_differences(self):
        """Demo data: the differences report of the open periods."""
        periods = self.search([("state", "!=", "closed")])
        Demo = self.env["sales.closing.demo"]
        for period in periods:
            # computed by the period's responsible, not OdooBot
            user = period.user_id
            if not user or user._is_superuser():
                user = Demo._demo_user(period.company_id, "accountant")
            own = period.with_env(
                Demo._demo_as(user).with_company(period.company_id).env
            )
            own.env["sales.closing.difference"]._compute_for_period(own)
            own.differences_computed = fields.Datetime.now()
            own.env.flush_all()
        return True

    def action_compute_differences(self):
        """Recompute the differences report of these periods."""
        Difference = self.env["sales.closing.difference"]
        for period in self:
            Difference._compute_for_period(period)
            period.differences_computed = fields.Datetime.now()
        if len(self) == 1:
            return self.action_open_differences()
        return True

    def action_open_differences(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_closing_reconcile.sales_closing_difference_action"
        )
        action["domain"] = [("period_id", "=", self.id)]
        action["context"] = {"default_period_id": self.id}
        action["display_name"] = self.env._(
            "Differences of %(period)s", period=self.display_name
        )
        return action

    def action_export_differences_xlsx(self):
        """Download the differences of the period as XLSX."""
        self.ensure_one()
        Difference = self.env["sales.closing.difference"]
        if not self.differences_computed and Difference.has_access("create"):
            Difference._compute_for_period(self)
            self.differences_computed = fields.Datetime.now()
        content = self.difference_ids._xlsx_content()
        attachment = self.env["ir.attachment"].create(
            {
                "name": self.env._(
                    "Differences %(period)s.xlsx", period=self.display_name
                ),
                "datas": base64.b64encode(content),
                # not attached to the period: an auditor (read-only on
                # periods) may download it too; only its creator reads it
                "mimetype": "application/vnd.openxmlformats-officedocument."
                "spreadsheetml.sheet",
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }
