"""Credit exposure vs OCA ``sale_financial_risk``'s total risk.

OCA counts, when every part is included: draft invoices, open and unpaid
receivables (on the partner's receivable account and on others) and what
confirmed orders have still to invoice (``risk_sale_order``).  Ours counts
the same parts (``sales_closing_exposure``); a quotation adds itself, as
OCA's ``evaluate_risk_message`` adds the order it checks.
"""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import DifferentialCase, parametrize

# every part of OCA's risk counted in its total
OCA_INCLUDES = {
    "risk_invoice_draft_include": True,
    "risk_invoice_open_include": True,
    "risk_invoice_unpaid_include": True,
    "risk_account_amount_include": True,
    "risk_account_amount_unpaid_include": True,
    "risk_sale_order_include": True,
}

CASES = [
    "order_policy_taxes_excluded",
    "delivery_policy_nothing_delivered",
    "partial_delivery_with_backorder",
    "partial_delivery_backorder_cancelled",
    "return_before_invoice",
    "return_after_invoice_and_credit_note",
    "credit_note",
    "draft_credit_note",
    "down_payment",
    "down_payment_final_invoice",
    "discount",
    "taxes_included",
    "draft_invoice_of_an_order",
    "partial_payment",
    "overdue_invoice",
    "foreign_currency_order_moved_rate",
    "foreign_currency_invoice_moved_rate",
    "two_companies",
    "child_contact",
    "quotation",
]


