"""Unit tests of the e-fapiao engine: template, checks, issued files,
matching (no database)."""

import io
import unittest
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook
from stdnum.cn import uscc

from odoo.addons.sales_closing.engine.fapiao import checks, issued, matching, template
from odoo.addons.sales_closing.engine.fapiao.common import FapiaoError, rate_text

from .fapiao_samples import (
    INVOICE_HEADERS,
    LINE_HEADERS,
    issued_ofd,
    issued_xml,
    make_template,
    summary_workbook,
    zip_of,
)


def make_uscc(body):
    """A valid 18-character code from its first 17 characters."""
    return body + uscc.calc_check_digit(body)


BUYER_VAT = make_uscc("91110108MA01ABCDE")
OTHER_VAT = make_uscc("91440300MA5FXYW12")


def line(name, quantity, price, net, rate, code="1090511030000000000"):
    return {
        "name": name,
        "product": name,
        "tax_code": code,
        "spec": "X-1",
        "uom": "件",
        "quantity": quantity,
        "price_unit": price,
        "net": net,
        "rate": rate,
    }


def invoice(ref, serial, kind="02", included=False, lines=None, **extra):
    values = {
        "ref": ref,
        "serial": serial,
        "type": kind,
        "tax_included": included,
        "currency": "CNY",
        "issued_number": "",
        "refund": False,
        "buyer": {
            "name": "北京买方有限公司",
            "vat": BUYER_VAT,
            "address": "北京市海淀区 1 号",
            "phone": "010-12345678",
            "bank": "中国银行",
            "account": "1234567890",
            "email": "buyer@example.com",
        },
        "remark": f"{ref} {serial}",
        "lines": lines or [line("Widget", 2, 100, 200, 0.13)],
    }
    values.update(extra)
    return values


def read_sheet(data, sheet_name):
    """Rows of a data sheet as {header: value}, found by header name."""
    sheet = load_workbook(io.BytesIO(data))[sheet_name]
    headers = {
        cell.column: "".join(str(cell.value).split()) for cell in sheet[3] if cell.value
    }
    rows = []
    for row in sheet.iter_rows(min_row=4):
        values = {headers[c.column]: c.value for c in row if c.column in headers}
        if any(values.values()):
            rows.append(values)
        for cell in row:
            if cell.value is not None:
                assert cell.data_type == "s", (cell.coordinate, cell.value)
    return rows


