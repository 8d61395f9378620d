"""Write tables to an XLSX workbook.  Plain Python (xlsxwriter), no Odoo.

A sheet is a mapping::

    {
        "title": "By Customer",            # sheet name (cut to 31 chars)
        "heading": "Collection 2026-01",   # optional first line, bold
        "columns": [("Customer", "text"), ("Due", "money"), ...],
        "rows": [["Azure", 100.0, ...], ...],
        "totals": ["Total", 100.0, ...],   # optional, bold last line
    }

Column kinds: ``text``, ``money`` (2 decimals), ``percent`` (a number
such as 12.5 shown as 12.50), ``int``, ``date`` (a ``date`` or ``None``).
"""

import io
from datetime import date, datetime

import xlsxwriter

KINDS = ("text", "money", "percent", "int", "date")
_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


# A spreadsheet reads a cell whose text starts with one of these as a formula
# (OWASP "CSV injection"); tab and carriage return start one in some readers.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value):
    """``value`` as text a spreadsheet shows and never evaluates.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    gets a leading apostrophe (Excel and LibreOffice show it as literal text).
    Use it for every user-supplied string written to an XLSX (with
    ``write_string``) or a CSV.  ``None``/``False`` give ''.
    """
    if value is None or value is False:
        return ""
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def sheet_name(title, used):
    """A valid, unique worksheet name for ``title`` (31 chars, no []:*?/\\)."""
    base = (str(title).translate(_FORBIDDEN).strip() or "Sheet")[:31]
    name, count = base, 1
    while name.lower() in used:
        count += 1
        suffix = f" ({count})"
        name = base[: 31 - len(suffix)] + suffix
    used.add(name.lower())
    return name


def workbook(sheets):
    """Return the bytes of an XLSX workbook with one worksheet per sheet."""
    output = io.BytesIO()
    book = xlsxwriter.Workbook(
        output, {"in_memory": True, "strings_to_formulas": False}
    )
    formats = {
        False: {
            "text": None,
            "money": book.add_format({"num_format": "#,##0.00"}),
            "percent": book.add_format({"num_format": "0.00"}),
            "int": book.add_format({"num_format": "0"}),
            "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        },
        True: {
            "text": book.add_format({"bold": True}),
            "money": book.add_format({"num_format": "#,##0.00", "bold": True}),
            "percent": book.add_format({"num_format": "0.00", "bold": True}),
            "int": book.add_format({"num_format": "0", "bold": True}),
            "date": book.add_format({"num_format": "yyyy-mm-dd", "bold": True}),
        },
    }
    used = set()
    for sheet in sheets:
        columns = sheet["columns"]
        for __, kind in columns:
            if kind not in KINDS:
                raise ValueError(f"Unknown column kind {kind!r}.")
        ws = book.add_worksheet(sheet_name(sheet["title"], used))
        row = 0
        if sheet.get("heading"):
            ws.write_string(row, 0, safe_text(sheet["heading"]), formats[True]["text"])
            row += 2
        for col, (label, __) in enumerate(columns):
            ws.write_string(row, col, safe_text(label), formats[True]["text"])
        ws.freeze_panes(row + 1, 0)
        lines = [(values, False) for values in sheet["rows"]]
        if sheet.get("totals"):
            lines.append((sheet["totals"], True))
        for values, bold in lines:
            row += 1
            if len(values) != len(columns):
                raise ValueError(
                    f"Sheet {sheet['title']!r}: a row has {len(values)} values "
                    f"for {len(columns)} columns."
                )
            for col, ((__, kind), value) in enumerate(
                zip(columns, values, strict=True)
            ):
                _write(ws, row, col, kind, value, formats[bold])
        for col, (__, kind) in enumerate(columns):
            ws.set_column(col, col, 30 if kind == "text" and col == 0 else 14)
    book.close()
    return output.getvalue()


def _write(ws, row, col, kind, value, formats):
    """Write one cell: empty values stay blank, numbers as numbers."""
    fmt = formats[kind]
    if value is None or value is False or value == "":
        if fmt is not None:
            ws.write_blank(row, col, None, fmt)
        return
    if kind == "date":
        if isinstance(value, datetime):
            value = value.date()
        if not isinstance(value, date):
            raise TypeError(f"Expected a date, got {type(value).__name__}.")
        ws.write_datetime(row, col, datetime(value.year, value.month, value.day), fmt)
    elif kind == "text":
        ws.write_string(row, col, safe_text(value), fmt)
    else:
        ws.write_number(row, col, float(value), fmt)
