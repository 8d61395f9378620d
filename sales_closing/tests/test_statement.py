from datetime import date

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import SalesClosingCase


@tagged("post_install", "-at_install")
class TestCustomerStatement(SalesClosingCase):
    """Statements against the partner ledger, aging, batch, check, access."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Statement = cls.env["sales.closing.statement"]
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Statement Customer",
                "is_company": True,
                "email": "customer@example.com",
                "user_id": cls.sales_user.id,
            }
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Buyer", "parent_id": cls.customer.id, "email": "b@example.com"}
        )
        cls.customer_2 = cls.env["res.partner"].create(
            {"name": "Second Customer", "is_company": True, "email": "c2@example.com"}
        )
        # December: invoice A of 1000, 400 paid; opening balance 600
        cls.inv_a = cls._invoice(cls.customer, date(2025, 12, 10), 1000.0)
        cls._pay(cls.inv_a, date(2025, 12, 20), 400.0)
        # January: invoice B of 500 (to the contact), a credit note of 100 and
        # 300 paid on invoice A; closing 700
        cls.inv_b = cls._invoice(
            cls.contact, date(2026, 1, 5), 500.0, due=date(2026, 2, 4)
        )
        cls.refund = cls._invoice(
            cls.customer, date(2026, 1, 10), 100.0, move_type="out_refund"
        )
        cls._pay(cls.inv_a, date(2026, 1, 15), 300.0)
        # February: the rest of invoice A paid, a new invoice: after the period
        cls._pay(cls.inv_a, date(2026, 2, 5), 300.0)
        cls._invoice(cls.customer, date(2026, 2, 10), 50.0)
        # second customer: movements in January only
        cls._invoice(cls.customer_2, date(2026, 1, 20), 80.0)

    @classmethod
    def _invoice(cls, partner, day, amount, move_type="out_invoice", due=None):
        move = cls.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": partner.id,
                "invoice_date": day,
                "invoice_date_due": due or day,
                "invoice_line_ids": [
                    (0, 0, {"name": "Goods", "price_unit": amount, "tax_ids": []})
                ],
            }
        )
        move.action_post()
        return move

    def _ledger(self, partner, domain):
        lines = self.env["account.move.line"].search(
            [
                ("partner_id", "=", partner.id),
                ("parent_state", "=", "posted"),
                ("account_id.account_type", "=", "asset_receivable"),
                ("company_id", "=", self.company.id),
            ]
            + domain
        )
        return sum(lines.mapped("balance"))

    def _generate(self, partners=None):
        return self.Statement._generate(
            self.company,
            self.period.date_from,
            self.period.date_to,
            partners=partners,
            period=self.period,
        )

    def test_balances_match_partner_ledger(self):
        stmt = self._generate(self.customer)
        self.assertEqual(stmt.partner_id, self.customer)
        self.assertEqual(stmt.user_id, self.sales_user)
        self.assertEqual(stmt.currency_id, self.company.currency_id)
        self.assertAlmostEqual(
            stmt.opening_balance,
            self._ledger(self.customer, [("date", "<", date(2026, 1, 1))]),
        )
        self.assertAlmostEqual(
            stmt.closing_balance,
            self._ledger(self.customer, [("date", "<=", date(2026, 1, 31))]),
        )
        self.assertAlmostEqual(stmt.opening_balance, 600.0)
        self.assertAlmostEqual(stmt.invoice_amount, 500.0)
        self.assertAlmostEqual(stmt.credit_note_amount, 100.0)
        self.assertAlmostEqual(stmt.payment_amount, 300.0)
        self.assertAlmostEqual(stmt.closing_balance, 700.0)

    def test_lines_and_running_balance(self):
        stmt = self._generate(self.customer)
        lines = stmt.line_ids
        self.assertEqual(lines.mapped("kind"), ["invoice", "credit_note", "payment"])
        self.assertEqual(lines[0].move_id, self.inv_b)
        self.assertEqual(lines[1].move_id, self.refund)
        self.assertEqual(lines.mapped("debit"), [500.0, 0.0, 0.0])
        self.assertEqual(lines.mapped("credit"), [0.0, 100.0, 300.0])
        self.assertEqual(lines.mapped("balance"), [1100.0, 1000.0, 700.0])
        self.assertEqual(lines[-1].balance, stmt.closing_balance)

    def test_aging_at_period_end(self):
        """Invoice A is open for 300 at 31 January (its last 300 are paid in
        February), 52 days overdue; B is not due; the credit note is 21 days
        old."""
        stmt = self._generate(self.customer)
        self.assertAlmostEqual(stmt.aging_current, 500.0)
        self.assertAlmostEqual(stmt.aging_1_30, -100.0)
        self.assertAlmostEqual(stmt.aging_31_60, 300.0)
        self.assertAlmostEqual(stmt.aging_61_90, 0.0)
        self.assertAlmostEqual(stmt.aging_90, 0.0)
        total = sum(amount for _label, amount in stmt._aging_rows())
        self.assertAlmostEqual(total, stmt.closing_balance)

    def test_batch_default_partners_and_constant_queries(self):
        statements = self._generate()
        self.assertIn(self.customer, statements.partner_id)
        self.assertIn(self.customer_2, statements.partner_id)
        # the contact's invoice is on the commercial partner's statement
        self.assertNotIn(self.contact, statements.partner_id)
        second = statements.filtered(lambda s: s.partner_id == self.customer_2)
        self.assertAlmostEqual(second.opening_balance, 0.0)
        self.assertAlmostEqual(second.closing_balance, 80.0)
        self.assertEqual(second.line_ids.kind, "invoice")

        def queries(partners):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.Statement._statement_values(
                self.company, date(2026, 1, 1), date(2026, 1, 31), partners
            )
            return self.env.cr.sql_log_count - before

        one = queries(self.customer)
        self.assertEqual(one, queries(self.customer | self.customer_2))
        self.assertLessEqual(one, 12)

    def test_regenerate_replaces_drafts_keeps_sent(self):
        stmt = self._generate(self.customer)
        again = self._generate(self.customer)
        self.assertFalse(stmt.exists())
        again.action_send()
        self.assertEqual(again.state, "sent")
        self.assertFalse(self._generate(self.customer))
        self.assertTrue(again.exists())

    def test_wizard_generates_and_sends(self):
        wizard = (
            self.env["sales.closing.statement.generate"]
            .with_user(self.accountant)
            .create({"period_id": self.period.id, "partner_ids": self.contact.ids})
        )
        self.assertEqual(wizard.date_from, self.period.date_from)
        wizard.send = True
        action = wizard.action_generate()
        stmt = self.Statement.search(action["domain"])
        self.assertEqual(stmt.partner_id, self.customer)
        self.assertEqual(stmt.period_id, self.period)
        self.assertEqual(stmt.state, "sent")
        message = stmt.message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertIn(self.customer, message.partner_ids)
        self.assertIn(stmt.access_token, message.body)

    def test_portal_answers(self):
        stmt = self._generate(self.customer)
        self.assertTrue(stmt._portal_answer("confirmed", answered_by="x"))  # draft
        stmt.action_send()
        self.assertFalse(
            stmt._portal_answer("confirmed", answered_by="Buyer (1.2.3.4)")
        )
        self.assertEqual(stmt.state, "confirmed")
        answered = stmt.answer_date
        # idempotent, and a dispute after a confirmation is refused
        self.assertFalse(stmt._portal_answer("confirmed", answered_by="other"))
        self.assertEqual(
            (stmt.answer_date, stmt.answered_by), (answered, "Buyer (1.2.3.4)")
        )
        self.assertTrue(stmt._portal_answer("disputed", comment="no"))
        self.assertEqual(stmt.state, "confirmed")
        # sent again: a new answer is asked
        stmt.action_send()
        self.assertTrue(stmt._portal_answer("disputed", comment="  "))
        self.assertFalse(
            stmt._portal_answer("disputed", comment="Invoice B was cancelled")
        )
        self.assertEqual(stmt.state, "disputed")
        self.assertEqual(stmt.dispute_comment, "Invoice B was cancelled")
        activity = stmt.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(
            activity.activity_type_id, self.env.ref("mail.mail_activity_data_todo")
        )
        self.assertTrue(
            activity.user_id.has_group("sales_closing.group_closing_accountant")
        )

    def test_dispute_activity_goes_to_check_responsible(self):
        kind = self.env.ref("sales_closing.check_customer_statements")
        self.period._ensure_check_lines()
        line = self.period.check_line_ids.filtered(lambda c: c.kind_id == kind)
        line.user_id = self.accountant
        stmt = self._generate(self.customer)
        stmt.action_send()
        stmt._portal_answer("disputed", comment="Wrong amount")
        self.assertEqual(stmt.activity_ids.user_id, self.accountant)

    def test_closing_check(self):
        kind = self.env.ref("sales_closing.check_customer_statements")
        self.assertEqual(kind.severity, "warning")
        self.assertEqual(kind._evaluate(self.period)["count"], 0)
        statements = self._generate()
        self.assertEqual(kind._evaluate(self.period)["count"], 0)  # drafts
        statements.action_send()
        result = kind._evaluate(self.period)
        self.assertEqual(result["count"], len(statements))
        self.assertAlmostEqual(
            result["amount"], sum(statements.mapped("closing_balance"))
        )
        first, others = statements[0], statements[1:]
        for stmt in others:
            stmt._portal_answer("confirmed", answered_by="x")
        self.assertEqual(kind._evaluate(self.period)["count"], 1)
        first._portal_answer("disputed", comment="Not ours", answered_by="x")
        result = kind._evaluate(self.period)
        self.assertEqual(result["count"], 1)
        self.assertEqual(self.env[result["res_model"]].search(result["domain"]), first)
        first.action_send()
        first._portal_answer("confirmed", answered_by="x")
        self.assertEqual(kind._evaluate(self.period)["count"], 0)
        # the other company's period is not concerned
        self.assertEqual(kind._evaluate(self.other_company_period)["count"], 0)

    def test_access_rights(self):
        stmt = self._generate(self.customer)
        other = self._generate(self.customer_2)
        Statement = self.Statement
        self.assertEqual(
            Statement.with_user(self.sales_user).search(
                [("id", "in", (stmt | other).ids)]
            ),
            stmt,
        )
        self.assertEqual(
            stmt.with_user(self.sales_user).line_ids.ids, stmt.line_ids.ids
        )
        self.assertFalse(
            Statement.with_user(self.sales_user_2).search([("id", "=", stmt.id)])
        )
        with self.assertRaises(AccessError):
            stmt.with_user(self.sales_user).write({"user_id": False})
        with self.assertRaises(AccessError):
            stmt.with_user(self.sales_user).action_send()
        self.assertEqual(
            Statement.with_user(self.auditor).search_count(
                [("id", "in", (stmt | other).ids)]
            ),
            2,
        )
        with self.assertRaises(AccessError):
            stmt.with_user(self.auditor).write({"user_id": False})
        stmt.with_user(self.accountant).write({"user_id": self.sales_user_2.id})
        portal = self.env["res.users"].create(
            {
                "name": "Portal Buyer",
                "login": "sc_portal_buyer",
                "partner_id": self.contact.id,
                "groups_id": [(6, 0, [self.env.ref("base.group_portal").id])],
            }
        )
        with self.assertRaises(AccessError):
            Statement.with_user(portal).browse(stmt.id).read(["closing_balance"])

    def test_reports(self):
        stmt = self._generate(self.customer)
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html(
                "sales_closing.action_report_customer_statement", stmt.ids
            )[0]
            .decode()
        )
        self.assertIn("Opening Balance", html)
        self.assertIn(self.inv_b.name, html)
        self.assertIn("Over 90 Days", html)
        content = stmt._xlsx_content()
        self.assertTrue(content.startswith(b"PK"))
