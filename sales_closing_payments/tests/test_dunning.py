from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged

from ..models.sales_closing_dunning_run import DUNNING_LOCK


@tagged("post_install", "-at_install")
class TestDunning(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        Level = cls.env["sales.closing.dunning.level"]
        Level.search([("company_id", "=", cls.company.id)]).unlink()
        cls.levels = Level._create_default_levels(cls.company)
        cls.courtesy, cls.first, cls.second, cls.final = cls.levels.sorted("sequence")
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Slow Payer Ltd",
                "email": "ap@slowpayer.example",
                "is_company": True,
            }
        )
        cls.other = cls.env["res.partner"].create(
            {"name": "Other Customer", "email": "ap@other.example", "is_company": True}
        )
        cls.accountant = new_test_user(
            cls.env,
            "dun_accountant",
            groups="sales_closing.group_closing_accountant,account.group_account_invoice",
        )
        cls.salesman = new_test_user(
            cls.env,
            "dun_sales",
            groups="sales_closing.group_closing_user,sales_team.group_sale_salesman",
        )
        cls.manager = new_test_user(
            cls.env,
            "dun_manager",
            groups="sales_closing.group_closing_manager,sales_team.group_sale_manager",
        )
        cls.Run = cls.env["sales.closing.dunning.run"]
        cls.Case = cls.env["sales.closing.collection.case"]
        cls.product = cls.env["product.product"].create(
            {"name": "Dunning Widget", "list_price": 50.0, "taxes_id": False}
        )

    def _invoice(self, amount, due_in_days, partner=None):
        """A posted invoice due ``due_in_days`` from today (negative: overdue)."""
        due = self.today + timedelta(days=due_in_days)
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": (partner or self.customer).id,
                "invoice_date": min(due, self.today),
                "invoice_date_due": due,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Service", "price_unit": amount, "tax_ids": False}
                    )
                ],
            }
        )
        move.invoice_date_due = due
        move.action_post()
        return move

    def _pay(self, invoice, amount=None, day=None):
        values = {"payment_date": day or self.today}
        if amount is not None:
            values["amount"] = amount
        return (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(values)
            ._create_payments()
        )

    def _plan(self, today=None):
        return self.Run._plan(self.company, today or self.today)

    # ------------------------------------------------------------------
    def test_levels_before_and_after_due(self):
        soon = self._invoice(100.0, 3)  # courtesy level: 3 days before due
        later = self._invoice(100.0, 10)  # nothing yet
        overdue_8 = self._invoice(200.0, -8)  # first level
        overdue_20 = self._invoice(300.0, -20)  # second level, first jumped
        run = self._plan()
        by_invoice = {line.invoice_id: line for line in run.line_ids}
        self.assertEqual(by_invoice[soon].level_id, self.courtesy)
        self.assertEqual(by_invoice[soon].days_overdue, -3)
        self.assertNotIn(later, by_invoice)
        self.assertEqual(by_invoice[overdue_8].level_id, self.first)
        self.assertEqual(by_invoice[overdue_20].level_id, self.second)
        self.assertIn(self.first.name, by_invoice[overdue_20].skipped_levels)
        self.assertEqual(by_invoice[overdue_20].amount_company, 300.0)
        self.assertEqual(run.state, "draft")
        self.assertEqual(run.partner_count, 1)
        # nothing is sent in review mode
        self.assertEqual(set(run.line_ids.mapped("state")), {"draft"})
        self.assertFalse(overdue_20.sales_closing_dunning_level_id)
        # the level below the tolerance is left out
        self.company.sales_closing_dunning_tolerance = 150.0
        tiny = self._invoice(120.0, -8, partner=self.other)
        self.assertFalse(
            self._plan().line_ids.filtered(lambda line: line.invoice_id == tiny)
        )

    def test_review_send_and_skip(self):
        overdue = self._invoice(200.0, -8)
        blocking = self._invoice(300.0, -20)
        other = self._invoice(50.0, -8, partner=self.other)
        run = self._plan()
        other_line = run.line_ids.filtered(lambda line: line.invoice_id == other)
        other_line.with_user(self.accountant).action_skip()
        self.assertEqual(other_line.state, "skipped")
        messages_before = self.customer.message_ids
        run.with_user(self.accountant).action_send()
        lines = run.line_ids - other_line
        self.assertEqual(set(lines.mapped("state")), {"sent"}, lines.mapped("error"))
        self.assertEqual(run.state, "done")
        # one email for the customer, listing both invoices, with the letter
        message = self.customer.message_ids - messages_before
        self.assertEqual(len(message), 1)
        self.assertIn(self.customer, message.partner_ids)
        self.assertIn(overdue.name, message.body)
        self.assertIn(blocking.name, message.body)
        self.assertEqual(len(message.attachment_ids), 1)
        self.assertEqual(lines.mail_message_id, message)
        # each invoice records its level and gets a note with the letter
        self.assertEqual(overdue.sales_closing_dunning_level_id, self.first)
        self.assertEqual(blocking.sales_closing_dunning_level_id, self.second)
        note = blocking.message_ids.filtered(
            lambda m: self.second.name in (m.body or "")
        )
        self.assertTrue(note)
        self.assertEqual(note[0].attachment_ids, message.attachment_ids)
        # the skipped invoice is not reminded and its level is not planned again
        self.assertFalse(other.sales_closing_dunning_level_id)
        self.assertFalse(self.customer.message_ids - messages_before - message)
        run_again = self._plan()
        self.assertFalse(run_again)
        with self.assertRaises(UserError):
            run.with_user(self.accountant).action_send()

    def test_letter_lists_invoices(self):
        overdue = self._invoice(200.0, -20)
        run = self._plan()
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html(
                "sales_closing_payments.action_report_dunning_letter",
                run.line_ids.ids,
            )[0]
            .decode()
        )
        self.assertIn(overdue.name, html)
        self.assertIn(self.second.name, html)
        self.assertIn(self.customer.name, html)

    def test_automatic_send_and_no_resend(self):
        self.company.sales_closing_dunning_auto_send = True
        invoice = self._invoice(200.0, -8)
        runs = self.Run._cron_dunning(today=self.today)
        run = runs.filtered(lambda r: r.company_id == self.company)
        self.assertEqual(run.state, "done")
        self.assertEqual(run.line_ids.state, "sent")
        self.assertEqual(invoice.sales_closing_dunning_level_id, self.first)
        # the cron run twice the same day or the day after sends nothing new
        self.Run._cron_dunning(today=self.today)
        self.Run._cron_dunning(today=self.today + timedelta(days=1))
        lines = self.env["sales.closing.dunning.line"].search(
            [("invoice_id", "=", invoice.id)]
        )
        self.assertEqual(len(lines), 1)
        # a week later the next level is due, sent once
        later = self.today + timedelta(days=7)
        self.Run._cron_dunning(today=later)
        self.Run._cron_dunning(today=later)
        lines = self.env["sales.closing.dunning.line"].search(
            [("invoice_id", "=", invoice.id)]
        )
        self.assertEqual(lines.level_id, self.first | self.second)
        self.assertEqual(invoice.sales_closing_dunning_level_id, self.second)
        # paid invoices are no longer reminded
        self._pay(invoice)
        self.Run._cron_dunning(today=self.today + timedelta(days=30))
        self.assertEqual(
            self.env["sales.closing.dunning.line"].search_count(
                [("invoice_id", "=", invoice.id)]
            ),
            2,
        )

    def test_escalation_after_last_level(self):
        self.company.sales_closing_dunning_auto_send = True
        self.company.sales_closing_collection_user_id = self.accountant
        invoice = self._invoice(500.0, -35)
        other_invoice = self._invoice(80.0, -2)
        self.Run._cron_dunning(today=self.today)
        self.assertEqual(invoice.sales_closing_dunning_level_id, self.final)
        case = self.Case.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(case), 1)
        self.assertEqual(case.reason, "last_level")
        self.assertEqual(case.user_id, self.accountant)
        self.assertEqual(case.invoice_ids, invoice | other_invoice)
        self.assertEqual(case.amount_escalated, 580.0)
        self.assertEqual(case.amount_due, 580.0)
        self.assertFalse(case.stage_id.is_closed)
        self.assertTrue(case.activity_ids)
        # idempotent: no second case while this one is open
        self.Run._cron_dunning(today=self.today + timedelta(days=1))
        self.assertEqual(
            self.Case.search_count([("partner_id", "=", self.customer.id)]), 1
        )
        # paid: the case closes itself
        self._pay(invoice)
        self._pay(other_invoice)
        self.assertEqual(case.amount_due, 0.0)
        self.assertEqual(case.amount_collected, 580.0)
        self.Run._cron_dunning(today=self.today + timedelta(days=1))
        self.assertTrue(case.is_closed)
        self.assertEqual(case.date_closed, self.today)

    def test_no_escalation_under_pending_promise(self):
        self._invoice(500.0, -35)
        case = self.Case.create(
            {"partner_id": self.customer.id, "company_id": self.company.id}
        )
        self.env["sales.closing.payment.promise"].create(
            {
                "case_id": case.id,
                "date": self.today + timedelta(days=5),
                "amount": 500.0,
            }
        )
        case.action_close()
        # the promise is still open: no reminder and no escalation meanwhile
        runs = self.Run._cron_dunning(today=self.today)
        self.assertFalse(runs.filtered(lambda r: r.company_id == self.company))
        self.assertEqual(
            self.Case.search_count([("partner_id", "=", self.customer.id)]), 1
        )

    def test_promise_kept_and_broken(self):
        invoice = self._invoice(400.0, -20)
        case = self.Case.with_user(self.accountant).create(
            {
                "partner_id": self.customer.id,
                "invoice_ids": [Command.set(invoice.ids)],
            }
        )
        self.assertEqual(case.name[:4], "COL/")
        Promise = self.env["sales.closing.payment.promise"].with_user(self.accountant)
        broken = Promise.create(
            {
                "case_id": case.id,
                "date_made": self.today - timedelta(days=10),
                "date": self.today - timedelta(days=3),
                "amount": 100.0,
            }
        )
        self.assertEqual(broken.state, "broken")
        self.assertEqual(case.promise_state, "broken")
        case.invalidate_recordset()
        self.assertTrue(case.activity_ids)
        promise = Promise.create(
            {
                "case_id": case.id,
                "date": self.today + timedelta(days=5),
                "amount": 250.0,
            }
        )
        self.assertEqual(promise.state, "open")
        self.assertEqual(case.amount_promised, 250.0)
        # 200 paid today: not enough for both promises (100 + 250)
        self._pay(invoice, amount=200.0)
        case.action_refresh()
        self.assertEqual(promise.state, "open")
        self._pay(invoice, amount=150.0)
        self.env["sales.closing.payment.promise"]._cron_update_states()
        self.assertEqual(promise.state, "kept")
        self.assertEqual(broken.state, "broken")  # paid late: still broken
        self.assertEqual(case.promise_state, "kept")
        self.assertEqual(case.amount_due, 50.0)
        with self.assertRaises(ValidationError):
            Promise.create({"case_id": case.id, "date": self.today, "amount": -5.0})

    def _order(self, partner=None):
        return (
            self.env["sale.order"]
            .with_user(self.salesman)
            .create(
                {
                    "partner_id": (partner or self.customer).id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": self.product.id,
                                "product_uom_qty": 1,
                                "tax_id": False,
                            }
                        )
                    ],
                }
            )
        )

    def test_order_block(self):
        self.company.sales_closing_dunning_auto_send = True
        first = self._invoice(100.0, -8)
        self.Run._cron_dunning(today=self.today)
        # the first level does not block
        order = self._order()
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        # the second level blocks, naming the customer and the invoice
        self.Run._cron_dunning(today=self.today + timedelta(days=8))
        self.assertEqual(first.sales_closing_dunning_level_id, self.second)
        blocked = self._order()
        self.assertTrue(first.sales_closing_dunning_level_id.block_orders)
        with self.assertRaisesRegex(UserError, f"Slow Payer Ltd.*{first.name}"):
            blocked.action_confirm()
        self.assertEqual(blocked.state, "draft")
        # other customers are not blocked
        other_order = self._order(partner=self.other)
        other_order.action_confirm()
        self.assertEqual(other_order.state, "sale")
        # a manager's override lets one order through
        blocked.with_user(self.manager)._sales_closing_set_override("Paid in cash")
        blocked.action_confirm()
        self.assertEqual(blocked.state, "sale")
        # paid: no more block
        self._pay(first)
        self._order().action_confirm()

    def test_case_blocks_orders(self):
        invoice = self._invoice(100.0, -2)
        case = self.Case.create(
            {"partner_id": self.customer.id, "invoice_ids": [Command.set(invoice.ids)]}
        )
        order = self._order()
        with self.assertRaisesRegex(UserError, f"{case.name}.*{invoice.name}"):
            order.action_confirm()
        case.block_orders = False
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_report_figures(self):
        self.company.sales_closing_dunning_auto_send = True
        invoice = self._invoice(600.0, -35)
        small = self._invoice(100.0, -8, partner=self.other)
        self.Run._cron_dunning(today=self.today)
        case = self.Case.search([("partner_id", "=", self.customer.id)])
        self.env["sales.closing.payment.promise"].create(
            {
                "case_id": case.id,
                "date": self.today + timedelta(days=3),
                "amount": 250.0,
            }
        )
        self._pay(invoice, amount=200.0)
        self._pay(small)
        Report = self.env["sales.closing.collection.report"]
        partners = (self.customer | self.other).ids
        rows = Report._read_group(
            [("partner_id", "in", partners)],
            ["partner_id"],
            [
                "amount_due:sum",
                "amount_reminded:sum",
                "amount_collected:sum",
                "amount_promised:sum",
                "amount_escalated:sum",
            ],
        )
        figures = {partner: values for partner, *values in rows}
        self.assertEqual(figures[self.customer], [600.0, 600.0, 200.0, 250.0, 600.0])
        self.assertEqual(figures[self.other], [100.0, 100.0, 100.0, 0.0, 0.0])
        # monthly grouping sums the same figures
        months = Report._read_group(
            [("partner_id", "in", partners), ("kind", "=", "collected")],
            ["date:month"],
            ["amount_collected:sum"],
        )
        self.assertEqual(sum(amount for _month, amount in months), 300.0)

    def test_security_and_companies(self):
        self._invoice(100.0, -8)
        run = self._plan()
        with self.assertRaises(AccessError):
            run.with_user(self.salesman).read(["name"])
        other_company = self.env["res.company"].create({"name": "Dunning Other Co"})
        # a new company gets its default levels
        levels = self.env["sales.closing.dunning.level"].search(
            [("company_id", "=", other_company.id)]
        )
        self.assertEqual(levels.mapped("days"), [-3, 7, 15, 30])
        self.assertEqual(levels.sorted("sequence")[-1:].is_last, True)
        # in a default policy of its own
        policy = other_company.sales_closing_dunning_policy_id
        self.assertEqual(levels.policy_id, policy)
        self.assertEqual(policy.company_id, other_company)
        self.accountant.write(
            {
                "company_ids": [Command.link(other_company.id)],
                "company_id": other_company.id,
            }
        )
        visible = (
            self.Run.with_user(self.accountant)
            .with_context(allowed_company_ids=other_company.ids)
            .search([])
        )
        self.assertNotIn(run, visible)
        Policy = self.env["sales.closing.dunning.policy"].with_user(self.accountant)
        self.assertEqual(
            Policy.with_context(allowed_company_ids=other_company.ids).search([]),
            policy,
        )
        with self.assertRaises(AccessError):
            Policy.create({"name": "Mine", "company_id": other_company.id})
        with self.assertRaises(ValidationError):
            levels[1].days = -10  # must come after the courtesy level
            levels.flush_recordset()

    def test_demo_loader(self):
        overdue = self._invoice(300.0, -20)
        self._invoice(100.0, -8, partner=self.other)
        # paid: its payment is in the bank, not matched yet
        in_bank = self._invoice(150.0, -10)
        journal = self.env["account.journal"].search(
            [("company_id", "=", self.company.id), ("type", "=", "bank")], limit=1
        )
        self.env["account.bank.statement.line"].create(
            {
                "journal_id": journal.id,
                "date": self.today - timedelta(days=2),
                "payment_ref": f"Payment {in_bank.name} {self.customer.name}",
                "amount": 150.0,
            }
        )
        self.env["sales.closing.payments.demo"]._demo_dunning(self.today)
        run = self.Run.search(
            [("company_id", "=", self.company.id), ("date", "=", self.today)]
        )
        self.assertEqual(len(run.line_ids), 4)
        self.assertNotIn(in_bank, run.line_ids.invoice_id)
        self.assertFalse(in_bank.sales_closing_dunning_level_id)
        # the most overdue customer gets a long overdue invoice, is reminded
        # and escalated automatically, with a broken and an open promise
        self.assertEqual(overdue.sales_closing_dunning_level_id, self.second)
        case = self.Case.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(case.reason, "last_level")
        # (with the invoice paid in the bank, until it is matched)
        self.assertEqual(len(case.invoice_ids), 3)
        self.assertIn(overdue, case.invoice_ids)
        self.assertEqual(case.amount_due, 300.0 + 4870.0 + 150.0)
        self.assertEqual(sorted(case.promise_ids.mapped("state")), ["broken", "open"])
        # the other customer's reminders wait for review, at the first level
        # of the second demo policy it follows; one lists a partly paid
        # invoice at what is left
        other_lines = run.line_ids.filtered(lambda line: line.partner_id == self.other)
        self.assertEqual(set(other_lines.mapped("state")), {"draft"})
        strict = self.other.with_company(self.company).sales_closing_dunning_policy_id
        self.assertEqual(strict.name, "Strict")
        self.assertEqual(other_lines.level_id, strict.level_ids.sorted("sequence")[0])
        self.assertEqual(sorted(other_lines.mapped("amount_residual")), [100.0, 750.0])
        self.assertEqual(run.amount_total, 850.0 + 300.0 + 4870.0)
        self.assertEqual(
            strict.level_ids.mapped("computation_mode"), ["due", "previous"]
        )

    def test_concurrent_planning(self):
        self._invoice(200.0, -8)
        # another transaction planning the same company: this one stands back
        with self.registry.cursor() as other_cr:
            other_cr.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)",
                (DUNNING_LOCK, self.company.id),
            )
            self.assertFalse(self._plan())
        run = self._plan()
        self.assertEqual(len(run.line_ids), 1)
        self.assertEqual(self._plan(), self.Run)
        self.assertEqual(len(run.line_ids), 1)

    def test_bounced_email_sets_error(self):
        self._invoice(200.0, -8)
        run = self._plan()
        run.action_send()
        line = run.line_ids
        self.assertEqual(line.state, "sent")
        mail = self.env["mail.mail"].search(
            [("mail_message_id", "=", line.mail_message_id.id)]
        )
        self.assertTrue(mail)
        mail._postprocess_sent_message(
            success_pids=[],
            failure_reason="550 mailbox unknown",
            failure_type="mail_smtp",
        )
        self.assertEqual(line.state, "error")
        self.assertIn("550 mailbox unknown", line.error)
        self.assertEqual(run.state, "draft")
        # resent from the run
        run.action_send()
        self.assertEqual(line.state, "sent")

    def test_send_one_line_lists_only_it(self):
        first = self._invoice(200.0, -8)
        second = self._invoice(300.0, -9)
        run = self._plan()
        line = run.line_ids.filtered(lambda item: item.invoice_id == first)
        line.with_user(self.accountant).action_send()
        body = line.mail_message_id.body
        self.assertIn(first.name, body)
        self.assertNotIn(second.name, body)
        self.assertEqual(run.state, "draft")
        self.assertEqual(run.to_send_count, 1)

    # ------------------------------------------------------------------
    # Policies, date computation modes, manual level changes
    # ------------------------------------------------------------------
    def _policy(self, name, levels, partner=None):
        """A policy of the company with ``levels`` ``(name, mode, days)``,
        followed by ``partner`` when given."""
        policy = self.env["sales.closing.dunning.policy"].create(
            {
                "name": name,
                "company_id": self.company.id,
                "level_ids": [
                    Command.create(
                        {
                            "name": level_name,
                            "sequence": (index + 1) * 10,
                            "computation_mode": mode,
                            "days": days,
                        }
                    )
                    for index, (level_name, mode, days) in enumerate(levels)
                ],
            }
        )
        if partner:
            partner.with_company(self.company).sales_closing_dunning_policy_id = policy
        return policy

    def _line_of(self, run, invoice):
        return run.line_ids.filtered(lambda line: line.invoice_id == invoice)

    def test_customer_policy_wins_over_company_default(self):
        self.assertEqual(
            self.company.sales_closing_dunning_policy_id, self.first.policy_id
        )
        strict = self._policy(
            "Strict", [("Firm", "due", 1), ("Last word", "due", 10)], self.other
        )
        firm, last_word = strict.level_ids.sorted("sequence")
        # same sequences as the default policy: unique per policy only
        self.assertEqual(strict.level_ids.mapped("sequence"), [10, 20])
        self.assertTrue(last_word.is_last)
        self.assertTrue(self.final.is_last)
        self.assertFalse(self.second.is_last)
        mine = self._invoice(100.0, -8)
        theirs = self._invoice(100.0, -8, partner=self.other)
        run = self._plan()
        self.assertEqual(self._line_of(run, mine).level_id, self.first)
        self.assertEqual(self._line_of(run, theirs).level_id, firm)
        # a day before the next level of each policy: nothing new; on the day
        later = self.today + timedelta(days=1)
        run.action_send()
        self.assertFalse(self._plan(later))
        run = self._plan(later + timedelta(days=1))
        self.assertEqual(self._line_of(run, theirs).level_id, last_word)
        self.assertFalse(self._line_of(run, mine))
        # the last level of the customer's policy escalates it
        run.action_send()
        self.assertEqual(
            self.Case.search([("partner_id", "=", self.other.id)]).reason, "last_level"
        )
        self.assertFalse(self.Case.search([("partner_id", "=", self.customer.id)]))
        # the company default applies to the customers without a policy
        self.company.sales_closing_dunning_policy_id = strict
        fresh = self._invoice(100.0, -3)
        self.assertEqual(self._line_of(self._plan(), fresh).level_id, firm)
        # increasing days are checked within a policy
        with self.assertRaises(ValidationError):
            last_word.days = 1
            last_word.flush_recordset()

    def test_end_of_month_mode(self):
        policy = self._policy(
            "Month end", [("Month end + 5", "end_of_month", 5)], self.customer
        )
        invoice = self._invoice(100.0, -3)
        due = invoice.invoice_date_due
        month_end = due.replace(day=28) + timedelta(days=4)
        month_end -= timedelta(days=month_end.day)
        reached = month_end + timedelta(days=5)
        self.assertFalse(self._plan(reached - timedelta(days=1)))
        run = self._plan(reached)
        self.assertEqual(self._line_of(run, invoice).level_id, policy.level_ids)

    def test_previous_mode(self):
        policy = self._policy(
            "Chase",
            [("Due + 5", "due", 5), ("Previous + 4", "previous", 4)],
            self.customer,
        )
        first, chase = policy.level_ids.sorted("sequence")
        invoice = self._invoice(100.0, -5)
        run = self._plan()
        self.assertEqual(self._line_of(run, invoice).level_id, first)
        # the first level is only planned: the next one waits for it
        self.assertFalse(self._plan(self.today + timedelta(days=30)))
        run.action_send()
        self.assertFalse(self._plan(self.today + timedelta(days=3)))
        later = self._plan(self.today + timedelta(days=4))
        self.assertEqual(self._line_of(later, invoice).level_id, chase)
        # the first level of a policy cannot count from a previous one
        with self.assertRaises(ValidationError):
            first.computation_mode = "previous"
            first.flush_recordset()

    def _change_level(self, records, level, note="Agreed on the phone"):
        Wizard = self.env["sales.closing.dunning.level.change"].with_user(
            self.accountant
        )
        wizard = Wizard.with_context(
            active_model=records._name, active_ids=records.ids
        ).create({"level_id": level.id, "note": note})
        return wizard.action_apply()

    def test_manual_level_change(self):
        invoice = self._invoice(200.0, -8)  # first level reached
        self._change_level(invoice, self.second, note="Promised twice, no payment")
        line = invoice.sales_closing_dunning_line_ids
        self.assertEqual(line.state, "manual")
        self.assertEqual(line.level_id, self.second)
        self.assertFalse(line.run_id)
        self.assertEqual(line.company_id, self.company)
        self.assertEqual(line.note, "Promised twice, no payment")
        self.assertEqual(invoice.sales_closing_dunning_level_id, self.second)
        note = invoice.message_ids.filtered(
            lambda m: "Promised twice, no payment" in (m.body or "")
        )
        self.assertIn(self.second.name, note.body)
        # the runs continue from the level set by hand, never sending it
        self.assertFalse(self._plan())
        self.assertFalse(self._plan(self.today + timedelta(days=21)))
        run = self._plan(self.today + timedelta(days=22))
        self.assertEqual(self._line_of(run, invoice).level_id, self.final)
        self.assertEqual(
            invoice.sales_closing_dunning_line_ids.mapped("level_id"),
            self.second | self.final,
        )
        # never back to a lower level
        with self.assertRaises(UserError):
            self._change_level(invoice, self.first)

    def test_manual_level_change_from_reminders(self):
        planned = self._invoice(200.0, -20)  # second level planned
        other = self._invoice(80.0, -8)  # first level planned
        run = self._plan()
        lines = run.line_ids
        self._change_level(lines, self.second)
        # the reminder planned at that level is the one set by hand, the one
        # planned below is left unsent
        self.assertEqual(self._line_of(run, planned).state, "manual")
        self.assertEqual(self._line_of(run, other).state, "skipped")
        manual = other.sales_closing_dunning_line_ids.filtered(
            lambda line: line.state == "manual"
        )
        self.assertEqual(manual.level_id, self.second)
        self.assertEqual(run.state, "done")
        self.assertEqual((planned | other).sales_closing_dunning_level_id, self.second)
        # invoices of customers on different policies are set separately
        self._policy("Strict", [("Firm", "due", 1)], self.other)
        theirs = self._invoice(50.0, -8, partner=self.other)
        with self.assertRaises(UserError):
            self._change_level(planned | theirs, self.final)

    # ------------------------------------------------------------------
    # A reminder is built from what is due when it is sent
    # ------------------------------------------------------------------
    def _messages_to(self, partner):
        return self.env["mail.message"].search(
            [
                ("model", "=", "res.partner"),
                ("res_id", "=", partner.id),
                ("message_type", "=", "comment"),
            ]
        )

    def test_paid_between_preparing_and_sending(self):
        paid = self._invoice(200.0, -8)
        still_due = self._invoice(300.0, -20)
        other = self._invoice(50.0, -8, partner=self.other)
        run = self._plan()
        self.assertEqual(run.amount_total, 550.0)
        self._pay(paid)
        # the run's figures follow its lines: the paid one is no longer counted
        paid_line = self._line_of(run, paid)
        self.assertEqual(paid_line.drop_reason, "paid")
        self.assertEqual(paid_line.amount_residual, 0.0)
        self.assertEqual(run.to_send_count, 2)
        self.assertEqual(run.amount_total, 350.0)
        result = run.with_user(self.accountant).action_send()
        self.assertEqual(result["params"]["type"], "warning")
        # no reminder for the paid invoice: it left the run, logged there
        self.assertFalse(paid_line.exists())
        self.assertEqual(run.line_ids.invoice_id, still_due | other)
        self.assertFalse(paid.sales_closing_dunning_level_id)
        self.assertEqual(still_due.sales_closing_dunning_level_id, self.second)
        body = self._line_of(run, still_due).mail_message_id.body
        self.assertIn(still_due.name, body)
        self.assertNotIn(paid.name, body)
        log = run.message_ids.filtered(lambda m: paid.name in (m.body or ""))
        self.assertEqual(len(log), 1)
        self.assertIn("Paid", log.body)
        self.assertEqual(run.state, "done")
        self.assertEqual(run.amount_total, 350.0)
        self.assertEqual(run.partner_count, 2)

    def test_run_of_paid_invoices_sends_nothing(self):
        first = self._invoice(200.0, -8)
        second = self._invoice(300.0, -20)
        run = self._plan()
        self.assertEqual(len(run.line_ids), 2)
        before = self._messages_to(self.customer)
        self._pay(first)
        self._pay(second)
        self.assertEqual(run.to_send_count, 0)
        self.assertEqual(run.amount_total, 0.0)
        run.with_user(self.accountant).action_send()
        self.assertFalse(run.line_ids)
        self.assertEqual(run.state, "done")
        self.assertEqual(self._messages_to(self.customer), before)
        self.assertFalse((first | second).sales_closing_dunning_level_id)
        # the cron planning later does not bring them back either
        self.assertFalse(self._plan(self.today + timedelta(days=20)))

    def test_paid_invoice_never_gets_final_notice(self):
        self.company.sales_closing_dunning_auto_send = False
        invoice = self._invoice(500.0, -35)
        run = self._plan()
        self.assertEqual(self._line_of(run, invoice).level_id, self.final)
        # another run, planned later, waits with another customer's reminder
        later = self._plan(self.today + timedelta(days=1))
        self.assertFalse(later)
        other = self._invoice(90.0, -8, partner=self.other)
        later = self._plan(self.today + timedelta(days=1))
        self.assertEqual(later.line_ids.invoice_id, other)
        self._pay(invoice)
        # sending the later run clears the paid reminder from every pending run
        later.action_send()
        self.assertFalse(run.line_ids)
        self.assertEqual(run.state, "done")
        self.assertTrue(
            run.message_ids.filtered(lambda m: invoice.name in (m.body or ""))
        )
        self.assertFalse(invoice.sales_closing_dunning_level_id)
        self.assertFalse(
            self.env["sales.closing.dunning.line"].search(
                [("invoice_id", "=", invoice.id), ("state", "=", "sent")]
            )
        )
        # nor does the daily cron send it, automatically or not
        self.company.sales_closing_dunning_auto_send = True
        self.Run._cron_dunning(today=self.today + timedelta(days=2))
        self.assertFalse(invoice.sales_closing_dunning_line_ids)
        self.assertFalse(self.Case.search([("partner_id", "=", self.customer.id)]))

    def test_partly_paid_reminder_shows_residual_at_send(self):
        invoice = self._invoice(1000.0, -8)
        run = self._plan()
        line = run.line_ids
        self.assertEqual(line.amount_residual, 1000.0)
        self._pay(invoice, amount=400.0)
        self.assertEqual(line.amount_residual, 600.0)
        self.assertEqual(run.amount_total, 600.0)
        run.action_send()
        self.assertEqual(line.state, "sent")
        body = line.mail_message_id.body
        self.assertIn("600.00", body)
        self.assertNotIn("1,000.00", body)
        # once sent, the reminder keeps the amount it reminded
        self._pay(invoice, amount=100.0)
        self.assertEqual(invoice.amount_residual, 500.0)
        self.assertEqual(line.amount_residual, 600.0)
        self.assertEqual(line.amount_company, 600.0)
        self.assertEqual(run.amount_total, 600.0)

    def test_blocked_or_excluded_invoice_leaves_the_run(self):
        blocked = self._invoice(200.0, -8)
        excluded = self._invoice(100.0, -8, partner=self.other)
        kept = self._invoice(300.0, -20)
        run = self._plan()
        blocked.action_toggle_block_payment()
        self.other.with_company(self.company).sales_closing_dunning_exclude = True
        reasons = {line.invoice_id: line.drop_reason for line in run.line_ids}
        self.assertEqual(
            reasons, {blocked: "blocked", excluded: "excluded", kept: False}
        )
        run.action_send()
        self.assertEqual(run.line_ids.invoice_id, kept)
        self.assertEqual(run.line_ids.state, "sent")
        # the due date moved after planning: the level is no longer reached
        moved = self._invoice(120.0, -8)
        run = self._plan(self.today + timedelta(days=1))
        line = self._line_of(run, moved)
        moved.button_draft()
        self.assertEqual(line.drop_reason, "cancelled")
        moved.invoice_date_due = self.today + timedelta(days=10)
        moved.action_post()
        self.assertEqual(moved.invoice_date_due, self.today + timedelta(days=10))
        self.assertEqual(self._line_of(run, moved).drop_reason, "not_due")