class TestFapiaoTemplate(unittest.TestCase):
    def batch(self):
        return [
            # 专票, without tax, 13 % and 9 %, a 10 % discount on one line
            invoice(
                "INV/1",
                "SCFP000000000001",
                kind="01",
                lines=[
                    line("Widget", 3, 33.3333, 100.00, 0.13),
                    line("Food", 10, 12.5, 112.5, 0.09),
                    line("Gadget", 4, 50, 180.00, 0.13),  # 200 - 10 %
                ],
            ),
            # 普票, with tax, 6 % and 0 %
            invoice(
                "INV/2",
                "SCFP000000000002",
                included=True,
                lines=[
                    line("Consulting", 1.5, 106, 159.00, 0.06, "3040201990000000000"),
                    line("Books", 2, 20, 36.00, 0.0, "1060201000000000000"),
                ],
            ),
        ]

    def test_fill_cell_by_cell(self):
        data, version = template.fill_template(
            make_template("20251101"), checks.template_rows(self.batch())
        )
        self.assertEqual(version, "20251101")
        heads = read_sheet(data, "1-发票基本信息")
        self.assertEqual(len(heads), 2)
        first, second = heads
        self.assertEqual(first["发票流水号"], "SCFP000000000001")
        self.assertEqual(first["发票类型"], "增值税专用发票")
        self.assertEqual(first["是否含税"], "否")
        self.assertEqual(first["购买方名称"], "北京买方有限公司")
        self.assertEqual(first["购买方纳税人识别号"], BUYER_VAT)
        self.assertEqual(first["购买方地址"], "北京市海淀区 1 号")
        self.assertEqual(first["购买方电话"], "010-12345678")
        self.assertEqual(first["购买方开户银行"], "中国银行")
        self.assertEqual(first["购买方银行账号"], "1234567890")
        self.assertEqual(first["购买方邮箱"], "buyer@example.com")
        self.assertEqual(first["备注"], "INV/1 SCFP000000000001")
        self.assertIsNone(first["特定业务类型"])
        self.assertEqual(second["发票类型"], "普通发票")
        self.assertEqual(second["是否含税"], "是")
        lines = read_sheet(data, "2-发票明细信息")
        expected = [
            # serial, name, qty, price, amount, rate, discount
            ("SCFP000000000001", "Widget", "3", "33.3333", "100.00", "0.13", None),
            ("SCFP000000000001", "Food", "10", "12.5", "125.00", "0.09", "12.50"),
            ("SCFP000000000001", "Gadget", "4", "50", "200.00", "0.13", "20.00"),
            ("SCFP000000000002", "Consulting", "1.5", "106", "159.00", "0.06", None),
            ("SCFP000000000002", "Books", "2", "20", "40.00", "0", "4.00"),
        ]
        self.assertEqual(len(lines), len(expected))
        for row, (serial, name, qty, price, amount, rate, discount) in zip(
            lines, expected, strict=True
        ):
            self.assertEqual(row["发票流水号"], serial)
            self.assertEqual(row["项目名称"], name)
            self.assertEqual(len(row["商品和服务税收编码"]), 19)
            self.assertEqual(row["规格型号"], "X-1")
            self.assertEqual(row["单位"], "件")
            self.assertEqual(row["数量"], qty)
            self.assertEqual(row["单价"], price)
            self.assertEqual(row["金额"], amount)
            self.assertEqual(row["税率"], rate)
            self.assertEqual(row["折扣金额"], discount)
            # 金额 = 单价 × 数量 to the fen
            self.assertEqual(
                (Decimal(price) * Decimal(qty)).quantize(Decimal("0.01")),
                Decimal(amount),
            )

    def test_columns_found_by_header_not_position(self):
        invoice_headers = list(reversed(INVOICE_HEADERS))
        line_headers = LINE_HEADERS[5:] + LINE_HEADERS[:5]
        moved, _version = template.fill_template(
            make_template(invoice_headers=invoice_headers, line_headers=line_headers),
            checks.template_rows(self.batch()),
        )
        plain, _version = template.fill_template(
            make_template(), checks.template_rows(self.batch())
        )
        for sheet in ("1-发票基本信息", "2-发票明细信息"):
            self.assertEqual(read_sheet(moved, sheet), read_sheet(plain, sheet))
        # really moved: the serial is in the last column of sheet 1
        sheet = load_workbook(io.BytesIO(moved))["1-发票基本信息"]
        self.assertEqual(sheet.cell(4, len(INVOICE_HEADERS)).value, "SCFP000000000001")

    def test_missing_header_named(self):
        headers = [h for h in LINE_HEADERS if h != "折扣金额"]
        with self.assertRaises(FapiaoError) as caught:
            template.fill_template(
                make_template(line_headers=headers), checks.template_rows(self.batch())
            )
        self.assertIn("2-发票明细信息 / 折扣金额", str(caught.exception))
        with self.assertRaises(FapiaoError) as caught:
            template.fill_template(b"not a workbook", checks.template_rows([]))
        self.assertEqual(caught.exception.code, "template_unreadable")

    def test_formula_looking_text_stays_text(self):
        batch = self.batch()
        batch[0]["buyer"]["name"] = "=HYPERLINK(1)"
        data, _version = template.fill_template(
            make_template(), checks.template_rows(batch)
        )
        self.assertEqual(
            read_sheet(data, "1-发票基本信息")[0]["购买方名称"], "=HYPERLINK(1)"
        )

    def test_refusals_name_invoice_and_line(self):
        bad = [
            invoice(
                "INV/3",
                "SCFP000000000003",
                kind="01",
                lines=[line("No code", 1, 10, 10, 0.13, code="")],
                buyer=dict(name="Buyer", vat="123"),
            ),
            invoice("INV/4", "SCFP000000000004", currency="USD"),
            invoice(
                "INV/5",
                "SCFP000000000005",
                lines=[line("Odd", 1, 10, 10, 0.07), line("Multi", 1, 5, 5, None)],
            ),
            invoice("INV/6", "SCFP000000000006", remark="x" * 231),
            invoice("INV/7", "SCFP000000000007", issued_number="2" * 20),
            invoice("INV/8", "SCFP000000000008", refund=True),
            invoice("INV/9", "SCFP000000000009"),  # fine, refused with the batch
        ]
        with self.assertRaises(FapiaoError) as caught:
            checks.template_rows(bad)
        codes = [
            (code, params.get("invoice"), params.get("line"))
            for code, _m, params in caught.exception.problems
        ]
        self.assertIn(("tax_code", "INV/3", 1), codes)
        self.assertIn(("buyer_vat", "INV/3", None), codes)
        self.assertIn(("currency", "INV/4", None), codes)
        self.assertIn(("rate", "INV/5", 1), codes)
        self.assertIn(("rate", "INV/5", 2), codes)
        self.assertIn(("remark", "INV/6", None), codes)
        self.assertIn(("issued", "INV/7", None), codes)
        self.assertIn(("refund", "INV/8", None), codes)
        self.assertNotIn("INV/9", [c[1] for c in codes])
        message = str(caught.exception)
        self.assertIn("INV/3, line 1 (No code)", message)
        # a 普票 buyer without a code is fine (an individual)
        checks.template_rows(
            [invoice("INV/10", "SCFP000000000010", buyer={"name": "张三", "vat": ""})]
        )

    def test_too_many_lines(self):
        many = [
            invoice(f"INV/{n}", f"SCFP{n:012d}", lines=[line("W", 1, 1, 1, 0.13)] * 100)
            for n in range(21)
        ]
        with self.assertRaises(FapiaoError) as caught:
            checks.template_rows(many)
        self.assertEqual(caught.exception.problems[0][0], "too_many_lines")
        checks.template_rows(many[:20])  # 2,000 lines: accepted

    def test_rate_text(self):
        self.assertEqual(rate_text("13%"), "0.13")
        self.assertEqual(rate_text(0.09), "0.09")
        self.assertEqual(rate_text("0.060"), "0.06")
        self.assertEqual(rate_text(0), "0")
        self.assertEqual(rate_text("1.5%"), "0.015")
        self.assertIsNone(rate_text(0.07))
        self.assertIsNone(rate_text(None))


