import base64

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..engine.fapiao import FapiaoError
from ..engine.fapiao.provider import FileClient
from ..fapiao_messages import fapiao_error_text


class SalesClosingFapiaoExport(models.TransientModel):
    """Fill the company's batch-issue template (批量开票-导入开票模板) with
    posted customer invoices: the whole batch or nothing."""

    _name = "sales.closing.fapiao.export"
    _description = "Export E-Fapiao Batch"

    move_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        domain=[("move_type", "=", "out_invoice"), ("state", "=", "posted")],
    )
    attachment_id = fields.Many2one("ir.attachment", string="Batch File", readonly=True)
    template_version = fields.Char(readonly=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if (
            "move_ids" in fields_list
            and self.env.context.get("active_model") == "account.move"
            and self.env.context.get("active_ids")
        ):
            values["move_ids"] = [(6, 0, self.env.context["active_ids"])]
        return values

    def _check_group(self):
        if not self.env.user.has_group("sales_closing.group_closing_accountant"):
            raise AccessError(
                self.env._("Only closing accountants export and import e-fapiao.")
            )

    def action_export(self):
        self.ensure_one()
        self._check_group()
        moves = self.move_ids
        if not moves:
            raise UserError(self.env._("Select the invoices to export."))
        company = moves.company_id
        if len(company) > 1:
            raise UserError(self.env._("Export the invoices of one company at a time."))
        if not company.sales_closing_fapiao_enabled:
            raise UserError(
                self.env._(
                    "%(company)s does not issue e-fapiao (Settings, Sales Closing).",
                    company=company.name,
                )
            )
        if not company.sales_closing_fapiao_template:
            raise UserError(
                self.env._(
                    "Upload the official batch-issue template of the tax "
                    "platform in Settings, Sales Closing, first."
                )
            )
        not_posted = moves.filtered(lambda move: move.state != "posted")
        if not_posted:
            raise UserError(
                self.env._(
                    "%(invoice)s is not posted: only posted invoices are issued.",
                    invoice=not_posted[0].display_name,
                )
            )
        values = [move._sales_closing_fapiao_values() for move in moves]
        template = base64.b64decode(company.sales_closing_fapiao_template)
        try:
            data, version = FileClient(template).export(values)
        except FapiaoError as error:
            raise UserError(fapiao_error_text(self.env, error)) from error
        for move, invoice in zip(moves, values, strict=True):
            # sudo: serial and state are set by this workflow only, after
            # the group check above; the serial is kept across re-exports
            move.sudo().write(
                {
                    "sales_closing_fapiao_serial": invoice["serial"],
                    "sales_closing_fapiao_state": "exported",
                }
            )
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"e-fapiao-batch-{fields.Date.context_today(self)}.xlsx",
                "raw": data,
                "res_model": self._name,
                "res_id": self.id,
                "mimetype": "application/vnd.openxmlformats-officedocument."
                "spreadsheetml.sheet",
            }
        )
        self.write({"attachment_id": attachment.id, "template_version": version})
        for move in moves:
            move.message_post(
                body=self.env._(
                    "Exported to the e-fapiao batch file %(file)s (serial %(serial)s).",
                    file=attachment.name,
                    serial=move.sales_closing_fapiao_serial,
                )
            )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }
