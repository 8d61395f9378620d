import base64
import io

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools.misc import file_path

from .test_order_rules import OrderRulesCase


@tagged("post_install", "-at_install")
class TestOrderImport(OrderRulesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer_a = cls.env["res.partner"].create(
            {"name": "Import Customer A", "ref": "IMPA", "is_company": True}
        )
        cls.warehouse_a = cls.env["res.partner"].create(
            {"name": "Warehouse A", "parent_id": cls.customer_a.id, "type": "delivery"}
        )
        cls.customer_b = cls.env["res.partner"].create(
            {"name": "Import Customer B", "vat": "CN91350000X"}
        )
        cls.desk = cls.env["product.product"].create(
            {"name": "Desk", "default_code": "IMP-DESK", "list_price": 100.0}
        )
        cls.chair = cls.env["product.product"].create(
            {"name": "Chair", "barcode": "6901234567892", "list_price": 40.0}
        )

    def _import(self, data, filename="orders.csv", confirm=True, user=None):
        wizard = (
            self.env["sales.closing.order.import"]
            .with_user(user or self.sales_user)
            .create(
                {
                    "file": base64.b64encode(data),
                    "filename": filename,
                    "confirm": confirm,
                }
            )
        )
        action = wizard.action_import()
        return self.env["sale.order"].search(action["domain"], order="id")

    def test_sample_file(self):
        path = file_path("sales_closing/tests/data/sales_orders_sample.csv")
        with open(path, "rb") as handle:
            orders = self._import(handle.read())
        self.assertEqual(len(orders), 2)
        first, second = orders
        self.assertEqual(first.partner_id, self.customer_a)
        self.assertEqual(first.client_order_ref, "PO-1")
        self.assertEqual(first.partner_shipping_id, self.warehouse_a)
        self.assertEqual(first.state, "sale")
        desk, chair = first.order_line
        self.assertEqual(
            (desk.product_uom_qty, desk.price_unit, desk.discount), (2, 120, 5)
        )
        self.assertEqual((chair.product_id, chair.price_unit), (self.chair, 40.0))
        self.assertEqual(second.partner_id, self.customer_b)

    def test_all_or_nothing_with_line_numbers(self):
        data = (
            b"customer,product,quantity,price,discount,taxes\n"
            b"IMPA,IMP-DESK,1,100,0,\n"
            b"Nobody,IMP-DESK,1,100,0,\n"
            b"IMPA,NOPE,-1,0,0,\n"
            b"IMPA,IMP-DESK,1,100,0,No Such Tax\n"
            b"Import Customer B,IMP-DESK,abc,100,0,\n"
        )
        before = self.env["sale.order"].search_count([])
        with self.assertRaises(UserError) as error:
            self._import(data)
        message = str(error.exception)
        self.assertNotIn("Line 2", message)
        self.assertIn("Line 3: customer Nobody not found", message)
        self.assertIn("Line 4:", message)
        self.assertIn("product NOPE not found", message)
        self.assertIn("quantity -1.0 is negative", message)
        self.assertIn("price of zero", message)
        self.assertIn("Line 5: sales tax No Such Tax not found", message)
        self.assertIn("Line 6: quantity abc is not a number", message)
        self.assertEqual(self.env["sale.order"].search_count([]), before)

    def test_currency_mismatch_names_partner(self):
        data = b"customer,product,quantity,currency\nIMPA,IMP-DESK,1,XXX\n"
        with self.assertRaisesRegex(
            UserError, "Line 2: currency XXX.*Import Customer A"
        ):
            self._import(data)

    def test_gbk_csv_and_rules(self):
        self.customer_a.name = "进口客户"
        self.company.sales_closing_max_discount = 10
        data = "customer;product;quantity;price;discount\n进口客户;IMP-DESK;1;100;20\n"
        orders = self._import(data.encode("gbk"))
        self.assertEqual(orders.partner_id, self.customer_a)
        self.assertEqual(orders.state, "draft")
        self.assertEqual(orders.sales_closing_approval_state, "to_approve")

    def test_credit_block_rolls_back_import(self):
        self.company.sales_closing_credit_block = True
        self.customer_b.credit_limit = 10.0
        data = (
            b"customer,product,quantity,price\n"
            b"IMPA,IMP-DESK,1,100\n"
            b"Import Customer B,IMP-DESK,1,100\n"
        )
        before = self.env["sale.order"].search_count([])
        with self.assertRaisesRegex(UserError, "Import Customer B"):
            self._import(data)
        self.assertEqual(self.env["sale.order"].search_count([]), before)

    def test_xlsx(self):
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(["Customer", "Product", "Quantity", "Price"])
        sheet.append(["CN91350000X", "6901234567892", 4, 35.5])
        sheet.append(["CN91350000X", "IMP-DESK", 0, 10])
        stream = io.BytesIO()
        book.save(stream)
        with self.assertRaisesRegex(UserError, "Line 3: quantity is zero"):
            self._import(stream.getvalue(), "orders.xlsx")
        sheet.delete_rows(3)
        stream = io.BytesIO()
        book.save(stream)
        orders = self._import(stream.getvalue(), "orders.xlsx", confirm=False)
        self.assertEqual(orders.partner_id, self.customer_b)
        self.assertEqual(orders.state, "draft")
        self.assertEqual(orders.order_line.price_unit, 35.5)
