"""Installment and recurring plans charged on saved tokens of the demo provider."""

import threading
from datetime import timedelta

from psycopg2 import IntegrityError

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.tests import Form, TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger
from odoo.tools.misc import format_date


class InstallmentCommon:
    """Demo provider, a customer with saved tokens, a 50/50 payment term."""

    @classmethod
    def _setup_installment_data(cls, env, login="sc_inst_sales"):
        data = {}
        data["provider"] = env.ref("payment.payment_provider_demo")
        data["provider"].write({"state": "test", "is_published": True})
        data["payment_method"] = env.ref("payment_demo.payment_method_demo")
        data["salesperson"] = new_test_user(
            env,
            login,
            groups="sales_closing.group_closing_user,sales_team.group_sale_salesman",
        )
        data["partner"] = env["res.partner"].create(
            {"name": "Installment Customer", "email": "inst@example.com"}
        )
        data["term"] = env["account.payment.term"].create(
            {
                "name": "50% now, 50% in 30 days",
                "line_ids": [
                    Command.create(
                        {"value": "percent", "value_amount": 50, "nb_days": 0}
                    ),
                    Command.create(
                        {"value": "percent", "value_amount": 50, "nb_days": 30}
                    ),
                ],
            }
        )
        data["product"] = env["product.product"].create(
            {
                "name": "Maintenance",
                "type": "service",
                "list_price": 100.0,
                "invoice_policy": "order",
                "taxes_id": [Command.clear()],
            }
        )
        return data

    @staticmethod
    def _token(env, data, state="done"):
        return env["payment.token"].create(
            {
                "provider_id": data["provider"].id,
                "payment_method_id": data["payment_method"].id,
                "payment_details": "4242",
                "partner_id": data["partner"].id,
                "provider_ref": f"demo-token-{state}",
                "demo_simulated_state": state,
            }
        )

    @staticmethod
    def _invoice(env, data, amount=200.0, invoice_date=None):
        invoice = env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": data["partner"].id,
                "invoice_date": invoice_date or fields.Date.today(),
                "invoice_payment_term_id": data["term"].id,
                "invoice_user_id": data["salesperson"].id,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Goods", "price_unit": amount, "tax_ids": []}
                    )
                ],
            }
        )
        invoice.action_post()
        return invoice


