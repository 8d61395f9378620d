"""The differences report's totals vs the checklist checks reading the same
documents.

- "Delivered, not invoiced" (orders area) vs the check "delivered or
  ordered but not invoiced" (``uninvoiced_lines``): on goods invoiced on
  delivery both read the delivered and invoiced quantities of the same
  lines, untaxed, in company currency.
- "Invoiced, not paid" (invoices area) vs the check "overdue invoices"
  (``overdue_invoices``): on the period's invoices due by its end both read
  the same residuals.

Each case is measured as what it adds to both figures (amount in company
currency).  Where the two answer different questions the case says by how
much they differ.
"""

from calendar import monthrange
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import DifferentialCase, parametrize

CASES = [
    "delivered_not_invoiced",
    "partly_invoiced",
    "discount_and_taxes",
    "foreign_currency_moved_rate",
    "return_before_invoice",
    "ordered_goods_not_delivered",
    "service_not_invoiced",
    "invoice_overdue",
    "invoice_partly_paid_overdue",
    "invoice_not_yet_due",
]
PAIRS = {
    "order": ("delivered_not_invoiced", "uninvoiced_lines"),
    "invoice": ("invoiced_not_paid", "overdue_invoices"),
}


@tagged("post_install", "-at_install")
@parametrize(CASES)
class TestDifferencesVsChecks(DifferentialCase):
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

    def _figures(self, area):
        kind, check = PAIRS[area]
        self.env.flush_all()
        self.env.invalidate_all()
        rows = self.env["sales.closing.difference"]._compute_for_period(self.period)
        report = sum(rows.filtered(lambda r: r.kind == kind).mapped("amount_company"))
        checked = self.env.ref(f"sales_closing.check_{check}")._evaluate(self.period)
        return report, checked["amount"]

    def _check(self, name):
        area, case = name_area(name), getattr(self, f"case_{name}")
        before = self._figures(area)
        difference = case() or 0.0
        after = self._figures(area)
        report = round(after[0] - before[0], 2)
        checked = round(after[1] - before[1], 2)
        self.assertEqual(
            round(checked - report, 2),
            difference,
            f"{name}: differences report {report}, check {checked}",
        )

    def case_delivered_not_invoiced(self):
        partner = self._customer()
        order = self._order(partner, [(self.goods, 5, 100.0, self.tax, 0)])
        self._deliver(order, 3)

    def case_partly_invoiced(self):
        partner = self._customer()
        order = self._order(partner, [(self.goods, 5, 100.0, self.tax, 0)])
        self._deliver(order, 3)
        self._invoice_order(order)
        self._deliver(order, 2)

    def case_discount_and_taxes(self):
        partner = self._customer()
        order = self._order(partner, [(self.goods, 4, 115.0, self.tax_included, 10.0)])
        self._deliver(order, 4)

    def case_foreign_currency_moved_rate(self):
        partner = self._customer()
        order = self._order(
            partner,
            [(self.goods, 2, 100.0, self.tax, 0)],
            pricelist=self.foreign_pricelist,
        )
        order.date_order = fields.Datetime.now() - timedelta(days=1)
        order.currency_rate = 2.0  # an earlier rate than today's 4
        self._deliver(order, 2)

    def case_return_before_invoice(self):
        partner = self._customer()
        order = self._order(partner, [(self.goods, 3, 100.0, self.tax, 0)])
        self._return(self._deliver(order, 3), 1)

    def case_ordered_goods_not_delivered(self):
        """Goods invoiced on order, not delivered yet.

        They differ on purpose: the check flags what Odoo may invoice (the
        ordered 200), the report what was delivered and not invoiced
        (nothing yet).
        """
        partner = self._customer()
        self._order(partner, [(self.goods_on_order, 2, 100.0, self.tax, 0)])
        return 200.0

    def case_service_not_invoiced(self):
        """A service invoiced on order: the check flags it (150), the
        report, which follows deliveries, does not."""
        partner = self._customer()
        self._order(partner, [(self.service, 1, 150.0, self.tax, 0)])
        return 150.0

    def case_invoice_overdue(self):
        partner = self._customer()
        self._invoice(partner, 300.0, day=self.period.date_from, due=self.today)

    def case_invoice_partly_paid_overdue(self):
        partner = self._customer()
        invoice = self._invoice(
            partner, 300.0, day=self.period.date_from, due=self.today, taxes=self.tax
        )
        self._pay(invoice, amount=100.0)

    def case_invoice_not_yet_due(self):
        """Due after the period: not paid (report) but not overdue (check)."""
        partner = self._customer()
        self._invoice(
            partner,
            300.0,
            day=self.period.date_from,
            due=self.period.date_to + timedelta(days=10),
        )
        return -300.0


def name_area(name):
    return "invoice" if name.startswith("invoice_") else "order"