@tagged("post_install", "-at_install")
@parametrize(CASES)
class TestCreditExposureVsOca(DifferentialCase):
    def _check(self, name):
        result = getattr(self, f"case_{name}")()
        partner, company = result[:2]
        # where we differ on purpose (README, "Where we differ from Odoo
        # and OCA"), the case says by how much
        expected_difference = result[2] if len(result) > 2 else 0.0
        quotation = result[3] if len(result) > 3 else None
        ours, theirs = (
            self._ours(partner, company, quotation),
            self._oca(partner, company, quotation),
        )
        self.assertAlmostEqual(
            ours - theirs,
            expected_difference,
            places=2,
            msg=f"{name}: ours {ours}, OCA {theirs}",
        )

    def _ours(self, partner, company, quotation=None):
        self.env.flush_all()
        self.env.invalidate_all()
        if quotation:
            return quotation.with_company(company).sales_closing_exposure
        return partner.with_company(company).sales_closing_exposure

    def _oca(self, partner, company, quotation=None):
        commercial = partner.commercial_partner_id
        commercial.write(OCA_INCLUDES)
        self.env.flush_all()
        self.env.invalidate_all()
        commercial = commercial.with_company(company).with_context(
            allowed_company_ids=[company.id]
        )
        total = commercial.risk_total
        if quotation:
            # as sale_financial_risk's evaluate_risk_message adds the order
            total += quotation.currency_id._convert(
                quotation.amount_total,
                commercial.risk_currency_id,
                company,
                quotation.date_order.date(),
                round=False,
            )
        return total

    # ------------------------------------------------------------------
    # cases: each returns (partner, company[, our - OCA[, quotation]])
    # ------------------------------------------------------------------
    def case_order_policy_taxes_excluded(self):
        """Invoiced on order, 15 % tax excluded, nothing invoiced."""
        partner = self._customer()
        self._order(partner, [(self.service, 2, 100.0, self.tax, 0)])
        return partner, self.company

    def case_delivery_policy_nothing_delivered(self):
        """Issue #16: invoiced on delivery, confirmed, nothing delivered."""
        partner = self._customer()
        self._order(partner, [(self.goods, 2, 100.0, self.env["account.tax"], 0)])
        return partner, self.company

    def case_partial_delivery_with_backorder(self):
        """2 of 5 delivered and invoiced, 3 waiting in a backorder."""
        partner = self._customer()
        order = self._order(partner, [(self.goods, 5, 100.0, self.tax, 0)])
        self._deliver(order, 2)
        self._invoice_order(order)
        return partner, self.company

    def case_partial_delivery_backorder_cancelled(self):
        """2 of 5 delivered, no backorder: only 2 will be invoiced."""
        partner = self._customer()
        order = self._order(partner, [(self.goods, 5, 100.0, self.tax, 0)])
        self._deliver(order, 2, backorder=False)
        return partner, self.company

    def case_return_before_invoice(self):
        """2 delivered, 1 returned, nothing invoiced yet."""
        partner = self._customer()
        order = self._order(partner, [(self.goods, 2, 100.0, self.tax, 0)])
        picking = self._deliver(order, 2)
        self._return(picking, 1)
        return partner, self.company

    def case_return_after_invoice_and_credit_note(self):
        """2 delivered and invoiced, 1 returned and credited."""
        partner = self._customer()
        order = self._order(partner, [(self.goods, 2, 100.0, self.tax, 0)])
        picking = self._deliver(order, 2)
        self._invoice_order(order)
        self._return(picking, 1)
        refund = self._invoice_order(order)
        self.assertEqual(refund.move_type, "out_refund")
        return partner, self.company

    def case_credit_note(self):
        """An invoice of 300 and a posted credit note of 100, unreconciled."""
        partner = self._customer()
        self._invoice(partner, 300.0)
        self._invoice(partner, 100.0, move_type="out_refund")
        return partner, self.company

    def case_draft_credit_note(self):
        """An invoice of 300 and a draft credit note of 100."""
        partner = self._customer()
        self._invoice(partner, 300.0)
        self._invoice(partner, 100.0, move_type="out_refund", post=False)
        return partner, self.company

    def case_down_payment(self):
        """A down payment of 30 % invoiced and posted, the rest to invoice.

        We differ on purpose: the order owes 1,150 in all, 345 of it on the
        down payment invoice.  OCA counts 1,495: its down payment line (ordered
        0, invoiced 1) is worth ``price_reduce_taxinc``, which Odoo sets to 0
        on a line ordered in zero quantity, so the down payment is counted on
        its invoice and again on the order's lines.  Ours deducts it.
        """
        partner = self._customer()
        order = self._order(partner, [(self.service, 10, 100.0, self.tax, 0)])
        self._down_payment(order, 30)
        return partner, self.company, -345.0

    def case_down_payment_final_invoice(self):
        """A down payment of 30 %, then the final invoice deducting it."""
        partner = self._customer()
        order = self._order(partner, [(self.service, 10, 100.0, self.tax, 0)])
        self._down_payment(order, 30)
        self._invoice_order(order)
        return partner, self.company

    def case_discount(self):
        """A 10 % discount on a taxed line."""
        partner = self._customer()
        self._order(partner, [(self.service, 2, 100.0, self.tax, 10.0)])
        return partner, self.company

    def case_taxes_included(self):
        """A price with its 15 % tax included."""
        partner = self._customer()
        self._order(partner, [(self.service, 2, 115.0, self.tax_included, 0)])
        return partner, self.company

    def case_draft_invoice_of_an_order(self):
        """An order's invoice still in draft: counted once."""
        partner = self._customer()
        order = self._order(partner, [(self.service, 3, 100.0, self.tax, 0)])
        self._invoice_order(order, post=False)
        return partner, self.company

    def case_partial_payment(self):
        """An invoice of 300 paid 100."""
        partner = self._customer()
        self._pay(self._invoice(partner, 300.0), amount=100.0)
        return partner, self.company

    def case_overdue_invoice(self):
        """An invoice due 40 days ago (OCA's unpaid part)."""
        partner = self._customer()
        day = self.today - timedelta(days=70)
        self._invoice(partner, 250.0, day=day, due=day + timedelta(days=30))
        return partner, self.company

    def case_foreign_currency_order_moved_rate(self):
        """An order in a currency at 2 on its date, 4 today."""
        partner = self._customer()
        order = self._order(
            partner,
            [(self.service, 2, 100.0, self.tax, 0)],
            pricelist=self.foreign_pricelist,
        )
        # the rate of the order's date, not today's
        order.date_order = fields.Datetime.now() - timedelta(days=30)
        self.assertEqual(order.currency_rate, 2.0)
        return partner, self.company

    def case_foreign_currency_invoice_moved_rate(self):
        """An invoice of 200 in a currency at 2 on its date, 4 today.

        We differ on purpose: our receivable is the ledger's residual at the
        invoice's rate (100, as Odoo's partner credit); OCA converts that
        company-currency residual again as if it were in the invoice's
        currency, at today's rate (100 / 4 = 25).
        """
        partner = self._customer()
        self._invoice(
            partner, 200.0, day=self.today - timedelta(days=30), currency=self.foreign
        )
        return partner, self.company, 100.0 - 25.0

    def case_two_companies(self):
        """An order in each company: each company counts its own."""
        partner = self._customer()
        self._order(partner, [(self.service, 2, 100.0, self.tax, 0)])
        self._order(
            partner,
            [(self.service, 5, 100.0, self.other_tax, 0)],
            company=self.other_company,
        )
        self._invoice(partner, 400.0, company=self.other_company)
        return partner, self.company

    def case_child_contact(self):
        """Orders and invoices of a contact count for its company."""
        partner = self._customer()
        contact = self.env["res.partner"].create(
            {"name": "Diff Buyer", "parent_id": partner.id}
        )
        self._order(contact, [(self.service, 2, 100.0, self.tax, 0)])
        self._invoice(contact, 120.0)
        return partner, self.company

    def case_quotation(self):
        """A quotation adds itself to the confirmed order and the invoice."""
        partner = self._customer()
        self._order(partner, [(self.goods, 2, 100.0, self.tax, 0)])
        self._invoice(partner, 50.0)
        quotation = self._order(
            partner, [(self.service, 1, 80.0, self.tax, 0)], confirm=False
        )
        return partner, self.company, 0.0, quotation
