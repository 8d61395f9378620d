"""Demo data: installment plans running on payment_demo's saved cards."""

from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


@tagged("post_install", "-at_install")
class TestDemoPlans(AccountTestInvoicingCommon):
    """Two companies, each with an open invoice and a confirmed order, as the
    demo database has: the demo loader's plan part starts their plans."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.today()
        cls.companies = (
            cls.company_data["company"] | cls.setup_other_company()["company"]
        )
        cls.product = cls.env["product.product"].create(
            {
                "name": "Support Subscription",
                "type": "service",
                "list_price": 120.0,
                "invoice_policy": "order",
                "taxes_id": [Command.clear()],
            }
        )
        cls.open_invoices = cls.env["account.move"]
        for index, company in enumerate(cls.companies):
            env = cls.env(
                context=dict(cls.env.context, allowed_company_ids=company.ids)
            )
            partners = env["res.partner"].create(
                [
                    {"name": f"Demo Invoice Customer {index}"},
                    {"name": f"Demo Subscriber {index}"},
                ]
            )
            invoice = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "company_id": company.id,
                    "partner_id": partners[0].id,
                    "invoice_date": cls.today,
                    "invoice_payment_term_id": False,
                    "invoice_date_due": cls.today + timedelta(days=10),
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "Goods", "price_unit": 900.0, "tax_ids": []}
                        )
                    ],
                }
            )
            invoice.action_post()
            cls.open_invoices |= invoice
            order = env["sale.order"].create(
                {
                    "company_id": company.id,
                    "partner_id": partners[1].id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": cls.product.id,
                                "product_uom_qty": 1,
                                "price_unit": 120.0,
                                "tax_id": [Command.clear()],
                            }
                        )
                    ],
                }
            )
            order.action_confirm()

    def test_demo_plans_run_on_saved_cards(self):
        # as the demo data loads: superuser
        loader = self.env["sales.closing.payments.demo"].sudo()
        plans = loader._demo_installments(self.today).filtered(
            lambda plan: plan.company_id in self.companies
        )
        self.assertEqual(len(plans), 4)
        self.assertEqual(
            sorted(plans.mapped("plan_type")),
            ["installment", "installment", "recurring", "recurring"],
        )

        # a demo provider per company, in test mode, saving payment methods
        for company in self.companies:
            provider = self.env["payment.provider"].search(
                [("code", "=", "demo"), ("company_id", "=", company.id)]
            )
            self.assertEqual(len(provider), 1)
            self.assertEqual(provider.state, "test")
            self.assertTrue(provider.allow_tokenization)
        # every plan has its customer's saved card of its company
        for plan in plans:
            self.assertTrue(plan.token_id)
            self.assertEqual(plan.token_id.partner_id, plan.commercial_partner_id)
            self.assertEqual(plan.token_id.company_id, plan.company_id)
            self.assertEqual(plan.token_id.provider_id.code, "demo")

        # one installment plan left to start by hand; the others started
        drafts = plans.filtered(lambda plan: plan.state == "draft")
        self.assertEqual(drafts.mapped("plan_type"), ["installment"])
        running = plans.filtered(lambda plan: plan.state == "running")
        self.assertGreaterEqual(len(running), 2)
        self.assertTrue(all(plan.token_id.active for plan in running))
        self.assertTrue(
            running.line_ids.filtered(
                lambda line: line.state == "pending" and line.due_date > self.today
            ),
            "running plans show scheduled installments",
        )

        # paid installments: charged through the cron on a card that works,
        # the payment reconciled with the (period) invoice
        paid = plans.line_ids.filtered(lambda line: line.state == "paid")
        self.assertEqual(len(paid), 2)
        for line in paid:
            self.assertEqual(line.plan_id.token_id.demo_simulated_state, "done")
            self.assertEqual(line.transaction_id.state, "done")
            self.assertEqual(line.transaction_id.token_id, line.plan_id.token_id)
            self.assertTrue(line.transaction_id.payment_id)
        subscription = paid.plan_id.filtered(lambda p: p.plan_type == "recurring")
        self.assertEqual(subscription.state, "running")
        self.assertEqual(subscription.amount_paid, 120.0)
        self.assertIn(paid.invoice_id.payment_state, ("paid", "in_payment"))
        # the running installment plan: on an invoice of its own in three
        # installments (not the open invoice, which the bank would pay), the
        # first due today and paid, the next two scheduled
        installment = running.filtered(lambda p: p.plan_type == "installment")
        self.assertEqual(len(installment), 1)
        self.assertNotIn(installment.invoice_id, self.open_invoices)
        self.assertIn(
            installment.partner_id, self.open_invoices.partner_id, "same customer"
        )
        self.assertEqual(
            installment.line_ids.mapped("amount"), [1440.0, 1080.0, 1080.0]
        )
        self.assertEqual(
            installment.line_ids.mapped("state"), ["paid", "pending", "pending"]
        )
        self.assertEqual(installment.line_ids[0].due_date, self.today)
        self.assertTrue(installment.line_ids[0].move_line_id.reconciled)
        self.assertEqual(installment.invoice_id.payment_state, "partial")
        self.assertEqual(
            drafts.invoice_id.invoice_payment_term_id,
            installment.invoice_id.invoice_payment_term_id,
        )

        # one customer's card is refused: tried 4 times over the last week by
        # the daily cron (retries 1, 2 and 4 days later), then given up
        failed = plans.line_ids.filtered(lambda line: line.state == "failed")
        self.assertEqual(len(failed), 1)
        plan = failed.plan_id
        self.assertEqual(plan.plan_type, "recurring")
        self.assertEqual(plan.state, "running")
        self.assertEqual(plan.failed_count, 1)
        self.assertEqual(plan.token_id.demo_simulated_state, "error")
        self.assertEqual(failed.due_date, self.today - timedelta(days=7))
        self.assertEqual(failed.attempts, plan.max_attempts)
        self.assertFalse(failed.next_attempt_date)
        self.assertEqual(len(failed.transaction_ids), 4)
        self.assertEqual(set(failed.transaction_ids.mapped("state")), {"error"})
        self.assertTrue(
            plan.activity_ids.filtered(lambda act: act.user_id == plan.user_id)
        )
        # its next periods are still scheduled
        self.assertEqual(set((plan.line_ids - failed).mapped("state")), {"pending"})
