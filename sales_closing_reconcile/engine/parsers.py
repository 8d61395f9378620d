"""Parsers for bank and payment-platform statement files.

Every parser takes the raw file ``bytes`` and returns a list of
:class:`StatementRow`.  Parsing is all-or-nothing: the first bad row raises
:class:`ParseError` naming the file line (1-based, as shown by a text
editor; for XLSX the sheet row) and the field.

Money conventions of :class:`StatementRow`:

* ``gross``: what the customer paid (negative for refunds / money out);
* ``fee``: what the platform charged, positive when it is a cost
  (negative when a fee is given back, e.g. on a WeChat refund);
* ``net = gross - fee``;
* ``amount``: signed effect on the merchant balance, i.e. ``net`` for
  payments and refunds.  Fee-only rows (Alipay 收费) have ``gross = 0``,
  ``fee > 0`` and ``amount = net = -fee``; payouts have a negative amount.

Formats: ``alipay`` (账务明细), ``wechat`` (交易账单), ``stripe``
(itemized payout reconciliation), ``paypal`` (activity download) and
``generic`` (CSV/XLSX driven by a mapping profile, see
:func:`parse_generic`).
"""

import csv
import datetime
import io
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

KINDS = ("payment", "refund", "fee", "payout", "other")
ZERO = Decimal(0)
CENT = Decimal("0.01")


class ParseError(ValueError):
    """A file could not be parsed; ``line_no`` is the 1-based file line.

    ``template`` is a plain English ``str.format`` template and ``params``
    its values, so a caller can translate the template before formatting;
    ``message`` is the formatted English text.
    """

    def __init__(self, template, line_no=None, **params):
        self.template = template
        self.params = params
        self.message = template.format(**params)
        self.line_no = line_no
        text = self.message if line_no is None else f"Line {line_no}: {self.message}"
        super().__init__(text)


@dataclass
class StatementRow:
    """One normalised row of a platform or bank statement."""

    line_no: int
    date: datetime.date
    amount: Decimal
    gross: Decimal = ZERO
    fee: Decimal = ZERO
    net: Decimal = ZERO
    currency: str = ""
    transaction_id: str = ""
    order_ref: str = ""
    payer_name: str = ""
    label: str = ""
    kind: str = "other"
    raw: dict = field(default_factory=dict)
    payout_ref: str = ""
    account_number: str = ""


# ---------------------------------------------------------------------------
# Value helpers
# ---------------------------------------------------------------------------


def parse_amount(text, line_no, field_name, decimal_sep=".", thousands_sep=None):
    """Parse a money string into a Decimal; empty gives ``Decimal(0)``.

    Accepts currency symbols, ``(12.00)`` and trailing minus for negatives,
    and the given decimal / thousands separators (``thousands_sep=None``
    removes spaces and the non-decimal separator among ``.,'``).
    """
    value = (text or "").strip().replace("\u00a0", "").replace("\u202f", "")
    if not value:
        return ZERO
    negative = False
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1].strip()
    if value.endswith("-") and not value.startswith("-"):
        negative, value = True, value[:-1].strip()
    value = re.sub(r"^[^\d\-+.,]+|[^\d.,]+$", "", value)  # symbols / codes
    if thousands_sep is None:
        for sep in ".,'":
            if sep != decimal_sep:
                value = value.replace(sep, "")
        value = value.replace(" ", "")
    elif thousands_sep:
        value = value.replace(thousands_sep, "")
    if decimal_sep != ".":
        value = value.replace(decimal_sep, ".")
    if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)", value):
        raise ParseError(
            "invalid amount {value!r} in field {field}",
            line_no,
            value=text,
            field=field_name,
        )
    try:
        result = Decimal(value)
    except InvalidOperation:  # pragma: no cover - regex guards it
        raise ParseError(
            "invalid amount {value!r} in field {field}",
            line_no,
            value=text,
            field=field_name,
        ) from None
    return -result if negative else result


def parse_date(text, line_no, field_name, formats):
    """Parse ``text`` with the first matching ``strptime`` format."""
    value = (text or "").strip()
    if isinstance(formats, str):
        formats = (formats,)
    for fmt in formats:
        try:
            return datetime.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ParseError(
        "invalid date {value!r} in field {field}", line_no, value=text, field=field_name
    )


