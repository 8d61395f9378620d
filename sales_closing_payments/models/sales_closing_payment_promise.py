from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_amount


class SalesClosingPaymentPromise(models.Model):
    _name = "sales.closing.payment.promise"
    # group totals per currency (promises of companies in several currencies)
    _inherit = ["sales.closing.currency.totals.mixin"]
    _description = "Promise to Pay"
    _order = "date, id"

    case_id = fields.Many2one(
        "sales.closing.collection.case",
        string="Collection Case",
        required=True,
        ondelete="cascade",
        index=True,
    )
    partner_id = fields.Many2one(
        related="case_id.partner_id", store=True, index=True, string="Customer"
    )
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_made = fields.Date(
        string="Promised On",
        required=True,
        default=fields.Date.context_today,
        help="Payments received from this day on count towards the promise.",
    )
    date = fields.Date(string="Pay By", required=True)
    amount = fields.Monetary(required=True, currency_field="currency_id")
    note = fields.Char()
    user_id = fields.Many2one(
        "res.users", string="Recorded By", default=lambda self: self.env.user
    )
    state = fields.Selection(
        [("open", "Open"), ("kept", "Kept"), ("broken", "Broken")],
        default="open",
        required=True,
        readonly=True,
        index=True,
        help="Computed from the payments received: kept when they cover this "
        "promise and the earlier ones by its date, broken when the date "
        "passed without.",
    )

    @api.constrains("amount", "date", "date_made")
    def _check_amount_date(self):
        for promise in self:
            if promise.amount <= 0:
                raise ValidationError(
                    self.env._(
                        "The promise of %(partner)s must be for a positive amount.",
                        partner=promise.partner_id.display_name,
                    )
                )
            if promise.date < promise.date_made:
                raise ValidationError(
                    self.env._(
                        "The promise of %(partner)s cannot be due before it was made.",
                        partner=promise.partner_id.display_name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        promises = super().create(vals_list)
        for promise in promises:
            promise.case_id.message_post(
                body=self.env._(
                    "Promise to pay %(amount)s by %(date)s recorded.",
                    amount=promise._format_amount(),
                    date=promise.date,
                ),
                subtype_xmlid="mail.mt_note",
            )
        promises.case_id._update_promise_states()
        return promises

    def write(self, vals):
        result = super().write(vals)
        if {"amount", "date", "date_made"}.intersection(vals):
            self.case_id._update_promise_states()
        return result

    def _amount_decimal(self):
        return Decimal(str(self.amount))

    def _format_amount(self):
        return format_amount(self.env, self.amount, self.currency_id)

    @api.model
    def _payments(self, partners, company, date_from):
        """``{partner id: [(date, amount)]}`` received since ``date_from``.

        Money received is the credit on the customers' receivable lines of
        payment and bank entries (not credit notes), in company currency.
        """
        result = {partner.id: [] for partner in partners}
        if not partners:
            return result
        # sudo: the collection team reads payments of its customers
        Line = self.env["account.move.line"].sudo()
        for partner, day, credit in Line._read_group(
            [
                ("company_id", "=", company.id),
                ("partner_id.commercial_partner_id", "in", partners.ids),
                ("account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("move_id.move_type", "=", "entry"),
                ("credit", ">", 0),
                ("date", ">=", date_from),
            ],
            ["partner_id", "date:day"],
            ["credit:sum"],
        ):
            result.setdefault(partner.commercial_partner_id.id, []).append(
                (day, Decimal(str(credit)))
            )
        return result

    @api.model
    def _partners_on_hold(self, partners, company, today):
        """Partners with an open promise to pay: no reminder meanwhile."""
        return self.search(
            [
                ("partner_id", "in", partners.ids),
                ("company_id", "=", company.id),
                ("state", "=", "open"),
                ("date", ">=", today),
            ]
        ).partner_id

    @api.model
    def _cron_update_states(self):
        cases = self.search([("state", "=", "open")]).case_id
        cases._update_promise_states()
        return True