class TestFapiaoIssued(unittest.TestCase):
    def test_xml_both_rate_and_time_forms(self):
        first = issued.parse_xml(
            issued_xml(
                "26312000000000000001",
                "2026-01-15 10:20:30",
                BUYER_VAT,
                "300.00",
                "33.00",
                "333.00",
                remark="INV/1 SCFP000000000001",
                lines=[
                    ("Widget", "1", "100", "100.00", "0.13", "13.00"),
                    ("Food", "2", "100", "200.00", "10%", "20.00"),
                ],
            ),
            "a.xml",
        )
        self.assertEqual(first["number"], "26312000000000000001")
        self.assertEqual(first["date"], date(2026, 1, 15))
        self.assertEqual(first["total"], Decimal("333.00"))
        self.assertEqual(first["tax"], Decimal("33.00"))
        self.assertEqual(first["serial"], "SCFP000000000001")
        self.assertEqual(first["buyer_vat"], BUYER_VAT)
        self.assertTrue(first["positive"])
        self.assertEqual(
            [x["rate"] for x in first["lines"]], [Decimal("0.13"), Decimal("0.10")]
        )
        second = issued.parse_xml(
            issued_xml(
                "26312000000000000002",
                "2026-01-16",
                BUYER_VAT,
                "100.00",
                "9.00",
                "109.00",
                lines=[("Food", "1", "100", "100.00", "9%", "9.00")],
            ),
            "b.xml",
        )
        self.assertEqual(second["date"], date(2026, 1, 16))
        self.assertEqual(second["lines"][0]["rate"], Decimal("0.09"))
        self.assertEqual(second["serial"], "")

    def test_xml_errors_name_file_and_element(self):
        data = issued_xml("123", "2026-01-15", BUYER_VAT, "1", "0", "1")
        with self.assertRaises(FapiaoError) as caught:
            issued.parse_xml(data, "bad.xml")
        self.assertIn("bad.xml", str(caught.exception))
        self.assertIn("TaxSupervisionInfo/InvoiceNumber", str(caught.exception))
        data = issued_xml(
            "2" * 20,
            "2026-01-15",
            BUYER_VAT,
            "1",
            "0",
            "1",
            lines=[("W", "1", "1", "1", "13 percent", "0")],
        )
        with self.assertRaises(FapiaoError) as caught:
            issued.parse_xml(data, "rate.xml")
        self.assertIn("IssuItemInformation[1]/TaxRate", str(caught.exception))
        data = issued_xml("2" * 20, "2026-01-15", BUYER_VAT, "abc", "0", "1")
        with self.assertRaises(FapiaoError) as caught:
            issued.parse_xml(data, "bad.xml")
        self.assertIn("BasicInformation/TotalAmWithoutTax", str(caught.exception))
        with self.assertRaises(FapiaoError) as caught:
            issued.parse_xml(b"<Invoice/>", "other.xml")
        self.assertEqual(caught.exception.code, "xml_root")
        with self.assertRaises(FapiaoError) as caught:
            issued.parse_xml(b"<EInvoice>", "broken.xml")
        self.assertEqual(caught.exception.code, "xml_syntax")

    def test_ofd(self):
        found = issued.parse_ofd(
            issued_ofd(
                "26312000000000000003",
                "2026年01月17日",
                BUYER_VAT,
                "100.00",
                "6.00",
                "106.00",
                "INV/3 SCFP000000000003",
            ),
            "c.ofd",
        )
        self.assertEqual(found["number"], "26312000000000000003")
        self.assertEqual(found["date"], date(2026, 1, 17))
        self.assertEqual(found["total"], Decimal("106.00"))
        self.assertEqual(found["serial"], "SCFP000000000003")
        with self.assertRaises(FapiaoError) as caught:
            issued.parse_ofd(b"PK junk", "junk.ofd")
        self.assertIn("junk.ofd", str(caught.exception))

    def test_summary_and_red(self):
        data = summary_workbook(
            [
                {
                    "数电发票号码": "26312000000000000004",
                    "购方识别号": BUYER_VAT,
                    "开票日期": "2026-01-18 09:00:00",
                    "金额": "100.00",
                    "税额": "13.00",
                    "价税合计": "113.00",
                    "发票状态": "正常",
                    "是否正数发票": "是",
                    "备注": "SCFP000000000004",
                },
                {
                    "数电发票号码": "26312000000000000005",
                    "购方识别号": BUYER_VAT,
                    "开票日期": "2026-01-19",
                    "金额": "-100.00",
                    "税额": "-13.00",
                    "价税合计": "-113.00",
                    "发票状态": "正常",
                    "是否正数发票": "否",
                    "备注": "被红冲蓝字数电发票号码：26312000000000000004 "
                    "红字发票信息确认单编号：1",
                },
            ]
        )
        blue, red = issued.parse_summary(data, "export.xlsx")
        self.assertTrue(blue["positive"])
        self.assertEqual(blue["serial"], "SCFP000000000004")
        self.assertFalse(red["positive"])
        self.assertEqual(red["total"], Decimal("-113.00"))
        self.assertEqual(red["blue_number"], "26312000000000000004")
        bad = summary_workbook(
            [{"数电发票号码": "1", "购方识别号": "", "开票日期": "x"}]
        )
        with self.assertRaises(FapiaoError) as caught:
            issued.parse_summary(bad, "bad.xlsx")
        self.assertIn("row 2", str(caught.exception))
        self.assertIn("数电发票号码", str(caught.exception))
        no_column = summary_workbook([], headers=["数电发票号码", "金额"])
        with self.assertRaises(FapiaoError) as caught:
            issued.parse_summary(no_column, "cols.xlsx")
        self.assertIn("购方识别号", str(caught.exception))

    def test_zip_dedup_and_conflict(self):
        number = "26312000000000000006"
        xml = issued_xml(number, "2026-01-20", BUYER_VAT, "100.00", "13.00", "113.00")
        ofd = issued_ofd(number, "2026-01-20", BUYER_VAT, "100.00", "13.00", "113.00")
        archive = zip_of(
            [(f"{number}.xml", xml), (f"{number}.ofd", ofd), (f"{number}.pdf", b"%PDF")]
        )
        found, pdfs = issued.read_files([("batch.zip", archive)])
        self.assertEqual(len(found), 1)
        self.assertEqual(
            sorted(name for name, _data in found[0]["documents"]),
            sorted([f"{number}.xml", f"{number}.ofd", f"{number}.pdf"]),
        )
        self.assertIn(number, pdfs)
        other = issued_ofd(number, "2026-01-20", BUYER_VAT, "100.00", "13.00", "113.01")
        with self.assertRaises(FapiaoError) as caught:
            issued.read_files([("a.xml", xml), ("a.ofd", other)])
        self.assertEqual(caught.exception.code, "conflict")
        with self.assertRaises(FapiaoError) as caught:
            issued.read_files([("notes.txt", b"hello")])
        self.assertEqual(caught.exception.code, "file_kind")


