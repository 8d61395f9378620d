from odoo import models


class AccountChartTemplate(models.AbstractModel):
    _inherit = "account.chart.template"

    def _post_load_data(self, template_code, company, template_data):
        """A company whose chart of accounts is loaded (on installation, a
        new company, a chart chosen later) gets its fee account, so that
        bank fees are booked without a setting nobody has made yet."""
        result = super()._post_load_data(template_code, company, template_data)
        company._sales_closing_set_fee_account()
        return result
