"""Open receivable per customer vs Odoo's ``res.partner.credit``.

Ours is the receivable part of the credit exposure
(``sales_closing_exposure_receivables``): the residual of the customer's
posted receivable items in the current company.
"""

from datetime import timedelta

from odoo.tests import tagged

from .common import DifferentialCase, parametrize

CASES = [
    "invoice",
    "partial_payment",
    "paid_invoice",
    "credit_note",
    "overpayment",
    "taxes",
    "foreign_currency_moved_rate",
    "two_companies",
    "child_contact",
    "draft_invoice",
]


@tagged("post_install", "-at_install")
@parametrize(CASES)
class TestOpenReceivableVsOdoo(DifferentialCase):
    def _check(self, name):
        partner, company = getattr(self, f"case_{name}")()
        self.env.flush_all()
        self.env.invalidate_all()
        partner = partner.with_company(company).with_context(
            allowed_company_ids=[company.id]
        )
        self.assertAlmostEqual(
            partner.sales_closing_exposure_receivables,
            partner.credit,
            places=2,
            msg=name,
        )

    def case_invoice(self):
        partner = self._customer()
        self._invoice(partner, 300.0)
        return partner, self.company

    def case_partial_payment(self):
        partner = self._customer()
        self._pay(self._invoice(partner, 300.0), amount=120.0)
        return partner, self.company

    def case_paid_invoice(self):
        partner = self._customer()
        self._invoice(partner, 80.0)
        self._pay(self._invoice(partner, 300.0))
        return partner, self.company

    def case_credit_note(self):
        partner = self._customer()
        self._invoice(partner, 300.0)
        self._invoice(partner, 50.0, move_type="out_refund")
        return partner, self.company

    def case_overpayment(self):
        """A payment larger than the invoice: the customer is in credit."""
        partner = self._customer()
        self._pay(self._invoice(partner, 100.0), amount=250.0)
        return partner, self.company

    def case_taxes(self):
        partner = self._customer()
        self._invoice(partner, 200.0, taxes=self.tax)
        return partner, self.company

    def case_foreign_currency_moved_rate(self):
        partner = self._customer()
        self._invoice(
            partner, 200.0, day=self.today - timedelta(days=30), currency=self.foreign
        )
        return partner, self.company

    def case_two_companies(self):
        partner = self._customer()
        self._invoice(partner, 100.0)
        self._invoice(partner, 700.0, company=self.other_company)
        return partner, self.company

    def case_child_contact(self):
        partner = self._customer()
        contact = self.env["res.partner"].create(
            {"name": "Diff Buyer", "parent_id": partner.id}
        )
        self._invoice(contact, 140.0)
        self._invoice(partner, 60.0)
        return partner, self.company

    def case_draft_invoice(self):
        """A draft is not a receivable yet (for both)."""
        partner = self._customer()
        self._invoice(partner, 100.0)
        self._invoice(partner, 900.0, post=False)
        return partner, self.company
