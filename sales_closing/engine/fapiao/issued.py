"""Issued e-fapiao read back from the platform's files.

Three sources, all giving the same dict per issued invoice::

    {
        "number": "26332000000123456789",   # 数电发票号码, 20 digits
        "date": date(2026, 1, 15),          # IssueTime / 开票日期
        "seller_vat": "...", "buyer_vat": "...", "buyer_name": "...",
        "untaxed": Decimal, "tax": Decimal, "total": Decimal,  # signed
        "positive": True,                   # False: a red (negative) fapiao
        "remark": "...", "serial": "SCFP..." | "",  # our 发票流水号 if in it
        "blue_number": "" | "2633...",      # a red fapiao's blue invoice
        "status": "正常",                   # 发票状态 of the export
        "lines": [{"name", "quantity", "price", "amount", "rate", "tax",
                   "tax_code"}],
        "filename": "...", "kind": "xml" | "ofd" | "summary",
    }

- the issued invoice XML (root ``EInvoice``, no namespace): ``TaxRate`` as
  ``0.13`` or ``13%``, ``IssueTime`` a date or a date-time, both read;
- the OFD: its embedded custom tags, read with ``ofdkit`` (Apache-2.0);
- the platform's export of issued invoices (全量发票查询 → 导出), sheet
  ``信息汇总表``, columns found by header name.

A bad file raises :class:`FapiaoError` naming the file and the element or
row; nothing is returned for a batch with one bad file.
"""

import io
import re
import zipfile
from datetime import date, datetime

from lxml import etree

from .common import NUMBER_RE, FapiaoError, money, parse_rate

SERIAL_RE = re.compile(r"SCFP\d{12}")
BLUE_RE = re.compile(r"红冲[^0-9]{0,20}(\d{20})")
SUMMARY_SHEET = "信息汇总表"
MAX_MEMBERS = 5000
MAX_MEMBER_SIZE = 20 * 1024 * 1024

_DATE_RE = re.compile(r"^\s*(\d{4})[-/年.]?(\d{1,2})[-/月.]?(\d{1,2})")


