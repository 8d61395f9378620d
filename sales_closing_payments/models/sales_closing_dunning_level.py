from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import sql

from odoo.addons.sales_closing.tools import write_in_languages

from ..engine import dunning as dunning_engine

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
    _order = "company_id, policy_id, sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(
        required=True,
        default=10,
        help="Levels are sent in this order; an invoice never goes back to a "
        "lower level.",
    )
    active = fields.Boolean(default=True)
    policy_id = fields.Many2one(
        "sales.closing.dunning.policy",
        string="Policy",
        required=True,
        index=True,
        ondelete="cascade",
        default=lambda self: self.env["sales.closing.dunning.policy"]._company_default(
            self.env.company
        ),
    )
    company_id = fields.Many2one(
        related="policy_id.company_id", store=True, index=True, precompute=True
    )
    computation_mode = fields.Selection(
        [
            (dunning_engine.MODE_DUE, "Due Date"),
            (dunning_engine.MODE_END_OF_MONTH, "End of the Due Date's Month"),
            (dunning_engine.MODE_PREVIOUS, "Previous Reminder"),
        ],
        string="Count From",
        required=True,
        default=dunning_engine.MODE_DUE,
        help="Date the days count from: the invoice due date, the last day of "
        "its month, or the day the previous level was sent for the invoice (the "
        "level then waits for that one to be sent).",
    )
    days = fields.Integer(
        required=True,
        help="Days after the date of 'Count From' when this level is reached; "
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
        help="After the last level of its policy the customer is escalated to "
        "collection.",
    )

    _sql_constraints = [
        (
            "sequence_policy_uniq",
            "unique(policy_id, sequence)",
            "Two dunning levels of a policy cannot share a sequence.",
        )
    ]

    def init(self):
        # the sequences were unique per company before the policies
        obsolete = f"{self._table}_sequence_company_uniq"
        if sql.constraint_definition(self.env.cr, self._table, obsolete):
            sql.drop_constraint(self.env.cr, self._table, obsolete)
        self.env.cr.execute(
            "DELETE FROM ir_model_constraint WHERE name = %s", (obsolete,)
        )

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

    @api.depends("sequence", "policy_id")
    def _compute_is_last(self):
        last = {}
        for level in self.search([("policy_id", "in", self.policy_id.ids)]):
            current = last.get(level.policy_id.id)
            if not current or level.sequence > current.sequence:
                last[level.policy_id.id] = level
        for level in self:
            level.is_last = last.get(level.policy_id.id) == level

    @api.constrains("sequence", "days", "computation_mode", "policy_id", "active")
    def _check_days_increase(self):
        """Per policy, as the engine wants them (:func:`normalise_levels`)."""
        for policy in self.policy_id:
            levels = self.search([("policy_id", "=", policy.id)]).sorted("sequence")
            previous_of_mode = {}
            for index, level in enumerate(levels):
                mode = level.computation_mode
                if mode == dunning_engine.MODE_PREVIOUS:
                    if not index:
                        raise ValidationError(
                            self.env._(
                                "The first dunning level of %(policy)s (%(level)s) "
                                "cannot count from the previous reminder.",
                                policy=policy.name,
                                level=level.name,
                            )
                        )
                    if level.days <= 0:
                        raise ValidationError(
                            self.env._(
                                "Dunning level %(level)s of %(policy)s must come "
                                "at least one day after the previous reminder.",
                                level=level.name,
                                policy=policy.name,
                            )
                        )
                    continue
                previous = previous_of_mode.get(mode)
                if previous and level.days <= previous.days:
                    raise ValidationError(
                        self.env._(
                            "Dunning level %(level)s of %(policy)s must come more "
                            "days after the due date than %(previous)s "
                            "(%(days)s days).",
                            level=level.name,
                            policy=policy.name,
                            previous=previous.name,
                            days=previous.days,
                        )
                    )
                previous_of_mode[mode] = level

    def _engine_dict(self):
        """The level as the dunning engine wants it."""
        self.ensure_one()
        return {
            "sequence": self.sequence,
            "days": self.days,
            "mode": self.computation_mode,
            "block_orders": self.block_orders,
            "id": self.id,
        }

    @api.model
    def _create_default_levels(self, companies):
        """Create the default levels of ``companies`` that have none yet.

        They go into the company's default policy, created (and made the
        default) when the company has none.
        """
        existing = set(
            self.with_context(active_test=False)
            .search([("company_id", "in", companies.ids)])
            .company_id.ids
        )
        template = self.env.ref(
            "sales_closing_payments.mail_template_dunning", raise_if_not_found=False
        )
        Policy = self.env["sales.closing.dunning.policy"]
        values = []
        keys = []
        for company in companies.filtered(lambda c: c.id not in existing):
            policy = company.sales_closing_dunning_policy_id
            if not policy:
                policy = Policy.create(
                    {"name": self.env._("Default"), "company_id": company.id}
                )
                write_in_languages(policy, lambda env: {"name": env._("Default")})
                # sudo: a closing manager sets up the levels, not the company
                company.sudo().sales_closing_dunning_policy_id = policy
            for index, (key, days, letter, block) in enumerate(DEFAULT_LEVELS):
                name, message = self._default_texts(key)
                values.append(
                    {
                        "name": name,
                        "sequence": (index + 1) * 10,
                        "days": days,
                        "policy_id": policy.id,
                        "send_letter": letter,
                        "block_orders": block,
                        "mail_template_id": template.id if template else False,
                        "message": message,
                    }
                )
                keys.append(key)
        levels = self.create(values)
        # name and message in every active language, not only the creator's
        for level, key in zip(levels, keys, strict=True):
            write_in_languages(
                level,
                lambda env, level=level, key=key: dict(
                    zip(
                        ("name", "message"),
                        level.with_env(env)._default_texts(key),
                        strict=True,
                    )
                ),
            )
        return levels

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
    def _translate_default_texts(self):
        """Give the default levels and policies that still carry their
        English default texts the texts of every active language: they were
        created before a language was loaded (Chinese loaded after the
        addon was installed)."""
        english = self.with_context(lang="en_US", active_test=False)
        keys = {english._default_texts(key)[0]: key for key, *_rest in DEFAULT_LEVELS}
        for level in english.search([("name", "in", list(keys))]):
            key = keys[level.name]
            if level.message and english._default_texts(key)[1] not in level.message:
                continue  # a message of the company's own: left as it is
            write_in_languages(
                level,
                lambda env, level=level, key=key: dict(
                    zip(
                        ("name", "message"),
                        level.with_env(env)._default_texts(key),
                        strict=True,
                    )
                ),
            )
        Policy = self.env["sales.closing.dunning.policy"]
        policies = Policy.with_context(lang="en_US", active_test=False).search(
            [("name", "=", "Default")]
        )
        write_in_languages(policies, lambda env: {"name": env._("Default")})

    @api.model
    def _init_default_levels(self):
        """Installation: default levels for every company that has none."""
        return self._create_default_levels(self.env["res.company"].search([]))

    @api.model
    def action_create_default_levels(self):
        self._create_default_levels(self.env.companies)
        return {"type": "ir.actions.client", "tag": "soft_reload"}
