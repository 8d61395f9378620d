"""Dunning: which invoices reach which level on a date vs OCA
``account_credit_control`` with the same policy.

Both policies have the same levels (sequence / OCA level 1, 2, 3), each
counted in days from the due date (OCA's "net days"), from the end of the
due date's month, or from the previous reminder.  A case runs both on one
or two dates (the reminders of the first run sent) and compares, on the
last date, the level each invoice is given.
"""

from datetime import timedelta

from odoo import Command
from odoo.tests import tagged

from .common import DifferentialCase, parametrize

NET_DAYS = [("due", 10), ("due", 30), ("due", 60)]
CASES = [
    "not_due_yet",
    "first_level",
    "first_level_boundary",
    "second_level_after_first_sent",
    "third_level_after_second_sent",
    "several_levels_at_once",
    "paid_invoice",
    "partially_paid",
    "credit_note_not_reminded",
    "end_of_month_first_level",
    "end_of_month_with_days",
    "previous_reminder",
    "two_companies",
    "child_contact",
]
OCA_MODES = {
    "due": "net_days",
    "end_of_month": "end_of_month",
    "previous": "previous_date",
}


@tagged("post_install", "-at_install")
@parametrize(CASES)
class TestDunningVsOca(DifferentialCase):
    def _policies(self, levels, company=None):
        company = company or self.company
        ours = self.env["sales.closing.dunning.policy"].create(
            {
                "name": "Diff policy",
                "company_id": company.id,
                "level_ids": [
                    Command.create(
                        {
                            "name": f"Level {index}",
                            "sequence": index,
                            "computation_mode": mode,
                            "days": days,
                            "send_email": False,
                            "send_letter": True,
                        }
                    )
                    for index, (mode, days) in enumerate(levels, start=1)
                ],
            }
        )
        # only this policy runs in the company
        self.env["sales.closing.dunning.policy"].search(
            [("company_id", "=", company.id), ("id", "!=", ours.id)]
        ).active = False
        company.sales_closing_dunning_policy_id = ours
        receivable = self.env["account.account"].search(
            [
                ("account_type", "=", "asset_receivable"),
                ("company_ids", "in", company.ids),
            ]
        )
        template = self.env.ref(
            "account_credit_control.email_template_credit_control_base"
        )
        oca = self.env["credit.control.policy"].create(
            {
                "name": "Diff OCA policy",
                "company_id": company.id,
                "account_ids": [Command.set(receivable.ids)],
                "level_ids": [
                    Command.create(
                        {
                            "name": f"Level {index}",
                            "level": index,
                            "computation_mode": OCA_MODES[mode],
                            "delay_days": days,
                            "channel": "letter",
                            "email_template_id": template.id,
                            "custom_text": "Please pay",
                            "custom_mail_text": "<p>Please pay</p>",
                        }
                    )
                    for index, (mode, days) in enumerate(levels, start=1)
                ],
            }
        )
        company.credit_policy_id = oca
        return ours, oca

    def _run_ours(self, company, day, send=False):
        run = (
            self.env["sales.closing.dunning.run"]
            .with_company(company)
            .with_context(allowed_company_ids=company.ids)
            ._plan(company, day)
        )
        lines = run.line_ids.filtered(lambda line: line.state == "draft")
        result = {line.invoice_id.name: line.level_id.sequence for line in lines}
        if send:
            lines._send()
            # the reminders count as sent on the run's day
            self.env.cr.execute(
                "UPDATE sales_closing_dunning_line SET date_sent = %s WHERE id IN %s",
                (day, tuple(lines.ids)),
            )
            self.env.invalidate_all()
        return result

    def _run_oca(self, company, day, send=False):
        run = (
            self.env["credit.control.run"]
            .with_company(company)
            .create(
                {"date": day, "policy_ids": [Command.set(company.credit_policy_id.ids)]}
            )
        )
        run.with_company(company).generate_credit_lines()
        result = {line.move_line_id.move_id.name: line.level for line in run.line_ids}
        if send:
            run.line_ids.write({"state": "sent"})
            # OCA reads the lines sent with SQL: as a later transaction would
            self.env.flush_all()
        return result

    def _check(self, name):
        company, days = getattr(self, f"case_{name}")()
        ours = oca = None
        for index, day in enumerate(days):
            send = index < len(days) - 1
            ours = self._run_ours(company, day, send)
            oca = self._run_oca(company, day, send)
        expected = getattr(self, f"difference_{name}", None)
        if expected:
            # where we differ on purpose, the case states both answers
            self.assertEqual((ours, oca), expected(), name)
        else:
            self.assertEqual(ours, oca, name)

    def _overdue(self, partner, days_overdue, amount=100.0, company=None):
        due = self.today - timedelta(days=days_overdue)
        return self._invoice(
            partner, amount, day=due - timedelta(days=30), due=due, company=company
        )

    def case_not_due_yet(self):
        self._policies(NET_DAYS)
        self._overdue(self._customer(), 5)
        return self.company, [self.today]

    def case_first_level(self):
        self._policies(NET_DAYS)
        self._overdue(self._customer(), 15)
        return self.company, [self.today]

    def case_first_level_boundary(self):
        """Exactly 10 days past due: the first level is reached that day."""
        self._policies(NET_DAYS)
        self._overdue(self._customer(), 10)
        self._overdue(self._customer(), 9)
        return self.company, [self.today]

    def case_second_level_after_first_sent(self):
        self._policies(NET_DAYS)
        self._overdue(self._customer(), 40)
        return self.company, [self.today - timedelta(days=20), self.today]

    def case_third_level_after_second_sent(self):
        self._policies(NET_DAYS)
        self._overdue(self._customer(), 70)
        return self.company, [
            self.today - timedelta(days=50),
            self.today - timedelta(days=30),
            self.today,
        ]

    def case_several_levels_at_once(self):
        """45 days past due, nothing sent yet.

        We differ on purpose: we send the highest level reached (2) and
        record level 1 as skipped; OCA sends one level a run (1), the next
        one only at a later run.
        """
        self._policies(NET_DAYS)
        self.several = self._overdue(self._customer(), 45)
        return self.company, [self.today]

    def difference_several_levels_at_once(self):
        return {self.several.name: 2}, {self.several.name: 1}

    def case_paid_invoice(self):
        self._policies(NET_DAYS)
        partner = self._customer()
        self._pay(self._overdue(partner, 15))
        self._overdue(partner, 20)
        return self.company, [self.today]

    def case_partially_paid(self):
        self._policies(NET_DAYS)
        self._pay(self._overdue(self._customer(), 15), amount=40.0)
        return self.company, [self.today]

    def case_credit_note_not_reminded(self):
        self._policies(NET_DAYS)
        partner = self._customer()
        self._overdue(partner, 15)
        day = self.today - timedelta(days=40)
        self._invoice(partner, 30.0, move_type="out_refund", day=day, due=day)
        return self.company, [self.today]

    def _end_of_last_month(self):
        return self.today.replace(day=1) - timedelta(days=1)

    def case_end_of_month_first_level(self):
        """A level at the end of the due date's month."""
        self._policies([("end_of_month", 0), ("end_of_month", 15)])
        anchor = self._end_of_last_month()
        for due in (anchor - timedelta(days=10), anchor + timedelta(days=1)):
            self._invoice(self._customer(), 100.0, day=due, due=due)
        return self.company, [anchor + timedelta(days=5)]

    def case_end_of_month_with_days(self):
        """15 days after the end of the due date's month.

        A difference on purpose: in every mode of ours ``days`` count from
        the date the mode names (the due date, the due month's last day,
        the previous reminder), so our level is reached 15 days after the
        end of the due date's month; OCA's ``end_of_month`` mode is the end
        of the month of the due date plus 15 days, two weeks later here.
        One reading for all modes is easier to configure and explain; the
        README's table says so.
        """
        self._policies([("end_of_month", 0), ("end_of_month", 15)])
        anchor = self._end_of_last_month()
        due = anchor - timedelta(days=10)
        self.eom = self._invoice(self._customer(), 100.0, day=due, due=due)
        return self.company, [anchor + timedelta(days=1), anchor + timedelta(days=16)]

    def difference_end_of_month_with_days(self):
        return {self.eom.name: 2}, {}

    def case_previous_reminder(self):
        """A second level 10 days after the first was sent."""
        self._policies([("due", 5), ("previous", 10)])
        self._overdue(self._customer(), 30)
        self._overdue(self._customer(), 12)
        return self.company, [self.today - timedelta(days=11), self.today]

    def case_two_companies(self):
        self._policies(NET_DAYS)
        self._policies(NET_DAYS, company=self.other_company)
        partner = self._customer()
        self._overdue(partner, 15)
        self._overdue(partner, 15, company=self.other_company)
        return self.company, [self.today]

    def case_child_contact(self):
        self._policies(NET_DAYS)
        partner = self._customer()
        contact = self.env["res.partner"].create(
            {"name": "Diff Buyer", "parent_id": partner.id, "email": "b@example.com"}
        )
        self._overdue(contact, 15)
        return self.company, [self.today]
