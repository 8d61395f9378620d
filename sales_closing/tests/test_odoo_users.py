"""Odoo's own users keep working once the addons are installed (issue #21).

A salesperson, an invoicing clerk or a warehouse user who is in no Sales
Closing group opens the sales order, the invoice, the delivery, the customer
and the product as before: every form and list view loads (``get_views`` +
``web_read`` of the view's specification, as the web client does), every
field the addons add that the user may see is readable, and the warehouse
user validates the delivery of somebody else's order.
"""

import importlib.util
from pathlib import Path

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, new_test_user, tagged
from odoo.tests.common import TransactionCase

OUR_MODULES = {"sales_closing", "sales_closing_payments", "sales_closing_reconcile"}


@tagged("post_install", "-at_install")
class TestOdooUsers(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Odoo's groups only: none of these users is in a Sales Closing group
        cls.sales_own = new_test_user(
            cls.env, "odoo_sales_own", groups="sales_team.group_sale_salesman"
        )
        cls.sales_all = new_test_user(
            cls.env,
            "odoo_sales_all",
            groups="sales_team.group_sale_salesman_all_leads",
        )
        cls.invoicing = new_test_user(
            cls.env, "odoo_invoicing", groups="account.group_account_invoice"
        )
        # as in Odoo's TestSaleStock: a warehouse user who is a salesperson
        # of his own orders only
        cls.stock_user = new_test_user(
            cls.env,
            "odoo_stock",
            groups="stock.group_stock_user,sales_team.group_sale_salesman",
        )
        closing_groups = cls.env["res.groups"].search(
            [
                (
                    "category_id",
                    "=",
                    cls.env.ref("sales_closing.module_category_sales_closing").id,
                )
            ]
        )
        for user in cls.sales_own | cls.sales_all | cls.invoicing | cls.stock_user:
            assert not user.groups_id & closing_groups, user.login
        cls.customer = cls.env["res.partner"].create(
            {"name": "Odoo Flow Customer", "email": "flow@example.com"}
        )
        cls.product = cls.env["product.product"].create(
            {
                "name": "Odoo Flow Product",
                "is_storable": True,
                "list_price": 100.0,
                "invoice_policy": "order",
            }
        )
        warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.env["stock.quant"]._update_available_quantity(
            cls.product, warehouse.lot_stock_id, 10
        )
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "user_id": cls.sales_own.id,
                "order_line": [
                    Command.create({"product_id": cls.product.id, "product_uom_qty": 2})
                ],
            }
        )
        cls.order.action_confirm()
        cls.picking = cls.order.picking_ids
        cls.invoice = cls.order._create_invoices()
        cls.invoice.action_post()

    def _open(self, record, user):
        """Load the form and list views of ``record`` as ``user``, the way the
        web client does, and read every field of ours the user may see."""
        record = record.with_user(user)
        # get_views + web_read of the form's specification (sub-views included)
        form = Form(record)
        self.assertEqual(form.id, record.id)
        views = record.get_views([(False, "list")])
        list_fields = views["models"][record._name]["fields"]
        spec = {
            name: {"fields": {"display_name": {}}}
            if info["type"] in ("many2one", "one2many", "many2many")
            else {}
            for name, info in list_fields.items()
        }
        self.assertEqual(
            record.web_search_read([("id", "=", record.id)], spec)["length"], 1
        )
        ours = [
            name
            for name, field in record._fields.items()
            if field._module in OUR_MODULES and field.is_accessible(record.env)
        ]
        if ours:  # read([]) would read every field, Odoo's too
            record.invalidate_recordset()
            [values] = record.read(ours)
            self.assertEqual(values["id"], record.id)
        return form

    def test_sales_own_documents(self):
        self._open(self.order, self.sales_own)
        self._open(self.invoice, self.sales_own)
        self._open(self.customer, self.sales_own)
        self._open(self.product, self.sales_own)
        self._open(self.product.product_tmpl_id, self.sales_own)

    def test_sales_all_documents(self):
        self._open(self.order, self.sales_all)
        self._open(self.invoice, self.sales_all)
        self._open(self.customer, self.sales_all)
        self._open(self.product.product_tmpl_id, self.sales_all)

    def test_invoicing(self):
        self._open(self.order, self.invoicing)
        self._open(self.invoice, self.invoicing)
        self._open(self.customer, self.invoicing)
        self._open(self.product.product_tmpl_id, self.invoicing)

    def test_stock_user(self):
        self._open(self.picking, self.stock_user)
        self._open(self.customer, self.stock_user)
        self._open(self.product.product_tmpl_id, self.stock_user)

    def test_our_restricted_fields_are_hidden_from_odoo_users(self):
        """The relations to our models are not in these users' forms."""
        for user in (self.sales_own, self.sales_all, self.invoicing):
            fields = self.order.with_user(user).get_views([(False, "form")])["models"][
                "sale.order"
            ]["fields"]
            self.assertNotIn("sales_closing_violation_ids", fields, user.login)

    def test_salesperson_creates_and_confirms_quotation(self):
        for user in (self.sales_own, self.sales_all):
            with Form(self.env["sale.order"].with_user(user)) as form:
                form.partner_id = self.customer
                with form.order_line.new() as line:
                    line.product_id = self.product
                    line.product_uom_qty = 1
            order = form.record
            order.action_confirm()
            self.assertEqual(order.state, "sale")
            self._open(order, user)

    def test_stock_user_validates_other_salesperson_delivery(self):
        """Odoo's TestSaleStock.test_inventory_admin_no_backorder_not_own_sale_order:
        the warehouse user cannot read the order, yet validates its delivery."""
        picking = self.picking.with_user(self.stock_user)
        self.assertFalse(self.order.with_user(self.stock_user).has_access("read"))
        picking.move_ids.quantity = 2
        picking.move_ids.picked = True
        # nothing read as superuser in the set-up is left in the cache
        self.env.invalidate_all()
        picking.button_validate()
        self.assertEqual(self.picking.state, "done")
        self.assertEqual(self.order.order_line.qty_delivered, 2)

    def test_stock_user_cancels_other_salesperson_delivery(self):
        picking = self.picking.with_user(self.stock_user)
        self.env.invalidate_all()
        picking.action_cancel()
        self.assertEqual(self.picking.state, "cancel")

    def test_salesperson_without_closing_group_under_validation_rules(self):
        """With a rule on, Odoo's salesperson (in no Sales Closing group)
        asks for approval and confirms again once the order is back within
        the rules: the violations are handled for him."""
        self.env.company.sales_closing_max_discount = 20.0
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "user_id": self.sales_own.id,
                "order_line": [
                    Command.create({"product_id": self.product.id, "discount": 30.0})
                ],
            }
        )
        self.env.invalidate_all()
        order.with_user(self.sales_own).action_confirm()
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.sales_closing_approval_state, "to_approve")
        self.assertEqual(order.sudo().sales_closing_violation_ids.state, "pending")
        order.order_line.discount = 10.0
        self.env.invalidate_all()
        order.with_user(self.sales_own).action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.sales_closing_approval_state, "none")
        self.assertFalse(order.sudo().sales_closing_violation_ids)

    def _odd_orders(self):
        """A quotation with a negative quantity and one whose currency is not
        its pricelist's: Odoo confirms both."""
        negative = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [
                    Command.create(
                        {"product_id": self.product.id, "product_uom_qty": 2}
                    ),
                    Command.create(
                        {"product_id": self.product.id, "product_uom_qty": -1}
                    ),
                ],
            }
        )
        currency = self.env["res.currency"].create(
            {"name": "XSC", "symbol": "X", "rate_ids": [Command.create({"rate": 2.0})]}
        )
        other = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [Command.create({"product_id": self.product.id})],
            }
        )
        other.currency_id = currency
        self.assertNotEqual(other.currency_id, other.pricelist_id.currency_id)
        return negative, other

    def test_input_check_off_by_default(self):
        new = self.env["res.company"].create({"name": "New Co"})
        self.assertFalse(new.sales_closing_check_input)
        # (an upgraded database keeps it on for its companies: migration)
        self.env.company.sales_closing_check_input = False
        negative, other = self._odd_orders()
        negative.action_confirm()
        other.action_confirm()
        self.assertEqual((negative | other).mapped("state"), ["sale", "sale"])

    def test_input_check_switched_on(self):
        self.env.company.sales_closing_check_input = True
        negative, other = self._odd_orders()
        with self.assertRaisesRegex(UserError, f"{negative.name}.*negative"):
            negative.action_confirm()
        with self.assertRaisesRegex(UserError, f"{other.name} is in XSC"):
            other.action_confirm()
        self.assertEqual((negative | other).mapped("state"), ["draft", "draft"])