def decode(data, encoding=None):
    """Decode bytes; BOM auto-detected, then utf-8, then GBK."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if encoding and encoding.lower() not in ("auto", ""):
        enc = "utf-8" if encoding.lower() == "utf-8-sig" else encoding
        try:
            return data.decode(enc)
        except UnicodeDecodeError as exc:
            raise ParseError(
                "file is not valid {encoding} text", encoding=encoding
            ) from exc
    for enc in ("utf-8", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _csv_rows(text, delimiter=","):
    """Yield ``(line_no, cells)`` with the line number of each record's start."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    line_no = 1
    for cells in reader:
        start = line_no
        line_no = reader.line_num + 1
        yield start, cells


def _header_map(header):
    return {
        n: i
        for i, n in ((i, c.strip().lstrip("\ufeff")) for i, c in enumerate(header))
        if n
    }


class _Row:
    """Access to one CSV record by column name with field-aware errors."""

    def __init__(self, line_no, cells, columns, strip_chars=" \t"):
        self.line_no = line_no
        self.cells = cells
        self.columns = columns
        self.strip_chars = strip_chars

    def get(self, name, required=False):
        idx = self.columns.get(name)
        if idx is None or idx >= len(self.cells):
            if required:
                raise ParseError(
                    "missing field {field} (truncated row?)", self.line_no, field=name
                )
            return ""
        return self.cells[idx].strip(self.strip_chars)

    def amount(self, name, **kw):
        return parse_amount(self.get(name, required=True), self.line_no, name, **kw)

    def raw(self):
        return {name: self.get(name) for name in self.columns}


def _check_width(row, expected):
    if (
        len([c for c in row.cells if c.strip(row.strip_chars)])
        and len(row.cells) < expected
    ):
        raise ParseError(
            "row has {count} fields, expected {expected} (truncated row?)",
            row.line_no,
            count=len(row.cells),
            expected=expected,
        )


# ---------------------------------------------------------------------------
# Alipay 账务明细
# ---------------------------------------------------------------------------

_ALIPAY_KINDS = {
    "在线支付": "payment",
    "交易": "payment",
    "交易付款": "payment",
    "收费": "fee",
    "服务费": "fee",
    "提现": "payout",
    "退款": "refund",
    "交易退款": "refund",
    "转账": "other",
}


def parse_alipay(data):
    """Alipay merchant account bill (账务明细), GBK, ``#`` comment lines.

    Each value is followed by a tab; fees are separate rows (业务类型 收费).
    ``amount`` is 收入 minus 支出; ``transaction_id`` is the business
    serial (业务流水号) that the payment provider reports, falling back to
    the account serial (账务流水号).
    """
    text = decode(data)
    rows = []
    header = None
    for line_no, cells in _csv_rows(text):
        if not cells or not "".join(cells).strip():
            continue
        if cells[0].lstrip("\ufeff").startswith("#"):
            continue
        if header is None:
            header = _header_map(cells)
            missing = [
                h
                for h in (
                    "账务流水号",
                    "发生时间",
                    "收入金额（+元）",
                    "支出金额（-元）",
                    "业务类型",
                )
                if h not in header
            ]
            if missing:
                raise ParseError(
                    "not an Alipay account bill: missing column {column}",
                    line_no,
                    column=missing[0],
                )
            width = len([c for c in cells if c.strip()])
            continue
        row = _Row(line_no, cells, header)
        _check_width(row, width)
        income = row.amount("收入金额（+元）")
        expense = row.amount("支出金额（-元）")
        amount = income - abs(expense)
        business = row.get("业务类型")
        kind = _ALIPAY_KINDS.get(business) or ("payment" if amount > 0 else "other")
        if kind == "fee":
            gross, fee = ZERO, -amount
        else:
            gross, fee = amount, ZERO
        rows.append(
            StatementRow(
                line_no=line_no,
                date=parse_date(
                    row.get("发生时间", True),
                    line_no,
                    "发生时间",
                    (
                        "%Y-%m-%d %H:%M:%S",
                        "%Y-%m-%d",
                        "%Y/%m/%d %H:%M:%S",
                        "%Y/%m/%d %H:%M",
                    ),
                ),
                amount=amount,
                gross=gross,
                fee=fee,
                net=amount,
                currency="CNY",
                transaction_id=row.get("业务流水号") or row.get("账务流水号"),
                order_ref=row.get("商户订单号"),
                payer_name=row.get("对方账号") if kind != "payout" else "",
                label=" ".join(p for p in (row.get("商品名称"), row.get("备注")) if p),
                kind=kind,
                raw=row.raw(),
                account_number=row.get("对方账号"),
            )
        )
    if header is None:
        raise ParseError("not an Alipay account bill: no header line")
    return rows


