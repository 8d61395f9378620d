# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

DELIMITERS = {"auto": None, "comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}
THOUSANDS = {"none": "", "comma": ",", "dot": ".", "space": " ", "apostrophe": "'"}


class SalesClosingStatementProfile(models.Model):
    """How to read a bank's CSV or XLSX export (column mapping profile).

    Passed to ``engine.parsers.parse_generic`` by the statement import
    wizard when the file is not a format recognised by itself.
    """

    _name = "sales.closing.statement.profile"
    _description = "Statement Import Profile"
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    journal_id = fields.Many2one(
        "account.journal",
        string="Bank Journal",
        domain="[('type', '=', 'bank')]",
        check_company=True,
        help="Journal the statements are imported into when the wizard is not "
        "started from a journal; also selects this profile by default when "
        "the wizard is started from that journal.",
    )
    file_type = fields.Selection(
        [("auto", "Detect"), ("csv", "CSV"), ("xlsx", "Excel (XLSX)")],
        default="auto",
        required=True,
    )
    encoding = fields.Selection(
        [
            ("auto", "Detect"),
            ("utf-8", "UTF-8"),
            ("utf-8-sig", "UTF-8 with BOM"),
            ("gbk", "GBK (Chinese)"),
        ],
        default="auto",
        required=True,
        help="Detect: a byte order mark, else UTF-8, else GBK.",
    )
    delimiter = fields.Selection(
        [
            ("auto", "Detect"),
            ("comma", "Comma (,)"),
            ("semicolon", "Semicolon (;)"),
            ("tab", "Tab"),
            ("pipe", "Pipe (|)"),
        ],
        default="auto",
        required=True,
    )
    decimal_separator = fields.Selection(
        [("dot", "Dot (1234.56)"), ("comma", "Comma (1234,56)")],
        default="dot",
        required=True,
    )
    thousands_separator = fields.Selection(
        [
            ("none", "None"),
            ("comma", "Comma"),
            ("dot", "Dot"),
            ("space", "Space"),
            ("apostrophe", "Apostrophe"),
        ],
        default="none",
        required=True,
    )
    date_format = fields.Char(
        default="%Y-%m-%d",
        required=True,
        help="Python date format, e.g. %Y-%m-%d, %d.%m.%Y or %Y/%m/%d %H:%M:%S; "
        "several formats can be separated by a vertical bar (|).",
    )
    skip_rows = fields.Integer(
        string="Rows Before Header",
        help="Number of rows (titles, account details) above the header row.",
    )
    has_header = fields.Boolean(default=True, string="Header Row")
    amount_type = fields.Selection(
        [
            ("signed", "One signed amount column"),
            ("debit_credit", "Debit and credit columns"),
        ],
        default="signed",
        required=True,
    )
    invert_sign = fields.Boolean(
        help="The file shows money out as positive amounts.",
    )
    date_column = fields.Char(
        required=True,
        help="Header name of the column, or its number counting from 1.",
    )
    amount_column = fields.Char(
        help="Header name of the column, or its number counting from 1.",
    )
    debit_column = fields.Char(help="Money out. Header name or column number.")
    credit_column = fields.Char(help="Money in. Header name or column number.")
    label_column = fields.Char(
        string="Label Columns",
        help="Header names or numbers, separated by commas; their values are "
        "joined into the line label.",
    )
    partner_name_column = fields.Char(
        help="Header name of the column, or its number counting from 1."
    )
    reference_column = fields.Char(
        help="Header name of the column, or its number counting from 1."
    )
    account_number_column = fields.Char(
        help="Counterpart bank account. Header name or column number."
    )
    currency_column = fields.Char(
        help="Header name of the column, or its number counting from 1."
    )
    transaction_id_column = fields.Char(
        string="Transaction ID Column",
        help="Bank's unique transaction identifier, used to skip lines imported "
        "before. Without it a line is recognised by its date, amount, label, "
        "partner and reference.",
    )
    default_currency_id = fields.Many2one(
        "res.currency",
        string="Currency",
        help="Currency of the amounts when the file has no currency column; "
        "defaults to the journal's currency.",
    )

    @api.constrains("amount_type", "amount_column", "debit_column", "credit_column")
    def _check_amount_columns(self):
        for profile in self:
            if profile.amount_type == "signed" and not profile.amount_column:
                raise ValidationError(
                    self.env._(
                        "Profile %(name)s: set the amount column.", name=profile.name
                    )
                )
            if profile.amount_type == "debit_credit" and not (
                profile.debit_column and profile.credit_column
            ):
                raise ValidationError(
                    self.env._(
                        "Profile %(name)s: set the debit and the credit columns.",
                        name=profile.name,
                    )
                )

    @api.model
    def _column_spec(self, value):
        """A header name, or a 1-based column number turned into an index."""
        value = (value or "").strip()
        if not value:
            return None
        if value.isdigit():
            return max(int(value) - 1, 0)
        return value

    def _get_parser_profile(self):
        """The ``profile`` dict of ``engine.parsers.parse_generic``."""
        self.ensure_one()
        signed = self.amount_type == "signed"
        currency = self.default_currency_id or self.journal_id.currency_id
        return {
            "file_type": self.file_type,
            "encoding": self.encoding,
            "delimiter": DELIMITERS[self.delimiter],
            "skip_rows": max(self.skip_rows, 0),
            "has_header": self.has_header,
            "date": self._column_spec(self.date_column),
            "amount": self._column_spec(self.amount_column) if signed else None,
            "debit": None if signed else self._column_spec(self.debit_column),
            "credit": None if signed else self._column_spec(self.credit_column),
            "label": [
                spec
                for spec in map(self._column_spec, (self.label_column or "").split(","))
                if spec is not None
            ],
            "partner_name": self._column_spec(self.partner_name_column),
            "reference": self._column_spec(self.reference_column),
            "account_number": self._column_spec(self.account_number_column),
            "currency": self._column_spec(self.currency_column),
            "transaction_id": self._column_spec(self.transaction_id_column),
            "date_format": [
                f.strip() for f in self.date_format.split("|") if f.strip()
            ],
            "decimal_separator": "," if self.decimal_separator == "comma" else ".",
            "thousands_separator": THOUSANDS[self.thousands_separator],
            "default_currency": currency.name or "",
            "invert_sign": self.invert_sign,
        }
