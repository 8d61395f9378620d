"""Customer statement vs OCA ``partner_statement``'s activity statement.

Both start from the receivable balance before the first day, list the
period's receivable movements and end on the balance at the last day.  We
compare (opening, movements, closing) in company currency for each case.
"""

from datetime import timedelta
from decimal import Decimal

from odoo.tests import tagged

from .common import DifferentialCase, parametrize

CASES = [
    "opening_only",
    "invoice_in_period",
    "invoice_before_paid_in_period",
    "partial_payment",
    "credit_note",
    "unmatched_payment",
    "taxes",
    "invoice_after_period",
    "two_companies",
    "child_contact",
    "foreign_currency_moved_rate",
]


@tagged("post_install", "-at_install")
@parametrize(CASES)
class TestStatementVsOca(DifferentialCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.date_start = cls.today - timedelta(days=30)
        cls.date_end = cls.today - timedelta(days=2)

    def _ours(self, partner, company):
        values = self.env["sales.closing.statement"]._statement_values(
            company, self.date_start, self.date_end, partner
        )[partner.id]
        return tuple(
            float(amount)
            for amount in (
                values["opening"],
                values["closing"] - values["opening"],
                values["closing"],
            )
        )

    def _oca(self, partner, company):
        wizard = (
            self.env["activity.statement.wizard"]
            .with_context(active_ids=partner.ids, active_model="res.partner")
            .create(
                {
                    "company_id": company.id,
                    "date_start": self.date_start,
                    "date_end": self.date_end,
                    "filter_partners_non_due": False,
                    "filter_negative_balances": False,
                    "show_aging_buckets": False,
                }
            )
        )
        data = wizard._prepare_statement()
        values = self.env[
            "report.partner_statement.activity_statement"
        ]._get_report_values(partner.ids, data)["data"]
        currencies = values.get(partner.id, {}).get("currencies", {})
        # OCA states each currency apart, in that currency: we compare the
        # company currency's (see the foreign currency case)
        figures = currencies.get(company.currency_id.id, {})
        opening = figures.get("balance_forward", 0.0)
        movements = sum(line["amount"] for line in figures.get("lines", []))
        return opening, movements, opening + movements

    def _check(self, name):
        result = getattr(self, f"case_{name}")()
        partner, company = result[:2]
        difference = result[2] if len(result) > 2 else (0.0, 0.0, 0.0)
        self.env.flush_all()
        ours, oca = self._ours(partner, company), self._oca(partner, company)
        self.assertEqual(
            tuple(
                round(Decimal(str(a)) - Decimal(str(b)), 2)
                for a, b in zip(ours, oca, strict=True)
            ),
            tuple(round(Decimal(str(d)), 2) for d in difference),
            f"{name}: ours {ours}, OCA {oca}",
        )

    def _before(self):
        return self.date_start - timedelta(days=20)

    def _during(self):
        return self.date_start + timedelta(days=10)

    def case_opening_only(self):
        partner = self._customer()
        self._invoice(partner, 300.0, day=self._before())
        return partner, self.company

    def case_invoice_in_period(self):
        partner = self._customer()
        self._invoice(partner, 100.0, day=self._before())
        self._invoice(partner, 250.0, day=self._during())
        return partner, self.company

    def case_invoice_before_paid_in_period(self):
        partner = self._customer()
        self._pay(self._invoice(partner, 300.0, day=self._before()), day=self._during())
        return partner, self.company

    def case_partial_payment(self):
        partner = self._customer()
        invoice = self._invoice(partner, 300.0, day=self._during())
        self._pay(invoice, amount=100.0, day=self._during() + timedelta(days=2))
        return partner, self.company

    def case_credit_note(self):
        partner = self._customer()
        self._invoice(partner, 300.0, day=self._before())
        self._invoice(partner, 70.0, move_type="out_refund", day=self._during())
        return partner, self.company

    def case_unmatched_payment(self):
        partner = self._customer()
        self._invoice(partner, 300.0, day=self._before())
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": partner.id,
                "amount": 90.0,
                "journal_id": self.bank_journal.id,
                "date": self._during(),
            }
        )
        payment.action_post()
        return partner, self.company

    def case_taxes(self):
        partner = self._customer()
        self._invoice(partner, 200.0, day=self._during(), taxes=self.tax)
        return partner, self.company

    def case_invoice_after_period(self):
        partner = self._customer()
        self._invoice(partner, 100.0, day=self._during())
        self._invoice(partner, 500.0, day=self.today)
        return partner, self.company

    def case_two_companies(self):
        partner = self._customer()
        self._invoice(partner, 100.0, day=self._during())
        self._invoice(partner, 400.0, day=self._during(), company=self.other_company)
        return partner, self.company

    def case_child_contact(self):
        partner = self._customer()
        contact = self.env["res.partner"].create(
            {"name": "Diff Buyer", "parent_id": partner.id}
        )
        self._invoice(contact, 100.0, day=self._before())
        self._invoice(contact, 40.0, day=self._during())
        return partner, self.company

    def case_foreign_currency_moved_rate(self):
        """An invoice of 200 in a currency at 2 (100 in company currency).

        We differ on purpose: our statement is in company currency and
        counts it 100; OCA states it apart, in its own currency, so the
        company currency's statement does not hold it.
        """
        partner = self._customer()
        self._invoice(partner, 50.0, day=self._during())
        self._invoice(partner, 200.0, day=self._during(), currency=self.foreign)
        return partner, self.company, (0.0, 100.0, 100.0)
