"""Gateway payouts: a bank credit for a payout against the platform rows
(Stripe, PayPal, Alipay, WeChat Pay exports) it settles."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from .scoring import ZERO
from .scoring import as_date as _as_date
from .scoring import get as _get


@dataclass
class PayoutMatch:
    """Platform rows settled by one bank payout line."""

    rows: list
    method: str  # 'payout_ref' | 'payout_row' | 'sum'
    gross: Decimal
    fees: Decimal
    net: Decimal
    difference: Decimal  # bank amount minus net of the rows


def _row_fee(row):
    fee = Decimal(_get(row, "fee") or 0)
    if _get(row, "kind") == "fee" and not fee:
        fee = -Decimal(_get(row, "amount") or 0)
    return fee


def _payout_result(rows, method, bank_amount):
    gross = sum((Decimal(_get(r, "gross") or 0) for r in rows), ZERO)
    fees = sum((_row_fee(r) for r in rows), ZERO)
    net = sum((Decimal(_get(r, "amount") or 0) for r in rows), ZERO)
    return PayoutMatch(list(rows), method, gross, fees, net, bank_amount - net)


def match_payout(bank_line, platform_rows, tolerance=Decimal("0.01"), window_days=10):
    """Match a bank credit for a gateway payout to the platform rows it settles.

    Tried in order:

    1. ``payout_ref``: a payout id of the rows (``po_...``) cited in the bank
       label/note -> the rows of that payout;
    2. ``payout_row``: a platform payout row (Alipay 提现, PayPal withdrawal)
       of the same amount within ``window_days`` -> the non-payout rows
       since the previous payout row (Alipay withdrawals need not equal
       the balance: see ``difference``);
    3. ``sum``: the non-payout rows dated within ``window_days`` before the
       bank date whose nets sum to the bank amount within ``tolerance``
       (the contiguous run ending latest is preferred).

    Returns a :class:`PayoutMatch` or None.
    """
    amount = Decimal(str(_get(bank_line, "amount") or 0))
    currency = (_get(bank_line, "currency") or "").upper()
    bank_date = _as_date(_get(bank_line, "date"))
    text = " ".join(
        str(t) for t in (_get(bank_line, "label"), _get(bank_line, "note")) if t
    ).upper()
    rows = [
        r
        for r in platform_rows
        if not currency or (_get(r, "currency") or "").upper() == currency
    ]
    rows.sort(
        key=lambda r: (
            _as_date(_get(r, "date")) or datetime.date.min,
            _get(r, "line_no") or 0,
        )
    )

    payout_ids = {_get(r, "payout_ref") for r in rows if _get(r, "payout_ref")}
    for payout_id in payout_ids:
        if payout_id.upper() in text:
            chosen = [r for r in rows if _get(r, "payout_ref") == payout_id]
            return _payout_result(chosen, "payout_ref", amount)

    def in_window(row):
        row_date = _as_date(_get(row, "date"))
        if bank_date is None or row_date is None:
            return True
        return 0 <= (bank_date - row_date).days <= window_days

    previous = -1
    for idx, row in enumerate(rows):
        if _get(row, "kind") != "payout":
            continue
        if -Decimal(_get(row, "amount") or 0) == amount and in_window(row):
            chosen = [
                r for r in rows[previous + 1 : idx] if _get(r, "kind") != "payout"
            ]
            return _payout_result(chosen, "payout_row", amount)
        previous = idx

    candidates = [r for r in rows if _get(r, "kind") != "payout" and in_window(r)]
    for start in range(len(candidates)):
        chosen = candidates[start:]
        net = sum((Decimal(_get(r, "amount") or 0) for r in chosen), ZERO)
        if abs(net - amount) <= tolerance:
            return _payout_result(chosen, "sum", amount)
    return None
