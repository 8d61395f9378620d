"""Demo data of the payments addon, loaded after the demo data of ``sales_closing``.

Loaded only on databases created with demo data (``demo/`` in the manifest).
Each part is a ``_demo_*`` method called from :meth:`_load_demo`.
"""

import logging
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models

from odoo.addons.sales_closing.tools import write_in_languages

_logger = logging.getLogger(__name__)


class SalesClosingPaymentsDemo(models.AbstractModel):
    _name = "sales.closing.payments.demo"
    _description = "Sales Closing Payments Demo Data Loader"

    @api.model
    def _load_demo(self, today=None):
        today = today or fields.Date.context_today(self)
        self._demo_dunning(today)
        self._demo_installments(today)
        return True

    # ------------------------------------------------------------------
    # Payment reminders and collection
    # ------------------------------------------------------------------
    def _demo_dunning(self, today):
        """Levels, one reminder run per company and one escalated case.

        Each company with overdue invoices gets the run of the day, left to
        review, except for its most overdue customer: that customer also gets
        an invoice 31 days overdue, its reminders are sent, which escalates it
        to collection, and the case gets a broken and an open promise to pay.
        The customer with the most recent overdue invoice follows a second,
        "Strict" policy of two levels.
        """
        overdue = self.env["account.move"].search(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
                ("invoice_date_due", "<", today),
            ]
        )
        companies = overdue.company_id
        if not companies:
            return
        # the administrator sets the levels up
        self._demo_as(self.env.ref("base.user_admin")).env[
            "sales.closing.dunning.level"
        ]._create_default_levels(companies)
        stage = self.env.ref(
            "sales_closing_payments.collection_stage_promised", raise_if_not_found=False
        )
        for company in companies:
            # the company's accountant, who owns its collection cases, runs
            # its reminders and follows its cases up; its manager sets up the
            # second policy
            collector = self._demo_collection_user(company)
            manager = self.env["sales.closing.demo"]._demo_user(company, "manager")
            cenv, menv = (
                self._demo_as(user)
                .with_company(company)
                .with_context(allowed_company_ids=company.ids, tracking_disable=True)
                .env
                for user in (collector, manager)
            )
            invoices = overdue.filtered(
                lambda inv, c=company: inv.company_id == c
            ).with_env(cenv)
            worst = invoices.sorted("invoice_date_due")[:1].commercial_partner_id
            strict_customer = (
                invoices.sorted("invoice_date_due", reverse=True).commercial_partner_id
                - worst
            )[:1]
            if strict_customer:
                strict_customer.with_company(
                    company
                ).sales_closing_dunning_policy_id = self._demo_strict_policy(menv)
            if not worst.email:
                worst.email = "accounts@{}.example".format(
                    "".join(
                        ch for ch in worst.name.lower() if ch.isascii() and ch.isalnum()
                    )[:20]
                    or "customer"
                )
            long_overdue = self._demo_overdue_invoice(cenv, company, worst, today)
            if strict_customer:
                self._demo_partly_paid_invoice(cenv, company, strict_customer, today)
            run = cenv["sales.closing.dunning.run"]._plan(company, today)
            # the customers who paid (the demo bank lines of sales_closing,
            # matched later by the reconciliation addon) are not reminded
            in_bank = self._demo_paid_in_bank(cenv, company)
            if in_bank:
                run.line_ids.filtered(
                    lambda line, paid=in_bank: line.invoice_id in paid
                ).unlink()
                run._update_state()
            lines = run.line_ids.filtered(lambda line, p=worst: line.partner_id == p)
            lines._send()
            case = cenv["sales.closing.collection.case"]._escalate(company, today)
            case = case.filtered(lambda c, p=worst: c.partner_id == p)
            if not case:
                cenv.flush_all()
                continue
            # notes the company's accountants type, in the company's language
            texts = self.with_context(lang=company.partner_id.lang).env
            case.write(
                {
                    "stage_id": stage.id if stage else case.stage_id.id,
                    "notes": texts._(
                        "<p>Called the accounts payable department: the invoices "
                        "were approved late; they promised to pay in two parts.</p>"
                    ),
                }
            )
            total = long_overdue.amount_residual
            cenv["sales.closing.payment.promise"].create(
                [
                    {
                        "case_id": case.id,
                        "date_made": today - timedelta(days=12),
                        "date": today - timedelta(days=3),
                        "amount": company.currency_id.round(total / 2),
                        "note": texts._("First half"),
                    },
                    {
                        "case_id": case.id,
                        "date_made": today - timedelta(days=1),
                        "date": today + timedelta(days=7),
                        "amount": total,
                        "note": texts._("Whole balance"),
                    },
                ]
            )
            # what the collector changed is computed in its name, not in the
            # superuser's when the loading ends
            cenv.flush_all()
            _logger.info(
                "Demo reminders of %s: %s lines, case %s",
                company.name,
                len(run.line_ids),
                case.name,
            )

    def _demo_as(self, user):
        """This loader acting as ``user`` (see ``sales.closing.demo``)."""
        # sudo: the demo users' groups do not cover every step of the demo;
        # the records are made in their name, not OdooBot's
        return self.with_user(user).sudo()

    def _demo_collection_user(self, company):
        """The company's demo preparer owns its collection cases (instead of
        OdooBot, who loads the demo); on Odoo's own demo companies, which
        have no demo users of ours, the administrator.  Returns the user."""
        user = self.env["sales.closing.demo"]._demo_user(company, "accountant")
        company.sales_closing_collection_user_id = user
        return user

    def _demo_strict_policy(self, cenv):
        """A second policy of the company: a reminder the day after the due
        date, then a final notice a week after it, which blocks new orders."""
        Level = cenv["sales.closing.dunning.level"]
        first_name, first_message = Level._default_texts("first")
        final_name, final_message = Level._default_texts("final")
        policy = cenv["sales.closing.dunning.policy"].create(
            {
                "name": self.env._("Strict"),
                "company_id": cenv.company.id,
                "sequence": 20,
                "level_ids": [
                    Command.create(
                        {
                            "name": first_name,
                            "sequence": 10,
                            "days": 1,
                            "message": first_message,
                        }
                    ),
                    Command.create(
                        {
                            "name": final_name,
                            "sequence": 20,
                            "computation_mode": "previous",
                            "days": 7,
                            "send_letter": True,
                            "block_orders": True,
                            "message": final_message,
                        }
                    ),
                ],
            }
        )
        # names and messages in every active language
        write_in_languages(policy, lambda env: {"name": env._("Strict")})
        for level, key in zip(
            policy.level_ids.sorted("sequence"), ("first", "final"), strict=True
        ):
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
        return policy

    def _demo_paid_in_bank(self, cenv, company):
        """The open invoices of ``company`` that an incoming bank line not yet
        matched names: their customers paid, the match is still to do."""
        bank_lines = cenv["account.bank.statement.line"].search(
            [
                ("company_id", "=", company.id),
                ("is_reconciled", "=", False),
                ("amount", ">", 0),
            ]
        )
        labels = " ".join(bank_lines.mapped("payment_ref"))
        invoices = cenv["account.move"].search(
            [
                ("company_id", "=", company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
            ]
        )
        return invoices.filtered(lambda invoice: invoice.name in labels)

    def _demo_salesperson(self, company, partner):
        """The salesperson of ``partner`` in ``company``, else the company's."""
        user = partner.user_id
        if user and company in user.company_ids and not user._is_superuser():
            return user
        return self.env["sales.closing.demo"]._demo_user(company, "salesperson")

    def _demo_partly_paid_invoice(self, cenv, company, partner, today):
        """An invoice of ``partner`` due three days ago, of which a part is
        paid: its reminder lists what is left."""
        invoice = cenv["account.move"].create(
            {
                "move_type": "out_invoice",
                "company_id": company.id,
                "partner_id": partner.id,
                "invoice_user_id": self._demo_salesperson(company, partner).id,
                "invoice_payment_term_id": False,
                "invoice_date": today - timedelta(days=10),
                "invoice_date_due": today - timedelta(days=3),
                "invoice_line_ids": [
                    Command.create(
                        {
                            # in the customer's language, as it reads it
                            "name": self.with_context(lang=partner.lang).env._(
                                "Spare parts (demo, partly paid)"
                            ),
                            "quantity": 1,
                            "price_unit": 1250.0,
                            "tax_ids": False,
                        }
                    )
                ],
            }
        )
        invoice.invoice_date_due = today - timedelta(days=3)
        invoice.action_post()
        cenv["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create(
            {"payment_date": today - timedelta(days=1), "amount": 500.0}
        )._create_payments()
        return invoice

    def _demo_overdue_invoice(self, cenv, company, partner, today):
        """An invoice of ``partner`` 31 days overdue that no bank line pays.

        Dated in the last open demo period (the oldest one is closed).
        """
        first_open = today.replace(day=1) - relativedelta(months=1)
        due = today - timedelta(days=31)
        invoice = cenv["account.move"].create(
            {
                "move_type": "out_invoice",
                "company_id": company.id,
                "partner_id": partner.id,
                "invoice_user_id": self._demo_salesperson(company, partner).id,
                # no payment term: the customer's own would move the due date
                "invoice_payment_term_id": False,
                "invoice_date": max(today - timedelta(days=40), first_open),
                "invoice_date_due": due,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": self.with_context(lang=partner.lang).env._(
                                "Consulting (demo, long overdue)"
                            ),
                            "quantity": 1,
                            "price_unit": 4870.0,
                            "tax_ids": False,
                        }
                    )
                ],
            }
        )
        invoice.invoice_date_due = due
        invoice.action_post()
        return invoice

    # ------------------------------------------------------------------
    # Installment and recurring plans
    # ------------------------------------------------------------------
    def _demo_installments(self, today):
        """Per company an installment plan and a monthly recurring plan on a
        confirmed order; returns the plans.

        The installment plan is on an invoice of its own, payable in three
        installments, of the customer of the largest open invoice (most open
        invoices are paid later by the demo bank lines of the reconciliation).

        Starting a plan needs a saved payment method: with Odoo's demo payment
        provider (payment_demo) installed, :meth:`_demo_run_plans` saves a card
        per customer and starts the plans; without it they stay drafts (the
        consultant then picks the token and presses Start).
        """
        Plan = self.env["sales.closing.installment.plan"]
        plans = Plan
        term = self.env["account.payment.term"]
        for company in self.env["res.company"].search([]):
            cenv = self.with_company(company).env
            invoice = cenv["account.move"].search(
                [
                    ("company_id", "=", company.id),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "=", "not_paid"),
                    ("invoice_date_due", ">=", today),
                ],
                order="amount_residual desc",
                limit=1,
            )
            order = cenv["sale.order"].search(
                [("company_id", "=", company.id), ("state", "=", "sale")],
                order="date_order desc",
                limit=1,
            )
            values = []
            if invoice:
                # the administrator sets the payment term up
                term = term or (
                    self._demo_as(self.env.ref("base.user_admin"))
                    ._demo_installment_term()
                    .with_env(self.env)
                )
                # the invoice's salesperson makes the plan and its invoice
                seller = invoice.invoice_user_id
                if not seller or seller._is_superuser():
                    seller = self._demo_salesperson(company, invoice.partner_id)
                invoice = self._demo_plan_invoice(
                    self._demo_as(seller).with_company(company).env,
                    invoice,
                    term,
                    today,
                )
                values.append(
                    {
                        "company_id": company.id,
                        "plan_type": "installment",
                        "invoice_id": invoice.id,
                        "partner_id": invoice.partner_id.id,
                        "currency_id": invoice.currency_id.id,
                        "user_id": seller.id,
                    }
                )
            if order:
                values.append(
                    {
                        "company_id": company.id,
                        "plan_type": "recurring",
                        "interval": "monthly",
                        "period_count": 6,
                        "start_date": today,
                        "sale_order_id": order.id,
                        "partner_id": order.partner_id.id,
                        "currency_id": order.currency_id.id,
                        "user_id": order.user_id.id,
                    }
                )
            for vals in values:
                seller = self.env["res.users"].browse(vals["user_id"])
                if not seller or seller._is_superuser():
                    seller = self._demo_salesperson(
                        company, self.env["res.partner"].browse(vals["partner_id"])
                    )
                    vals["user_id"] = seller.id
                plans |= Plan.with_env(
                    self._demo_as(seller).with_company(company).env
                ).create(vals)
        self._demo_run_plans(plans, today)
        return plans

    def _demo_installment_term(self):
        term = self.env["account.payment.term"].create(
            {
                "name": self.env._("Three Installments (Now, 30 and 60 Days)"),
                "line_ids": [
                    Command.create(
                        {"value": "percent", "value_amount": 40.0, "nb_days": 0}
                    ),
                    Command.create(
                        {"value": "percent", "value_amount": 30.0, "nb_days": 30}
                    ),
                    Command.create(
                        {"value": "percent", "value_amount": 30.0, "nb_days": 60}
                    ),
                ],
            }
        )
        write_in_languages(
            term,
            lambda env: {"name": env._("Three Installments (Now, 30 and 60 Days)")},
        )
        return term

    def _demo_plan_invoice(self, cenv, model_invoice, term, today):
        """A posted invoice of today, payable in installments by ``term``, of
        the customer and salesperson of ``model_invoice``."""
        invoice = cenv["account.move"].create(
            {
                "move_type": "out_invoice",
                "company_id": model_invoice.company_id.id,
                "partner_id": model_invoice.partner_id.id,
                "currency_id": model_invoice.currency_id.id,
                "invoice_user_id": model_invoice.invoice_user_id.id,
                "invoice_date": today,
                "invoice_payment_term_id": term.id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": self.with_context(
                                lang=model_invoice.partner_id.lang
                            ).env._(
                                "Production line equipment (demo, paid in installments)"
                            ),
                            "quantity": 1,
                            "price_unit": 3600.0,
                            "tax_ids": False,
                        }
                    )
                ],
            }
        )
        invoice.action_post()
        return invoice

    def _demo_run_plans(self, plans, today):
        """Save a demo card per customer of ``plans`` and start them.

        Only when payment_demo is installed (not a dependency): its provider,
        copied for each company, is set in test mode and saves payment
        methods; each customer with a plan gets a saved card (token) whose
        charges succeed, except one customer (of the last recurring plan, when
        there are several) whose card is refused.  That plan started a week
        ago: the daily cron of the last week tried it four times (retries 1, 2
        and 4 days later) and gave the installment up.  The last installment
        plan (when there are several) stays a draft with its card chosen, to be
        started by hand.  The cron of today charges the lines due today: paid
        lines next to the scheduled ones.
        """
        Token = self.env["payment.token"]
        method = self.env.ref(
            "payment_demo.payment_method_demo", raise_if_not_found=False
        )
        if not plans or not method or "demo_simulated_state" not in Token._fields:
            return
        recurring = plans.filtered(lambda plan: plan.plan_type == "recurring")
        installments = plans - recurring
        declined = recurring[-1:] if len(recurring) > 1 else recurring.browse()
        manual = installments[-1:] if len(installments) > 1 else installments.browse()
        refused = {
            (plan.partner_id.commercial_partner_id, plan.company_id)
            for plan in declined
        }
        providers = {}
        for plan in plans:
            company = plan.company_id
            if company not in providers:
                providers[company] = self._demo_payment_provider(company)
            if not providers[company]:
                continue
            partner = plan.partner_id.commercial_partner_id
            state = "error" if (partner, company) in refused else "done"
            # chosen by the plan's responsible
            plan.with_env(self._demo_as(plan.user_id).env).token_id = self._demo_token(
                providers[company], method, partner, state
            )
        for plan in declined:
            own = plan.with_env(self._demo_as(plan.user_id).env)
            own.start_date = today - timedelta(days=7)
            own.action_compute_schedule()
            own.env.flush_all()
        # not a plan whose invoice was paid meanwhile; started by its
        # responsible
        to_start = (plans - manual).filtered(
            lambda plan: (
                plan.token_id
                and (
                    not plan.invoice_id
                    or plan.currency_id.compare_amounts(
                        plan.amount_total, plan.invoice_id.amount_residual
                    )
                    <= 0
                )
            )
        )
        for plan in to_start:
            started = plan.with_env(self._demo_as(plan.user_id).env)
            started.action_start()
            started.env.flush_all()
        # the daily cron of the last week, without its commits (the demo data
        # loads in the transaction of the module installation), each plan's
        # charges in the name of its responsible (the chatter of the plans
        # and of their invoices names who charged)
        Line = self.env["sales.closing.installment.plan.line"]
        for days_ago in range(7, -1, -1):
            day = today - timedelta(days=days_ago)
            for user in plans.user_id:
                lines = plans.filtered(lambda plan, u=user: plan.user_id == u).line_ids
                model = Line.with_env(self._demo_as(user).env).with_context(
                    sales_closing_charge_date=day
                )
                model._sync_processing_lines(commit=False)
                model._lock_due_lines(day, 200, ids=lines.ids)._charge_locked(
                    commit=False
                )
                model.env.flush_all()
        _logger.info(
            "Demo installment plans: %s running, %s done, %s paid and %s failed "
            "installments",
            len(plans.filtered(lambda plan: plan.state == "running")),
            len(plans.filtered(lambda plan: plan.state == "done")),
            len(plans.line_ids.filtered(lambda line: line.state == "paid")),
            len(plans.line_ids.filtered(lambda line: line.state == "failed")),
        )

    def _demo_payment_provider(self, company):
        """The demo provider of ``company``, in test mode and saving payment
        methods; payment_demo's own provider copied for another company."""
        Provider = self.env["payment.provider"].sudo()
        provider = Provider.search(
            [("code", "=", "demo"), ("company_id", "=", company.id)], limit=1
        )
        if not provider:
            base = self.env.ref(
                "payment.payment_provider_demo", raise_if_not_found=False
            )
            if not base or base.code != "demo":
                return Provider
            provider = base.sudo().copy({"company_id": company.id, "state": "test"})
        values = {"state": "test", "allow_tokenization": True}
        if any(provider[name] != value for name, value in values.items()):
            provider.write(values)
        return provider

    def _demo_token(self, provider, method, partner, state):
        """The saved demo card of ``partner`` on ``provider``; its charges end
        in ``state`` ('done': paid, 'error': refused)."""
        Token = self.env["payment.token"].sudo()
        token = Token.search(
            [("provider_id", "=", provider.id), ("partner_id", "=", partner.id)],
            limit=1,
        )
        if token:
            return token
        return Token.create(
            {
                "provider_id": provider.id,
                "payment_method_id": method.id,
                "partner_id": partner.id,
                # Stripe's test cards: 4242 is charged, 0002 is declined
                "payment_details": "0002" if state == "error" else "4242",
                "provider_ref": f"demo-{partner.id}-{provider.company_id.id}",
                "demo_simulated_state": state,
            }
        )
