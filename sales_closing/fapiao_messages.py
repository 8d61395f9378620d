# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The e-fapiao engine's messages, translated (the engine has no Odoo).

Each ``FapiaoError`` carries a code and its parameters; the text shown is
the translation of the same English message.
"""


def _texts(env):
    return {
        "amount": env._("Not an amount: %(value)s"),
        "template_unreadable": env._(
            "The batch-issue template cannot be read as an XLSX workbook: %(error)s"
        ),
        "template_headers": env._(
            "The batch-issue template lacks these sheets or row-3 headers: "
            "%(missing)s. Upload the official template again."
        ),
        "too_many_lines": env._(
            "The batch has %(count)s lines; the platform takes at most "
            "%(max)s: export fewer invoices at once."
        ),
        "refund": env._(
            "%(invoice)s is a credit note: it is reversed by a red-letter "
            "form (红字确认单), not by the batch-issue file."
        ),
        "issued": env._("%(invoice)s already has the e-fapiao %(number)s."),
        "serial": env._(
            "%(invoice)s: the serial %(serial)s is empty, longer than 20 "
            "characters or used twice."
        ),
        "currency": env._(
            "%(invoice)s is in %(currency)s: e-fapiao are issued in CNY only."
        ),
        "type": env._("%(invoice)s: no e-fapiao type (special or normal VAT invoice)."),
        "buyer_name": env._("%(invoice)s: the buyer has no name."),
        "buyer_vat": env._(
            "%(invoice)s: a special VAT invoice (专票) needs the buyer's "
            "18-character unified social credit code; %(buyer)s has %(vat)s."
        ),
        "remark": env._(
            "%(invoice)s: the remark has %(count)s characters; the platform "
            "takes at most %(max)s."
        ),
        "no_lines": env._("%(invoice)s has no lines."),
        "tax_code": env._(
            "%(invoice)s, line %(line)s (%(product)s): the product has no "
            "19-digit tax classification code."
        ),
        "rate": env._(
            "%(invoice)s, line %(line)s (%(product)s): the rate %(rate)s is "
            "not one the platform issues at (one VAT tax a line: 13, 9, 6, 5, "
            "3, 1.5, 1 or 0 %%)."
        ),
        "negative": env._(
            "%(invoice)s, line %(line)s (%(product)s): a negative quantity or "
            "amount is issued by a red letter, not in a blue e-fapiao."
        ),
        "xml_syntax": env._("%(file)s is not a readable XML file: %(error)s"),
        "xml_root": env._("%(file)s: the root element is %(element)s, not EInvoice."),
        "xml_element": env._(
            "%(file)s: element %(element)s is missing or invalid (%(value)s)."
        ),
        "ofd_unreadable": env._("%(file)s is not a readable OFD file: %(error)s"),
        "ofd_element": env._(
            "%(file)s: element %(element)s is missing or invalid (%(value)s)."
        ),
        "summary_unreadable": env._(
            "%(file)s is not a readable XLSX workbook: %(error)s"
        ),
        "summary_sheet": env._("%(file)s has no sheet %(sheet)s."),
        "summary_headers": env._(
            "%(file)s, sheet %(sheet)s lacks the columns %(missing)s."
        ),
        "summary_row": env._(
            "%(file)s, sheet %(sheet)s, row %(row)s: column %(column)s is "
            "missing or invalid (%(value)s)."
        ),
        "zip": env._("%(file)s is not a readable zip archive: %(error)s"),
        "file_kind": env._(
            "%(file)s is neither an issued e-fapiao (XML, OFD) nor the "
            "platform's export (XLSX) nor a zip of them."
        ),
        "tax_table_encoding": env._("Unreadable text file."),
        "tax_table_zip": env._("%(file)s: the archive must hold one XLSX or CSV file."),
        "tax_table_file": env._(
            "%(file)s: upload the code table as XLSX or CSV (an XLS workbook "
            "can be saved as XLSX first)."
        ),
        "tax_table_unreadable": env._("%(file)s is not a readable XLSX workbook."),
        "tax_table_size": env._("%(file)s has more than %(max)s rows."),
        "tax_table_headers": env._(
            "%(file)s: no header row with the code (SPBM or 合并编码) and the "
            "name (SPMC or 货物和劳务名称) in its first ten rows."
        ),
        "tax_table_code": env._(
            "%(file)s, row %(row)s: %(value)s is not a 19-digit tax "
            "classification code."
        ),
        "tax_table_name": env._(
            "%(file)s, row %(row)s: the code %(value)s has no name."
        ),
        "tax_table_empty": env._("%(file)s holds no code."),
        "conflict": env._(
            "%(file)s: e-fapiao %(number)s has %(key)s %(value)s, but "
            "%(other)s says %(known)s."
        ),
    }


def fapiao_message(env, code, message, params):
    """``message % params``, translated when ``code`` is known."""
    text = _texts(env).get(code) or message
    try:
        return text % params if params else text
    except (KeyError, TypeError, ValueError):
        return message % params if params else message


def fapiao_error_text(env, error):
    """The translated text of a ``FapiaoError`` (every problem of a batch)."""
    if error.problems:
        return "\n".join(
            [env._("The batch is refused:")]
            + [fapiao_message(env, *problem) for problem in error.problems]
        )
    return fapiao_message(env, error.code, error.message, error.params)
