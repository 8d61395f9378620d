"""Receivables aging buckets per customer vs OCA's aged partner balance.

OCA ``account_financial_report`` buckets a receivable by days past due as
current (not due), 1-30, 31-60, 61-90, 91-120 and older; ours
(``sales.closing.aging.report``) has the same first four and one "over 90
days" bucket, compared with OCA's last two added up.
"""

from datetime import timedelta

from odoo.tests import tagged

from .common import DifferentialCase, parametrize

CASES = [
    "not_due",
    "due_today",
    "overdue_15_days",
    "overdue_30_days",
    "overdue_45_days",
    "overdue_75_days",
    "overdue_100_days",
    "overdue_150_days",
    "partial_payment",
    "credit_note",
    "unmatched_payment",
    "foreign_currency_moved_rate",
    "two_companies",
    "child_contact",
    "several_invoices",
    "future_dated_invoice",
]
OCA_BUCKETS = ("current", "30_days", "60_days", "90_days")


@tagged("post_install", "-at_install")
@parametrize(CASES)
class TestAgingVsOca(DifferentialCase):
    def _ours(self, partner, company):
        self.env.flush_all()
        rows = self.env["sales.closing.aging.report"]._read_group(
            [("partner_id", "=", partner.id), ("company_id", "=", company.id)],
            [],
            [
                "amount_not_due:sum",
                "amount_1_30:sum",
                "amount_31_60:sum",
                "amount_61_90:sum",
                "amount_90:sum",
            ],
        )
        return tuple(round(amount or 0.0, 2) for amount in rows[0])

    def _oca(self, partner, company):
        report = self.env[
            "report.account_financial_report.aged_partner_balance"
        ].with_context(age_partner_config=self.env["account.age.report.configuration"])
        accounts = self.env["account.account"].search(
            [
                ("account_type", "=", "asset_receivable"),
                ("company_ids", "in", company.ids),
            ]
        )
        data = report._get_move_lines_data(
            company.id, accounts.ids, [partner.id], self.today, False, True, False
        )[0]
        totals = dict.fromkeys((*OCA_BUCKETS, "120_days", "older"), 0.0)
        for account_data in data.values():
            for key in totals:
                totals[key] += account_data.get(partner.id, {}).get(key, 0.0)
        over_90 = totals["120_days"] + totals["older"]
        return tuple(round(totals[key], 2) for key in OCA_BUCKETS) + (
            round(over_90, 2),
        )

    def _check(self, name):
        partner, company = getattr(self, f"case_{name}")()
        self.assertEqual(
            self._ours(partner, company), self._oca(partner, company), name
        )

    def _due(self, partner, amount, days_overdue, **values):
        day = self.today - timedelta(days=max(days_overdue, 0) + 10)
        return self._invoice(
            partner,
            amount,
            day=day,
            due=self.today - timedelta(days=days_overdue),
            **values,
        )

    def case_not_due(self):
        partner = self._customer()
        self._due(partner, 100.0, -20)
        return partner, self.company

    def case_due_today(self):
        partner = self._customer()
        self._due(partner, 100.0, 0)
        return partner, self.company

    def case_overdue_15_days(self):
        partner = self._customer()
        self._due(partner, 100.0, 15)
        return partner, self.company

    def case_overdue_30_days(self):
        partner = self._customer()
        self._due(partner, 100.0, 30)
        return partner, self.company

    def case_overdue_45_days(self):
        partner = self._customer()
        self._due(partner, 100.0, 45)
        return partner, self.company

    def case_overdue_75_days(self):
        partner = self._customer()
        self._due(partner, 100.0, 75)
        return partner, self.company

    def case_overdue_100_days(self):
        partner = self._customer()
        self._due(partner, 100.0, 100)
        return partner, self.company

    def case_overdue_150_days(self):
        partner = self._customer()
        self._due(partner, 100.0, 150)
        return partner, self.company

    def case_partial_payment(self):
        partner = self._customer()
        self._pay(self._due(partner, 300.0, 40), amount=120.0)
        return partner, self.company

    def case_credit_note(self):
        partner = self._customer()
        self._due(partner, 300.0, 40)
        self._due(partner, 50.0, 5, move_type="out_refund")
        return partner, self.company

    def case_unmatched_payment(self):
        """A payment received and not matched to any invoice."""
        partner = self._customer()
        self._due(partner, 300.0, 40)
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": partner.id,
                "amount": 90.0,
                "journal_id": self.bank_journal.id,
                "date": self.today - timedelta(days=3),
            }
        )
        payment.action_post()
        return partner, self.company

    def case_foreign_currency_moved_rate(self):
        partner = self._customer()
        self._due(partner, 200.0, 20, currency=self.foreign)
        return partner, self.company

    def case_two_companies(self):
        partner = self._customer()
        self._due(partner, 100.0, 20)
        self._due(partner, 400.0, 50, company=self.other_company)
        return partner, self.company

    def case_child_contact(self):
        partner = self._customer()
        contact = self.env["res.partner"].create(
            {"name": "Diff Buyer", "parent_id": partner.id}
        )
        self._due(contact, 100.0, 20)
        return partner, self.company

    def case_several_invoices(self):
        partner = self._customer()
        for days, amount in ((-5, 10.0), (10, 20.0), (35, 40.0), (65, 80.0)):
            self._due(partner, amount, days)
        self._due(partner, 160.0, 95)
        self._due(partner, 320.0, 200)
        return partner, self.company

    def case_future_dated_invoice(self):
        """An invoice posted with next week's date is not open today."""
        partner = self._customer()
        self._due(partner, 100.0, 20)
        day = self.today + timedelta(days=7)
        self._invoice(partner, 500.0, day=day, due=day + timedelta(days=30))
        return partner, self.company
