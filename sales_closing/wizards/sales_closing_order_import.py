import base64
import csv
import io
import re

from odoo import Command, fields, models
from odoo.exceptions import UserError

# Column names accepted in the header row (lower case) for each field.
COLUMNS = {
    "customer": ("customer", "partner", "client"),
    "product": ("product", "internal reference", "default_code", "barcode"),
    "quantity": ("quantity", "qty"),
    "price": ("price", "unit price", "price_unit"),
    "discount": ("discount", "discount %", "discount (%)"),
    "taxes": ("taxes", "tax"),
    "shipping": ("shipping", "delivery address", "ship to"),
    "order_ref": ("order reference", "order_ref", "reference", "order"),
    "currency": ("currency",),
}
REQUIRED = ("customer", "product", "quantity")
ENCODINGS = ("utf-8-sig", "utf-8", "gbk")


class SalesClosingOrderImport(models.TransientModel):
    """Create sales orders from a CSV or XLSX file, all or nothing."""

    _name = "sales.closing.order.import"
    _description = "Import Sales Orders"

    file = fields.Binary(required=True, attachment=False)
    filename = fields.Char()
    confirm = fields.Boolean(
        string="Confirm Orders",
        default=True,
        help="Confirm the imported orders: those breaking a validation rule "
        "go to approval, a credit block stops the whole import.",
    )
    order_ids = fields.Many2many("sale.order", string="Imported Orders", readonly=True)

    # ------------------------------------------------------------------
    # Reading the file
    # ------------------------------------------------------------------
    def _read_rows(self):
        """Return the rows of the file (lists of strings), header first."""
        data = base64.b64decode(self.file or b"")
        if not data:
            raise UserError(self.env._("The file is empty."))
        name = (self.filename or "").lower()
        if name.endswith(".xlsx") or data[:2] == b"PK":
            return self._read_xlsx(data)
        return self._read_csv(data)

    def _read_csv(self, data):
        for encoding in ENCODINGS:
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise UserError(
                self.env._("The file is not in UTF-8 or GBK: save it as UTF-8 CSV.")
            )
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        return [row for row in csv.reader(io.StringIO(text), dialect)]

    def _read_xlsx(self, data):
        try:
            import openpyxl
        except ImportError as error:
            raise UserError(
                self.env._("Reading XLSX files needs the openpyxl library.")
            ) from error
        try:
            book = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=True
            )
        except Exception as error:
            raise UserError(
                self.env._("The file is not a valid XLSX workbook: %s", error)
            ) from error
        sheet = book.worksheets[0]
        rows = []
        for values in sheet.iter_rows(values_only=True):
            row = []
            for value in values:
                if value is None:
                    row.append("")
                elif isinstance(value, float) and value.is_integer():
                    row.append(str(int(value)))
                else:
                    row.append(str(value))
            rows.append(row)
        return rows

    def _header(self, header):
        names = [(cell or "").strip().lower() for cell in header]
        index = {}
        for key, aliases in COLUMNS.items():
            for position, name in enumerate(names):
                if name in aliases:
                    index[key] = position
                    break
        missing = [key for key in REQUIRED if key not in index]
        if missing:
            raise UserError(
                self.env._(
                    "Line 1: the header lacks the columns %(missing)s; found "
                    "%(found)s.",
                    missing=", ".join(missing),
                    found=", ".join(n for n in names if n) or "-",
                )
            )
        return index

    # ------------------------------------------------------------------
    # Resolving values
    # ------------------------------------------------------------------
    def _number(self, text):
        text = (text or "").strip().replace(",", "") if text else ""
        if not text:
            return None
        return float(text.rstrip("%"))

    def _find_customer(self, value, company):
        Partner = self.env["res.partner"]
        company_domain = [("company_id", "in", (False, company.id))]
        for field in ("ref", "vat", "name"):
            partners = Partner.search(
                [(field, "=ilike", value)] + company_domain, limit=2
            )
            partners = partners.commercial_partner_id
            if len(partners) == 1:
                return partners, None
            if len(partners) > 1:
                return None, self.env._("customer %s is ambiguous", value)
        return None, self.env._("customer %s not found", value)

    def _find_product(self, value, company):
        Product = self.env["product.product"]
        base = [("sale_ok", "=", True), ("company_id", "in", (False, company.id))]
        for field in ("default_code", "barcode"):
            products = Product.search([(field, "=", value)] + base, limit=2)
            if len(products) == 1:
                return products, None
            if len(products) > 1:
                return None, self.env._("product %s is ambiguous", value)
        return None, self.env._(
            "product %s not found by internal reference or barcode", value
        )

    def _find_taxes(self, value, company):
        Tax = self.env["account.tax"]
        taxes = Tax.browse()
        errors = []
        for name in filter(None, (n.strip() for n in re.split(r"[;,|]", value))):
            tax = Tax.search(
                [
                    ("name", "=", name),
                    ("type_tax_use", "=", "sale"),
                    ("company_id", "parent_of", company.id),
                ],
                limit=1,
            )
            if tax:
                taxes |= tax
            else:
                errors.append(self.env._("sales tax %s not found", name))
        return taxes, errors

    def _find_shipping(self, value, customer):
        addresses = self.env["res.partner"].search(
            [
                ("id", "child_of", customer.id),
                "|",
                ("name", "=ilike", value),
                ("ref", "=ilike", value),
            ],
            limit=1,
        )
        if addresses:
            return addresses, None
        return None, self.env._(
            "shipping address %(address)s is not a contact of %(customer)s",
            address=value,
            customer=customer.display_name,
        )

    def _check_numbers(self, cell):
        """Quantity, price and discount of a row: ``(values, problems)``."""
        problems = []
        values = {}
        for key in ("quantity", "price", "discount"):
            try:
                values[key] = self._number(cell(key))
            except ValueError:
                problems.append(
                    self.env._(
                        "%(column)s %(value)s is not a number",
                        column=key,
                        value=cell(key),
                    )
                )
        qty = values.get("quantity")
        if "quantity" in values:
            if qty is None:
                problems.append(self.env._("quantity is missing"))
            elif qty < 0:
                problems.append(self.env._("quantity %s is negative", qty))
            elif qty == 0:
                problems.append(self.env._("quantity is zero"))
        price = values.get("price")
        if price is not None and price <= 0:
            problems.append(
                self.env._("price of zero")
                if price == 0
                else self.env._("price %s is negative", price)
            )
        discount = values.get("discount")
        if discount is not None and not 0 <= discount <= 100:
            problems.append(
                self.env._("discount %s is not between 0 and 100", discount)
            )
        return values, problems

    def _check_row(self, cell, company):
        """Resolve one row: ``(customer, product, values, taxes, shipping,
        problems)``."""
        problems = []
        customer, error = (None, None)
        if cell("customer"):
            customer, error = self._find_customer(cell("customer"), company)
        else:
            error = self.env._("customer is missing")
        if error:
            problems.append(error)
        product, error = (None, None)
        if cell("product"):
            product, error = self._find_product(cell("product"), company)
        else:
            error = self.env._("product is missing")
        if error:
            problems.append(error)
        values, number_problems = self._check_numbers(cell)
        problems += number_problems
        taxes = None
        if cell("taxes"):
            taxes, tax_errors = self._find_taxes(cell("taxes"), company)
            problems += tax_errors
        shipping = None
        if customer and cell("shipping"):
            shipping, error = self._find_shipping(cell("shipping"), customer)
            if error:
                problems.append(error)
        currency_code = cell("currency").upper()
        if customer and currency_code:
            pricelist = customer.with_company(company).property_product_pricelist
            order_currency = pricelist.currency_id or company.currency_id
            if currency_code != order_currency.name:
                problems.append(
                    self.env._(
                        "currency %(currency)s does not match %(currency_order)s "
                        "of %(customer)s's orders",
                        currency=currency_code,
                        currency_order=order_currency.name,
                        customer=customer.display_name,
                    )
                )
        return customer, product, values, taxes, shipping, problems

    # ------------------------------------------------------------------
    # Parsing into orders
    # ------------------------------------------------------------------
    def _parse(self, rows):
        """Return ``(orders, errors)``: order values per group, error lines."""
        if not rows:
            raise UserError(self.env._("The file has no rows."))
        index = self._header(rows[0])
        company = self.env.company
        groups = {}
        errors = []

        def cell(row, key):
            position = index.get(key)
            if position is None or position >= len(row):
                return ""
            return (row[position] or "").strip()

        for number, row in enumerate(rows[1:], start=2):
            if not any((c or "").strip() for c in row):
                continue
            customer, product, values, taxes, shipping, problems = self._check_row(
                lambda key, row=row: cell(row, key), company
            )
            qty, price, discount = (
                values.get("quantity"),
                values.get("price"),
                values.get("discount"),
            )
            if problems:
                errors.append(
                    self.env._(
                        "Line %(line)s: %(problems)s",
                        line=number,
                        problems="; ".join(problems),
                    )
                )
                continue
            key = (customer.id, cell(row, "order_ref"))
            group = groups.setdefault(
                key,
                {"customer": customer, "ref": cell(row, "order_ref"), "lines": []},
            )
            if shipping:
                if group.get("shipping") not in (None, shipping):
                    errors.append(
                        self.env._(
                            "Line %s: another shipping address than the "
                            "order's earlier lines",
                            number,
                        )
                    )
                    continue
                group["shipping"] = shipping
            line = {"product_id": product.id, "product_uom_qty": qty}
            if price is not None:
                line["price_unit"] = price
            if discount is not None:
                line["discount"] = discount
            if taxes is not None:
                line["tax_id"] = [Command.set(taxes.ids)]
            group["lines"].append((number, line))
        if not groups and not errors:
            errors.append(self.env._("The file has no order lines."))
        return list(groups.values()), errors

    def action_import(self):
        self.ensure_one()
        groups, errors = self._parse(self._read_rows())
        if errors:
            raise UserError(
                self.env._(
                    "Nothing was imported; fix these lines:\n%s", "\n".join(errors)
                )
            )
        values = []
        for group in groups:
            order = {
                "partner_id": group["customer"].id,
                "order_line": [Command.create(line) for _n, line in group["lines"]],
            }
            if group["ref"]:
                order["client_order_ref"] = group["ref"]
            if group.get("shipping"):
                order["partner_shipping_id"] = group["shipping"].id
            values.append(order)
        # a savepoint keeps the import all or nothing even for callers that
        # catch the error without rolling the transaction back
        with self.env.cr.savepoint():
            orders = self._create_orders(groups, values)
        self.order_ids = orders
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Imported Orders"),
            "res_model": "sale.order",
            "view_mode": "list,form",
            "domain": [("id", "in", orders.ids)],
        }

    def _create_orders(self, groups, values):
        orders = self.env["sale.order"].create(values)
        # keep the file's prices over the pricelist's
        for order, group in zip(orders, groups, strict=True):
            for line, (_n, line_values) in zip(
                order.order_line, group["lines"], strict=True
            ):
                fixed = {
                    k: v
                    for k, v in line_values.items()
                    if k in ("price_unit", "discount")
                }
                if fixed and any(line[k] != v for k, v in fixed.items()):
                    line.write(fixed)
        if self.confirm:
            orders.action_confirm()
        return orders