def parse_date(value):
    """A date from ``2026-01-15``, ``2026-01-15 10:20:30``,
    ``2026-01-15T10:20:30``, ``20260115``, ``2026年01月15日`` or a
    date/datetime; None when unreadable."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = _DATE_RE.match(str(value or ""))
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def serial_in(text):
    match = SERIAL_RE.search(text or "")
    return match.group(0) if match else ""


def blue_number_in(text):
    match = BLUE_RE.search(text or "")
    return match.group(1) if match else ""


def _finish(invoice):
    invoice["positive"] = invoice["total"] >= 0 and invoice["untaxed"] >= 0
    invoice["serial"] = invoice.get("serial") or serial_in(invoice["remark"])
    invoice["blue_number"] = (
        "" if invoice["positive"] else blue_number_in(invoice["remark"])
    )
    invoice.setdefault("status", "")
    invoice.setdefault("lines", [])
    return invoice


# ----------------------------------------------------------------------
# XML
# ----------------------------------------------------------------------
def _local(element):
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def parse_xml(data, filename):
    """One issued invoice from its XML (root ``EInvoice``)."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, remove_comments=True
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise FapiaoError(
            "xml_syntax",
            "%(file)s is not a readable XML file: %(error)s",
            file=filename,
            error=str(error),
        ) from error
    if _local(root) != "EInvoice":
        raise FapiaoError(
            "xml_root",
            "%(file)s: the root element is %(element)s, not EInvoice.",
            file=filename,
            element=_local(root),
        )
    values = {}
    items = []
    for element in root.iter():
        name = _local(element)
        if name == "IssuItemInformation":
            items.append(
                {_local(child): (child.text or "").strip() for child in element}
            )
            continue
        parent = element.getparent()
        if parent is not None and _local(parent) == "IssuItemInformation":
            continue
        if len(element) == 0:
            values.setdefault(name, (element.text or "").strip())
            if parent is not None:
                values.setdefault(f"{_local(parent)}/{name}", values[name])

    def get(path, required=True, check=None):
        value = values.get(path, "")
        if required and (not value or (check and not check(value))):
            raise FapiaoError(
                "xml_element",
                "%(file)s: element %(element)s is missing or invalid (%(value)s).",
                file=filename,
                element=path,
                value=value or "empty",
            )
        return value

    def amount(path):
        value = get(path)
        try:
            return money(value)
        except FapiaoError as error:
            raise FapiaoError(
                "xml_element",
                "%(file)s: element %(element)s is missing or invalid (%(value)s).",
                file=filename,
                element=path,
                value=value,
            ) from error

    issue_time = get("TaxSupervisionInfo/IssueTime", check=parse_date)
    invoice = {
        "number": get(
            "TaxSupervisionInfo/InvoiceNumber", check=lambda v: NUMBER_RE.match(v)
        ),
        "date": parse_date(issue_time),
        "seller_vat": get("SellerIdNum", required=False),
        "buyer_vat": get("BuyerIdNum", required=False),
        "buyer_name": get("BuyerName", required=False),
        "untaxed": amount("BasicInformation/TotalAmWithoutTax"),
        "tax": amount("BasicInformation/TotalTaxAm"),
        "total": amount("BasicInformation/TotalTax-includedAmount"),
        "remark": get("AdditionalInformation/Remark", required=False),
        "filename": filename,
        "kind": "xml",
        "lines": [],
    }
    for number, item in enumerate(items, start=1):
        rate = parse_rate(item.get("TaxRate"))
        if rate is None and item.get("TaxRate"):
            raise FapiaoError(
                "xml_element",
                "%(file)s: element %(element)s is missing or invalid (%(value)s).",
                file=filename,
                element=f"IssuItemInformation[{number}]/TaxRate",
                value=item.get("TaxRate"),
            )
        invoice["lines"].append(
            {
                "name": item.get("ItemName", ""),
                "spec": item.get("SpecMod", ""),
                "uom": item.get("MeaUnits", ""),
                "quantity": item.get("Quantity", ""),
                "price": item.get("UnPrice", ""),
                "amount": money(item.get("Amount")),
                "rate": rate,
                "tax": money(item.get("ComTaxAm")),
                "tax_code": item.get("TaxClassificationCode", ""),
            }
        )
    return _finish(invoice)


# ----------------------------------------------------------------------
# OFD
# ----------------------------------------------------------------------
def parse_ofd(data, filename):
    """One issued invoice from its OFD, through its custom tags (ofdkit)."""
    import ofdkit

    try:
        found = ofdkit.extract_invoice(data)
    except Exception as error:  # ofdkit.OFDError, zipfile errors
        raise FapiaoError(
            "ofd_unreadable",
            "%(file)s is not a readable OFD file: %(error)s",
            file=filename,
            error=str(error),
        ) from error
    if found is None:
        raise FapiaoError(
            "ofd_element",
            "%(file)s: element %(element)s is missing or invalid (%(value)s).",
            file=filename,
            element="CustomTags",
            value="no invoice data",
        )

    def required(name, value, check=None):
        if not value or (check and not check(value)):
            raise FapiaoError(
                "ofd_element",
                "%(file)s: element %(element)s is missing or invalid (%(value)s).",
                file=filename,
                element=name,
                value=value or "empty",
            )
        return value

    def amount(name, value):
        required(name, value)
        try:
            return money(value)
        except FapiaoError as error:
            raise FapiaoError(
                "ofd_element",
                "%(file)s: element %(element)s is missing or invalid (%(value)s).",
                file=filename,
                element=name,
                value=value,
            ) from error

    invoice = {
        "number": required(
            "InvoiceNo", found.invoice_number, lambda v: NUMBER_RE.match(v)
        ),
        "date": parse_date(required("IssueDate", found.issue_date, parse_date)),
        "seller_vat": found.seller.tax_id or "",
        "buyer_vat": found.buyer.tax_id or "",
        "buyer_name": found.buyer.name or "",
        "untaxed": amount("TaxExclusiveTotalAmount", found.amount_without_tax),
        "tax": amount("TaxTotalAmount", found.tax_amount),
        "total": amount("TaxInclusiveTotalAmount", found.total_amount),
        "remark": found.note or "",
        "filename": filename,
        "kind": "ofd",
        "lines": [
            {
                "name": item.name or "",
                "spec": item.specification or "",
                "uom": item.unit or "",
                "quantity": item.quantity or "",
                "price": item.unit_price or "",
                "amount": money(item.amount),
                "rate": parse_rate(item.tax_rate),
                "tax": money(item.tax_amount),
                "tax_code": "",
            }
            for item in found.items
        ],
    }
    return _finish(invoice)


