"""Closing package figures vs Odoo's own reports on the same period.

The package's sales (by salesperson, category, customer, total) vs the sales
analysis (``sale.report``); invoiced and credited untaxed amounts vs the
invoice analysis (``account.invoice.report``); taxes, collected amounts and
open receivables (total and per customer) vs general ledger balances
(``account.move.line`` ``_read_group`` of the tax and receivable accounts).
One test per figure, on documents covering the cases of the other
differentials: invoicing on order and on delivery, a partial delivery, a
return, credit notes, a down payment, discounts, taxes included and
excluded, a foreign currency whose rate moved, a second company, a child
contact.
"""

from calendar import monthrange
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import DifferentialCase


@tagged("post_install", "-at_install")
class TestPackageVsOdooReports(DifferentialCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = cls.today
        last = monthrange(today.year, today.month)[1]
        cls.period = cls.env["sales.closing.period"].create(
            {
                "name": "Diff package period",
                "date_from": today.replace(day=1),
                "date_to": today.replace(day=last),
                "user_id": cls.env.user.id,
            }
        )
        cls.Package = cls.env["sales.closing.package"]
        category = cls.env["product.category"].create({"name": "Diff Category"})
        cls.goods.categ_id = category
        user = cls.env["res.users"].create(
            {"name": "Diff Seller", "login": "diff_seller"}
        )
        tax, tax_incl, none = cls.tax, cls.tax_included, cls.env["account.tax"]
        alpha = cls.env["res.partner"].create(
            {"name": "Diff Alpha", "is_company": True}
        )
        beta = cls.env["res.partner"].create({"name": "Diff Beta", "is_company": True})
        contact = cls.env["res.partner"].create(
            {"name": "Diff Alpha Buyer", "parent_id": alpha.id}
        )
        # invoiced on order, taxes excluded, discount; invoiced and paid
        order = cls._make_order(alpha, [(cls.service, 3, 100.0, tax, 10.0)])
        order.user_id = user
        cls._pay_invoice(cls._invoice_of(order))
        # invoiced on delivery: partial delivery invoiced, a return credited
        order = cls._make_order(contact, [(cls.goods, 5, 80.0, tax, 0)])
        picking = cls._deliver_order(order, 3)
        cls._invoice_of(order)
        cls._return_picking(picking, 1)
        cls._invoice_of(order)  # the credit note of the return
        # taxes included, down payment invoiced
        order = cls._make_order(beta, [(cls.service, 4, 115.0, tax_incl, 0)])
        cls._down(order, 25)
        # foreign currency at the rate of an earlier day
        order = cls._make_order(
            beta, [(cls.service, 2, 300.0, tax, 0)], pricelist=cls.foreign_pricelist
        )
        order.date_order = fields.Datetime.now() - timedelta(days=1)
        order.currency_rate = 2.0
        invoice = order._create_invoices()
        invoice.invoice_date = today
        invoice.action_post()
        # a credit note by hand, a partial payment, an older open invoice
        cls._move(beta, 50.0, "out_refund", tax)
        cls._pay_invoice(cls._move(alpha, 400.0, "out_invoice", none), 150.0)
        cls._move(beta, 70.0, "out_invoice", tax, today - timedelta(days=75))
        # another company's order and invoice: not in this company's package
        other = cls.other_company
        cls.env["sale.order"].with_company(other).create(
            {
                "partner_id": alpha.id,
                "company_id": other.id,
                "order_line": [
                    (0, 0, {"product_id": cls.service.id, "product_uom_qty": 9})
                ],
            }
        ).action_confirm()
        cls._move(alpha, 999.0, "out_invoice", none, company=other)
        cls.env.flush_all()

    # class-level builders (the common ones are per test)
    @classmethod
    def _make_order(cls, partner, lines, pricelist=None):
        return cls._order(cls, partner, lines, pricelist=pricelist)

    @classmethod
    def _deliver_order(cls, order, qty):
        return cls._deliver(cls, order, qty)

    @classmethod
    def _return_picking(cls, picking, qty):
        return cls._return(cls, picking, qty)

    @classmethod
    def _invoice_of(cls, order):
        return cls._invoice_order(cls, order)

    @classmethod
    def _down(cls, order, percent):
        return cls._down_payment(cls, order, percent)

    @classmethod
    def _pay_invoice(cls, invoice, amount=None):
        return cls._pay(cls, invoice, amount)

    @classmethod
    def _move(cls, partner, amount, move_type, taxes, day=None, company=None):
        return cls._invoice(
            cls,
            partner,
            amount,
            move_type=move_type,
            taxes=taxes,
            day=day,
            company=company,
        )

    # ------------------------------------------------------------------
    def _period_domain(self, date_field):
        return [
            ("company_id", "=", self.company.id),
            (date_field, ">=", self.period.date_from),
            (date_field, "<=", self.period.date_to),
        ]

    def _money(self, value):
        return self.Package._amount(self.period, value)

    def _sales(self):
        return self.Package._figures_sales(self.period)

    def _sale_report(self, groupby):
        domain = self._period_domain("date") + [("state", "=", "sale")]
        return self.env["sale.report"]._read_group(
            domain, [groupby], ["price_subtotal:sum"]
        )

    def _by(self, rows):
        return {row["id"]: row["amount"] for row in rows}

    def test_sales_by_salesperson(self):
        self.assertEqual(
            self._by(self._sales()["by_salesperson"]),
            {
                user.id: self._money(amount)
                for user, amount in self._sale_report("user_id")
            },
        )

    def test_sales_by_category(self):
        self.assertEqual(
            self._by(self._sales()["by_product_category"]),
            {
                categ.id: self._money(amount)
                for categ, amount in self._sale_report("categ_id")
            },
        )

    def test_sales_by_customer(self):
        self.assertEqual(
            self._by(self._sales()["by_customer"]),
            {
                partner.id: self._money(amount)
                for partner, amount in self._sale_report("commercial_partner_id")
            },
        )

    def test_sales_total(self):
        domain = self._period_domain("date") + [("state", "=", "sale")]
        total = self.env["sale.report"]._read_group(domain, [], ["price_subtotal:sum"])[
            0
        ][0]
        self.assertEqual(self._sales()["total"], self._money(total))

    def _invoice_report(self, move_type):
        domain = self._period_domain("invoice_date") + [
            ("state", "=", "posted"),
            ("move_type", "=", move_type),
        ]
        return self.env["account.invoice.report"]._read_group(
            domain, [], ["price_subtotal:sum"]
        )[0][0]

    def test_invoiced_untaxed(self):
        figures = self.Package._figures_invoicing(self.period)
        self.assertEqual(
            figures["invoiced"]["untaxed"],
            self._money(self._invoice_report("out_invoice")),
        )

    def test_credit_notes_untaxed(self):
        figures = self.Package._figures_invoicing(self.period)
        self.assertEqual(
            figures["credit_notes"]["untaxed"],
            self._money(self._invoice_report("out_refund")),
        )

    def test_taxes_vs_tax_accounts(self):
        """Taxes of the period's customer invoices and credit notes vs the
        balance of their tax lines in the general ledger."""
        domain = self._period_domain("date") + [
            ("parent_state", "=", "posted"),
            ("tax_line_id", "!=", False),
            ("move_id.move_type", "in", ("out_invoice", "out_refund")),
        ]
        balance = self.env["account.move.line"]._read_group(
            domain, [], ["balance:sum"]
        )[0][0]
        self.assertEqual(
            self.Package._figures_invoicing(self.period)["taxes"],
            self._money(-balance),
        )

    def test_collected_vs_receivable_credits_of_payments(self):
        """Customer payments of the period vs the receivable credits of
        their journal entries in the general ledger."""
        domain = self._period_domain("date") + [
            ("parent_state", "=", "posted"),
            ("account_type", "=", "asset_receivable"),
            ("payment_id.payment_type", "=", "inbound"),
            ("payment_id.partner_type", "=", "customer"),
        ]
        balance = self.env["account.move.line"]._read_group(
            domain, [], ["balance:sum"]
        )[0][0]
        self.assertEqual(
            self.Package._figures_collected(self.period)["amount"],
            self._money(-balance),
        )

    def _receivable_balances(self):
        domain = [
            ("company_id", "=", self.company.id),
            ("parent_state", "=", "posted"),
            ("account_type", "=", "asset_receivable"),
            ("date", "<=", self.period.date_to),
        ]
        return self.env["account.move.line"]._read_group(
            domain, ["partner_id"], ["balance:sum"]
        )

    def test_open_receivables_vs_ledger(self):
        total = sum(balance for _partner, balance in self._receivable_balances())
        self.assertEqual(
            self.Package._figures_receivables(self.period)["totals"]["total"],
            self._money(total),
        )

    def test_aging_per_customer_vs_ledger(self):
        rows = self.Package._figures_receivables(self.period)["partners"]
        self.assertEqual(
            {row["id"]: row["total"] for row in rows},
            {
                partner.id: self._money(balance)
                for partner, balance in self._receivable_balances()
                if self._money(balance) != self._money(0)
            },
        )
