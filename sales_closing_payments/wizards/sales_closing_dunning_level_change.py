from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class SalesClosingDunningLevelChange(models.TransientModel):
    _name = "sales.closing.dunning.level.change"
    _description = "Set the Reminder Level by Hand"

    invoice_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        required=True,
        domain=[
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
        ],
    )
    policy_id = fields.Many2one(
        "sales.closing.dunning.policy",
        string="Dunning Policy",
        compute="_compute_policy_id",
    )
    level_id = fields.Many2one(
        "sales.closing.dunning.level",
        string="New Level",
        required=True,
        domain="[('policy_id', '=', policy_id)]",
        help="The invoices are recorded at this level without sending it; the "
        "next runs continue with the levels above.",
    )
    note = fields.Text(required=True, help="Why the level is set by hand.")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        model = self.env.context.get("active_model")
        ids = self.env.context.get("active_ids") or []
        if model == "account.move":
            invoices = self.env["account.move"].browse(ids)
        elif model == "sales.closing.dunning.line":
            invoices = self.env["sales.closing.dunning.line"].browse(ids).invoice_id
        else:
            return values
        self._policy_of(invoices)  # a clear error before the dialog opens
        if "invoice_ids" in fields_list:
            values["invoice_ids"] = [Command.set(invoices.ids)]
        return values

    @api.depends("invoice_ids")
    def _compute_policy_id(self):
        for wizard in self:
            try:
                wizard.policy_id = self._policy_of(wizard.invoice_ids)
            except UserError:
                wizard.policy_id = False

    @api.model
    def _policy_of(self, invoices):
        """The dunning policy of ``invoices``, which must be open customer
        invoices of customers sharing one policy."""
        wrong = invoices.filtered(
            lambda inv: (
                inv.move_type != "out_invoice"
                or inv.state != "posted"
                or inv.payment_state not in ("not_paid", "partial")
            )
        )
        if wrong:
            raise UserError(
                self.env._(
                    "Only unpaid posted customer invoices get payment reminders: "
                    "%(invoices)s.",
                    invoices=", ".join(wrong.mapped("display_name")),
                )
            )
        Policy = self.env["sales.closing.dunning.policy"]
        policies = Policy
        for company in invoices.company_id:
            of_company = invoices.filtered(lambda inv, c=company: inv.company_id == c)
            by_partner = Policy._policies_of(of_company.commercial_partner_id, company)
            policies |= Policy.union(*by_partner.values())
        if len(policies) > 1:
            raise UserError(
                self.env._(
                    "The customers of these invoices follow different dunning "
                    "policies (%(policies)s): set the level of each policy's "
                    "invoices separately.",
                    policies=", ".join(policies.mapped("display_name")),
                )
            )
        return policies

    def action_apply(self):
        self.ensure_one()
        invoices = self.invoice_ids
        level = self.level_id
        if level.policy_id != self._policy_of(invoices):
            raise UserError(
                self.env._(
                    "Level %(level)s is not a level of the invoices' dunning policy.",
                    level=level.display_name,
                )
            )
        Line = self.env["sales.closing.dunning.line"]
        lines = Line.search(
            [
                ("invoice_id", "in", invoices.ids),
                ("level_id.policy_id", "=", level.policy_id.id),
            ]
        )
        # never back: no level above, nor this one already sent
        reached = lines.filtered(
            lambda line: (
                line.level_sequence > level.sequence
                or (
                    line.level_id == level and line.state in ("sent", "error", "manual")
                )
            )
        )
        if reached:
            raise UserError(
                self.env._(
                    "An invoice never goes back to a lower level: %(invoices)s "
                    "already reached %(level)s or a level above.",
                    invoices=", ".join(reached.invoice_id.mapped("display_name")),
                    level=level.name,
                )
            )
        now = fields.Datetime.now()
        today = fields.Date.context_today(self)
        values = {"state": "manual", "date_sent": now, "note": self.note}
        # planned at this level: that reminder becomes the one set by hand;
        # planned below: left unsent
        at_level = lines.filtered(lambda line: line.level_id == level)
        at_level.write(values)
        below = lines.filtered(
            lambda line: line.level_sequence < level.sequence and line.state == "draft"
        )
        below.write({"state": "skipped"})
        Line.create(
            [
                dict(
                    values,
                    invoice_id=invoice.id,
                    partner_id=invoice.commercial_partner_id.id,
                    level_id=level.id,
                    days_overdue=(today - invoice.invoice_date_due).days,
                )
                for invoice in invoices - at_level.invoice_id
            ]
        )
        invoices.write(
            {
                "sales_closing_dunning_level_id": level.id,
                "sales_closing_dunning_date": now,
            }
        )
        for invoice in invoices:
            invoice.message_post(
                body=Markup("%s<br/>%s")
                % (
                    self.env._(
                        "Payment reminder level set by hand to %(level)s.",
                        level=level.name,
                    ),
                    self.note,
                ),
                subtype_xmlid="mail.mt_note",
            )
        (at_level | below).run_id._update_state()
        return {"type": "ir.actions.act_window_close"}
