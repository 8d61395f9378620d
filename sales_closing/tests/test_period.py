from datetime import date

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import SalesClosingCase


@tagged("post_install", "-at_install")
class TestPeriod(SalesClosingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Closing Customer"})
        cls.product = cls.env["product.product"].create(
            {"name": "Closing Product", "list_price": 100.0}
        )

    def _draft_invoice(self, invoice_date):
        return self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": invoice_date,
                "invoice_line_ids": [
                    (0, 0, {"product_id": self.product.id, "price_unit": 250.0})
                ],
            }
        )

    def _line(self, code):
        return self.period.check_line_ids.filtered(
            lambda line: line.kind_id.code == code
        )

    def test_period_bounds(self):
        bounds = self.Period._period_bounds
        self.assertEqual(
            bounds(date(2026, 2, 14), "month"),
            (date(2026, 2, 1), date(2026, 2, 28), "2026-02"),
        )
        self.assertEqual(
            bounds(date(2026, 8, 1), "quarter"),
            (date(2026, 7, 1), date(2026, 9, 30), "2026-Q3"),
        )
        self.assertEqual(
            bounds(date(2026, 8, 1), "year"),
            (date(2026, 1, 1), date(2026, 12, 31), "2026"),
        )

    def test_create_for_is_idempotent_and_sets_deadline(self):
        self.company.sales_closing_deadline_days = 7
        first = self.Period._create_for(self.company, date(2026, 3, 10))
        again = self.Period._create_for(self.company, date(2026, 3, 20))
        self.assertEqual(first, again)
        self.assertEqual(first.deadline, date(2026, 4, 7))

    def test_overlap_refused(self):
        with self.assertRaises(ValidationError):
            self.Period.create(
                {
                    "name": "bad",
                    "date_from": date(2026, 1, 15),
                    "date_to": date(2026, 2, 14),
                }
            )

    def test_draft_invoice_fails_check_and_blocks_close(self):
        invoice = self._draft_invoice(date(2026, 1, 20))
        self._draft_invoice(date(2026, 2, 20))  # outside the period
        self.period.with_user(self.accountant).action_run_checks()
        self.assertEqual(self.period.state, "in_progress")
        line = self._line("draft_invoices")
        self.assertEqual(line.status, "failed")
        self.assertEqual(line.count, 1)
        self.assertAlmostEqual(line.amount, invoice.amount_total_signed)
        action = line.action_open_records()
        self.assertEqual(
            self.env[action["res_model"]].search(action["domain"]), invoice
        )
        self.assertTrue(self.period.blocking_count >= 1)
        with self.assertRaisesRegex(UserError, "Draft customer invoices"):
            self.period.with_user(self.manager).action_close()

    def test_run_checks_needs_accountant(self):
        with self.assertRaises(AccessError):
            self.period.with_user(self.sales_user).action_run_checks()

    def test_waive_manager_only_with_reason(self):
        self._draft_invoice(date(2026, 1, 20))
        self.period.action_run_checks()
        line = self._line("draft_invoices")
        with self.assertRaises(AccessError):
            line.with_user(self.accountant).action_waive()
        with self.assertRaisesRegex(UserError, "reason"):
            line.with_user(self.manager).action_waive()
        line.waiver_reason = "Cancelled with the customer in February"
        line.with_user(self.manager).action_waive()
        self.assertEqual(line.status, "waived")
        log = self.period.audit_log_ids
        self.assertEqual(log.action, "waive")
        self.assertEqual(log.reason, "Cancelled with the customer in February")
        # a new run keeps the waiver while the problem is still there
        self.period.action_run_checks()
        self.assertEqual(line.status, "waived")

    def test_close_sets_lock_dates_and_logs(self):
        self.company.sales_closing_lock_tax = True
        self.period.action_run_checks()
        blocking = self.period.check_line_ids.filtered("is_blocking_open")
        for line in blocking:
            line.status = "ok" if line.is_manual else line.status
        failed = self.period.check_line_ids.filtered("is_blocking_open")
        failed.write({"waiver_reason": "test"})
        failed.filtered(lambda line: line.status == "failed").with_user(
            self.manager
        ).action_waive()
        with self.assertRaises(AccessError):
            self.period.with_user(self.accountant).action_close()
        self.period.with_user(self.manager).action_close()
        self.assertEqual(self.period.state, "closed")
        self.assertEqual(self.company.sale_lock_date, date(2026, 1, 31))
        self.assertEqual(self.company.tax_lock_date, date(2026, 1, 31))
        self.assertFalse(self.company.hard_lock_date)
        self.assertIn("close", self.period.audit_log_ids.mapped("action"))
        with self.assertRaises(UserError):
            self.period.action_run_checks()

    def test_manual_task_ticked_by_owner(self):
        self.own_line.with_user(self.sales_user).write({"comment": "Commissions ok"})
        self.own_line.with_user(self.sales_user).action_mark_done()
        self.assertEqual(self.own_line.status, "ok")
        self.period.action_run_checks()
        with self.assertRaisesRegex(UserError, "Only manual tasks"):
            self._line("draft_invoices").action_mark_done()

    def test_cron_creates_last_month_for_every_company(self):
        periods = self.Period._cron_create_periods()
        self.assertEqual(periods.company_id, self.env["res.company"].search([]))
        self.assertEqual(periods, self.Period._cron_create_periods())

    def test_generate_wizard_creates_fiscal_year_periods_once(self):
        wizard = self.env["sales.closing.period.generate"].create(
            {
                "company_ids": [(6, 0, (self.company | self.other_company).ids)],
                "kind": "quarter",
                "date_from": date(2027, 1, 1),
                "date_to": date(2027, 12, 31),
            }
        )
        action = wizard.action_generate()
        periods = self.Period.search(action["domain"])
        self.assertEqual(len(periods), 8)
        self.assertEqual(
            sorted(set(periods.mapped("name"))),
            ["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"],
        )
        again = self.Period.search(wizard.action_generate()["domain"])
        self.assertEqual(again, periods)