# ----------------------------------------------------------------------
# 信息汇总表 (the platform's export of issued invoices)
# ----------------------------------------------------------------------
SUMMARY_REQUIRED = (
    "数电发票号码",
    "购方识别号",
    "开票日期",
    "金额",
    "税额",
    "价税合计",
)
SUMMARY_OPTIONAL = (
    "销方识别号",
    "购买方名称",
    "税率",
    "发票状态",
    "是否正数发票",
    "备注",
)


def parse_summary(data, filename):
    """The issued invoices of a 信息汇总表 workbook, one a row."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:
        raise FapiaoError(
            "summary_unreadable",
            "%(file)s is not a readable XLSX workbook: %(error)s",
            file=filename,
            error=str(error),
        ) from error
    if SUMMARY_SHEET not in workbook.sheetnames:
        raise FapiaoError(
            "summary_sheet",
            "%(file)s has no sheet %(sheet)s.",
            file=filename,
            sheet=SUMMARY_SHEET,
        )
    rows = list(workbook[SUMMARY_SHEET].iter_rows(values_only=True))
    header_index = None
    for index, row in enumerate(rows[:10]):
        names = [re.sub(r"\s+", "", str(value or "")) for value in row]
        if "数电发票号码" in names:
            header_index = index
            break
    if header_index is None:
        raise FapiaoError(
            "summary_headers",
            "%(file)s, sheet %(sheet)s lacks the columns %(missing)s.",
            file=filename,
            sheet=SUMMARY_SHEET,
            missing="数电发票号码",
        )
    columns = {}
    for position, value in enumerate(rows[header_index]):
        name = re.sub(r"\s+", "", str(value or ""))
        if name and name not in columns:
            columns[name] = position
    missing = [name for name in SUMMARY_REQUIRED if name not in columns]
    if missing:
        raise FapiaoError(
            "summary_headers",
            "%(file)s, sheet %(sheet)s lacks the columns %(missing)s.",
            file=filename,
            sheet=SUMMARY_SHEET,
            missing=", ".join(missing),
        )
    invoices = []
    for offset, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
        if any(str(value or "").strip() for value in row):
            invoices.append(_summary_row(filename, columns, row, offset))
    return invoices


def _summary_row(filename, columns, row, row_number):
    """One issued invoice of a 信息汇总表 row (``row_number`` as Excel shows)."""

    def cell(name):
        position = columns.get(name)
        if position is None or position >= len(row):
            return ""
        value = row[position]
        if isinstance(value, (date, datetime)):
            return value
        return str(value if value is not None else "").strip()

    def bad(name, value):
        return FapiaoError(
            "summary_row",
            "%(file)s, sheet %(sheet)s, row %(row)s: column %(column)s is "
            "missing or invalid (%(value)s).",
            file=filename,
            sheet=SUMMARY_SHEET,
            row=row_number,
            column=name,
            value=value or "empty",
        )

    number = cell("数电发票号码")
    if not NUMBER_RE.match(number):
        raise bad("数电发票号码", number)
    issued_on = parse_date(cell("开票日期"))
    if not issued_on:
        raise bad("开票日期", cell("开票日期"))
    amounts = {}
    for key, name in (("untaxed", "金额"), ("tax", "税额"), ("total", "价税合计")):
        try:
            amounts[key] = money(cell(name))
        except FapiaoError as error:
            raise bad(name, cell(name)) from error
    invoice = {
        "number": number,
        "date": issued_on,
        "seller_vat": cell("销方识别号"),
        "buyer_vat": cell("购方识别号"),
        "buyer_name": cell("购买方名称"),
        "remark": cell("备注"),
        "status": cell("发票状态"),
        "filename": filename,
        "kind": "summary",
        **amounts,
    }
    _finish(invoice)
    sign = cell("是否正数发票")
    if sign in ("是", "否"):
        invoice["positive"] = sign == "是"
        if not invoice["positive"]:
            invoice["blue_number"] = blue_number_in(invoice["remark"])
    return invoice


# ----------------------------------------------------------------------
# Several files, zips
# ----------------------------------------------------------------------
def _members(filename, data):
    """``(name, bytes)`` of a file, or of each member of a zip."""
    if not filename.lower().endswith(".zip"):
        yield filename, data
        return
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise FapiaoError(
            "zip",
            "%(file)s is not a readable zip archive: %(error)s",
            file=filename,
            error=str(error),
        ) from error
    infos = [info for info in archive.infolist() if not info.is_dir()]
    if len(infos) > MAX_MEMBERS or any(
        info.file_size > MAX_MEMBER_SIZE for info in infos
    ):
        raise FapiaoError(
            "zip",
            "%(file)s is not a readable zip archive: %(error)s",
            file=filename,
            error="too many or too large members",
        )
    for info in infos:
        yield f"{filename}/{info.filename}", archive.read(info)


def read_files(files):
    """Every issued invoice of ``files`` (``[(filename, bytes)]``: XML, OFD,
    XLSX exports, zips of them; PDFs are kept to attach).

    Returns ``(invoices, pdfs)``: invoices deduplicated by number (an XML
    and the OFD of the same fapiao must agree), ``pdfs`` as
    ``{number: (filename, bytes)}`` for PDFs named with a 20-digit number.
    """
    by_number = {}
    documents = {}
    pdfs = {}
    for filename, data in files:
        for name, content in _members(filename, data):
            lower = name.lower()
            if lower.endswith(".xml"):
                found = [parse_xml(content, name)]
            elif lower.endswith(".ofd"):
                found = [parse_ofd(content, name)]
            elif lower.endswith(".xlsx"):
                found = parse_summary(content, name)
            elif lower.endswith(".pdf"):
                match = re.search(r"\d{20}", name.rsplit("/", 1)[-1])
                if match:
                    pdfs[match.group(0)] = (name.rsplit("/", 1)[-1], content)
                continue
            else:
                raise FapiaoError(
                    "file_kind",
                    "%(file)s is neither an issued e-fapiao (XML, OFD) nor "
                    "the platform's export (XLSX) nor a zip of them.",
                    file=name,
                )
            for invoice in found:
                known = by_number.get(invoice["number"])
                if known:
                    for key in ("total", "tax", "untaxed"):
                        if known[key] != invoice[key]:
                            raise FapiaoError(
                                "conflict",
                                "%(file)s: e-fapiao %(number)s has %(key)s "
                                "%(value)s, but %(other)s says %(known)s.",
                                file=name,
                                number=invoice["number"],
                                key=key,
                                value=invoice[key],
                                other=known["filename"],
                                known=known[key],
                            )
                    for key in ("serial", "remark", "blue_number", "status"):
                        known[key] = known.get(key) or invoice.get(key)
                else:
                    by_number[invoice["number"]] = invoice
                if invoice["kind"] in ("xml", "ofd"):
                    documents.setdefault(invoice["number"], []).append(
                        (name.rsplit("/", 1)[-1], content)
                    )
    for number, invoice in by_number.items():
        invoice["documents"] = documents.get(number, [])
        if number in pdfs:
            invoice["documents"].append(pdfs[number])
    return list(by_number.values()), pdfs