class TestFapiaoMatching(unittest.TestCase):
    def candidate(self, id_, total, tax, **extra):
        values = {
            "id": id_,
            "ref": f"INV/{id_}",
            "serial": f"SCFP{id_:012d}",
            "buyer_vat": BUYER_VAT,
            "date": date(2026, 1, 15),
            "number": "",
            "total": Decimal(total),
            "tax": Decimal(tax),
            "refund": False,
            "blue_number": "",
        }
        values.update(extra)
        return values

    def issued(self, number, total, tax, serial="", **extra):
        values = {
            "number": number,
            "date": date(2026, 1, 15),
            "buyer_vat": BUYER_VAT,
            "total": Decimal(total),
            "tax": Decimal(tax),
            "untaxed": Decimal(total) - Decimal(tax),
            "serial": serial,
            "positive": Decimal(total) >= 0,
            "blue_number": "",
        }
        values.update(extra)
        return values

    def test_match_rules(self):
        candidates = [
            self.candidate(1, "113.00", "13.00"),
            self.candidate(2, "226.00", "26.00"),
            self.candidate(3, "50.00", "5.75"),
            self.candidate(4, "300.00", "30.00"),
            self.candidate(5, "300.00", "30.00"),
            self.candidate(6, "80.00", "8.00", number="2" * 20),
        ]
        results = matching.match(
            [
                self.issued("1" * 20, "113.00", "13.00", serial="SCFP000000000001"),
                self.issued("3" * 20, "226.00", "26.00"),  # buyer + total + date
                self.issued("4" * 20, "50.01", "5.76", serial="SCFP000000000003"),
                self.issued("5" * 20, "300.00", "30.00"),  # two fit
                self.issued("2" * 20, "80.00", "8.00"),  # already linked
                self.issued("6" * 20, "999.00", "9.00"),
            ],
            candidates,
        )
        summary = [
            (r["status"], r["reason"], r["candidate"] and r["candidate"]["id"])
            for r in results
        ]
        self.assertEqual(
            summary,
            [
                ("linked", "serial", 1),
                ("linked", "buyer_total_date", 2),
                ("review", "amounts", 3),
                ("review", "ambiguous", None),
                ("unchanged", "number", 6),
                ("unmatched", "not_found", None),
            ],
        )
        self.assertEqual(results[2]["difference_total"], Decimal("0.01"))
        self.assertEqual(results[2]["difference_tax"], Decimal("0.01"))

    def test_red_by_blue_number(self):
        blue = "7" * 20
        candidates = [
            self.candidate(
                8, "-113.00", "-13.00", refund=True, blue_number=blue, serial=""
            )
        ]
        red = self.issued("8" * 20, "-113.00", "-13.00", blue_number=blue)
        red["buyer_vat"] = ""
        results = matching.match([red], candidates)
        self.assertEqual(results[0]["status"], "linked")
        self.assertEqual(results[0]["reason"], "blue_number")
