import base64

from odoo import Command, fields, models
from odoo.exceptions import AccessError, UserError

from ..engine.fapiao import FapiaoError, issued, matching
from ..fapiao_messages import fapiao_error_text

MIMETYPES = {
    "xml": "application/xml",
    "ofd": "application/ofd",
    "pdf": "application/pdf",
}


class SalesClosingFapiaoImport(models.TransientModel):
    """Issued e-fapiao back from the tax platform, linked to their invoices:
    XML or OFD files (several, or a zip of them) or the platform's export of
    issued invoices (信息汇总表).  Nothing is linked while a file is bad;
    importing the same files twice changes nothing."""

    _name = "sales.closing.fapiao.import"
    _description = "Import Issued E-Fapiao"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    data_file = fields.Binary(string="File", attachment=False)
    filename = fields.Char()
    attachment_ids = fields.Many2many(
        "ir.attachment",
        string="More Files",
        help="Several XML, OFD or PDF files of issued e-fapiao at once.",
    )
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft")
    line_ids = fields.One2many(
        "sales.closing.fapiao.import.line", "wizard_id", string="E-Fapiao"
    )
    linked_count = fields.Integer(readonly=True)
    unchanged_count = fields.Integer(readonly=True)
    review_count = fields.Integer(readonly=True)

    def _files(self):
        files = []
        if self.data_file:
            files.append(
                (self.filename or "upload.xml", base64.b64decode(self.data_file))
            )
        files += [
            (attachment.name, attachment.raw) for attachment in self.attachment_ids
        ]
        if not files:
            raise UserError(self.env._("Choose the files to import."))
        return files

    def _candidates(self, invoices):
        numbers = [invoice["number"] for invoice in invoices]
        serials = [invoice["serial"] for invoice in invoices if invoice.get("serial")]
        vats = [
            invoice["buyer_vat"] for invoice in invoices if invoice.get("buyer_vat")
        ]
        blues = [
            invoice["blue_number"] for invoice in invoices if invoice.get("blue_number")
        ]
        return self.env["account.move"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("state", "=", "posted"),
                "|",
                "|",
                "|",
                ("sales_closing_fapiao_number", "in", numbers),
                ("sales_closing_fapiao_serial", "in", serials),
                ("commercial_partner_id.vat", "in", vats),
                ("reversed_entry_id.sales_closing_fapiao_number", "in", blues),
            ]
        )

    def action_import(self):
        self.ensure_one()
        if not self.env.user.has_group("sales_closing.group_closing_accountant"):
            raise AccessError(
                self.env._("Only closing accountants export and import e-fapiao.")
            )
        company = self.company_id
        if not company.sales_closing_fapiao_enabled:
            raise UserError(
                self.env._(
                    "%(company)s does not issue e-fapiao (Settings, Sales Closing).",
                    company=company.name,
                )
            )
        try:
            invoices, _pdfs = issued.read_files(self._files())
        except FapiaoError as error:
            raise UserError(fapiao_error_text(self.env, error)) from error
        own = [
            invoice
            for invoice in invoices
            if not (
                invoice.get("seller_vat")
                and company.vat
                and invoice["seller_vat"] != company.vat
            )
        ]
        moves = self._candidates(own)
        results = matching.match(
            own, [move._sales_closing_fapiao_candidate() for move in moves]
        )
        results += [
            {
                "issued": invoice,
                "candidate": None,
                "status": matching.REVIEW,
                "reason": "seller",
                "difference_total": 0,
                "difference_tax": 0,
            }
            for invoice in invoices
            if invoice not in own
        ]
        lines = []
        for result in results:
            invoice = result["issued"]
            move = (
                moves.browse(result["candidate"]["id"]) if result["candidate"] else None
            )
            if result["status"] == matching.LINKED:
                self._link(move, invoice)
            if result["status"] in (matching.LINKED, matching.UNCHANGED):
                self._attach(move, invoice)
            lines.append(
                Command.create(
                    {
                        "number": invoice["number"],
                        "date": invoice["date"],
                        "positive": invoice["positive"],
                        "buyer_vat": invoice.get("buyer_vat"),
                        "filename": invoice.get("filename"),
                        "amount_total": float(invoice["total"]),
                        "move_id": move.id if move else False,
                        "status": result["status"],
                        "reason": result["reason"],
                        "difference_total": float(result["difference_total"]),
                        "difference_tax": float(result["difference_tax"]),
                    }
                )
            )
        statuses = [result["status"] for result in results]
        self.write(
            {
                "line_ids": [Command.clear()] + lines,
                "state": "done",
                "linked_count": statuses.count(matching.LINKED),
                "unchanged_count": statuses.count(matching.UNCHANGED),
                "review_count": len(statuses)
                - statuses.count(matching.LINKED)
                - statuses.count(matching.UNCHANGED),
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def _link(self, move, invoice):
        # sudo: the e-fapiao fields are set by this workflow only, after the
        # group check of action_import
        move.sudo().write(
            {
                "sales_closing_fapiao_number": invoice["number"],
                "sales_closing_fapiao_date": invoice["date"],
                "sales_closing_fapiao_amount_total": float(invoice["total"]),
                "sales_closing_fapiao_amount_tax": float(invoice["tax"]),
                "sales_closing_fapiao_state": "issued"
                if invoice["positive"]
                else "red",
                "sales_closing_fapiao_serial": move.sales_closing_fapiao_serial
                or invoice.get("serial")
                or False,
            }
        )
        if not invoice["positive"]:
            forms = move.sudo().sales_closing_fapiao_red_ids
            forms._set_bureau(
                {"red_number": invoice["number"], "red_date": invoice["date"]}
            )
        move.message_post(
            body=self.env._(
                "E-fapiao %(number)s of %(date)s linked (imported from %(file)s).",
                number=invoice["number"],
                date=invoice["date"],
                file=invoice.get("filename"),
            )
        )

    def _attach(self, move, invoice):
        """Attach the issued XML, OFD and PDF once (same name and content)."""
        Attachment = self.env["ir.attachment"]
        for name, content in invoice.get("documents", []):
            existing = Attachment.search(
                [
                    ("res_model", "=", "account.move"),
                    ("res_id", "=", move.id),
                    ("name", "=", name),
                    ("checksum", "=", Attachment._compute_checksum(content)),
                ],
                limit=1,
            )
            if existing:
                continue
            Attachment.create(
                {
                    "name": name,
                    "raw": content,
                    "res_model": "account.move",
                    "res_id": move.id,
                    "mimetype": MIMETYPES.get(name.rsplit(".", 1)[-1].lower()),
                }
            )
