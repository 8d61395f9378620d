from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine import dunning as dunning_engine

OPEN_INVOICE_DOMAIN = [
    ("move_type", "=", "out_invoice"),
    ("state", "=", "posted"),
    ("payment_state", "in", ("not_paid", "partial")),
]


class SalesClosingCollectionCase(models.Model):
    _name = "sales.closing.collection.case"
    _description = "Collection Case"
    # group totals (kanban columns, list groups) per currency
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "sales.closing.currency.totals.mixin",
    ]
    _order = "priority desc, date_escalated desc, id desc"

    name = fields.Char(required=True, default="/", copy=False, readonly=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        domain="[('is_company', '=', True)]",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    stage_id = fields.Many2one(
        "sales.closing.collection.stage",
        string="Stage",
        index=True,
        tracking=True,
        group_expand="_read_group_stage_ids",
        default=lambda self: self._default_stage(),
        ondelete="restrict",
    )
    is_closed = fields.Boolean(related="stage_id.is_closed", store=True)
    active = fields.Boolean(default=True)
    user_id = fields.Many2one(
        "res.users",
        string="Owner",
        tracking=True,
        default=lambda self: self.env.user,
        domain="[('share', '=', False)]",
    )
    priority = fields.Selection(
        [("0", "Normal"), ("1", "High")], default="0", string="Priority"
    )
    color = fields.Integer()
    notes = fields.Html()
    reason = fields.Selection(
        [("last_level", "Last reminder level sent"), ("manual", "Manual")],
        default="manual",
        required=True,
        readonly=True,
    )
    date_escalated = fields.Date(
        string="Escalated On", default=fields.Date.context_today, readonly=True
    )
    date_closed = fields.Date(string="Closed On", readonly=True)
    block_orders = fields.Boolean(
        string="Block New Orders",
        default=True,
        tracking=True,
        help="While the case is open the customer's new orders cannot be confirmed.",
    )
    invoice_ids = fields.Many2many(
        "account.move",
        "sales_closing_collection_case_invoice_rel",
        "case_id",
        "invoice_id",
        string="Invoices",
        domain="[('move_type', '=', 'out_invoice'), "
        "('commercial_partner_id', '=', partner_id), ('state', '=', 'posted')]",
    )
    amount_escalated = fields.Monetary(
        string="Amount Escalated",
        currency_field="currency_id",
        readonly=True,
        help="What the customer owed on these invoices at the escalation.",
    )
    amount_due = fields.Monetary(
        compute="_compute_amounts",
        store=True,
        currency_field="currency_id",
        help="What is still due on the case's invoices, in company currency.",
    )
    amount_collected = fields.Monetary(
        compute="_compute_amounts",
        store=True,
        currency_field="currency_id",
    )
    promise_ids = fields.One2many(
        "sales.closing.payment.promise", "case_id", string="Promises to Pay"
    )
    amount_promised = fields.Monetary(
        string="Promised (Open)",
        compute="_compute_promises",
        store=True,
        currency_field="currency_id",
    )
    promise_state = fields.Selection(
        [
            ("none", "No Promise"),
            ("open", "Open"),
            ("kept", "Kept"),
            ("broken", "Broken"),
        ],
        compute="_compute_promises",
        store=True,
        string="Last Promise",
    )
    next_promise_date = fields.Date(compute="_compute_promises", store=True)

    _sql_constraints = [
        (
            "amounts_positive",
            "CHECK(amount_escalated >= 0)",
            "The escalated amount cannot be negative.",
        )
    ]

    @api.model
    def _default_stage(self):
        return self.env["sales.closing.collection.stage"].search(
            [("is_closed", "=", False)], limit=1
        )

    @api.model
    def _read_group_stage_ids(self, stages, domain):
        return stages.search([])

    @api.depends(
        "invoice_ids.amount_residual_signed",
        "invoice_ids.amount_total_signed",
        "amount_escalated",
    )
    def _compute_amounts(self):
        for case in self:
            due = sum(case.invoice_ids.mapped("amount_residual_signed"))
            case.amount_due = due
            case.amount_collected = max(case.amount_escalated - due, 0.0)

    @api.depends("promise_ids.state", "promise_ids.amount", "promise_ids.date")
    def _compute_promises(self):
        for case in self:
            promises = case.promise_ids.sorted(lambda p: (p.date, p.id))
            opened = promises.filtered(lambda p: p.state == "open")
            case.amount_promised = sum(opened.mapped("amount"))
            case.next_promise_date = opened[:1].date
            case.promise_state = promises[-1:].state or "none"

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code(
                    "sales.closing.collection.case"
                ) or self.env._("Case")
        cases = super().create(vals_list)
        for case in cases:
            if not case.amount_escalated:
                case.amount_escalated = sum(
                    case.invoice_ids.mapped("amount_residual_signed")
                )
            if case.user_id:
                case.message_subscribe(partner_ids=case.user_id.partner_id.ids)
        return cases

    def write(self, vals):
        if "stage_id" in vals:
            stage = self.env["sales.closing.collection.stage"].browse(vals["stage_id"])
            vals["date_closed"] = (
                fields.Date.context_today(self) if stage.is_closed else False
            )
        return super().write(vals)

    # ------------------------------------------------------------------
    # Escalation
    # ------------------------------------------------------------------
    @api.model
    def _escalate(self, company, today=None):
        """Open a case for each customer reminded at the last level.

        A customer is escalated when an unpaid invoice reached the last level
        of its dunning policy, no case of the customer is open and no promise
        to pay is pending. Idempotent: an open case stops a second escalation.
        """
        today = today or fields.Date.context_today(self)
        Level = self.env["sales.closing.dunning.level"]
        last = Level.browse()
        for policy, sequence in Level._read_group(
            [("company_id", "=", company.id)], ["policy_id"], ["sequence:max"]
        ):
            last |= policy.level_ids.filtered(lambda lv, s=sequence: lv.sequence == s)
        if not last:
            return self.browse()
        Move = self.env["account.move"]
        at_last = Move.search(
            OPEN_INVOICE_DOMAIN
            + [
                ("company_id", "=", company.id),
                ("sales_closing_dunning_level_id", "in", last.ids),
            ]
        )
        partners = at_last.commercial_partner_id
        if not partners:
            return self.browse()
        open_cases = self.search(
            [
                ("partner_id", "in", partners.ids),
                ("company_id", "=", company.id),
                ("is_closed", "=", False),
            ]
        )
        partners -= open_cases.partner_id
        pending = self.env["sales.closing.payment.promise"]._partners_on_hold(
            partners, company, today
        )
        overdue = Move.search(
            OPEN_INVOICE_DOMAIN
            + [
                ("company_id", "=", company.id),
                ("commercial_partner_id", "in", partners.ids),
                ("invoice_date_due", "<", today),
            ]
        )
        by_partner = {}
        for invoice in at_last | overdue:
            by_partner.setdefault(invoice.commercial_partner_id, Move)
            by_partner[invoice.commercial_partner_id] |= invoice
        values = []
        for partner in partners:
            partner_invoices = by_partner[partner]
            invoices = partner_invoices & at_last
            lines = [
                {"level": inv.sales_closing_dunning_level_id.sequence}
                for inv in invoices
            ]
            promises = [(today, 1, False)] if partner in pending else []
            threshold = min(
                inv.sales_closing_dunning_level_id.sequence for inv in invoices
            )
            if not dunning_engine.should_escalate(lines, threshold, promises, today):
                continue
            values.append(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "reason": "last_level",
                    "user_id": (
                        company.sales_closing_collection_user_id.id
                        or partner.user_id.id
                        or self.env.user.id
                    ),
                    "invoice_ids": [fields.Command.set(partner_invoices.ids)],
                    "date_escalated": today,
                }
            )
        cases = self.create(values)
        for case in cases:
            case.message_post(
                body=Markup("%s<br/>%s")
                % (
                    self.env._(
                        "Escalated to collection after the last reminder level "
                        "%(level)s.",
                        level=", ".join(
                            (
                                case.invoice_ids.sales_closing_dunning_level_id & last
                            ).mapped("name")
                        ),
                    ),
                    ", ".join(case.invoice_ids.mapped("name")),
                ),
                subtype_xmlid="mail.mt_note",
            )
            if case.user_id:
                case.activity_schedule(
                    "mail.mail_activity_data_call",
                    user_id=case.user_id.id,
                    # in the language of the user who gets the activity
                    summary=case.user_id.with_context(lang=case.user_id.lang).env._(
                        "Call the customer about the overdue invoices"
                    ),
                )
            case.partner_id.message_post(
                body=self.env._("Escalated to collection: %(case)s.", case=case.name),
                subtype_xmlid="mail.mt_note",
            )
        return cases

    def _update_promise_states(self):
        """Recompute the promises of these cases from the payments received."""
        today = fields.Date.context_today(self)
        for case in self.filtered("promise_ids"):
            promises = case.promise_ids
            payments = self.env["sales.closing.payment.promise"]._payments(
                case.partner_id, case.company_id, min(promises.mapped("date_made"))
            )[case.partner_id.id]
            states = dunning_engine.promise_states(
                [
                    {"id": p.id, "date": p.date, "amount": p._amount_decimal()}
                    for p in promises
                ],
                payments,
                today,
            )
            for promise in promises:
                new = states[promise.id]
                if promise.state == new:
                    continue
                promise.state = new
                if new == "kept":
                    body = self.env._(
                        "Promise to pay %(amount)s by %(date)s kept.",
                        amount=promise._format_amount(),
                        date=promise.date,
                    )
                elif new == "broken":
                    body = self.env._(
                        "Promise to pay %(amount)s by %(date)s broken.",
                        amount=promise._format_amount(),
                        date=promise.date,
                    )
                    if case.user_id:
                        case.activity_schedule(
                            "mail.mail_activity_data_todo",
                            user_id=case.user_id.id,
                            summary=case.user_id.with_context(
                                lang=case.user_id.lang
                            ).env._("Promise to pay broken"),
                        )
                else:
                    continue
                case.message_post(body=body, subtype_xmlid="mail.mt_note")
        return True

    # ------------------------------------------------------------------
    # Order block
    # ------------------------------------------------------------------
    @api.model
    def _order_blocks(self, partners, companies):
        """What blocks the new orders of these commercial partners.

        Returns ``{(partner id, company id): {"invoices": moves, "cases": cases}}``
        for the customers with an unpaid invoice reminded at a blocking level
        or an open collection case that blocks orders. Two queries.
        """
        result = {}
        if not partners or not companies:
            return result
        # sudo: a salesperson confirming an order may not read invoices or cases
        Move = self.env["account.move"].sudo()
        invoices = Move.search(
            OPEN_INVOICE_DOMAIN
            + [
                ("company_id", "in", companies.ids),
                ("commercial_partner_id", "in", partners.ids),
                ("sales_closing_dunning_level_id.block_orders", "=", True),
            ],
            order="invoice_date_due, id",
        )
        for invoice in invoices:
            key = (invoice.commercial_partner_id.id, invoice.company_id.id)
            slot = result.setdefault(key, {"invoices": Move, "cases": self.sudo()})
            slot["invoices"] |= invoice
        for case in self.sudo().search(
            [
                ("company_id", "in", companies.ids),
                ("partner_id", "in", partners.ids),
                ("is_closed", "=", False),
                ("block_orders", "=", True),
            ]
        ):
            key = (case.partner_id.id, case.company_id.id)
            slot = result.setdefault(key, {"invoices": Move, "cases": self.sudo()})
            slot["cases"] |= case
        return result

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------
    def action_refresh(self):
        for case in self:
            open_invoices = self.env["account.move"].search(
                OPEN_INVOICE_DOMAIN
                + [
                    ("company_id", "=", case.company_id.id),
                    ("commercial_partner_id", "=", case.partner_id.id),
                    ("invoice_date_due", "<", fields.Date.context_today(self)),
                ]
            )
            case.invoice_ids |= open_invoices
        self._update_promise_states()
        return True

    def action_close(self):
        stage = self.env["sales.closing.collection.stage"].search(
            [("is_closed", "=", True)], limit=1
        )
        if not stage:
            raise UserError(self.env._("Create a closed collection stage first."))
        self.write({"stage_id": stage.id})
        return True

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("id", "in", self.invoice_ids.ids)]
        action["context"] = {"create": False}
        return action

    @api.model
    def _cron_close_paid(self):
        """Close the open cases whose invoices are all paid."""
        stage = self.env["sales.closing.collection.stage"].search(
            [("is_closed", "=", True)], limit=1
        )
        cases = self.search([("is_closed", "=", False)]).filtered(
            lambda c: c.invoice_ids and c.currency_id.is_zero(c.amount_due)
        )
        if stage and cases:
            cases.write({"stage_id": stage.id})
            for case in cases:
                case.message_post(
                    body=self.env._("All invoices paid: case closed."),
                    subtype_xmlid="mail.mt_note",
                )
        return cases
