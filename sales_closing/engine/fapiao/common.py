"""Shared constants and small helpers of the e-fapiao engine."""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from stdnum.cn import uscc

# 发票类型 as the batch template spells them, by our codes
INVOICE_TYPES = {"01": "增值税专用发票", "02": "普通发票"}

# VAT rates (税率) the platform issues at, as the template writes them.
# 13 % / 9 % / 6 % general rates, 5 % / 3 % collection rates (征收率), the
# reduced 1 % and 1.5 % (small-scale and housing rental), 0 % (zero-rated
# or exempt).
RATES = ("0.13", "0.09", "0.06", "0.05", "0.03", "0.015", "0.01", "0")

# 商品和服务税收分类编码: 19 digits, the first one the category
# (1 goods, 2 and 3 services, 4 intangibles, 5 real estate, 6 not taxable)
TAX_CODE_RE = re.compile(r"^[1-6]\d{18}$")
# 数电发票号码: 20 digits
NUMBER_RE = re.compile(r"^\d{20}$")
SERIAL_MAX = 20
REMARK_MAX = 230
MAX_LINES = 2000

FEN = Decimal("0.01")


class FapiaoError(ValueError):
    """A problem the user must fix; the message names what and where.

    ``code`` identifies the problem and ``params`` the values the message
    names (invoice, line, file, element, row, header...), so that the Odoo
    side shows it translated (see ``account.move._sales_closing_fapiao_text``);
    ``str()`` gives the English text.
    """

    def __init__(self, code, message, **params):
        self.code = code
        self.message = message
        self.params = params
        self.problems = []
        super().__init__(message % params if params else message)

    def with_problems(self, problems):
        """Attach the ``[(code, message, params)]`` a batch error lists."""
        self.problems = list(problems)
        return self


def money(value):
    """``value`` (float, str, Decimal, None) as a Decimal to the fen."""
    if value in (None, "", False):
        return Decimal("0.00")
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation as error:
        raise FapiaoError("amount", "Not an amount: %(value)s", value=value) from error
    return number.quantize(FEN, rounding=ROUND_HALF_UP)


def decimal_text(value, places=13):
    """A number as the template wants it: plain text, no exponent, no
    trailing zeros, at most ``places`` decimals (prices, quantities)."""
    number = Decimal(str(value)).quantize(
        Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP
    )
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def money_text(value):
    """An amount as text with 2 decimals."""
    return format(money(value), "f")


def parse_rate(rate):
    """A VAT rate written ``0.13``, ``13%`` or 0.13 as a Decimal fraction,
    or None when it is empty or unreadable."""
    if rate is None or rate is False or str(rate).strip() == "":
        return None
    text = str(rate).strip()
    try:
        if text.endswith("%"):
            return Decimal(text[:-1]) / 100
        return Decimal(text)
    except InvalidOperation:
        return None


def rate_text(rate):
    """A VAT rate (0.13, "13%", "0.13") as the platform's decimal text,
    or None when it is not one of :data:`RATES`."""
    number = parse_rate(rate)
    if number is None:
        return None
    for known in RATES:
        if Decimal(known) == number:
            return known
    return None


def is_uscc(value):
    """The 18-character unified social credit code (统一社会信用代码),
    check digit included (GB 32100-2015, via python-stdnum)."""
    return bool(value) and uscc.is_valid(value)


def is_tax_code(value):
    """A 19-digit tax classification code (商品和服务税收分类编码)."""
    return bool(value) and bool(TAX_CODE_RE.match(value))