@tagged("post_install", "-at_install")
class TestInstallments(InstallmentCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.data = cls._setup_installment_data(cls.env)
        cls.partner = cls.data["partner"]
        cls.salesperson = cls.data["salesperson"]
        cls.token = cls._token(cls.env, cls.data, "done")
        cls.Plan = cls.env["sales.closing.installment.plan"]
        cls.Line = cls.env["sales.closing.installment.plan.line"]
        cls.today = fields.Date.today()

    def _invoice_plan(self, token=None, **values):
        invoice = self._invoice(self.env, self.data)
        plan = self.Plan.create(
            {
                "invoice_id": invoice.id,
                "partner_id": self.partner.id,
                "user_id": self.salesperson.id,
                "token_id": (token or self.token).id,
                **values,
            }
        )
        plan.action_start()
        return invoice, plan

    def _run(self, day=None):
        return self.Line._charge_due_lines(today=day or self.today, commit=False)

    # ------------------------------------------------------------------
    # Schedule
    # ------------------------------------------------------------------
    def test_plan_from_invoice_follows_payment_terms(self):
        """A plan on an invoice has one line per payment term line."""
        invoice, plan = self._invoice_plan()
        self.assertTrue(plan.name.startswith("PLAN/"))
        self.assertEqual(plan.state, "running")
        self.assertEqual(plan.line_ids.mapped("amount"), [100.0, 100.0])
        self.assertEqual(
            plan.line_ids.mapped("due_date"),
            [self.today, self.today + timedelta(days=30)],
        )
        self.assertEqual(
            plan.line_ids.mapped("next_attempt_date"), plan.line_ids.mapped("due_date")
        )
        self.assertEqual(plan.amount_total, invoice.amount_total)
        self.assertEqual(plan.next_charge_date, self.today)
        self.assertEqual(invoice.sales_closing_installment_plan_ids, plan)
        action = invoice.action_sales_closing_installment_plan()
        self.assertEqual(action["res_id"], plan.id)

    def test_plan_form_shows_the_schedule_before_saving(self):
        """The invoice button opens a form whose schedule is filled at once."""
        invoice = self._invoice(self.env, self.data)
        action = invoice.action_sales_closing_installment_plan()
        self.assertFalse(action.get("res_id"))
        with Form(self.Plan.with_context(**action["context"])) as form:
            self.assertEqual(form.partner_id, self.partner)
            self.assertEqual(form.token_id, self.token)
            self.assertEqual(len(form.line_ids), 2)
        plan = form.record
        self.assertEqual(plan.line_ids.mapped("amount"), [100.0, 100.0])
        self.assertEqual(plan.user_id, self.salesperson)

    def test_plan_refuses_more_than_the_invoice_residual(self):
        """Starting a plan that charges more than the invoice's residual fails."""
        invoice = self._invoice(self.env, self.data)
        plan = self.Plan.create(
            {
                "invoice_id": invoice.id,
                "partner_id": self.partner.id,
                "token_id": self.token.id,
            }
        )
        plan.line_ids[0].amount = 150.0
        with self.assertRaisesRegex(Exception, "only has"):
            plan.action_start()
        self.assertEqual(plan.state, "draft")

    def test_plan_from_order_splits_with_the_engine(self):
        """An order's multi-line payment term, or equal installments otherwise."""
        order = self._order(price=300.0, payment_term=self.data["term"])
        plan = self.Plan.create(
            {
                "sale_order_id": order.id,
                "partner_id": self.partner.id,
                "token_id": self.token.id,
            }
        )
        self.assertEqual(plan.line_ids.mapped("amount"), [150.0, 150.0])
        order_date = fields.Date.to_date(order.date_order)
        self.assertEqual(
            plan.line_ids.mapped("due_date"),
            [order_date, order_date + timedelta(days=30)],
        )
        single = self._order(price=100.0)
        plan = self.Plan.create(
            {
                "sale_order_id": single.id,
                "partner_id": self.partner.id,
                "token_id": self.token.id,
                "installment_count": 3,
                "interval": "quarterly",
                "start_date": "2026-01-31",
            }
        )
        self.assertEqual(plan.line_ids.mapped("amount"), [33.33, 33.33, 33.34])
        self.assertEqual(
            [fields.Date.to_string(day) for day in plan.line_ids.mapped("due_date")],
            ["2026-01-31", "2026-04-30", "2026-07-31"],
        )

    # ------------------------------------------------------------------
    # Charging
    # ------------------------------------------------------------------
    def test_cron_charges_due_installment_and_reconciles(self):
        """The cron charges the line due today on the token, the payment is
        reconciled with the invoice, the next line waits for its date."""
        invoice, plan = self._invoice_plan()
        first, second = plan.line_ids
        charged = self._run()
        self.assertEqual(charged, first)
        self.assertEqual(first.state, "paid")
        self.assertEqual(first.attempts, 1)
        tx = first.transaction_id
        self.assertEqual(tx.state, "done")
        self.assertEqual(tx.operation, "offline")
        self.assertEqual(tx.token_id, self.token)
        self.assertEqual(tx.reference, f"{plan.name}-1-1")
        self.assertEqual(tx.invoice_ids, invoice)
        self.assertTrue(tx.payment_id)
        self.assertEqual(invoice.amount_residual, 100.0)
        self.assertEqual(invoice.payment_state, "partial")
        self.assertEqual(second.state, "pending")
        self.assertEqual(plan.amount_paid, 100.0)
        self.assertEqual(plan.state, "running")
        # the last installment, 30 days later
        self._run(self.today + timedelta(days=30))
        self.assertEqual(second.state, "paid")
        self.assertEqual(plan.state, "done")
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        self.assertEqual(len(plan.line_ids.transaction_ids), 2)

    def test_notifications_customer_and_salesperson(self):
        """Success: the customer gets the template email, the salesperson a note."""
        _invoice, plan = self._invoice_plan()
        self._run()
        to_customer = plan.message_ids.filtered(
            lambda message: (
                self.partner in message.partner_ids
                and message.subtype_id == self.env.ref("mail.mt_comment")
            )
        )
        self.assertEqual(len(to_customer), 1)
        self.assertIn("installment 1", to_customer.subject)
        self.assertIn("We charged", to_customer.body)
        to_salesperson = plan.message_ids.filtered(
            lambda message: self.salesperson.partner_id in message.partner_ids
        )
        self.assertEqual(len(to_salesperson), 1)
        self.assertIn("was charged", to_salesperson.body)

    def test_failed_charge_retries_with_back_off_then_gives_up(self):
        """Failures are retried 1, 2 and 4 days later; the 4th failure gives the
        line up, emails the customer and gives the salesperson an activity."""
        failing = self._token(self.env, self.data, "error")
        invoice, plan = self._invoice_plan(token=failing)
        line = plan.line_ids[0]
        day = self.today
        expected_next = [1, 2, 4]
        for attempt, delay in enumerate(expected_next, start=1):
            self._run(day)
            self.assertEqual(line.state, "retrying")
            self.assertEqual(line.attempts, attempt)
            self.assertEqual(line.next_attempt_date, day + timedelta(days=delay))
            self.assertEqual(line.transaction_id.state, "error")
            self.assertEqual(line.transaction_id.reference, f"{plan.name}-1-{attempt}")
            # nothing happens before the retry date
            self.assertFalse(self._run(day + timedelta(days=delay - 1)))
            self.assertEqual(line.attempts, attempt)
            day += timedelta(days=delay)
        self._run(day)
        self.assertEqual(line.state, "failed")
        self.assertEqual(line.attempts, 4)
        self.assertFalse(line.next_attempt_date)
        self.assertEqual(len(line.transaction_ids), 4)
        self.assertEqual(invoice.amount_residual, 200.0)
        self.assertFalse(
            self._run(day + timedelta(days=10)).filtered(
                lambda charged: charged == line
            )
        )
        activity = plan.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.salesperson)
        failures = plan.message_ids.filtered(
            lambda message: self.partner in message.partner_ids
        )
        self.assertEqual(len(failures), 4)
        self.assertTrue(all("could not charge" in message.body for message in failures))
        self.assertEqual(plan.failed_count, 1)

    def test_two_runs_never_charge_twice(self):
        """A second run (same day or later) does not charge a paid line again."""
        _invoice, plan = self._invoice_plan()
        self.assertEqual(len(self._run()), 1)
        self.assertFalse(self._run())
        self.assertFalse(self._run(self.today + timedelta(days=1)))
        self.assertEqual(len(plan.line_ids.transaction_ids), 1)

    def test_processing_line_is_never_charged_again(self):
        """A run that stopped after marking a line (crash before the provider's
        answer) leaves it processing: later runs do not charge it again, and
        apply the transaction's result once the provider confirms it."""
        _invoice, plan = self._invoice_plan()
        line = plan.line_ids[0]
        prepared = self.Line._lock_due_lines(self.today, 10)._prepare_charges()
        self.assertEqual(prepared, line)
        self.assertEqual(line.state, "processing")
        self.assertEqual(line.transaction_id.state, "draft")
        self.assertFalse(self._run())
        self.assertEqual(len(line.transaction_ids), 1)
        line.transaction_id.sudo().action_demo_set_done()
        self._run()
        self.assertEqual(line.state, "paid")
        self.assertEqual(len(line.transaction_ids), 1)

    def test_unique_reference_blocks_a_second_charge_of_the_same_attempt(self):
        """Even a run that bypassed the locks cannot create the same charge twice:
        the transaction reference of (plan, line, attempt) is unique."""
        _invoice, plan = self._invoice_plan()
        line = plan.line_ids[0]
        self.Line._lock_due_lines(self.today, 10)._prepare_charges()
        tx = line.transaction_id
        with (
            self.assertRaises(IntegrityError),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            tx.copy({"reference": line._charge_reference(1)})
        self.assertEqual(
            self.env["payment.transaction"]
            .sudo()
            .search_count([("reference", "=", f"{plan.name}-1-1")]),
            1,
        )

    def test_archived_token_fails_without_transaction(self):
        """An archived token is a failed attempt, with no transaction."""
        token = self._token(self.env, self.data, "done")
        _invoice, plan = self._invoice_plan(token=token)
        token.active = False
        self._run()
        line = plan.line_ids[0]
        self.assertEqual(line.state, "retrying")
        self.assertFalse(line.transaction_id)
        self.assertIn("archived", line.last_error)

    def test_invoice_paid_otherwise_is_not_charged(self):
        """An installment already paid by other means is marked paid, not charged."""
        invoice, plan = self._invoice_plan()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"amount": 200.0})._create_payments()
        self._run()
        self.assertEqual(plan.line_ids[0].state, "paid")
        self.assertFalse(plan.line_ids.transaction_ids)

    def test_installment_paid_on_its_own_is_not_charged_again(self):
        """The customer paid installment 1 himself (portal, transfer): the cron
        does not charge it, nor takes installment 2's money early."""
        invoice, plan = self._invoice_plan()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"amount": 100.0})._create_payments()
        self._run()
        first, second = plan.line_ids
        self.assertEqual(first.state, "paid")
        self.assertFalse(first.transaction_ids)
        self.assertEqual(second.state, "pending")
        self.assertEqual(invoice.amount_residual, 100.0)
        self._run(second.due_date)
        self.assertEqual(second.state, "paid")
        self.assertEqual(second.transaction_id.amount, 100.0)
        self.assertEqual(plan.state, "done")

    def test_cancel_stops_charges(self):
        """A cancelled plan is not charged."""
        _invoice, plan = self._invoice_plan()
        plan.action_cancel()
        self.assertFalse(self._run())
        self.assertEqual(set(plan.line_ids.mapped("state")), {"cancelled"})

    # ------------------------------------------------------------------
    # Recurring
    # ------------------------------------------------------------------
    def _order(self, price=100.0, payment_term=None):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.partner.id,
                "user_id": self.salesperson.id,
                "payment_term_id": payment_term.id if payment_term else False,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.data["product"].id,
                            "product_uom_qty": 1,
                            "price_unit": price,
                            "tax_id": [Command.clear()],
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        return order

    def test_order_installments_are_charged_on_the_order(self):
        """An installment plan on a confirmed order charges the token with the
        transaction linked to the order (no invoice yet); "Charge Due Now" goes
        through the same locked path as the cron."""
        order = self._order(price=90.0)
        plan = self.Plan.create(
            {
                "sale_order_id": order.id,
                "partner_id": self.partner.id,
                "user_id": self.salesperson.id,
                "token_id": self.token.id,
                "installment_count": 3,
                "start_date": self.today,
            }
        )
        plan.action_start()
        self.assertTrue(plan.action_charge_now())
        first = plan.line_ids[0]
        self.assertEqual(first.state, "paid")
        self.assertEqual(first.transaction_id.sale_order_ids, order)
        self.assertEqual(first.transaction_id.amount, 30.0)
        self.assertTrue(first.transaction_id.payment_id)
        self.assertEqual(plan.line_ids[1:].mapped("state"), ["pending", "pending"])
        plan.action_charge_now()
        self.assertEqual(len(plan.line_ids.transaction_ids), 1)

    def test_recurring_plan_invoices_and_charges_each_period(self):
        """Each monthly period: an invoice is posted, charged and reconciled."""
        order = self._order(price=120.0)
        plan = self.Plan.create(
            {
                "plan_type": "recurring",
                "sale_order_id": order.id,
                "partner_id": self.partner.id,
                "user_id": self.salesperson.id,
                "token_id": self.token.id,
                "interval": "monthly",
                "period_count": 3,
                "start_date": self.today,
            }
        )
        self.assertEqual(len(plan.line_ids), 3)
        plan.action_start()
        self._run()
        first = plan.line_ids[0]
        self.assertEqual(first.state, "paid")
        invoice = first.invoice_id
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.amount_total, 120.0)
        self.assertEqual(invoice.invoice_origin, order.name)
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        self.assertEqual(first.transaction_id.invoice_ids, invoice)
        self.assertFalse(plan.line_ids[1].invoice_id)
        # the order itself is invoiced once, by the usual flow, not per period
        self.assertFalse(order.invoice_ids)
        second_day = plan.line_ids[1].due_date
        self._run(second_day)
        second = plan.line_ids[1]
        self.assertEqual(second.state, "paid")
        self.assertNotEqual(second.invoice_id, invoice)
        # the period as the customer reads dates, in the customer's language
        customer_env = self.env(
            context=dict(self.env.context, lang=order.partner_id.lang)
        )
        self.assertIn(format_date(customer_env, second_day), second.invoice_id.ref)
        self.assertEqual(plan.invoice_count, 2)
        self.assertEqual(plan.transaction_count, 2)

    def test_recurring_failure_keeps_the_period_invoice(self):
        """A failed period charge is retried on the same invoice, not a new one."""
        order = self._order(price=80.0)
        failing = self._token(self.env, self.data, "error")
        plan = self.Plan.create(
            {
                "plan_type": "recurring",
                "sale_order_id": order.id,
                "partner_id": self.partner.id,
                "token_id": failing.id,
                "period_count": 2,
                "interval": "quarterly",
                "start_date": self.today,
            }
        )
        plan.action_start()
        self._run()
        line = plan.line_ids[0]
        invoice = line.invoice_id
        self.assertEqual(line.state, "retrying")
        self.assertEqual(invoice.amount_residual, 80.0)
        plan.token_id = self.token
        self._run(line.next_attempt_date)
        self.assertEqual(line.state, "paid")
        self.assertEqual(line.invoice_id, invoice)
        self.assertEqual(line.transaction_id.invoice_ids, invoice)
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        self.assertEqual(
            self.env["account.move"].search_count(
                [("invoice_origin", "=", order.name), ("move_type", "=", "out_invoice")]
            ),
            1,
        )


