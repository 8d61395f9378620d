import base64
import time

from odoo import fields, models
from odoo.exceptions import AccessError, UserError

from ..engine.fapiao import FapiaoError
from ..engine.fapiao.tax_codes import read_table
from ..fapiao_messages import fapiao_error_text


class SalesClosingFapiaoTaxCodeImport(models.TransientModel):
    """Load the State Taxation Administration's code table (商品和服务税收分类编码表)
    from the file the tax platform or the invoicing software distributes:
    XLSX or CSV, headers SPBM/SPMC/SPBMJC/HZX/... or 合并编码/货物和劳务名称/
    商品和服务分类简称/汇总项/...  Importing a newer table updates the codes in
    place; a code it no longer lists is kept, marked not available."""

    _name = "sales.closing.fapiao.tax.code.import"
    _description = "Import Tax Classification Code Table"

    data_file = fields.Binary(string="Code Table", required=True, attachment=False)
    filename = fields.Char()
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft")
    version = fields.Char(string="Table Version", readonly=True)
    created_count = fields.Integer(string="Codes Added", readonly=True)
    updated_count = fields.Integer(string="Codes Updated", readonly=True)
    leaf_count = fields.Integer(string="Codes for Invoices", readonly=True)
    seconds = fields.Float(string="Time (s)", readonly=True, digits=(16, 2))

    def action_import(self):
        self.ensure_one()
        if not self.env.user.has_group("sales_closing.group_closing_manager"):
            raise AccessError(
                self.env._("Only closing managers import the tax code table.")
            )
        started = time.monotonic()
        try:
            entries = read_table(
                self.filename or "codes.xlsx", base64.b64decode(self.data_file)
            )
        except FapiaoError as error:
            raise UserError(fapiao_error_text(self.env, error)) from error
        # sudo: the table is reference data nobody writes through the ORM;
        # loaded here after the group check
        created, updated = (
            self.env["sales.closing.fapiao.tax.code"].sudo()._load_table(entries)
        )
        versions = sorted({entry["version"] for entry in entries if entry["version"]})
        self.write(
            {
                "state": "done",
                "version": ", ".join(versions),
                "created_count": created,
                "updated_count": updated,
                "leaf_count": sum(1 for entry in entries if not entry["summary"]),
                "seconds": time.monotonic() - started,
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
