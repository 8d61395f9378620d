from datetime import date

from odoo import Command, http
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestStatementPortal(HttpCase):
    """The customer confirms or disputes a statement through its link."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.accountant = new_test_user(
            cls.env,
            "sc_portal_accountant",
            groups="sales_closing.group_closing_accountant",
        )
        # the responsible of the statements check handles the disputes
        cls.env.ref("sales_closing.check_customer_statements").user_id = cls.accountant
        cls.customer = cls.env["res.partner"].create(
            {"name": "Portal Customer", "is_company": True, "email": "pc@example.com"}
        )
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer.id,
                "invoice_date": date(2026, 1, 10),
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Goods", "price_unit": 250.0, "tax_ids": []}
                    )
                ],
            }
        )
        invoice.action_post()
        cls.statement = cls.env["sales.closing.statement"]._generate(
            cls.company, date(2026, 1, 1), date(2026, 1, 31), partners=cls.customer
        )
        cls.statement.action_send()

    def _post(self, action, token=None, **data):
        stmt = self.statement
        if not getattr(self, "session", None):
            self.authenticate(None, None)  # a public session for the CSRF token
        return self.url_open(
            f"/my/statements/{stmt.id}/{action}",
            data={
                "access_token": stmt.access_token if token is None else token,
                "csrf_token": http.Request.csrf_token(self),
                **data,
            },
        )

    def test_page_with_token(self):
        response = self.url_open(self.statement.get_portal_url())
        self.assertEqual(response.status_code, 200)
        self.assertIn("Opening Balance", response.text)
        self.assertIn('name="comment"', response.text)
        xlsx = self.url_open(self.statement.get_portal_url(suffix="/xlsx"))
        self.assertEqual(xlsx.status_code, 200)
        self.assertTrue(xlsx.content.startswith(b"PK"))

    def test_wrong_token(self):
        stmt = self.statement
        self.assertEqual(
            self.url_open(f"/my/statements/{stmt.id}?access_token=wrong").status_code,
            404,
        )
        self.assertEqual(self.url_open(f"/my/statements/{stmt.id}").status_code, 404)
        self.assertEqual(self._post("confirm", token="wrong").status_code, 404)
        self.assertEqual(self._post("dispute", token="", comment="x").status_code, 404)
        self.assertEqual(stmt.state, "sent")

    def test_confirm_is_idempotent(self):
        stmt = self.statement
        response = self._post("confirm")
        self.assertEqual(response.status_code, 200)
        self.assertIn("you confirmed this statement", response.text)
        self.assertEqual(stmt.state, "confirmed")
        self.assertTrue(stmt.answer_date)
        self.assertIn("Portal Customer", stmt.answered_by)
        answer = (stmt.answer_date, stmt.answered_by)
        messages = len(stmt.message_ids)
        self._post("confirm")
        self.assertEqual((stmt.answer_date, stmt.answered_by), answer)
        self.assertEqual(len(stmt.message_ids), messages)
        # a dispute after the confirmation is refused with a message
        response = self._post("dispute", comment="Too late")
        self.assertEqual(stmt.state, "confirmed")
        self.assertIn("already Confirmed", response.text)
        self.assertFalse(stmt.activity_ids)

    def test_dispute_schedules_activity(self):
        stmt = self.statement
        self._post("dispute", comment="")
        self.assertEqual(stmt.state, "sent")
        self._post("dispute", comment="The credit note of January is missing")
        self.assertEqual(stmt.state, "disputed")
        self.assertEqual(stmt.dispute_comment, "The credit note of January is missing")
        activity = stmt.activity_ids
        self.assertEqual(activity.user_id, self.accountant)
        self.assertEqual(
            activity.activity_type_id, self.env.ref("mail.mail_activity_data_todo")
        )
        self.assertIn("credit note of January", activity.note)
        message = stmt.message_ids.filtered(
            lambda m: m.message_type == "comment" and "January" in m.body
        )
        self.assertEqual(message.author_id, self.customer)
        # a confirmation after the dispute is refused
        response = self._post("confirm")
        self.assertIn("already Disputed", response.text)
        self.assertEqual(stmt.state, "disputed")

    def test_portal_user_list(self):
        portal = new_test_user(
            self.env,
            "sc_portal_customer",
            groups="base.group_portal",
            partner_id=self.env["res.partner"]
            .create({"name": "Buyer", "parent_id": self.customer.id})
            .id,
        )
        self.assertTrue(portal.share)
        self.authenticate("sc_portal_customer", "sc_portal_customer")
        response = self.url_open("/my/statements")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.statement.access_token, response.text)
        other = self.env["sales.closing.statement"].search(
            [("partner_id", "!=", self.customer.id)]
        )
        for stmt in other.filtered("access_token"):
            self.assertNotIn(stmt.access_token, response.text)

    def test_dispute_tour(self):
        self.start_tour(
            self.statement.get_portal_url(),
            "sales_closing_statement_portal_tour",
            login=None,
        )
        self.assertEqual(self.statement.state, "disputed")
        self.assertIn("was cancelled", self.statement.dispute_comment)
        self.assertEqual(self.statement.activity_ids.user_id, self.accountant)
