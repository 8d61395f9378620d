from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import SalesClosingCase


@tagged("post_install", "-at_install")
class TestAccessMatrix(SalesClosingCase):
    """Each closing group can and cannot read, write, create, unlink."""

    def _new_period_vals(self, name="2026-02"):
        return {"name": name, "date_from": "2026-02-01", "date_to": "2026-02-28"}

    def test_sales_user_sees_only_own_items(self):
        lines = self.env["sales.closing.check.line"].with_user(self.sales_user)
        self.assertEqual(lines.search([]), self.own_line)
        with self.assertRaises(AccessError):
            self.other_line.with_user(self.sales_user).read(["comment"])
        # the period is visible through the item the user owns
        periods = self.Period.with_user(self.sales_user).search([])
        self.assertEqual(periods, self.period)

    def test_sales_user_cannot_see_unrelated_period(self):
        periods = self.Period.with_user(self.sales_user_2).search([])
        self.assertEqual(periods, self.period)
        self.other_line.user_id = self.accountant
        periods = self.Period.with_user(self.sales_user_2).search([])
        self.assertFalse(periods)

    def test_sales_user_writes_own_item_only(self):
        self.own_line.with_user(self.sales_user).write({"comment": "Checked"})
        self.assertEqual(self.own_line.comment, "Checked")
        with self.assertRaises(AccessError):
            self.other_line.with_user(self.sales_user).write({"comment": "No"})

    def test_sales_user_cannot_create_write_or_delete_periods(self):
        Period = self.Period.with_user(self.sales_user)
        with self.assertRaises(AccessError):
            Period.create(self._new_period_vals())
        with self.assertRaises(AccessError):
            self.period.with_user(self.sales_user).write({"name": "x"})
        with self.assertRaises(AccessError):
            self.period.with_user(self.sales_user).unlink()
        with self.assertRaises(AccessError):
            self.env["sales.closing.audit.log"].with_user(self.sales_user).search([])

    def test_accountant_sees_all_of_company_and_creates(self):
        Period = self.Period.with_user(self.accountant)
        self.assertEqual(Period.search([]), self.period)
        lines = self.env["sales.closing.check.line"].with_user(self.accountant)
        self.assertEqual(lines.search([]), self.own_line | self.other_line)
        new = Period.create(self._new_period_vals())
        new.write({"name": "Feb"})
        self.assertEqual(new.name, "Feb")
        with self.assertRaises(AccessError):
            new.unlink()
        with self.assertRaises(AccessError):
            self.manual_kind.with_user(self.accountant).write({"name": "x"})

    def test_accountant_does_not_see_other_company(self):
        with self.assertRaises(AccessError):
            self.other_company_period.with_user(self.accountant).read(["name"])

    def test_manager_full_rights_in_allowed_companies(self):
        Period = self.Period.with_user(self.manager).with_context(
            allowed_company_ids=(self.company | self.other_company).ids
        )
        self.assertEqual(Period.search([]), self.period | self.other_company_period)
        new = Period.create(self._new_period_vals())
        new.unlink()
        self.assertFalse(new.exists())
        kind = self.manual_kind.with_user(self.manager)
        kind.write({"name": "Review commissions and bonuses"})
        self.assertEqual(kind.name, "Review commissions and bonuses")

    def test_auditor_reads_everything_writes_nothing(self):
        self.period.sudo()._log("close", reason="audit test")
        for record in (
            self.period,
            self.own_line,
            self.other_line,
            self.manual_kind,
            self.period.audit_log_ids,
        ):
            audited = record.with_user(self.auditor)
            audited.read([])
            with self.assertRaises(UserError):
                audited.write({})
                audited.write({"display_name": "x"})
            with self.assertRaises(UserError):
                audited.unlink()
        with self.assertRaises(AccessError):
            self.Period.with_user(self.auditor).create(self._new_period_vals())

    def test_audit_log_is_append_only_for_everyone(self):
        self.period._log("close", reason="first close")
        log = self.period.audit_log_ids
        self.assertEqual(len(log), 1)
        for user in (self.manager, self.env.ref("base.user_root")):
            with self.assertRaises(UserError):
                log.with_user(user).write({"reason": "rewritten"})
            with self.assertRaises(UserError):
                log.with_user(user).unlink()
        with self.assertRaises(UserError):
            log.sudo().write({"reason": "rewritten"})
        with self.assertRaises(UserError):
            log.sudo().unlink()
        self.assertEqual(log.reason, "first close")
        with self.assertRaises(AccessError):
            self.env["sales.closing.audit.log"].with_user(self.manager).create(
                {
                    "period_id": self.period.id,
                    "company_id": self.company.id,
                    "user_id": self.manager.id,
                    "action": "close",
                }
            )
