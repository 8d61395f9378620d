from datetime import date

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import SalesClosingCase


@tagged("post_install", "-at_install")
class TestChecklist(SalesClosingCase):
    """Sign-offs, dependencies, roll-forward, per-company settings, checks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Checklist Customer"})
        cls.kind = cls.env["sales.closing.check.kind"].create(
            {
                "name": "Reconcile the cash register",
                "code": "cash_register",
                "is_manual": True,
                "user_id": cls.sales_user.id,
                "reviewer_id": cls.accountant.id,
                "due_days": 3,
            }
        )

    def _item(self, kind, period=None):
        period = period or self.period
        period._ensure_check_lines()
        return period.check_line_ids.filtered(lambda line: line.kind_id == kind)

    def _invoice(self, invoice_date, amount=100.0, post=True):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": invoice_date,
                "invoice_line_ids": [(0, 0, {"name": "Goods", "price_unit": amount})],
            }
        )
        if post:
            invoice.action_post()
        return invoice

    def test_manual_task_rolls_forward_with_owner_reviewer_due_date(self):
        item = self._item(self.kind)
        self.assertEqual(item.user_id, self.sales_user)
        self.assertEqual(item.reviewer_id, self.accountant)
        self.assertEqual(item.due_date, date(2026, 2, 3))
        february = self.Period._create_for(self.company, date(2026, 2, 10))
        rolled = self._item(self.kind, february)
        self.assertEqual(rolled.user_id, self.sales_user)
        self.assertEqual(rolled.due_date, date(2026, 3, 3))

    def test_company_setting_overrides_severity_and_owner(self):
        self.env["sales.closing.check.kind.company"].create(
            {
                "kind_id": self.kind.id,
                "company_id": self.company.id,
                "severity": "warning",
                "user_id": self.sales_user_2.id,
            }
        )
        item = self._item(self.kind)
        self.assertEqual(item.severity, "warning")
        self.assertEqual(item.user_id, self.sales_user_2)
        other = self._item(self.kind, self.other_company_period)
        self.assertEqual(other.severity, "blocking")

    def test_preparer_then_other_reviewer_sign_off(self):
        item = self._item(self.kind)
        with self.assertRaisesRegex(UserError, "not OK or waived"):
            item.with_user(self.sales_user).action_sign_prepare()
        item.with_user(self.sales_user).action_mark_done()
        with self.assertRaises(AccessError):
            item.with_user(self.sales_user_2).action_sign_prepare()
        with self.assertRaisesRegex(UserError, "preparer first"):
            item.with_user(self.accountant).action_sign_review()
        item.with_user(self.sales_user).action_sign_prepare()
        self.assertEqual(item.prepared_by_id, self.sales_user)
        with self.assertRaisesRegex(UserError, "another person"):
            item.with_user(self.sales_user).action_sign_review()
        item.with_user(self.accountant).action_sign_review()
        self.assertEqual(item.reviewed_by_id, self.accountant)
        self.assertEqual(item.review_fingerprint, "0|0.00")

    def test_review_undone_when_figures_change(self):
        kind = self.env.ref("sales_closing.check_draft_invoices")
        kind.reviewer_id = self.manager
        self.period.action_run_checks()
        item = self._item(kind)
        self.assertEqual(item.status, "ok")
        item.with_user(self.accountant).write({"user_id": self.accountant.id})
        item.with_user(self.accountant).action_sign_prepare()
        item.with_user(self.manager).action_sign_review()
        self.period.action_run_checks()
        self.assertEqual(item.reviewed_by_id, self.manager, "same figures keep it")
        self._invoice(date(2026, 1, 10), post=False)
        self.period.action_run_checks()
        self.assertFalse(item.reviewed_by_id)
        self.assertFalse(item.review_fingerprint)
        self.assertIn("sign off again", item.message_ids[0].body)

    def test_close_needs_both_sign_offs(self):
        item = self._item(self.kind)
        self.period.action_run_checks()
        for line in self.period.check_line_ids - item:
            line.status = "ok"
        item.status = "ok"
        with self.assertRaisesRegex(UserError, "not signed off by its preparer"):
            self.period.with_user(self.manager).action_close()
        item.with_user(self.sales_user).action_sign_prepare()
        with self.assertRaisesRegex(UserError, "not signed off by its reviewer"):
            self.period.with_user(self.manager).action_close()
        item.with_user(self.accountant).action_sign_review()
        self.period.with_user(self.manager).action_close()
        self.assertEqual(self.period.state, "closed")

    def test_dependencies_block_sign_off_and_cycles_refused(self):
        receivables = self.env["sales.closing.check.kind"].create(
            {"name": "Lock receivables", "code": "lock_receivables", "is_manual": True}
        )
        self.kind.depends_on_ids = receivables
        item = self._item(self.kind)
        with self.assertRaisesRegex(UserError, "waits for: Lock receivables"):
            item.with_user(self.sales_user).action_mark_done()
        self._item(receivables).action_mark_done()
        item.invalidate_recordset(["blocked_by_ids"])
        item.with_user(self.sales_user).action_mark_done()
        self.assertEqual(item.status, "ok")
        with self.assertRaisesRegex(UserError, "cycle"):
            receivables.depends_on_ids = self.kind

    def test_invoice_sequence_gap_and_duplicate(self):
        kind = self.env.ref("sales_closing.check_invoice_sequence")
        self.period.action_run_checks()
        self.assertEqual(self._item(kind).status, "ok")
        invoices = self._invoice(date(2026, 1, 5)) | self._invoice(date(2026, 1, 6))
        self.period.action_run_checks()
        self.assertEqual(self._item(kind).status, "ok")
        # a missing number in the middle of the sequence
        third = self._invoice(date(2026, 1, 7))
        prefix, number = third.name.rsplit("/", 1)
        gap = f"{prefix}/{int(number) + 1:0{len(number)}d}"
        self.env.cr.execute(
            "UPDATE account_move SET name = %s WHERE id = %s", [gap, third.id]
        )
        third.invalidate_recordset(["name"])
        self.period.action_run_checks()
        item = self._item(kind)
        self.assertEqual((item.status, item.count), ("failed", 1))
        opened = self.env["account.move"].search(item.action_open_records()["domain"])
        self.assertEqual(opened, invoices | third)
        # the same number typed with another padding is a duplicate
        prefix, number = invoices[0].name.rsplit("/", 1)
        self.env.cr.execute(
            "UPDATE account_move SET name = %s WHERE id = %s",
            [f"{prefix}/{int(number)}", invoices[1].id],
        )
        self.env["account.move"].invalidate_model(["name"])
        self.period.action_run_checks()
        item = self._item(kind)
        self.assertEqual(item.status, "failed")
        opened = self.env["account.move"].search(item.action_open_records()["domain"])
        self.assertEqual(opened, invoices)

    def test_flux_variance_needs_explanation_before_close(self):
        self.company.write(
            {"sales_closing_flux_amount": 500.0, "sales_closing_flux_pct": 20.0}
        )
        self._invoice(date(2025, 1, 10), amount=1050.0)  # same period last year
        self._invoice(date(2025, 12, 10), amount=1000.0)
        self._invoice(date(2026, 1, 10), amount=1100.0)  # +10 %: immaterial
        self.period.action_run_checks()
        revenue = self.period.flux_line_ids.filtered(
            lambda line: line.dimension == "revenue"
        )
        self.assertEqual(len(revenue), 1)
        self.assertEqual((revenue.current, revenue.previous), (1100.0, 1000.0))
        self.assertFalse(revenue.needs_explanation)
        self._invoice(date(2026, 1, 20), amount=900.0)  # now +100 %
        self.period.action_run_checks()
        revenue = self.period.flux_line_ids.filtered(
            lambda line: line.dimension == "revenue"
        )
        self.assertEqual(revenue.current, 2000.0)
        self.assertTrue(revenue.needs_explanation)
        receivable = self.period.flux_line_ids.filtered(
            lambda line: line.dimension == "receivable"
        )
        self.assertEqual(receivable.name, "Checklist Customer")
        for line in self.period.check_line_ids:
            line.status = "ok"
        self.assertIn("needs an explanation", "\n".join(self.period._close_blockers()))
        revenue.explanation = "Two large orders from a new customer."
        self.period.action_run_checks()
        kept = self.period.flux_line_ids.filtered(
            lambda line: line.dimension == "revenue"
        )
        self.assertEqual(kept.explanation, "Two large orders from a new customer.")

    def test_dashboard_lists_blocking_items_with_owners(self):
        self.own_line.severity = "blocking"
        self.assertIn("Review commissions", self.period.blocking_summary)
        self.assertIn(self.sales_user.name, self.period.blocking_summary)
        self.own_line.status = "ok"
        self.assertNotIn("Review commissions", self.period.blocking_summary)
