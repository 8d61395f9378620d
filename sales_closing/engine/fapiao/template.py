"""The tax platform's batch-issue workbook (批量开票-导入开票模板), filled in place.

The company uploads the official template (versions V251101 and V260401 are
known); we never ship it.  Its published shape:

- a hidden sheet ``excelVersion`` with ``pt:YYYYMMDD`` in A4;
- data sheets with notes in row 1, hints in row 2, headers in row 3 and data
  from row 4; every cell is text;
- ``1-发票基本信息``: one row per invoice, keyed by 发票流水号;
- ``2-发票明细信息``: one row per invoice line, with the invoice's 发票流水号.

Columns are found by their row-3 header, never by position: sheets 3 and 4
change between versions, and a later version may move columns.  Headers are
compared without spaces and line breaks.
"""

import io
import re

from openpyxl import load_workbook

from .common import FapiaoError

VERSION_SHEET = "excelVersion"
HEADER_ROW = 3
FIRST_ROW = 4
INVOICE_SHEET = "1-发票基本信息"
LINE_SHEET = "2-发票明细信息"

# header -> key of the invoice dict; required headers must be in the template
INVOICE_COLUMNS = {
    "发票流水号": "serial",
    "发票类型": "type_label",
    "特定业务类型": None,
    "是否含税": "tax_included_label",
    "购买方名称": "buyer_name",
    "购买方纳税人识别号": "buyer_vat",
    "购买方地址": "buyer_address",
    "购买方电话": "buyer_phone",
    "购买方开户银行": "buyer_bank",
    "购买方银行账号": "buyer_account",
    "备注": "remark",
    "购买方邮箱": "buyer_email",
}
INVOICE_REQUIRED = (
    "发票流水号",
    "发票类型",
    "是否含税",
    "购买方名称",
    "购买方纳税人识别号",
    "备注",
)
LINE_COLUMNS = {
    "发票流水号": "serial",
    "项目名称": "name",
    "商品和服务税收编码": "tax_code",
    "规格型号": "spec",
    "单位": "uom",
    "数量": "quantity",
    "单价": "price_unit",
    "金额": "amount",
    "税率": "rate",
    "折扣金额": "discount",
}
LINE_REQUIRED = tuple(LINE_COLUMNS)

_SPACES = re.compile(r"\s+")


def normalise_header(value):
    return _SPACES.sub("", str(value)) if value not in (None, "") else ""


def read_version(workbook):
    """The template version ``YYYYMMDD`` from ``excelVersion``!A4, or ''."""
    if VERSION_SHEET not in workbook.sheetnames:
        return ""
    value = workbook[VERSION_SHEET]["A4"].value or ""
    match = re.match(r"^\s*pt:(\d{8})\s*$", str(value))
    return match.group(1) if match else ""


def header_columns(sheet):
    """``{normalised header: column index}`` of row 3 (first one wins)."""
    columns = {}
    for cell in sheet[HEADER_ROW]:
        name = normalise_header(cell.value)
        if name and name not in columns:
            columns[name] = cell.column
    return columns


def _load(data):
    try:
        return load_workbook(io.BytesIO(data))
    except Exception as error:  # zipfile, KeyError, InvalidFileException...
        raise FapiaoError(
            "template_unreadable",
            "The batch-issue template cannot be read as an XLSX workbook: %(error)s",
            error=str(error),
        ) from error


def check_template(workbook):
    """Column maps of both data sheets; refuse a template without the sheets
    or the headers we fill, naming every one missing."""
    missing = []
    maps = {}
    for sheet_name, required in (
        (INVOICE_SHEET, INVOICE_REQUIRED),
        (LINE_SHEET, LINE_REQUIRED),
    ):
        if sheet_name not in workbook.sheetnames:
            missing.append(sheet_name)
            continue
        columns = header_columns(workbook[sheet_name])
        missing += [
            f"{sheet_name} / {header}" for header in required if header not in columns
        ]
        maps[sheet_name] = columns
    if missing:
        raise FapiaoError(
            "template_headers",
            "The batch-issue template lacks these sheets or row-3 headers: "
            "%(missing)s. Upload the official template again.",
            missing=", ".join(missing),
        )
    return maps


def _write_text(sheet, row, column, value):
    """A text cell: written as a string, never read as a formula or number."""
    cell = sheet.cell(row=row, column=column)
    cell.value = value
    # a string starting with "=" would be stored as a formula: keep it text
    cell.data_type = "s"
    cell.number_format = "@"


def _clear_data(sheet):
    """Drop rows from row 4 on (a template someone already filled)."""
    if sheet.max_row >= FIRST_ROW:
        sheet.delete_rows(FIRST_ROW, sheet.max_row - FIRST_ROW + 1)


def fill_template(template, rows):
    """Fill the template ``template`` (bytes) with ``rows`` and return
    ``(bytes, version)``.

    ``rows`` is what :func:`.checks.template_rows` returns: a dict with
    ``invoices`` (one dict a row of sheet 1, keys of :data:`INVOICE_COLUMNS`)
    and ``lines`` (one dict a row of sheet 2, keys of :data:`LINE_COLUMNS`),
    every value already text.
    """
    workbook = _load(template)
    version = read_version(workbook)
    maps = check_template(workbook)
    for sheet_name, spec, records in (
        (INVOICE_SHEET, INVOICE_COLUMNS, rows["invoices"]),
        (LINE_SHEET, LINE_COLUMNS, rows["lines"]),
    ):
        sheet = workbook[sheet_name]
        _clear_data(sheet)
        columns = maps[sheet_name]
        for offset, record in enumerate(records):
            for header, key in spec.items():
                column = columns.get(header)
                if column is None or key is None:
                    continue
                value = record.get(key) or ""
                if value:
                    _write_text(sheet, FIRST_ROW + offset, column, value)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue(), version


def read_rows(data):
    """The rows of a filled workbook as ``{sheet: [{header: text}]}`` (both
    data sheets), for tests and for reading a batch back."""
    workbook = _load(data)
    result = {}
    for sheet_name in (INVOICE_SHEET, LINE_SHEET):
        sheet = workbook[sheet_name]
        columns = header_columns(sheet)
        records = []
        for row in sheet.iter_rows(min_row=FIRST_ROW):
            values = {
                name: row[column - 1].value
                for name, column in columns.items()
                if column - 1 < len(row)
            }
            if any(value not in (None, "") for value in values.values()):
                records.append(values)
        result[sheet_name] = records
    return result
