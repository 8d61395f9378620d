"""What the matching engine works with: its settings, proposals and
decisions, the weights of the evidence and the amount relations.

Shared by ``matching`` (lines, single items, decisions), ``subsets``
(grouped payments) and ``payouts``; see ``matching`` for the scale.
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)

W_REF = 0.93
W_PARTNER = 0.8
W_NAME = 0.8
W_ACCOUNT_TAIL = 0.5  # a masked account's last digits fit one partner
W_EXACT = 0.8
W_FEE = 0.65
W_FEE_UNIQUE = 0.8
W_SUBSET = 0.8
W_SUBSET_FEE = 0.6
# an exact sum of uncited items that the pool's items make by chance
W_SUBSET_CHANCE = 0.5
W_SUBSET_FEE_NO_REF = 0.45
W_AMOUNT_ONLY = 0.5
W_DATE = 0.15
W_FEE_NO_REF = 0.5
DATE_DECAY_DAYS = 60
STRONG_REF = 0.9
CITED_REF = 0.7
PARTIAL_REF_WITH_PARTNER = 0.8
# a partner identified at least this well is certain (its bank account,
# the line's partner, or a payer name of similarity 0.94 borne by no other
# partner): its open items alone can explain the amount
CERTAIN_PARTNER = 0.75
# names of two partners this close to the payer's are namesakes: neither is
# identified by the name (a human chooses)
NAMESAKE_GAP = 0.05
NAMESAKE_MIN = 0.8
NAMESAKE_SIM = 0.75
# a partial payment is reconciled by itself when it pays at most this share
# of the item: a line a little short of the item beyond the fee tolerance
# may be a larger fee or a deduction as well (a human decides)
PARTIAL_MAX_SHARE = 0.8
AUTO_AMOUNT_REASONS = ("amount:exact", "amount:fee", "amount:subset")


@dataclass
class MatchConfig:
    """Tunable thresholds of the matcher."""

    auto_threshold: float = 0.95
    margin: float = 0.15
    fee_tolerance_abs: Decimal = Decimal("5.00")
    fee_tolerance_pct: Decimal = Decimal("0.035")
    # partial payments of a single item named with certainty are reconciled
    # (the item stays open with the rest); off: suggested only
    auto_partial: bool = True
    max_suggestions: int = 3
    max_subset_size: int = 6
    max_subset_pool: int = 14
    # a certain payer with at most ``max_full_pool`` open items small
    # enough: every subset of up to ``max_full_size`` of them is searched,
    # so a grouped payment is known to be the only one explaining the amount
    max_full_pool: int = 20
    max_full_size: int = 8
    # uncited lines no single item nor small subset explains exactly:
    # exact subsets of up to ``max_exact_size`` among the
    # ``max_exact_pool`` items nearest in date, for each partner about as
    # likely as the best (``max_subset_partners`` at most)
    max_exact_pool: int = 40
    max_exact_size: int = 4
    max_subset_partners: int = 12
    max_amount_only: int = 5
    max_name_candidates: int = 12


@dataclass
class Proposal:
    """A candidate reconciliation of one line with one or more items.

    ``certain``: the amount evidence names these items and no others (a
    partial payment of the one item cited, the only subset or fee-deducted
    item of a certain payer explaining the amount)."""

    item_ids: tuple
    score: float
    reasons: list = field(default_factory=list)
    fee_amount: Decimal = ZERO
    partial: bool = False
    certain: bool = False


@dataclass
class Decision:
    """Outcome for one statement line."""

    line_id: object
    action: str  # 'auto' | 'suggest' | 'none'
    proposals: list = field(default_factory=list)


def get(obj, name, default=None):
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def to_cents(amount):
    """Decimal (or str/int/float) money to integer cents, half-up."""
    value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    return int(value.scaleb(2).to_integral_value(rounding=ROUND_HALF_UP))


def normalize_account(number):
    """Bank account number without spaces, dashes and case."""
    return re.sub(r"[^0-9A-Za-z]", "", str(number or "")).upper()


def as_date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def noisy_or(weights):
    rest = 1.0
    for w in weights:
        rest *= 1.0 - max(0.0, min(w, 1.0))
    return 1.0 - rest


def fee_limit(cents, config):
    """Largest fee (cents) deducted from ``cents``."""
    pct = int((Decimal(cents) * config.fee_tolerance_pct).to_integral_value())
    return max(to_cents(config.fee_tolerance_abs), pct)


def amount_relation(line, total_cents, config):
    """('exact'|'fee'|'partial'|'over', fee cents)."""
    diff = total_cents - line.cents
    if diff == 0:
        return "exact", 0
    if 0 < diff <= fee_limit(total_cents, config):
        return "fee", diff
    return ("partial", 0) if diff > 0 else ("over", 0)


def date_weight(line, item):
    if line.date is None or item.date is None:
        return 0.0
    days = abs((line.date - item.date).days)
    return W_DATE * max(0.0, 1.0 - days / DATE_DECAY_DAYS)
