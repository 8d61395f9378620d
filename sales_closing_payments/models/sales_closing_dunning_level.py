from odoo import api, fields, models
from odoo.exceptions import ValidationError

# Default levels: (key, days from due date, attach letter, block new orders)
DEFAULT_LEVELS = [
    ("before_due", -3, False, False),
    ("first", 7, False, False),
    ("second", 15, True, True),
    ("final", 30, True, True),
]


class SalesClosingDunningLevel(models.Model):
    _name = "sales.closing.dunning.level"
    _description = "Dunning Level"
    _order = "company_id, sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(
        required=True,
        default=10,
        help="Levels are sent in this order; an invoice never goes back to a "
        "lower level.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    days = fields.Integer(
        string="Days from Due Date",
        required=True,
        help="Days after the invoice due date when this level is reached; "
        "negative for a courtesy reminder before the due date.",
    )
    message = fields.Html(
        translate=True,
        help="Text of the reminder, shown in the email and the letter above "
        "the list of invoices.",
    )
    send_email = fields.Boolean(string="Email", default=True)
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain="[('model', '=', 'sales.closing.dunning.line')]",
        help="Rendered on the customer's main reminder line; empty uses the "
        "default payment reminder template.",
    )
    send_sms = fields.Boolean(
        string="SMS",
        help="Also send a short text message (needs the SMS module).",
    )
    sms_available = fields.Boolean(compute="_compute_sms_available")
    send_letter = fields.Boolean(
        string="Attach Letter",
        help="Attach the reminder letter (PDF listing the overdue invoices).",
    )
    block_orders = fields.Boolean(
        string="Block New Orders",
        help="Once this level is sent, new orders of the customer cannot be "
        "confirmed while an invoice reminded at this level is unpaid.",
    )
    is_last = fields.Boolean(
        string="Last Level",
        compute="_compute_is_last",
        help="After this level the customer is escalated to collection.",
    )

    _sql_constraints = [
        (
            "sequence_company_uniq",
            "unique(company_id, sequence)",
            "Two dunning levels of a company cannot share a sequence.",
        )
    ]

    def _compute_sms_available(self):
        available = self._sms_installed()
        for level in self:
            level.sms_available = available

    @api.model
    def _sms_installed(self):
        """Whether the ``sms`` module is installed (checked at runtime)."""
        return "sms.sms" in self.env and hasattr(
            self.env["res.partner"], "_message_sms"
        )

    @api.depends("sequence", "company_id")
    def _compute_is_last(self):
        last = {}
        for level in self.search([("company_id", "in", self.company_id.ids)]):
            current = last.get(level.company_id.id)
            if not current or level.sequence > current.sequence:
                last[level.company_id.id] = level
        for level in self:
            level.is_last = last.get(level.company_id.id) == level

    @api.constrains("sequence", "days", "company_id", "active")
    def _check_days_increase(self):
        for company in self.company_id:
            levels = self.search([("company_id", "=", company.id)])
            previous = None
            for level in levels.sorted("sequence"):
                if previous and level.days <= previous.days:
                    raise ValidationError(
                        self.env._(
                            "Dunning level %(level)s of %(company)s must come more "
                            "days after the due date than %(previous)s "
                            "(%(days)s days).",
                            level=level.name,
                            company=company.name,
                            previous=previous.name,
                            days=previous.days,
                        )
                    )
                previous = level

    def _engine_dict(self):
        """The level as the dunning engine wants it."""
        self.ensure_one()
        return {
            "sequence": self.sequence,
            "days": self.days,
            "block_orders": self.block_orders,
            "id": self.id,
        }

    @api.model
    def _create_default_levels(self, companies):
        """Create the default levels of ``companies`` that have none yet."""
        existing = set(
            self.with_context(active_test=False)
            .search([("company_id", "in", companies.ids)])
            .company_id.ids
        )
        template = self.env.ref(
            "sales_closing_payments.mail_template_dunning", raise_if_not_found=False
        )
        values = []
        for company in companies.filtered(lambda c: c.id not in existing):
            for index, (key, days, letter, block) in enumerate(DEFAULT_LEVELS):
                name, message = self._default_texts(key)
                values.append(
                    {
                        "name": name,
                        "sequence": (index + 1) * 10,
                        "days": days,
                        "company_id": company.id,
                        "send_letter": letter,
                        "block_orders": block,
                        "mail_template_id": template.id if template else False,
                        "message": message,
                    }
                )
        return self.create(values)

    def _default_texts(self, key):
        """``(name, message)`` of the default level ``key``."""
        texts = {
            "before_due": (
                self.env._("Courtesy reminder"),
                self.env._(
                    "This is a friendly reminder that the invoices below fall "
                    "due in a few days."
                ),
            ),
            "first": (
                self.env._("First reminder"),
                self.env._(
                    "According to our records the invoices below are overdue. "
                    "Please pay them at your earliest convenience."
                ),
            ),
            "second": (
                self.env._("Second reminder"),
                self.env._(
                    "Despite our reminder the invoices below are still unpaid. "
                    "Please pay them within 7 days; new orders are on hold "
                    "until then."
                ),
            ),
            "final": (
                self.env._("Final notice"),
                self.env._(
                    "This is our final notice. Unless the invoices below are "
                    "paid within 7 days your account will be handed to our "
                    "collection team."
                ),
            ),
        }
        return texts[key]

    @api.model
    def _init_default_levels(self):
        """Installation: default levels for every company that has none."""
        return self._create_default_levels(self.env["res.company"].search([]))

    @api.model
    def action_create_default_levels(self):
        self._create_default_levels(self.env.companies)
        return {"type": "ir.actions.client", "tag": "soft_reload"}