@tagged("post_install", "-at_install")
class TestInstallmentConcurrency(InstallmentCommon, TransactionCase):
    """Two database cursors run the cron at the same time (committed data)."""

    def setUp(self):
        super().setUp()
        self.registry_cursors = []
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            data = self._setup_installment_data(env, login="sc_inst_concurrent")
            token = self._token(env, data, "done")
            invoices = self._invoice(env, data) | self._invoice(env, data)
            plans = env["sales.closing.installment.plan"].create(
                [
                    {
                        "invoice_id": invoice.id,
                        "partner_id": data["partner"].id,
                        "token_id": token.id,
                    }
                    for invoice in invoices
                ]
            )
            plans.action_start()
            cr.commit()  # pylint: disable=invalid-commit
            self.ids = {
                "plans": plans.ids,
                "invoices": invoices.ids,
                "token": token.id,
                "partner": data["partner"].id,
                "term": data["term"].id,
                "product": data["product"].id,
                "user": data["salesperson"].id,
            }
        self.addCleanup(self._cleanup)

    def _cursor_env(self):
        cr = self.registry.cursor()
        self.registry_cursors.append(cr)
        return api.Environment(cr, SUPERUSER_ID, {})

    def _cleanup(self):
        for cr in self.registry_cursors:
            if not cr.closed:
                cr.rollback()
                cr.close()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            plans = env["sales.closing.installment.plan"].browse(self.ids["plans"])
            transactions = plans.line_ids.transaction_ids
            payments = transactions.payment_id
            plans.unlink()
            payments.action_draft()
            payments.unlink()
            transactions.unlink()
            invoices = env["account.move"].browse(self.ids["invoices"])
            invoices.button_draft()
            invoices.with_context(force_delete=True).unlink()
            env["payment.token"].browse(self.ids["token"]).unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()
            env["account.payment.term"].browse(self.ids["term"]).unlink()
            env["product.product"].browse(self.ids["product"]).unlink()
            env["res.users"].browse(self.ids["user"]).unlink()
            cr.commit()  # pylint: disable=invalid-commit

    def test_two_cursors_never_charge_twice(self):
        """Cursor A holds the due lines (locked, marked, not yet committed);
        cursor B's cron run at the same moment skips them and charges nothing.
        After A commits, another run of B finds nothing due either."""
        env_a = self._cursor_env()
        env_b = self._cursor_env()
        today = fields.Date.today()
        line_model_a = env_a["sales.closing.installment.plan.line"]
        line_model_b = env_b["sales.closing.installment.plan.line"]
        locked = line_model_a._lock_due_lines(today, 100)
        self.assertEqual(len(locked), 2, "the first line of each plan is due today")
        prepared = locked._prepare_charges()
        charged_b = line_model_b._charge_due_lines(today=today, commit=True)
        self.assertFalse(charged_b, "B skipped the rows locked by A")
        env_a.cr.commit()  # A's marks are now visible, its locks released
        for line in prepared:
            line._send_charge()
        env_a.cr.commit()
        charged_b = line_model_b._charge_due_lines(today=today, commit=True)
        self.assertFalse(charged_b, "the processing/paid lines are not due any more")
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            plans = env["sales.closing.installment.plan"].browse(self.ids["plans"])
            self.assertEqual(plans.line_ids.mapped("state"), ["paid", "pending"] * 2)
            transactions = plans.line_ids.transaction_ids
            self.assertEqual(len(transactions), 2)
            self.assertEqual(set(transactions.mapped("state")), {"done"})
            for invoice in env["account.move"].browse(self.ids["invoices"]):
                self.assertEqual(invoice.amount_residual, 100.0)

    def test_two_simultaneous_cron_runs_in_threads(self):
        """Two cron runs started at the same instant (two threads, two cursors,
        committing as the real cron does) charge each due line exactly once."""
        barrier = threading.Barrier(2)
        results, errors = [], []

        def run():
            threading.current_thread().testing = True  # no real email
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    barrier.wait(timeout=20)
                    lines = env[
                        "sales.closing.installment.plan.line"
                    ]._charge_due_lines(commit=True)
                    results.append(lines.ids)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

        threads = [threading.Thread(target=run) for _index in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertFalse(errors)
        charged = [line_id for ids in results for line_id in ids]
        self.assertEqual(len(charged), 2)
        self.assertEqual(len(set(charged)), 2, "no line charged by both runs")
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            plans = env["sales.closing.installment.plan"].browse(self.ids["plans"])
            transactions = plans.line_ids.transaction_ids
            self.assertEqual(len(transactions), 2)
            self.assertEqual(set(transactions.mapped("state")), {"done"})
            self.assertEqual(plans.line_ids.mapped("state"), ["paid", "pending"] * 2)

    def test_concurrent_run_waits_nothing_and_stale_run_is_refused(self):
        """B runs while A is between marking and committing (B gets nothing);
        a stale run that would retry A's attempt is refused by the unique
        transaction reference."""
        env_a = self._cursor_env()
        env_b = self._cursor_env()
        today = fields.Date.today()
        charged_a = env_a["sales.closing.installment.plan.line"]._lock_due_lines(
            today, 1
        )
        self.assertEqual(len(charged_a), 1)
        # B locks the other due line only (SKIP LOCKED), never A's
        charged_b = env_b["sales.closing.installment.plan.line"]._lock_due_lines(
            today, 10
        )
        self.assertEqual(len(charged_b), 1)
        self.assertNotEqual(charged_a.id, charged_b.id)
        charged_a._prepare_charges()
        env_a.cr.commit()
        stale = env_b["sales.closing.installment.plan.line"].browse(charged_a.id)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            env_b["payment.transaction"].create(
                {
                    "provider_id": stale.plan_id.token_id.provider_id.id,
                    "payment_method_id": stale.plan_id.token_id.payment_method_id.id,
                    "reference": stale._charge_reference(1),
                    "amount": 100.0,
                    "currency_id": stale.currency_id.id,
                    "partner_id": stale.plan_id.partner_id.id,
                    "token_id": stale.plan_id.token_id.id,
                    "operation": "offline",
                }
            )
            env_b.flush_all()
        env_b.cr.rollback()
