"""The tax classification code table read from its files (no database)."""

import io
import unittest

from openpyxl import Workbook

from odoo.addons.sales_closing.engine.fapiao import FapiaoError
from odoo.addons.sales_closing.engine.fapiao.tax_codes import parent_of, read_table

# the invoicing software's columns (a sample of its 21)
SOFTWARE_HEADERS = ["BB", "QYSJ", "SPBM", "SPMC", "SPBMJC", "SM", "ZZSSL", "HZX"]
SOFTWARE_HEADERS += ["KYZT", "PID"]
# code, name, short name, VAT rate, summary item, parent
GOODS, FARM, CROPS, GRAIN, SERVICES = (
    "1000000000000000000",
    "1010000000000000000",
    "1010100000000000000",
    "1010101000000000000",
    "3000000000000000000",
)
SAMPLE = [
    (GOODS, "货物", "货物", "", "Y", "0"),
    (FARM, "农、林、牧、渔业类产品", "农产品", "", "Y", GOODS),
    (CROPS, "农业产品", "农业产品", "", "Y", FARM),
    (GRAIN, "谷物", "谷物", "", "Y", CROPS),
    ("1010101010000000000", "稻谷", "谷物", "9%", "N", GRAIN),
    ("1010101020000000000", "小麦", "谷物", "9%", "N", GRAIN),
    (SERVICES, "销售服务", "销售服务", "", "Y", "0"),
    ("3040201990000000000", "其他咨询服务", "咨询服务", "6%", "N", SERVICES),
]  # fmt: skip


def software_workbook(rows=None, version="32.0", blank_rows=0):
    workbook = Workbook()
    sheet = workbook.active
    for _index in range(blank_rows):
        sheet.append([None])
    sheet.append(SOFTWARE_HEADERS)
    for code, name, short, rate, summary, parent in SAMPLE if rows is None else rows:
        sheet.append(
            [version, "20190401", code, name, short, "", rate, summary, "Y", parent]
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


class TestTaxCodeTable(unittest.TestCase):
    def test_software_columns(self):
        codes = read_table("spbm.xlsx", software_workbook(blank_rows=2))
        self.assertEqual(len(codes), 8)
        by_code = {entry["code"]: entry for entry in codes}
        rice = by_code["1010101010000000000"]
        self.assertEqual(
            (rice["name"], rice["short_name"], rice["rate"], rice["summary"]),
            ("稻谷", "谷物", "9%", False),
        )
        self.assertEqual(rice["parent"], "1010101000000000000")
        self.assertEqual(rice["version"], "32.0")
        self.assertTrue(by_code["1010101000000000000"]["summary"])
        # PID 0: a category, no parent
        self.assertEqual(by_code["1000000000000000000"]["parent"], "")
        self.assertEqual([entry["code"] for entry in codes], sorted(by_code))

    def test_chinese_columns_csv_without_summary_or_parent(self):
        """The table with Chinese headers, as CSV in GB18030, without 汇总项
        nor parent columns: parents from the code levels, leaves from them."""
        lines = ["合并编码,货物和劳务名称,商品和服务分类简称,增值税税率"]
        lines += [
            f"{code},{name},{short},{rate}" for code, name, short, rate, *_ in SAMPLE
        ]
        codes = read_table("编码表.csv", "\n".join(lines).encode("gb18030"))
        by_code = {entry["code"]: entry for entry in codes}
        self.assertFalse(by_code["1010101020000000000"]["summary"])
        self.assertTrue(by_code["1010100000000000000"]["summary"])
        self.assertEqual(
            by_code["3040201990000000000"]["parent"], "3000000000000000000"
        )
        self.assertEqual(
            by_code["1010000000000000000"]["parent"], "1000000000000000000"
        )

    def test_parent_of_skips_missing_levels(self):
        codes = {"1000000000000000000", "1010100000000000000"}
        self.assertEqual(parent_of("1010101010000000000", codes), "1010100000000000000")
        self.assertEqual(parent_of("1000000000000000000", codes), "")

    def test_errors_name_file_and_row(self):
        bad = list(SAMPLE) + [("10101", "短码", "", "", "N", "0")]
        with self.assertRaises(FapiaoError) as caught:
            read_table("spbm.xlsx", software_workbook(bad))
        self.assertEqual(caught.exception.code, "tax_table_code")
        self.assertEqual(caught.exception.params["row"], 10)
        self.assertIn("spbm.xlsx", str(caught.exception))
        with self.assertRaises(FapiaoError) as caught:
            read_table("x.csv", b"code,name\n1010101010000000000,x\n")
        self.assertEqual(caught.exception.code, "tax_table_headers")
        with self.assertRaises(FapiaoError) as caught:
            read_table("old.xls", b"\xd0\xcf\x11\xe0 binary")
        self.assertEqual(caught.exception.code, "tax_table_file")