# ---------------------------------------------------------------------------
# WeChat Pay 交易账单
# ---------------------------------------------------------------------------


def parse_wechat(data):
    """WeChat Pay trade bill (交易账单): UTF-8 with BOM, values prefixed by a
    backtick, summary block (总交易单数 ...) at the end.

    SUCCESS rows: ``gross`` = 应结订单金额, ``fee`` = 手续费.  REFUND rows:
    ``gross`` = minus 退款金额 and the (negative) refunded fee.
    """
    text = decode(data)
    rows = []
    header = None
    for line_no, cells in _csv_rows(text):
        if not cells or not "".join(cells).strip():
            continue
        first = cells[0].strip().lstrip("\ufeff")
        if header is None:
            header = _header_map(cells)
            missing = [
                h
                for h in (
                    "交易时间",
                    "微信订单号",
                    "交易状态",
                    "应结订单金额",
                    "手续费",
                )
                if h not in header
            ]
            if missing:
                raise ParseError(
                    "not a WeChat Pay trade bill: missing column {column}",
                    line_no,
                    column=missing[0],
                )
            width = len(header)
            continue
        if first.startswith("总"):
            break  # summary block
        if not first.startswith("`"):
            raise ParseError(
                "unexpected value {value!r} in field {field}",
                line_no,
                value=first,
                field="交易时间",
            )
        row = _Row(line_no, cells, header, strip_chars=" \t`")
        _check_width(row, width)
        status = row.get("交易状态", True).upper()
        fee = row.amount("手续费").quantize(CENT, rounding=ROUND_HALF_UP)
        currency = row.get("货币种类") or "CNY"
        if status == "REFUND":
            gross = -abs(row.amount("退款金额"))
            kind = "refund"
            fee = -abs(fee) if fee else ZERO
        else:
            gross = row.amount("应结订单金额")
            kind = "payment" if status == "SUCCESS" else "other"
        net = gross - fee
        rows.append(
            StatementRow(
                line_no=line_no,
                date=parse_date(
                    row.get("交易时间", True),
                    line_no,
                    "交易时间",
                    ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"),
                ),
                amount=net,
                gross=gross,
                fee=fee,
                net=net,
                currency={"CNY": "CNY", "人民币": "CNY"}.get(currency, currency),
                transaction_id=row.get("微信订单号"),
                order_ref=row.get("商户订单号"),
                payer_name=row.get("用户标识"),
                label=row.get("商品名称"),
                kind=kind,
                raw=row.raw(),
            )
        )
    if header is None:
        raise ParseError("not a WeChat Pay trade bill: no header line")
    return rows


# ---------------------------------------------------------------------------
# Stripe itemized payout reconciliation
# ---------------------------------------------------------------------------

_STRIPE_KINDS = {
    "charge": "payment",
    "payment": "payment",
    "refund": "refund",
    "partial_capture_reversal": "refund",
    "dispute": "refund",
    "fee": "fee",
    "stripe_fee": "fee",
    "payout": "payout",
}


