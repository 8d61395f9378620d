"""The State Taxation Administration's code table (商品和服务税收分类编码表).

Each code has 19 digits: the first one the category (1 货物 goods, 2 劳务
processing and repair services, 3 销售服务 services, 4 无形资产
intangibles, 5 不动产 real estate, 6 未发生销售行为的不征税项目 not taxable),
then two digits a level (篇, 类, 章, 节, 条, 款, 项, 目, 子目, 细目), zeros
after the last level used.  A *summary* code (汇总项 = Y) groups others and
is never put on an invoice: a product takes a leaf (汇总项 = N).

:func:`read_table` reads the table as it is distributed:

- the XLSX or CSV of the invoicing software's code database, headers
  ``BB`` (version), ``SPBM`` (code), ``SPMC`` (name), ``SPBMJC`` (short
  name), ``SM`` (notes), ``ZZSSL`` (VAT rate), ``HZX`` (summary item),
  ``KYZT`` (available), ``PID`` (parent code);
- the table with Chinese headers (合并编码, 货物和劳务名称, 商品和服务分类简称,
  说明, 增值税税率, 汇总项, 可用状态).

Columns are found by their header (any row of the first ten), never by
position.  Without a summary column, a code is a leaf when no other code of
the table lies under it; without a parent column, the parent is the nearest
shorter level present.
"""

import csv
import io
import zipfile

from openpyxl import load_workbook

from .common import TAX_CODE_RE, FapiaoError

# the first digit of a code: its category, as the table names it
CATEGORIES = {
    "1": "货物",
    "2": "劳务",
    "3": "销售服务",
    "4": "无形资产",
    "5": "不动产",
    "6": "未发生销售行为的不征税项目",
}
# digits used by each level (篇 1, then 2 digits a level up to 19)
LEVELS = (1, 3, 5, 7, 9, 11, 13, 15, 17, 19)
HEADERS = {
    "code": ("SPBM", "合并编码", "商品和服务税收分类编码", "税收分类编码", "编码"),
    "name": ("SPMC", "货物和劳务名称", "商品和服务名称", "名称"),
    "short_name": ("SPBMJC", "商品和服务分类简称", "简称"),
    "description": ("SM", "说明"),
    "rate": ("ZZSSL", "增值税税率", "税率"),
    "summary": ("HZX", "汇总项"),
    "available": ("KYZT", "可用状态"),
    "parent": ("PID", "上级编码"),
    "version": ("BB", "版本号", "版本"),
}
MAX_ROWS = 100_000
YES = ("Y", "是", "1", "TRUE")


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _header_key(value):
    return "".join(_text(value).split()).upper()


def _rows_xlsx(data):
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


def _rows_csv(data):
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise FapiaoError("tax_table_encoding", "Unreadable text file.")
    yield from csv.reader(io.StringIO(text))


def _columns(rows, filename):
    """``(header row index, {field: column})`` from the first ten rows."""
    wanted = {
        field: {_header_key(name) for name in names} for field, names in HEADERS.items()
    }
    for index, row in enumerate(rows[:10]):
        found = {}
        for column, value in enumerate(row):
            key = _header_key(value)
            for field, names in wanted.items():
                if key in names and field not in found:
                    found[field] = column
        if "code" in found and "name" in found:
            return index, found
    raise FapiaoError(
        "tax_table_headers",
        "%(file)s: no header row with the code (SPBM or 合并编码) and the name "
        "(SPMC or 货物和劳务名称) in its first ten rows.",
        file=filename,
    )


def parent_of(code, codes):
    """The nearest shorter level of ``code`` found in ``codes``, or ''."""
    significant = code.rstrip("0")
    for digits in reversed(LEVELS):
        if digits >= len(significant):
            continue
        candidate = code[:digits].ljust(19, "0")
        if candidate != code and candidate in codes:
            return candidate
    return ""


def _rows(filename, data):
    """The rows of the table file (XLSX, CSV, or a zip holding one)."""
    name = (filename or "").lower()
    if name.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [
                member
                for member in archive.namelist()
                if member.lower().endswith((".xlsx", ".csv"))
            ]
            if len(members) != 1:
                raise FapiaoError(
                    "tax_table_zip",
                    "%(file)s: the archive must hold one XLSX or CSV file.",
                    file=filename,
                )
            return _rows(f"{filename}/{members[0]}", archive.read(members[0]))
    if name.endswith(".csv"):
        return list(_rows_csv(data))
    if data[:2] == b"PK":
        try:
            return list(_rows_xlsx(data))
        except (zipfile.BadZipFile, KeyError, ValueError) as error:
            raise FapiaoError(
                "tax_table_unreadable",
                "%(file)s is not a readable XLSX workbook.",
                file=filename,
            ) from error
    raise FapiaoError(
        "tax_table_file",
        "%(file)s: upload the code table as XLSX or CSV (an XLS workbook "
        "can be saved as XLSX first).",
        file=filename,
    )


def read_table(filename, data):
    """The codes of the table file: ``[{code, name, short_name,
    description, rate, summary, available, parent, version}]`` sorted by
    code.  Raises :class:`FapiaoError` naming the file and the row."""
    rows = _rows(filename, data)
    if len(rows) > MAX_ROWS:
        raise FapiaoError(
            "tax_table_size",
            "%(file)s has more than %(max)s rows.",
            file=filename,
            max=MAX_ROWS,
        )
    header, columns = _columns(rows, filename)

    def cell(row, field):
        column = columns.get(field)
        return _text(row[column]) if column is not None and column < len(row) else ""

    codes = {}
    for number, row in enumerate(rows[header + 1 :], start=header + 2):
        code = cell(row, "code")
        if not code and not any(_text(value) for value in row):
            continue
        if not TAX_CODE_RE.match(code):
            raise FapiaoError(
                "tax_table_code",
                "%(file)s, row %(row)s: %(value)s is not a 19-digit tax "
                "classification code.",
                file=filename,
                row=number,
                value=code or "''",
            )
        name_text = cell(row, "name")
        if not name_text:
            raise FapiaoError(
                "tax_table_name",
                "%(file)s, row %(row)s: the code %(value)s has no name.",
                file=filename,
                row=number,
                value=code,
            )
        parent = cell(row, "parent")
        codes[code] = {
            "code": code,
            "name": name_text,
            "short_name": cell(row, "short_name"),
            "description": cell(row, "description"),
            "rate": cell(row, "rate"),
            "summary": cell(row, "summary").upper() in YES
            if "summary" in columns
            else None,
            "available": cell(row, "available").upper() in YES
            if "available" in columns and cell(row, "available")
            else True,
            "parent": parent if TAX_CODE_RE.match(parent) else "",
            "version": cell(row, "version"),
        }
    if not codes:
        raise FapiaoError("tax_table_empty", "%(file)s holds no code.", file=filename)
    parents = set()
    for entry in codes.values():
        if not entry["parent"]:
            entry["parent"] = parent_of(entry["code"], codes)
        parents.add(entry["parent"])
    for entry in codes.values():
        if entry["summary"] is None:
            entry["summary"] = entry["code"] in parents
    return [codes[code] for code in sorted(codes)]
