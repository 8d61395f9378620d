"""Shared data builders of the differential tests.

Each differential compares one of our figures with the figure Odoo or an
OCA peer (installed in the test database only, see ``setup/test``) computes
on the same documents.  A case is a method building documents for a fresh
customer; every case becomes its own test method with one assertion, so a
failing case names itself.
"""

from datetime import date, timedelta

from odoo import Command, fields
from odoo.tests import TransactionCase


def parametrize(cases):
    """Class decorator: one ``test_<case>`` method per ``case_<case>``.

    ``cases`` names the ``case_*`` methods; the class's ``_check(name)``
    runs one case and makes its single assertion.
    """

    def decorate(cls):
        for name in cases:

            def test(self, name=name):
                self._check(name)

            test.__name__ = f"test_{name}"
            test.__doc__ = getattr(cls, f"case_{name}").__doc__
            setattr(cls, f"test_{name}", test)
        return cls

    return decorate


class DifferentialCase(TransactionCase):
    """Products, taxes, a foreign currency and a second company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.company.write(
            {
                "sales_closing_credit_block": False,
                # validation rules off: the differentials confirm freely
                "sales_closing_max_discount": 0.0,
                "sales_closing_min_margin": 0.0,
                "sales_closing_max_below_pricelist": 0.0,
                "sales_closing_zero_price": False,
                "sales_closing_qty_factor": 0.0,
            }
        )
        cls.tax = cls._tax(cls.company, 15.0, "Diff 15%")
        cls.tax_included = cls._tax(cls.company, 15.0, "Diff 15% incl", True)
        cls.service = cls._product("Diff Service", "order", storable=False)
        cls.goods = cls._product("Diff Goods", "delivery")
        cls.goods_on_order = cls._product("Diff Goods On Order", "order")
        cls.foreign = cls.env["res.currency"].create(
            {
                "name": "XDF",
                "symbol": "X",
                "rate_ids": [
                    Command.create(
                        {"name": cls.today - timedelta(days=40), "rate": 2.0}
                    ),
                    Command.create({"name": cls.today, "rate": 4.0}),
                ],
            }
        )
        cls.foreign_pricelist = cls.env["product.pricelist"].create(
            {"name": "Diff Foreign", "currency_id": cls.foreign.id}
        )
        cls.other_company = cls.env["res.company"].create(
            {"name": "Diff Other Co", "currency_id": cls.company.currency_id.id}
        )
        cls.env.user.company_ids |= cls.other_company
        cls.env["account.chart.template"].try_loading(
            cls.company.chart_template or "generic_coa",
            company=cls.other_company,
            install_demo=False,
        )
        cls.other_tax = cls._tax(cls.other_company, 15.0, "Diff Other 15%")
        cls.bank_journal = cls.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", cls.company.id)], limit=1
        )

    # ------------------------------------------------------------------
    # builders
    # ------------------------------------------------------------------
    @classmethod
    def _tax(cls, company, amount, name, included=False):
        return cls.env["account.tax"].create(
            {
                "name": name,
                "amount": amount,
                "type_tax_use": "sale",
                "company_id": company.id,
                "price_include_override": "tax_included" if included else False,
            }
        )

    @classmethod
    def _product(cls, name, policy, storable=True):
        return cls.env["product.product"].create(
            {
                "name": name,
                "type": "consu" if storable else "service",
                "is_storable": storable,
                "list_price": 100.0,
                "invoice_policy": policy,
                "taxes_id": False,
            }
        )

    def _customer(self, name="Diff Customer", **values):
        return self.env["res.partner"].create(
            dict({"name": name, "is_company": True}, **values)
        )

    def _order(self, partner, lines, company=None, pricelist=None, confirm=True):
        """``lines``: (product, qty, price, taxes, discount) tuples."""
        company = company or self.company
        values = {
            "partner_id": partner.id,
            "company_id": company.id,
            "order_line": [
                Command.create(
                    {
                        "product_id": product.id,
                        "product_uom_qty": qty,
                        "price_unit": price,
                        "tax_id": [Command.set(taxes.ids)],
                        "discount": discount,
                    }
                )
                for product, qty, price, taxes, discount in lines
            ],
        }
        if pricelist:
            values["pricelist_id"] = pricelist.id
        order = self.env["sale.order"].with_company(company).create(values)
        if pricelist:
            order.order_line.price_unit = lines[0][2]
        if confirm:
            order.action_confirm()
        return order

    def _deliver(self, order, qty, backorder=True):
        picking = order.picking_ids.filtered(
            lambda p: p.state not in ("done", "cancel")
        )
        picking.ensure_one()
        picking.move_ids.quantity = qty
        picking.move_ids.picked = True
        context = {"skip_backorder": True}
        if not backorder:
            context["picking_ids_not_to_backorder"] = picking.ids
        picking.with_context(**context).button_validate()
        return picking

    def _return(self, picking, qty):
        wizard = (
            self.env["stock.return.picking"]
            .with_context(active_id=picking.id, active_model="stock.picking")
            .create({"picking_id": picking.id})
        )
        wizard.product_return_moves.quantity = qty
        returned = self.env["stock.picking"].browse(
            wizard.action_create_returns()["res_id"]
        )
        returned.move_ids.quantity = qty
        returned.move_ids.picked = True
        returned.button_validate()
        return returned

    def _invoice_order(self, order, post=True, final=True):
        invoice = order._create_invoices(final=final)
        if post:
            invoice.action_post()
        return invoice

    def _down_payment(self, order, percent):
        wizard = (
            self.env["sale.advance.payment.inv"]
            .with_context(active_model="sale.order", active_ids=order.ids)
            .create({"advance_payment_method": "percentage", "amount": percent})
        )
        wizard.create_invoices()
        invoice = order.invoice_ids.filtered(lambda m: m.state == "draft")
        invoice.action_post()
        return invoice

    def _invoice(
        self,
        partner,
        amount,
        move_type="out_invoice",
        day=None,
        due=None,
        currency=None,
        company=None,
        taxes=None,
        post=True,
    ):
        company = company or self.company
        day = day or self.today
        values = {
            "move_type": move_type,
            "partner_id": partner.id,
            "company_id": company.id,
            "invoice_date": day,
            "date": day,
            "invoice_line_ids": [
                Command.create(
                    {
                        "name": "Diff line",
                        "price_unit": amount,
                        "tax_ids": [Command.set(taxes.ids if taxes else [])],
                    }
                )
            ],
        }
        if due:
            values["invoice_date_due"] = due
        if currency:
            values["currency_id"] = currency.id
        move = self.env["account.move"].with_company(company).create(values)
        if due:
            move.invoice_date_due = due
        if post:
            move.action_post()
        return move

    def _pay(self, invoice, amount=None, day=None):
        values = {"payment_date": day or self.today}
        if amount is not None:
            values["amount"] = amount
        return (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(values)
            ._create_payments()
        )

    @staticmethod
    def _days_ago(days):
        return date.today() - timedelta(days=days)
