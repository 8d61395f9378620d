# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models


class ReportCollection(models.AbstractModel):
    """Values of the collection PDF: one summary per wizard."""

    _name = "report.sales_closing.report_collection"
    _description = "Collection Report PDF"

    @api.model
    def _get_report_values(self, docids, data=None):
        docs = self.env["sales.closing.report.wizard"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "sales.closing.report.wizard",
            "docs": docs,
            "summaries": {doc.id: doc._collection_summary() for doc in docs},
            "company": self.env.company,
            "currency": self.env.company.currency_id,
        }
