"""The "delivered or ordered but not invoiced" check vs Odoo's status.

Odoo marks an order line "to invoice" (``invoice_status``) when it has a
quantity to invoice, either way (a credit note to issue too), and values it
with ``untaxed_amount_to_invoice`` in the order's currency.  The check
(``uninvoiced_lines``) must flag the same lines of the period's confirmed
orders and total their amount in company currency at each order's rate.
Each case is measured as what it adds to the check's result.
"""

from calendar import monthrange
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import DifferentialCase, parametrize

CASES = [
    "order_policy",
    "delivery_policy_nothing_delivered",
    "partial_delivery",
    "fully_invoiced",
    "draft_invoice",
    "return_before_invoice",
    "return_after_invoice",
    "credit_note_issued",
    "down_payment",
    "discount",
    "taxes_included",
    "foreign_currency_moved_rate",
    "two_companies",
    "child_contact",
]


@tagged("post_install", "-at_install")
@parametrize(CASES)
class TestUninvoicedCheckVsOdoo(DifferentialCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        last = monthrange(cls.today.year, cls.today.month)[1]
        cls.period = cls.env["sales.closing.period"].create(
            {
                "name": "Diff period",
                "date_from": cls.today.replace(day=1),
                "date_to": cls.today.replace(day=last),
                "user_id": cls.env.user.id,
            }
        )
        cls.kind = cls.env.ref("sales_closing.check_uninvoiced_lines")

    def _ours(self):
        self.env.flush_all()
        self.env.invalidate_all()
        result = self.kind._evaluate(self.period)
        return result["count"], result["amount"]

    def _check(self, name):
        before = self._ours()
        orders = getattr(self, f"case_{name}")()
        after = self._ours()
        ours = (after[0] - before[0], round(after[1] - before[1], 2))
        self.env.invalidate_all()
        to_invoice = orders.order_line.filtered(
            lambda line: (
                line.invoice_status == "to invoice"
                and line.company_id == self.period.company_id
            )
        )
        odoo = (
            len(to_invoice),
            round(
                abs(
                    sum(
                        line.untaxed_amount_to_invoice / line.order_id.currency_rate
                        for line in to_invoice
                    )
                ),
                2,
            ),
        )
        self.assertEqual(ours, odoo, name)

    def case_order_policy(self):
        partner = self._customer()
        return self._order(partner, [(self.service, 2, 100.0, self.tax, 0)])

    def case_delivery_policy_nothing_delivered(self):
        partner = self._customer()
        return self._order(partner, [(self.goods, 2, 100.0, self.tax, 0)])

    def case_partial_delivery(self):
        partner = self._customer()
        order = self._order(partner, [(self.goods, 5, 100.0, self.tax, 0)])
        self._deliver(order, 2)
        return order

    def case_fully_invoiced(self):
        partner = self._customer()
        order = self._order(partner, [(self.service, 2, 100.0, self.tax, 0)])
        self._invoice_order(order)
        return order

    def case_draft_invoice(self):
        partner = self._customer()
        order = self._order(partner, [(self.service, 2, 100.0, self.tax, 0)])
        self._invoice_order(order, post=False)
        return order

    def case_return_before_invoice(self):
        partner = self._customer()
        order = self._order(partner, [(self.goods, 3, 100.0, self.tax, 0)])
        self._return(self._deliver(order, 3), 1)
        return order

    def case_return_after_invoice(self):
        """A credit note to issue: Odoo's "to invoice" too."""
        partner = self._customer()
        order = self._order(partner, [(self.goods, 3, 100.0, self.tax, 0)])
        picking = self._deliver(order, 3)
        self._invoice_order(order)
        self._return(picking, 1)
        return order

    def case_credit_note_issued(self):
        partner = self._customer()
        order = self._order(partner, [(self.goods, 3, 100.0, self.tax, 0)])
        picking = self._deliver(order, 3)
        self._invoice_order(order)
        self._return(picking, 1)
        self._invoice_order(order)
        return order

    def case_down_payment(self):
        partner = self._customer()
        order = self._order(partner, [(self.service, 10, 100.0, self.tax, 0)])
        self._down_payment(order, 30)
        return order

    def case_discount(self):
        partner = self._customer()
        return self._order(partner, [(self.service, 3, 100.0, self.tax, 15.0)])

    def case_taxes_included(self):
        partner = self._customer()
        return self._order(partner, [(self.service, 2, 115.0, self.tax_included, 0)])

    def case_foreign_currency_moved_rate(self):
        partner = self._customer()
        order = self._order(
            partner,
            [(self.service, 2, 100.0, self.tax, 0)],
            pricelist=self.foreign_pricelist,
        )
        order.date_order = fields.Datetime.now() - timedelta(days=3)
        order.currency_rate = 2.0  # the rate of an earlier date, not today's 4
        return order

    def case_two_companies(self):
        partner = self._customer()
        return self._order(
            partner,
            [(self.service, 5, 100.0, self.other_tax, 0)],
            company=self.other_company,
        ) | self._order(partner, [(self.service, 1, 100.0, self.tax, 0)])

    def case_child_contact(self):
        partner = self._customer()
        contact = self.env["res.partner"].create(
            {"name": "Diff Buyer", "parent_id": partner.id}
        )
        return self._order(contact, [(self.service, 2, 100.0, self.tax, 0)])
