from datetime import date, timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .test_locks import CLOSED_MSG, INSIDE, LockCase


@tagged("post_install", "-at_install")
class TestReopen(LockCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.sales_closing_lock_tax = True
        cls.invoice = cls._make("invoice", INSIDE, post=True)
        cls._close_period()

    def _wizard(self, user=None, **values):
        Wizard = self.env["sales.closing.reopen.wizard"].with_user(user or self.manager)
        return Wizard.create(
            {"period_id": self.period.id, "reason": "Late credit note", **values}
        )

    def _exceptions(self):
        return (
            self.env["account.lock_exception"]
            .with_context(active_test=False)
            .search([("sales_closing_period_id", "=", self.period.id)])
        )

    def test_reopen_manager_only(self):
        for user in (self.accountant, self.auditor, self.sales_user):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.period.with_user(user).action_reopen()
                with self.assertRaises(AccessError):
                    self._wizard(user)
                wizard = self._wizard()
                with self.assertRaises(AccessError):
                    wizard.with_user(user).action_confirm()
        self.assertEqual(self.period.state, "closed")
        self.assertFalse(self._exceptions())
        action = self.period.with_user(self.manager).action_reopen()
        self.assertEqual(action["res_model"], "sales.closing.reopen.wizard")
        self.assertEqual(action["context"]["default_period_id"], self.period.id)

    def test_reopen_needs_reason_future_end_and_closed_period(self):
        with self.assertRaisesRegex(UserError, "reason"):
            self._wizard(reason="   ").action_confirm()
        with self.assertRaises(ValidationError):
            self._wizard(end_datetime=fields.Datetime.now() - timedelta(hours=1))
        open_period = self.Period.create(
            {
                "name": "2026-03",
                "date_from": date(2026, 3, 1),
                "date_to": date(2026, 3, 31),
            }
        )
        wizard = self.env["sales.closing.reopen.wizard"].create(
            {"period_id": open_period.id, "reason": "x"}
        )
        with self.assertRaisesRegex(UserError, "Only a closed period"):
            wizard.action_confirm()
        self.assertEqual(self.period.state, "closed")

    def test_reopen_refused_under_hard_lock(self):
        self.company.hard_lock_date = date(2026, 1, 31)
        with self.assertRaisesRegex(UserError, "hard lock cannot be excepted"):
            self._wizard().action_confirm()
        self.assertEqual(self.period.state, "closed")
        self.assertFalse(self._exceptions())

    def test_reopen_for_me(self):
        end = fields.Datetime.now() + timedelta(hours=24)
        self._wizard(end_datetime=end).action_confirm()
        self.assertEqual(self.period.state, "reopened")
        exceptions = self._exceptions()
        self.assertEqual(
            sorted(exceptions.mapped("lock_date_field")),
            ["sale_lock_date", "tax_lock_date"],
        )
        for exception in exceptions:
            self.assertEqual(exception.lock_date, date(2025, 12, 31))
            self.assertEqual(exception.user_id, self.manager)
            self.assertEqual(exception.end_datetime, end)
            self.assertEqual(exception.reason, "Late credit note")
            self.assertEqual(exception.state, "active")
        # the lock dates themselves did not move back
        self.assertEqual(self.company.sale_lock_date, date(2026, 1, 31))
        self.assertEqual(self.company.tax_lock_date, date(2026, 1, 31))
        log = self.period.audit_log_ids.filtered(lambda row: row.action == "reopen")
        self.assertEqual(log.user_id, self.manager)
        self.assertEqual(log.reason, "Late credit note")
        self.assertIn(str(exceptions.sorted("id").ids), log.details)
        self.assertIn("Late credit note", self.period.message_ids[0].body)

        # the manager works inside the period, without any re-dating
        self.invoice.with_user(self.manager).button_draft()
        self.assertEqual(self.invoice.state, "draft")
        self.invoice.with_user(self.manager).action_post()
        self.assertEqual(self.invoice.date, INSIDE)
        credit_note = self._make("credit_note", INSIDE)
        credit_note.with_user(self.manager).action_post()
        self.assertEqual(credit_note.date, INSIDE)
        # another user is still refused, by the closing and by Odoo
        with self.assertRaises(UserError) as caught:
            self.invoice.with_user(self.accountant).button_draft()
        self.assertIn("reopened for another user only", str(caught.exception))
        self.assertTrue(
            self.company.with_user(self.accountant)._get_violated_lock_dates(
                INSIDE, False, self.invoice.journal_id
            )
        )
        self.assertFalse(
            self.company.with_user(self.manager)._get_violated_lock_dates(
                INSIDE, False, self.invoice.journal_id
            )
        )
        draft = self._make("invoice", INSIDE)
        with self.assertRaises(UserError) as caught:
            draft.with_user(self.accountant).action_post()
        self.assertIn("reopened for another user only", str(caught.exception))
        self.assertEqual(draft.date, INSIDE)

    def test_reopen_for_everyone(self):
        self._wizard(scope="everyone").action_confirm()
        self.assertFalse(self.period.reopen_user_id)
        self.assertFalse(self._exceptions().user_id)
        self.invoice.with_user(self.accountant).button_draft()
        self.invoice.with_user(self.accountant).action_post()
        self.assertEqual(self.invoice.date, INSIDE)

    def test_expired_reopening_refused(self):
        self._wizard(scope="everyone").action_confirm()
        past = fields.Datetime.now() - timedelta(minutes=1)
        self.period.reopen_end_datetime = past
        self._exceptions().sudo().end_datetime = past
        with self.assertRaises(UserError) as caught:
            self.invoice.with_user(self.manager).button_draft()
        self.assertIn("reopening has expired", str(caught.exception))

    def test_reclose_revokes_exceptions(self):
        self._wizard(scope="everyone").action_confirm()
        self.invoice.with_user(self.manager).button_draft()
        self.invoice.with_user(self.manager).action_post()
        exceptions = self._exceptions()
        self.period.with_user(self.manager).action_close()
        self.assertEqual(self.period.state, "closed")
        self.assertEqual(set(exceptions.mapped("state")), {"revoked"})
        self.assertFalse(self.period.reopen_end_datetime)
        log = self.period.audit_log_ids.filtered(lambda row: row.action == "reclose")
        self.assertEqual(log.user_id, self.manager)
        self.assertIn(str(exceptions.ids), log.details)
        self.assertIn("Closed again", self.period.message_ids[0].body)
        self.assertEqual(
            self.period.audit_log_ids.sorted("id").mapped("action"),
            ["close", "reopen", "reclose"],
        )
        with self.assertRaises(UserError) as caught:
            self.invoice.with_user(self.manager).button_draft()
        self.assertIn(CLOSED_MSG, str(caught.exception))
        # Odoo's lock applies again to the manager too
        self.assertTrue(
            self.company.with_user(self.manager)._get_violated_lock_dates(
                INSIDE, False, self.invoice.journal_id
            )
        )

    def test_reclose_revokes_recreated_exceptions(self):
        """Moving a lock date makes Odoo recreate the exceptions: still revoked."""
        self._wizard(scope="everyone").action_confirm()
        first = self._exceptions()
        self.company.sale_lock_date = date(2026, 2, 28)
        recreated = self._exceptions() - first
        self.assertTrue(recreated)
        self.assertEqual(set(recreated.mapped("state")), {"active"})
        self.period.with_user(self.manager).action_close()
        self.assertEqual(set(self._exceptions().mapped("state")), {"revoked"})

    def test_hard_lock_close_warns(self):
        form = self.Period.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("HARD lock date", form)
        self.assertIn("irreversible", form)
        self.company.sales_closing_lock_hard = True
        self.assertTrue(self.period.hard_lock_at_close)