def parse_stripe(data):
    """Stripe itemized payout reconciliation CSV (one payout, its charges and
    refunds with gross, fee and net)."""
    text = decode(data)
    rows = []
    header = None
    for line_no, cells in _csv_rows(text):
        if not cells or not "".join(cells).strip():
            continue
        if header is None:
            header = _header_map(cells)
            missing = [
                h
                for h in ("gross", "fee", "net", "currency", "reporting_category")
                if h not in header
            ]
            if missing:
                raise ParseError(
                    "not a Stripe payout reconciliation: missing column {column}",
                    line_no,
                    column=missing[0],
                )
            width = len(header)
            continue
        row = _Row(line_no, cells, header)
        _check_width(row, width)
        gross, fee, net = row.amount("gross"), row.amount("fee"), row.amount("net")
        if gross - fee != net:
            raise ParseError(
                "net {net} is not gross {gross} minus fee {fee}",
                line_no,
                net=net,
                gross=gross,
                fee=fee,
            )
        date_field = "created_utc" if "created_utc" in header else "created"
        metadata_ref = row.get("payment_metadata[odoo_reference]")
        description = row.get("description")
        rows.append(
            StatementRow(
                line_no=line_no,
                date=parse_date(
                    row.get(date_field, True),
                    line_no,
                    date_field,
                    ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"),
                ),
                amount=net,
                gross=gross,
                fee=fee,
                net=net,
                currency=row.get("currency").upper(),
                transaction_id=row.get("payment_intent_id")
                or row.get("source_id")
                or row.get("balance_transaction_id"),
                order_ref=metadata_ref
                or (description if description and " " not in description else ""),
                payer_name=row.get("customer_name") or row.get("customer_email"),
                label=description,
                kind=_STRIPE_KINDS.get(row.get("reporting_category").lower(), "other"),
                raw=row.raw(),
                payout_ref=row.get("automatic_payout_id"),
            )
        )
    if header is None:
        raise ParseError("not a Stripe payout reconciliation: no header line")
    return rows


# ---------------------------------------------------------------------------
# PayPal activity download
# ---------------------------------------------------------------------------


def _paypal_kind(type_, impact, gross):
    text = type_.lower()
    if impact.lower() == "memo":
        return "other"
    if "refund" in text or "reversal" in text or "chargeback" in text:
        return "refund"
    if "withdrawal" in text or "transfer to bank" in text:
        return "payout"
    if "fee" in text:
        return "fee"
    if "payment" in text and gross > 0:
        return "payment"
    return "other"


def _paypal_date_format(values):
    """Day-first or month-first from the data; month-first when undecidable."""
    for value in values:
        parts = re.split(r"[/.\-]", value.strip())
        if len(parts) == 3 and parts[0].isdigit() and len(parts[0]) <= 2:
            if int(parts[0]) > 12:
                return ("%d/%m/%Y", "%d.%m.%Y")
            if parts[1].isdigit() and int(parts[1]) > 12:
                break
    return ("%m/%d/%Y", "%m.%d.%Y", "%Y-%m-%d", "%Y/%m/%d")


def parse_paypal(data):
    """PayPal activity CSV: decimal commas or points, Gross / Fee / Net.

    PayPal writes fees as negative numbers; here ``fee`` is the positive
    cost.  Date order (MM/DD vs DD/MM) is inferred from the file.
    """
    text = decode(data)
    records = [(n, c) for n, c in _csv_rows(text) if c and "".join(c).strip()]
    if not records:
        raise ParseError("empty PayPal file")
    header = _header_map(records[0][1])
    missing = [
        h for h in ("Date", "Gross", "Fee", "Net", "Currency") if h not in header
    ]
    if missing:
        raise ParseError(
            "not a PayPal activity file: missing column {column}",
            records[0][0],
            column=missing[0],
        )
    body = records[1:]
    gross_idx = header["Gross"]
    sample = [c[gross_idx] for _n, c in body if len(c) > gross_idx]
    decimal_sep = "," if any(re.search(r",\d{2}$", v.strip()) for v in sample) else "."
    formats = _paypal_date_format(
        c[header["Date"]] for _n, c in body if len(c) > header["Date"]
    )
    width = len(header)
    rows = []
    for line_no, cells in body:
        row = _Row(line_no, cells, header)
        _check_width(row, width)
        gross = row.amount("Gross", decimal_sep=decimal_sep)
        fee = -row.amount("Fee", decimal_sep=decimal_sep)
        net = row.amount("Net", decimal_sep=decimal_sep)
        if gross - fee != net:
            raise ParseError(
                "Net {net} is not Gross {gross} plus Fee {fee}",
                line_no,
                net=net,
                gross=gross,
                fee=-fee,
            )
        kind = _paypal_kind(row.get("Type"), row.get("Balance Impact"), gross)
        rows.append(
            StatementRow(
                line_no=line_no,
                date=parse_date(row.get("Date", True), line_no, "Date", formats),
                amount=net,
                gross=gross,
                fee=fee,
                net=net,
                currency=row.get("Currency").upper(),
                transaction_id=row.get("Transaction ID"),
                order_ref=row.get("Invoice Number"),
                payer_name=row.get("Name"),
                label=row.get("Item Title") or row.get("Type"),
                kind=kind,
                raw=row.raw(),
                account_number=row.get("From Email Address"),
            )
        )
    return rows


