from odoo import models


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _pre_render_qweb_pdf(self, report_ref, res_ids=None, data=None):
        """Refuse to print an invoice whose layout needs a missing tax ID.

        Print and Send & Print both go through here, before any rendering,
        so nothing is half done (no attachment, no mail).
        """
        if res_ids and self._is_invoice_report(report_ref):
            self.env["account.move"].browse(
                res_ids
            )._sales_closing_check_invoice_layout()
        return super()._pre_render_qweb_pdf(report_ref, res_ids=res_ids, data=data)