@tagged("post_install", "-at_install")
class TestDemoLanguage(TransactionCase):
    def test_demo_needs_no_language(self):
        """The demo data load on a database without the language: names stay
        in English there, and use the language once it is active."""
        Demo = self.env["sales.closing.demo"]
        lang = (
            self.env["res.lang"]
            .with_context(active_test=False)
            .search([("code", "=", "fr_BE")])
        )
        self.assertFalse(lang.active)
        self.assertEqual(Demo._demo_lang("fr_BE"), "en_US")
        self.env["res.lang"]._activate_lang("fr_BE")
        self.assertEqual(Demo._demo_lang("fr_BE"), "fr_BE")
        self.assertEqual(Demo._demo_lang("en_US"), "en_US")


@tagged("post_install", "-at_install")
class TestUpgradeKeepsBehaviour(TransactionCase):
    def test_migration_keeps_existing_companies_as_they_were(self):
        """18.0.1.4.0: existing companies keep their layout and the input
        check they always had; a fresh install starts with both off."""
        path = Path(__file__).parents[1] / "migrations/18.0.1.4.0/post-migration.py"
        spec = importlib.util.spec_from_file_location("sc_migration_18_0_1_4_0", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        company = self.env.company
        company.sales_closing_invoice_layout = "classic"
        company.sales_closing_check_input = False
        company.flush_recordset()
        migration.migrate(self.env.cr, None)  # a fresh install: nothing
        company.invalidate_recordset()
        self.assertFalse(company.sales_closing_check_input)
        migration.migrate(self.env.cr, "18.0.1.0.0")
        company.invalidate_recordset()
        self.assertTrue(company.sales_closing_check_input)
        self.assertEqual(company.sales_closing_invoice_layout, "classic")
