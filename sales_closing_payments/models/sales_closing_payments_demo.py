"""Demo data of the payments addon, loaded after the demo data of ``sales_closing``.

Loaded only on databases created with demo data (``demo/`` in the manifest).
Each part is a ``_demo_*`` method called from :meth:`_load_demo`.
"""

import logging
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models

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
        self.env["sales.closing.dunning.level"]._create_default_levels(companies)
        stage = self.env.ref(
            "sales_closing_payments.collection_stage_promised", raise_if_not_found=False
        )
        for company in companies:
            cenv = (
                self.with_company(company)
                .with_context(allowed_company_ids=company.ids, tracking_disable=True)
                .env
            )
            invoices = overdue.filtered(lambda inv, c=company: inv.company_id == c)
            worst = invoices.sorted("invoice_date_due")[:1].commercial_partner_id
            if not worst.email:
                worst.email = "accounts@{}.example".format(
                    "".join(
                        ch for ch in worst.name.lower() if ch.isascii() and ch.isalnum()
                    )[:20]
                    or "customer"
                )
            long_overdue = self._demo_overdue_invoice(cenv, company, worst, today)
            run = cenv["sales.closing.dunning.run"]._plan(company, today)
            lines = run.line_ids.filtered(lambda line, p=worst: line.partner_id == p)
            lines._send()
            case = cenv["sales.closing.collection.case"]._escalate(company, today)
            case = case.filtered(lambda c, p=worst: c.partner_id == p)
            if not case:
                continue
            case.write(
                {
                    "stage_id": stage.id if stage else case.stage_id.id,
                    "notes": self.env._(
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
                        "note": self.env._("First half"),
                    },
                    {
                        "case_id": case.id,
                        "date_made": today - timedelta(days=1),
                        "date": today + timedelta(days=7),
                        "amount": total,
                        "note": self.env._("Whole balance"),
                    },
                ]
            )
            _logger.info(
                "Demo reminders of %s: %s lines, case %s",
                company.name,
                len(run.line_ids),
                case.name,
            )

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
                # no payment term: the customer's own would move the due date
                "invoice_payment_term_id": False,
                "invoice_date": max(today - timedelta(days=40), first_open),
                "invoice_date_due": due,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": self.env._("Consulting (demo, long overdue)"),
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
        """Per company a draft installment plan on an open invoice and a draft
        monthly recurring plan on a confirmed order.

        They stay drafts: starting a plan needs a saved payment method, which
        the demo database has only when a provider such as payment_demo is
        installed (the consultant then picks the token and presses Start).
        """
        Plan = self.env["sales.closing.installment.plan"]
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
                values.append(
                    {
                        "company_id": company.id,
                        "plan_type": "installment",
                        "invoice_id": invoice.id,
                        "partner_id": invoice.partner_id.id,
                        "currency_id": invoice.currency_id.id,
                        "user_id": invoice.invoice_user_id.id,
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
            if values:
                Plan.with_company(company).create(values)