# ---------------------------------------------------------------------------
# Generic CSV / XLSX with a mapping profile
# ---------------------------------------------------------------------------

PROFILE_DEFAULTS = {
    "file_type": "auto",  # 'csv' | 'xlsx' | 'auto'
    "encoding": "auto",  # 'utf-8' | 'utf-8-sig' | 'gbk' | 'auto'
    "delimiter": None,  # auto-detected among , ; TAB |
    "skip_rows": 0,  # rows before the header row
    "has_header": True,
    "date": None,
    "amount": None,
    "debit": None,
    "credit": None,
    "label": None,  # column or list of columns joined by a space
    "partner_name": None,
    "reference": None,
    "account_number": None,
    "currency": None,
    "transaction_id": None,
    "date_format": "%Y-%m-%d",  # or a list of formats
    "decimal_separator": ".",
    "thousands_separator": "",
    "default_currency": "",
    "invert_sign": False,
}


def _sniff_delimiter(text):
    sample = "\n".join(text.splitlines()[:20])
    counts = {d: sample.count(d) for d in (",", ";", "\t", "|")}
    return max(counts, key=counts.get) if any(counts.values()) else ","


def _xlsx_records(data):
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - installed with Odoo
        raise ParseError("reading XLSX files requires openpyxl") from exc
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # any corrupt workbook
        raise ParseError("not a readable XLSX file") from exc
    sheet = book.worksheets[0]
    for idx, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        yield idx, ["" if v is None else v for v in values]


def _cell_text(value):
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return str(value)


def _resolve(spec, header, line_no, key):
    if spec is None or spec == "":
        return None
    if isinstance(spec, int):
        return spec
    idx = header.get(str(spec).strip().casefold())
    if idx is None:
        raise ParseError(
            "column {column!r} for {field} not found in header",
            line_no,
            column=spec,
            field=key,
        )
    return idx


def parse_generic(data, profile):
    """Parse a bank CSV or XLSX export described by ``profile``.

    ``profile`` keys (see ``PROFILE_DEFAULTS``): column specs ``date``,
    ``amount`` or ``debit``/``credit`` (debit is money out, made negative),
    ``label`` (one or a list), ``partner_name``, ``reference``,
    ``account_number``, ``currency``, ``transaction_id`` given as header
    names (case-insensitive) or 0-based indexes; ``date_format``,
    ``decimal_separator``, ``thousands_separator``, ``encoding``,
    ``delimiter``, ``skip_rows``, ``has_header``, ``default_currency``,
    ``invert_sign``.
    """
    prof = dict(PROFILE_DEFAULTS)
    prof.update(profile or {})
    if prof["date"] is None:
        raise ParseError("the mapping profile has no date column")
    if prof["amount"] is None and prof["debit"] is None and prof["credit"] is None:
        raise ParseError(
            "the mapping profile needs an amount column or debit/credit columns"
        )
    is_xlsx = prof["file_type"] == "xlsx" or (
        prof["file_type"] == "auto" and data[:2] == b"PK"
    )
    if is_xlsx:
        records = list(_xlsx_records(data))
    else:
        text = decode(data, prof["encoding"])
        delimiter = prof["delimiter"] or _sniff_delimiter(text)
        records = list(_csv_rows(text, delimiter))
    records = records[int(prof["skip_rows"] or 0) :]
    header = {}
    if prof["has_header"]:
        while records and not "".join(_cell_text(c) for c in records[0][1]).strip():
            records = records[1:]
        if not records:
            raise ParseError("the file has no header row")
        line_no, cells = records[0]
        header = {
            _cell_text(c).strip().lstrip("\ufeff").casefold(): i
            for i, c in enumerate(cells)
        }
        records = records[1:]
    header_line = line_no if prof["has_header"] else None
    cols = {
        key: _resolve(prof[key], header, header_line, key)
        for key in (
            "date",
            "amount",
            "debit",
            "credit",
            "partner_name",
            "reference",
            "account_number",
            "currency",
            "transaction_id",
        )
    }
    labels = prof["label"]
    if labels is None:
        labels = []
    elif not isinstance(labels, (list, tuple)):
        labels = [labels]
    label_cols = [_resolve(s, header, header_line, "label") for s in labels]
    names = {idx: name for name, idx in header.items()}
    amount_kw = {
        "decimal_sep": prof["decimal_separator"] or ".",
        "thousands_sep": prof["thousands_separator"] or "",
    }
    rows = []
    for line_no, cells in records:
        if not "".join(_cell_text(c) for c in cells).strip():
            continue
        rows.append(
            _generic_row(line_no, cells, cols, label_cols, prof, amount_kw, names)
        )
    return rows


