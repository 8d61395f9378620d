from contextlib import contextmanager
from datetime import date

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import SalesClosingCase

BEFORE, INSIDE, AFTER = date(2025, 12, 15), date(2026, 1, 15), date(2026, 2, 15)
WHERE = {"before": BEFORE, "inside": INSIDE, "after": AFTER}
KINDS = ("invoice", "credit_note", "payment", "statement_line")
CLOSED_MSG = "inside the closed period 2026-01 of"


class LockCase(SalesClosingCase):
    """Documents of each kind and helpers to close the period 2026-01."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Lock Customer"})
        cls.product = cls.env["product.product"].create(
            {"name": "Lock Product", "list_price": 100.0}
        )
        cls.bank_journal = cls.env["account.journal"].search(
            [("company_id", "=", cls.company.id), ("type", "=", "bank")], limit=1
        )
        # Statement lines need Odoo's bookkeeper rights (account.group_account_basic)
        # on top of the closing groups, which only imply invoicing rights.
        basic = cls.env.ref("account.group_account_basic")
        (cls.accountant | cls.manager).write({"groups_id": [Command.link(basic.id)]})

    @classmethod
    def _make(cls, kind, day, post=False, env=None, user=None):
        env = env or cls.env
        if kind in ("invoice", "credit_note"):
            doc = env["account.move"].create(
                {
                    "move_type": "out_invoice" if kind == "invoice" else "out_refund",
                    "partner_id": cls.customer.id,
                    "invoice_date": day,
                    "invoice_user_id": (user or env.user).id,
                    "invoice_line_ids": [
                        Command.create(
                            {"product_id": cls.product.id, "price_unit": 100}
                        )
                    ],
                }
            )
            if post:
                doc.action_post()
            return doc
        if kind == "payment":
            doc = env["account.payment"].create(
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": cls.customer.id,
                    "amount": 100.0,
                    "date": day,
                    "journal_id": cls.bank_journal.id,
                }
            )
            if post:
                doc.action_post()
            return doc
        return env["account.bank.statement.line"].create(
            {
                "journal_id": cls.bank_journal.id,
                "date": day,
                "payment_ref": f"Transfer {day}",
                "partner_id": cls.customer.id,
                "amount": 100.0,
            }
        )

    @classmethod
    def _close_period(cls):
        cls.period.check_line_ids.write({"status": "ok"})
        cls.period.with_user(cls.manager).action_close()

    @staticmethod
    def _state(doc):
        if doc._name == "account.payment":
            return "draft" if doc.state == "draft" else "posted"
        return doc.move_id.state if doc._name != "account.move" else doc.state

    @contextmanager
    def _undone(self):
        """Run the block, then roll it back: matrix cases share their documents."""
        savepoint = self.env.cr.savepoint()
        try:
            yield
            self.env.flush_all()
        finally:
            savepoint.close(rollback=True)
            self.env.invalidate_all()


@tagged("post_install", "-at_install")
class TestLocks(LockCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.posted = {
            (kind, where): cls._make(kind, day, post=True)
            for kind in KINDS
            for where, day in WHERE.items()
        }
        cls._close_period()

    def _operate(self, operation, kind, where, user):
        """Run ``operation`` as ``user``; return the document and its expected state."""
        day = WHERE[where]
        if operation == "post":
            if kind == "statement_line":
                line = self._make(kind, day, env=self.env(user=user))
                return line, "posted"
            doc = self._make(kind, day, user=user)
            doc.with_user(user).action_post()
            return doc, "posted"
        if operation == "reset":
            doc = self.posted[kind, where]
            if kind == "payment":
                doc.with_user(user).action_draft()
            elif kind == "statement_line":
                doc.move_id.with_user(user).button_draft()
            else:
                doc.with_user(user).button_draft()
            return doc, "draft"
        # delete: drafts, except statement lines which are always posted
        doc = self.posted[kind, where]
        if kind != "statement_line":
            doc = self._make(kind, day, user=user)
        doc.with_user(user).unlink()
        return doc, "deleted"

    def test_period_config(self):
        self.assertEqual(self.period.state, "closed")
        self.assertEqual(self.company.sale_lock_date, date(2026, 1, 31))
        self.assertFalse(self.company.fiscalyear_lock_date)
        self.assertFalse(self.company.sales_closing_allow_redate)
        for kind in KINDS:
            self.assertEqual(self._state(self.posted[kind, "inside"]), "posted")

    def test_lock_matrix(self):
        """kind x date x operation x group, against what really happens.

        inside: refused by the closing, naming the period.
        after: allowed.
        before (also under Odoo's sales lock date 2026-01-31 set at close):
        invoices and credit notes are re-dated by Odoo on post (Odoo's own
        behaviour, outside any closing period, so not ours to refuse) and
        refused by Odoo on reset; deleting a draft is allowed. Payments and
        statement lines are in a bank journal, which the sales lock date
        does not cover: allowed.
        """
        for user in (self.accountant, self.manager):
            for kind in KINDS:
                for operation in ("post", "reset", "delete"):
                    for where in WHERE:
                        with self.subTest(
                            user=user.login, kind=kind, op=operation, where=where
                        ):
                            self._check_case(user, kind, operation, where)

    def _check_case(self, user, kind, operation, where):
        sale_doc = kind in ("invoice", "credit_note")
        if where == "inside":
            if operation == "reset":
                doc = self.posted[kind, where]
            with self.assertRaises(UserError) as caught:
                self._operate(operation, kind, where, user)
            message = str(caught.exception)
            self.assertIn(CLOSED_MSG, message)
            self.assertIn("2026-01-15", message)
            self.assertIn("reopen the period first", message)
            if operation == "reset":
                self.assertEqual(self._state(doc), "posted")
            return
        if where == "before" and sale_doc and operation == "reset":
            with self.assertRaises(UserError) as caught:
                self._operate(operation, kind, where, user)
            self.assertNotIn("closed period", str(caught.exception))
            self.assertIn("Lock Date", str(caught.exception))
            return
        with self._undone():
            doc, expected = self._operate(operation, kind, where, user)
            if expected == "deleted":
                self.assertFalse(doc.exists())
                return
            self.assertEqual(self._state(doc), expected)
            if operation == "post" and where == "before" and sale_doc:
                # Odoo re-dates past its sales lock date
                self.assertGreater(doc.date, date(2026, 1, 31))
            elif operation == "post":
                self.assertEqual(doc.date, WHERE[where])

    def test_sales_user(self):
        """Sales users cannot post nor delete invoices; inside, the closing says why."""
        for operation in ("post", "delete"):
            for where in WHERE:
                with self.subTest(op=operation, where=where):
                    invoice = self._make("invoice", WHERE[where], user=self.sales_user)
                    with self.assertRaises(UserError) as caught:
                        if operation == "post":
                            invoice.with_user(self.sales_user).action_post()
                        else:
                            invoice.with_user(self.sales_user).unlink()
                    if where == "inside":
                        self.assertIn(CLOSED_MSG, str(caught.exception))
                    else:
                        self.assertIsInstance(caught.exception, AccessError)
                    self.assertEqual(invoice.state, "draft")

    def test_statement_line_edit(self):
        line = self.posted["statement_line", "inside"]
        for vals in ({"amount": 120.0}, {"date": AFTER}):
            with self.subTest(vals=vals), self.assertRaises(UserError) as caught:
                line.with_user(self.accountant).write(vals)
            self.assertIn(CLOSED_MSG, str(caught.exception))
        # moving an open line into the closed period is refused too
        after = self.posted["statement_line", "after"]
        with self.assertRaises(UserError) as caught:
            after.with_user(self.accountant).write({"date": INSIDE})
        self.assertIn(CLOSED_MSG, str(caught.exception))
        # a label is no accounting change
        line.with_user(self.accountant).write({"payment_ref": "Renamed"})
        self.assertEqual(line.payment_ref, "Renamed")
        with self._undone():
            after.with_user(self.accountant).write({"amount": 130.0})
            self.assertEqual(after.amount, 130.0)

    def test_cancel_refused(self):
        invoice = self.posted["invoice", "inside"]
        with self.assertRaises(UserError) as caught:
            invoice.with_user(self.manager).button_cancel()
        self.assertIn(CLOSED_MSG, str(caught.exception))
        self.assertEqual(invoice.state, "posted")

    def test_error_names_the_document(self):
        invoice = self.posted["invoice", "inside"]
        with self.assertRaises(UserError) as caught:
            invoice.button_draft()
        self.assertEqual(
            str(caught.exception),
            f"{invoice.name} is dated 2026-01-15, inside the closed period 2026-01 "
            f"of {self.company.name}: reopen the period first.",
        )

    def test_closed_period_for_one_query(self):
        days = [date(2026, 1, d) for d in range(1, 29)] + [AFTER, BEFORE]
        Period = self.env["sales.closing.period"]
        self.env.invalidate_all()
        with self.assertQueryCount(1):
            periods = Period._closed_period_for(self.company, days)
        self.assertEqual(periods, self.period)
        self.assertFalse(Period._closed_period_for(self.company, [AFTER, BEFORE]))
        self.assertFalse(Period._closed_period_for(self.other_company, days))

    def test_redate_on_allowed_and_logged(self):
        self.company.sales_closing_allow_redate = True
        invoice = self._make("invoice", INSIDE)
        invoice.with_user(self.accountant).action_post()
        self.assertEqual(invoice.state, "posted")
        self.assertGreater(invoice.date, self.period.date_to)
        log = self.period.audit_log_ids.filtered(lambda row: row.action == "redate")
        self.assertEqual(len(log), 1)
        self.assertEqual(log.user_id, self.accountant)
        self.assertIn(invoice.name, log.details)
        self.assertIn("2026-01-15", log.details)
        self.assertIn(str(invoice.date), log.details)
        self.assertIn(invoice.name, self.period.message_ids[0].body)

    def test_redate_on_but_odoo_does_not_redate(self):
        """A bank journal is not under the sales lock date: Odoo would post the
        line inside the closed period, so it is refused even with re-dating on."""
        self.company.sales_closing_allow_redate = True
        with self.assertRaises(UserError) as caught:
            self._make("statement_line", INSIDE, env=self.env(user=self.accountant))
        self.assertIn(CLOSED_MSG, str(caught.exception))
        self.assertFalse(
            self.period.audit_log_ids.filtered(lambda row: row.action == "redate")
        )


@tagged("post_install", "-at_install")
class TestRedateFiscalLock(LockCase):
    """With the global lock date set at close, Odoo re-dates everything."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.sales_closing_lock_fiscalyear = True
        cls.invoice = cls._make("invoice", INSIDE, post=True)
        cls._close_period()

    def test_setting_off_refused(self):
        self.assertEqual(self.company.fiscalyear_lock_date, date(2026, 1, 31))
        for kind in KINDS:
            with self.subTest(kind=kind), self.assertRaises(UserError) as caught:
                self._operate_post(kind)
            self.assertIn(CLOSED_MSG, str(caught.exception))

    def _operate_post(self, kind):
        env = self.env(user=self.accountant)
        if kind == "statement_line":
            return self._make(kind, INSIDE, env=env)
        doc = self._make(kind, INSIDE).with_env(env)
        doc.action_post()
        return doc

    def test_setting_on_redated_and_logged(self):
        self.company.sales_closing_allow_redate = True
        for kind in KINDS:
            with self.subTest(kind=kind):
                doc = self._operate_post(kind)
                move = doc if doc._name == "account.move" else doc.move_id
                self.assertEqual(move.state, "posted")
                self.assertGreater(move.date, date(2026, 1, 31))
                line = f"{move.name} re-dated from 2026-01-15 to {move.date}."
                log = self.period.audit_log_ids.filtered(
                    lambda row, line=line: (
                        row.action == "redate" and line in row.details.splitlines()
                    )
                )
                self.assertEqual(len(log), 1)
                self.assertEqual(log.user_id, self.accountant)

    def _exchange_values(self):
        receivable = self.invoice.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        return receivable._prepare_exchange_difference_move_vals(
            [{"amount_residual": 5.0}], exchange_date=date(2026, 1, 20)
        )

    def test_exchange_difference(self):
        with self.assertRaises(UserError) as caught:
            self._exchange_values()
        self.assertIn("The exchange difference of", str(caught.exception))
        self.assertIn(CLOSED_MSG, str(caught.exception))
        self.company.sales_closing_allow_redate = True
        values = self._exchange_values()
        self.assertGreater(values["move_values"]["date"], date(2026, 1, 31))
        moves = self.env["account.move.line"]._create_exchange_difference_moves(
            [values]
        )
        self.assertEqual(moves.state, "posted")
        log = self.period.audit_log_ids.filtered(lambda row: row.action == "redate")
        self.assertEqual(len(log), 1)
        self.assertIn(self.invoice.name, log.details)
        self.assertIn("from 2026-01-20", log.details)


@tagged("post_install", "-at_install")
class TestExchangeSalesLockOnly(LockCase):
    def test_exchange_difference_booked_inside_refused(self):
        """Only the sales lock date: Odoo would book the exchange difference
        inside the closed period (its journal is not a sales journal)."""
        invoice = self._make("invoice", INSIDE, post=True)
        self._close_period()
        self.company.sales_closing_allow_redate = True
        receivable = invoice.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        with self.assertRaises(UserError) as caught:
            receivable._prepare_exchange_difference_move_vals(
                [{"amount_residual": 5.0}], exchange_date=date(2026, 1, 20)
            )
        self.assertIn(CLOSED_MSG, str(caught.exception))
