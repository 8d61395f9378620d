"""Chinese capital amounts (人民币大写) for cheques, receipts and invoices.

Follows the usual rules for writing amounts in Chinese capitals:

* digits 零壹贰叁肆伍陆柒捌玖, units 拾佰仟 inside a group of four digits
  and 万, 亿 between groups;
* 壹拾 is always written in full (10 is 壹拾, never 拾);
* one 零 stands for any run of zeros between two non-zero digits, also when
  the run crosses a 万 or 亿 boundary (1,0000,1000 is 壹亿零壹仟); trailing
  zeros of the integer part give no 零, and no 零 is written after 万 or 亿
  when the next digit (仟) is non-zero (1,001,000 is 壹佰万壹仟);
* 元 follows the integer part; an amount with no cents ends with 整; an
  amount ending in 角 has no 整; a zero 角 followed by 分 gives 零 (元零伍分)
  unless the integer part is zero (0.05 is 伍分);
* zero is 零元整 and negative amounts are prefixed with 负.

Pure Python, no Odoo import.
"""

from decimal import Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SECTION_UNITS = ("仟", "佰", "拾", "")
_WAN = 10**4
_YI = 10**8
_CENT = Decimal("0.01")


def _section(number):
    """Return the capitals of ``0 < number < 10000`` without leading 零."""
    text = ""
    pending_zero = False
    for unit, digit in zip(_SECTION_UNITS, f"{number:04d}", strict=True):
        if digit == "0":
            pending_zero = bool(text)
            continue
        if pending_zero:
            text += DIGITS[0]
            pending_zero = False
        text += DIGITS[int(digit)] + unit
    return text


def _below_yi(number):
    """Return the capitals of ``0 < number < 10**8``."""
    high, low = divmod(number, _WAN)
    if not high:
        return _section(low)
    text = _section(high) + "万"
    if low:
        if low < 1000:
            text += DIGITS[0]
        text += _section(low)
    return text


def integer_to_capital(number):
    """Return the capitals of a positive integer (no 元), e.g. 1004 -> 壹仟零肆."""
    if number <= 0:
        raise ValueError("integer_to_capital needs a positive integer.")
    high, low = divmod(number, _YI)
    if not high:
        return _below_yi(number)
    text = integer_to_capital(high) + "亿"
    if low:
        if low < 10**7:
            text += DIGITS[0]
        text += _below_yi(low)
    return text


def _cents(amount):
    """Return ``amount`` as a whole number of cents, refusing sub-cent digits."""
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, int)):
        raise TypeError(f"Amounts must be Decimal or int, got {type(amount).__name__}.")
    amount = Decimal(amount)
    if not amount.is_finite():
        raise ValueError(f"Cannot write the non-finite amount {amount}.")
    rounded = amount.quantize(_CENT)
    if rounded != amount:
        raise ValueError(
            f"The amount {amount} has more than two decimals; round it to cents first."
        )
    return int(rounded * 100)


def amount_to_chinese_capital(amount):
    """Return the Chinese capital writing of a money amount.

    ``amount`` is a ``Decimal`` (or ``int``) with at most two decimals.
    Examples: ``1004.50`` -> 壹仟零肆元伍角, ``100000000`` -> 壹亿元整,
    ``0.05`` -> 伍分, ``-3`` -> 负叁元整.
    """
    cents = _cents(amount)
    sign = "负" if cents < 0 else ""
    yuan, rest = divmod(abs(cents), 100)
    jiao, fen = divmod(rest, 10)
    if not yuan and not rest:
        return "零元整"
    text = integer_to_capital(yuan) + "元" if yuan else ""
    if not rest:
        return sign + text + "整"
    if jiao:
        text += DIGITS[jiao] + "角"
    elif yuan:
        text += DIGITS[0]
    if fen:
        text += DIGITS[fen] + "分"
    return sign + text