def _generic_row(line_no, cells, cols, label_cols, prof, amount_kw, names):
    def cell(key, idx=None, required=False):
        idx = cols[key] if idx is None else idx
        if idx is None:
            return None
        if idx >= len(cells):
            if required:
                raise ParseError(
                    "missing field {field} (truncated row?)", line_no, field=key
                )
            return None
        return cells[idx]

    def text(key, idx=None):
        value = cell(key, idx)
        return "" if value is None else _cell_text(value).strip()

    def money(key):
        value = cell(key, required=True)
        if value is None or value == "":
            return ZERO
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            return Decimal(repr(value) if isinstance(value, float) else str(value))
        return parse_amount(str(value), line_no, key, **amount_kw)

    raw_date = cell("date", required=True)
    if isinstance(raw_date, datetime.datetime):
        date = raw_date.date()
    elif isinstance(raw_date, datetime.date):
        date = raw_date
    else:
        date = parse_date(str(raw_date), line_no, "date", prof["date_format"])
    if cols["amount"] is not None:
        amount = money("amount")
    else:
        debit = money("debit") if cols["debit"] is not None else ZERO
        credit = money("credit") if cols["credit"] is not None else ZERO
        amount = credit - abs(debit)
    if prof["invert_sign"]:
        amount = -amount
    raw = {names.get(i, str(i)): _cell_text(v) for i, v in enumerate(cells)}
    return StatementRow(
        line_no=line_no,
        date=date,
        amount=amount,
        gross=amount,
        fee=ZERO,
        net=amount,
        currency=(text("currency") or prof["default_currency"] or "").upper(),
        transaction_id=text("transaction_id"),
        order_ref=text("reference"),
        payer_name=text("partner_name"),
        label=" ".join(t for t in (text("label", i) for i in label_cols) if t),
        kind="payment" if amount > 0 else "other",
        raw=raw,
        account_number=text("account_number"),
    )


# ---------------------------------------------------------------------------
# Detection and dispatch
# ---------------------------------------------------------------------------

PARSERS = {
    "alipay": parse_alipay,
    "wechat": parse_wechat,
    "stripe": parse_stripe,
    "paypal": parse_paypal,
}


def detect_format(data):
    """Return ``'alipay'``, ``'wechat'``, ``'stripe'``, ``'paypal'`` or None
    (unknown: use the generic parser with a profile)."""
    if data[:2] == b"PK":
        return None
    try:
        head = decode(
            data[:8192] if len(data) <= 8192 else data[:8192].rsplit(b"\n", 1)[0]
        )
    except (UnicodeDecodeError, ParseError):
        return None
    if "账务流水号" in head and "业务类型" in head:
        return "alipay"
    if "微信订单号" in head and "交易时间" in head:
        return "wechat"
    if "reporting_category" in head and "balance_transaction_id" in head:
        return "stripe"
    if "Transaction ID" in head and "Gross" in head and "Net" in head:
        return "paypal"
    return None


def parse(data, fmt=None, profile=None):
    """Parse ``data`` with format ``fmt`` (detected when None).

    ``fmt='generic'`` or an undetected format uses ``profile``.
    """
    fmt = fmt or detect_format(data)
    if fmt in PARSERS:
        return PARSERS[fmt](data)
    if fmt == "generic" or (fmt is None and profile):
        return parse_generic(data, profile)
    if fmt is None:
        raise ParseError("unknown statement format: choose a mapping profile")
    raise ParseError("unsupported statement format {format!r}", format=fmt)
