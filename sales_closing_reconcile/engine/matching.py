"""Matching engine: statement lines against open items, over plain data.

Inputs
------
*Statement lines* (dicts or objects): ``id``, ``date``, ``amount`` (signed
Decimal, positive = money received), ``currency``, ``label``, ``note``,
``payer_name``, ``payer_account``, ``partner_id`` (or None).

*Open items*: ``id``, ``partner_id``, ``partner_name`` and/or
``partner_names``, ``move_name``, ``payment_ref``, ``order_refs``,
``tx_refs``, ``amount_residual`` (signed in the statement sense: an open
customer invoice is positive, a credit note negative), ``currency``,
``date``, ``date_maturity``, ``kind`` ('invoice'|'credit_note'|'payment').

``partner_accounts`` maps bank account numbers (any spacing) to partner ids.

Candidates
----------
Items are indexed once per batch: by reference keys (exact normalised form,
digit groups without leading zeros, raw digits; see ``normalize``), by
partner and amount (sorted cents per partner and currency), by currency and
exact cents, and partners by name tokens / initials / Chinese bigrams.  A
line only looks up its own label tokens, payer account, payer name and
amount, so a batch costs about O(N + M).  Currencies must be equal (never
converted) and the residual must have the sign of the line: a negative
line only meets credit notes or outgoing items.  The payer name is also
compared with the partners of the items of exactly the line's amount, so
that a name borne by more partners than ``max_name_candidates`` still
finds the one paid.

Evidence and score
------------------
Each piece of evidence has a weight ``w`` and the score combines them as
a noisy-OR, ``score = 1 - prod(1 - w_i)``:

================  ==========================================  ============
reason            evidence                                    weight
================  ==========================================  ============
ref:invoice       move name / payment ref in label or note    0.93 x match
ref:order         sale order reference                        0.93 x match
ref:tx            payment transaction reference               0.93 x match
partner           line already carries the item's partner     0.80
payer_account     payer account known on the item's partner   0.80
payer_name        payer name vs partner names (sim >= 0.6)    0.80 x sim
amount:exact      amount equals the residual                  0.80
amount:fee        residual - amount within fee tolerance      0.65
amount:subset     several items of one partner sum exactly    0.80
amount:subset+fee subset sum within fee tolerance             0.60
(amount only)     exact/fee amount with no ref nor partner    0.50
date              proximity to due date (60-day linear decay)  0.15 x prox
================  ==========================================  ============

``match`` is the ``ref_match`` score (1.0 exact, 0.95 zeros dropped, down
to 0.7 for a bare last digit group).  Modifiers: a partial payment
(amount below the residual, ``amount:partial``) is only proposed with a
reference match >= 0.9 (>= 0.8 when the partner is identified too) and is
scaled by 0.85; an over-payment
(``amount:over``) likewise, scaled by 0.7; when the label cites some
candidate with a match >= 0.9, candidates it does not cite are scaled by
0.8 (the payer said which document); a subset not fully cited is scaled by
0.85 when a single item already explains the amount exactly.  The partner
on the line or of the payer account and a payer name of the same partner
combine (noisy-OR of 0.8 and 0.8 x sim).  Lines whose
text says they are not customer money (bank fee, salary, tax, interest,
手续费, 工资, 税 ...) keep only strongly cited proposals and are never auto.

Decision
--------
``auto`` when the best score >= ``auto_threshold``, best minus second >=
``margin`` and the amount evidence is exact, a fee within tolerance from
a cited item, or an exact subset.  Otherwise ``suggest`` with up to ``max_suggestions``
proposals, or ``none``.  An item is used by at most one auto decision per
batch: autos are granted greedily by score; a line losing an item is
re-evaluated on its remaining proposals and downgraded to ``suggest`` when
it no longer qualifies.

Grouped payments: subsets of the (three) most likely partners' items are
searched among the cited items and the ``max_subset_pool`` items nearest
in date, fee tolerance allowed.  When the label cites nothing and neither
a single item nor such a subset explains the amount exactly, exact subsets
of 2 to ``max_exact_size`` items are searched further: among the
``max_exact_pool`` items nearest in date of every partner about as likely
as the third (``max_subset_partners`` at most), sums of pairs hashed
(n * n / 2 steps for n items).

Fee tolerance: ``0 < residual - amount <= max(fee_tolerance_abs,
fee_tolerance_pct * residual)``.
"""

import bisect
import contextlib
import datetime
import gc
import heapq
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from operator import itemgetter

from .normalize import (
    has_cjk,
    initials,
    normalize_name,
    normalized_name_similarity,
    ref_index_keys,
    ref_match,
    ref_tokens,
    token_keys,
)

ZERO = Decimal(0)

W_REF = 0.93
W_PARTNER = 0.8
W_NAME = 0.8
W_EXACT = 0.8
W_FEE = 0.65
W_SUBSET = 0.8
W_SUBSET_FEE = 0.6
W_AMOUNT_ONLY = 0.5
W_DATE = 0.15
DATE_DECAY_DAYS = 60
NAME_MIN_SIM = 0.6
NAME_POSTING_CAP = 400
NAME_AMOUNT_CAP = 1000  # items of the line's exact amount checked by name
STRONG_REF = 0.9
CITED_REF = 0.7
PARTIAL_REF_WITH_PARTNER = 0.8
W_FEE_NO_REF = 0.5
AUTO_AMOUNT_REASONS = ("amount:exact", "amount:fee", "amount:subset")

NOISE_RE = re.compile(
    r"\b(bank\s*(fee|fees|charge|charges)|service\s*charges?|account\s*(fee|maintenance)|"
    r"commission|salary|salaries|payroll|wages?|taxes|tax|vat|interest|"
    r"overdraft|loan|insurance|rent)\b|手续费|工资|薪|税|利息|社保|公积金|年费|贷款|电费|房租",
    re.IGNORECASE,
)


@dataclass
class MatchConfig:
    """Tunable thresholds of the matcher."""

    auto_threshold: float = 0.95
    margin: float = 0.15
    fee_tolerance_abs: Decimal = Decimal("5.00")
    fee_tolerance_pct: Decimal = Decimal("0.035")
    max_suggestions: int = 3
    max_subset_size: int = 6
    max_subset_pool: int = 14
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
    """A candidate reconciliation of one line with one or more items."""

    item_ids: tuple
    score: float
    reasons: list = field(default_factory=list)
    fee_amount: Decimal = ZERO
    partial: bool = False


@dataclass
class Decision:
    """Outcome for one statement line."""

    line_id: object
    action: str  # 'auto' | 'suggest' | 'none'
    proposals: list = field(default_factory=list)


# ---------------------------------------------------------------------------
# Input helpers
# ---------------------------------------------------------------------------


def _get(obj, name, default=None):
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


def _as_date(value):
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


def _noisy_or(weights):
    rest = 1.0
    for w in weights:
        rest *= 1.0 - max(0.0, min(w, 1.0))
    return 1.0 - rest


@dataclass
class _Item:
    id: object
    partner_id: object
    cents: int  # absolute value of the residual in cents
    sign: int
    currency: str
    date: object
    refs: list  # (reason, ref string)
    order: int


@dataclass
class _Line:
    id: object
    cents: int
    sign: int
    currency: str
    date: object
    text: str
    tokens: list
    noise: bool
    partner_evidence: dict  # partner_id -> (weight, reasons)


# ---------------------------------------------------------------------------
# Index
# ---------------------------------------------------------------------------


class MatchIndex:
    """Indexes of open items and partners for fast candidate lookup."""

    def __init__(self, items, partner_accounts=None):
        self.items = {}
        self.ref_index = defaultdict(list)  # key -> [(item id, reason, ref)]
        self.partner_amounts = defaultdict(
            list
        )  # (partner, cur, sign) -> sorted [(cents, order, id)]
        self.amount_index = defaultdict(list)  # (cur, sign, cents) -> [item id]
        self.partner_names = defaultdict(set)  # partner -> normalized names
        self.name_tokens = defaultdict(set)
        self.name_initials = defaultdict(set)
        self.name_bigrams = defaultdict(set)
        self._seen_names = set()
        self._name_cache = {}
        self._amount_partners = {}
        self.accounts = {
            normalize_account(k): v for k, v in (partner_accounts or {}).items()
        }
        for order, raw in enumerate(items):
            self._add(order, raw)
        for entries in self.partner_amounts.values():
            entries.sort()
        self.partner_by_date = {
            key: sorted(
                (self.items[item_id] for _c, _o, item_id in entries),
                key=lambda it: (it.date or datetime.date.min, it.order),
            )
            for key, entries in self.partner_amounts.items()
        }
        self.partner_dates = {
            key: [it.date or datetime.date.min for it in ordered]
            for key, ordered in self.partner_by_date.items()
        }

    def _add(self, order, raw):
        if isinstance(raw, dict):
            get = raw.get
        else:

            def get(name, default=None):
                return getattr(raw, name, default)

        residual = get("amount_residual") or 0
        cents = to_cents(residual)
        if cents == 0:
            return
        refs = []
        for reason, name in (
            ("ref:invoice", "move_name"),
            ("ref:invoice", "payment_ref"),
        ):
            value = get(name)
            if value:
                refs.append((reason, str(value)))
        for reason, name in (("ref:order", "order_refs"), ("ref:tx", "tx_refs")):
            for ref in get(name) or ():
                if ref:
                    refs.append((reason, str(ref)))
        item_id = get("id")
        partner_id = get("partner_id")
        item = _Item(
            id=item_id,
            partner_id=partner_id,
            cents=abs(cents),
            sign=1 if cents > 0 else -1,
            currency=(get("currency") or "").upper(),
            date=_as_date(get("date_maturity")) or _as_date(get("date")),
            refs=refs,
            order=order,
        )
        self.items[item_id] = item
        ref_index = self.ref_index
        for reason, ref in refs:
            entry = (item_id, reason, ref)
            for key in ref_index_keys(ref):
                ref_index[key].append(entry)
        key = (item.currency, item.sign)
        self.amount_index[key + (item.cents,)].append(item_id)
        if partner_id is not None:
            self.partner_amounts[(partner_id,) + key].append(
                (item.cents, order, item_id)
            )
            for name in get("partner_names") or ():
                self._add_name(partner_id, name)
            if get("partner_name"):
                self._add_name(partner_id, get("partner_name"))

    def _add_name(self, partner_id, name):
        if (partner_id, name) in self._seen_names:
            return
        self._seen_names.add((partner_id, name))
        norm = normalize_name(name)
        if not norm or norm in self.partner_names[partner_id]:
            return
        self.partner_names[partner_id].add(norm)
        if has_cjk(norm):
            compact = norm.replace(" ", "")
            for i in range(len(compact) - 1):
                self.name_bigrams[compact[i : i + 2]].add(partner_id)
        for token in norm.split():
            self.name_tokens[token].add(partner_id)
        init = initials(norm)
        if len(init) >= 2:
            self.name_initials[init].add(partner_id)
        self.name_tokens["".join(norm.split())].add(partner_id)

    def name_candidates(self, payer_name, limit):
        """Partners whose names share tokens/bigrams/initials with the payer,
        as ``{partner_id: similarity}`` (cached per payer name): the
        ``limit`` sharing most."""
        return self._name_lookup(payer_name, limit)[0]

    def name_hits(self, payer_name, limit):
        """Every partner sharing a name token/bigram/initials with the payer."""
        return self._name_lookup(payer_name, limit)[1]

    def amount_partners(self, key):
        """Partners with an open item of exactly ``(currency, sign, cents)``
        (cached; at most ``NAME_AMOUNT_CAP`` items looked at)."""
        found = self._amount_partners.get(key)
        if found is None:
            items = self.items
            found = self._amount_partners[key] = tuple(
                dict.fromkeys(
                    items[item_id].partner_id
                    for item_id in self.amount_index.get(key, ())[:NAME_AMOUNT_CAP]
                    if items[item_id].partner_id is not None
                )
            )
        return found

    def name_similarity(self, payer_name, partner_id, limit):
        """Similarity of the payer name to ``partner_id``'s names when they
        share a token/bigram/initials, beyond the ``limit`` best partners
        too (a common name is borne by many partners: the amount tells
        them apart); 0.0 otherwise."""
        result, hits, norm, others = self._name_lookup(payer_name, limit)
        sim = result.get(partner_id)
        if sim is None:
            sim = others.get(partner_id)
        if sim is None:
            sim = 0.0
            if partner_id in hits:
                sim = max(
                    normalized_name_similarity(norm, name)
                    for name in self.partner_names[partner_id]
                )
            others[partner_id] = sim = sim if sim >= NAME_MIN_SIM else 0.0
        return sim

    def _name_lookup(self, payer_name, limit):
        cached = self._name_cache.get((payer_name, limit))
        if cached is None:
            cached = self._name_cache[(payer_name, limit)] = self._name_candidates(
                payer_name, limit
            )
        return cached

    def _name_candidates(self, payer_name, limit):
        """(``{partner: similarity}`` of the best ``limit``, every partner
        sharing a key, normalised payer name, cache of the others'
        similarities)."""
        norm = normalize_name(payer_name)
        if not norm:
            return {}, {}, norm, {}
        hits = Counter()  # partner -> shared keys (long tokens count twice)
        if has_cjk(norm):
            compact = norm.replace(" ", "")
            for i in range(len(compact) - 1):
                posting = self.name_bigrams.get(compact[i : i + 2], ())
                if len(posting) <= NAME_POSTING_CAP:
                    hits.update(posting)
        keys = norm.split() + ["".join(norm.split())]
        for token in keys:
            posting = self.name_tokens.get(token, ())
            if len(posting) <= NAME_POSTING_CAP:
                hits.update(posting)
                if len(token) > 3:
                    hits.update(posting)
        if len(norm.split()) == 1:
            posting = self.name_initials.get(norm, ())
            for _i in range(3):
                hits.update(posting)
        best = heapq.nlargest(limit, hits.items(), key=itemgetter(1))
        result = {}
        for pid, _count in best:
            sim = max(
                normalized_name_similarity(norm, name)
                for name in self.partner_names[pid]
            )
            if sim >= NAME_MIN_SIM:
                result[pid] = sim
        return result, hits, norm, {}


# ---------------------------------------------------------------------------
# Line evaluation
# ---------------------------------------------------------------------------


def _prepare_line(raw, index, config):
    amount = Decimal(str(_get(raw, "amount") or 0))
    cents = to_cents(amount)
    text = " ".join(str(t) for t in (_get(raw, "label"), _get(raw, "note")) if t)
    # The partner set on the line or known for the payer's account
    # identifies a partner (the strongest of both counts, the partner is
    # often derived from the account); a payer name similar to the
    # partner's is independent evidence and combines with it (noisy-OR).
    evidence = {}
    name = _get(raw, "payer_name")
    currency = (_get(raw, "currency") or "").upper()
    sign = 1 if cents > 0 else -1
    if name:
        for pid, sim in index.name_candidates(name, config.max_name_candidates).items():
            evidence[pid] = (W_NAME * sim, ("payer_name",))
        # Partners with an item of exactly this amount whose name fits too,
        # even when more partners bear a similar name than the candidates.
        hits = index.name_hits(name, config.max_name_candidates)
        for pid in index.amount_partners((currency, sign, abs(cents))):
            if pid in hits and pid not in evidence:
                sim = index.name_similarity(name, pid, config.max_name_candidates)
                if sim:
                    evidence[pid] = (W_NAME * sim, ("payer_name",))
    identified = {}
    account = normalize_account(_get(raw, "payer_account"))
    if account and account in index.accounts:
        identified[index.accounts[account]] = "payer_account"
    if _get(raw, "partner_id") is not None:
        identified[_get(raw, "partner_id")] = "partner"
    for pid, reason in identified.items():
        name_w = (
            W_NAME * index.name_similarity(name, pid, config.max_name_candidates)
            if name
            else 0.0
        )
        reasons = (reason, "payer_name") if name_w else (reason,)
        evidence[pid] = (_noisy_or((W_PARTNER, name_w)), reasons)
    return _Line(
        id=_get(raw, "id"),
        cents=abs(cents),
        sign=sign if cents else 0,
        currency=currency,
        date=_as_date(_get(raw, "date")),
        text=text,
        tokens=ref_tokens(text),
        noise=bool(NOISE_RE.search(text)),
        partner_evidence=evidence,
    )


def _fee_limit(cents, config):
    pct = int((Decimal(cents) * config.fee_tolerance_pct).to_integral_value())
    return max(to_cents(config.fee_tolerance_abs), pct)


def _ref_scores(line, index):
    """item id -> (score, reason) for items cited in the line text."""
    cited = {}
    checked = {}
    best_rank = {}  # the best and, on ties, the longest cited reference wins
    for token in line.tokens:
        keys = {token}
        keys.update(token_keys(token))
        for key in keys:
            for item_id, reason, ref in index.ref_index.get(key, ()):
                score = checked.get(ref)
                if score is None:
                    score = checked[ref] = ref_match(ref, line.text, line.tokens)
                rank = (score, len(ref))
                if score > 0 and rank > best_rank.get(item_id, (0, 0)):
                    best_rank[item_id] = rank
                    cited[item_id] = (score, reason)
    return cited


def _date_weight(line, item):
    if line.date is None or item.date is None:
        return 0.0
    days = abs((line.date - item.date).days)
    return W_DATE * max(0.0, 1.0 - days / DATE_DECAY_DAYS)


def _amount_relation(line, total_cents, config):
    """('exact'|'fee'|'partial'|'over', fee cents)."""
    diff = total_cents - line.cents
    if diff == 0:
        return "exact", 0
    if 0 < diff <= _fee_limit(total_cents, config):
        return "fee", diff
    return ("partial", 0) if diff > 0 else ("over", 0)


def _single_proposal(line, item, cited, config):
    ref_score, ref_reason = cited.get(item.id, (0.0, ""))
    partner_w, partner_reasons = line.partner_evidence.get(item.partner_id, (0.0, ()))
    relation, fee = _amount_relation(line, item.cents, config)
    weights, reasons = [], []
    if ref_score:
        weights.append(W_REF * ref_score)
        reasons.append(ref_reason)
    if partner_w:
        weights.append(partner_w)
        reasons.extend(partner_reasons)
    identified = bool(ref_score or partner_w)
    if relation == "exact":
        weights.append(W_EXACT if identified else W_AMOUNT_ONLY)
        reasons.append("amount:exact")
    elif relation == "fee":
        weights.append(
            (W_FEE if ref_score else W_FEE_NO_REF)
            if identified
            else W_AMOUNT_ONLY * 0.8
        )
        reasons.append("amount:fee")
    elif ref_score < STRONG_REF and not (
        ref_score >= PARTIAL_REF_WITH_PARTNER and partner_w
    ):
        return None
    else:
        reasons.append("amount:partial" if relation == "partial" else "amount:over")
    date_w = _date_weight(line, item)
    if date_w > 0.05:
        weights.append(date_w)
        reasons.append("date")
    score = _noisy_or(weights)
    if relation == "partial":
        score *= 0.85
    elif relation == "over":
        score *= 0.7
    reasons.append("currency")
    sign = Decimal(line.sign)
    return Proposal(
        item_ids=(item.id,),
        score=round(score, 4),
        reasons=reasons,
        fee_amount=sign * Decimal(fee) / 100,
        partial=relation == "partial",
    )


def _subset_sums(pool, target, tolerance, max_size, limit=5):
    """Subsets (tuples of pool indexes, size >= 2) whose cents sum lies in
    ``[target, target + tolerance]``; meet in the middle over two halves."""
    half = len(pool) // 2
    left, right = pool[:half], pool[half:]

    def enumerate_half(part, offset):
        sums = [(0, ())]
        for idx, cents in enumerate(part):
            sums += [
                (s + cents, combo + (idx + offset,))
                for s, combo in sums
                if len(combo) < max_size and s + cents <= target + tolerance
            ]
        return sums

    left_sums = enumerate_half(left, 0)
    right_sums = sorted(enumerate_half(right, half))
    right_keys = [s for s, _c in right_sums]
    found = []
    for lsum, lcombo in left_sums:
        lo = bisect.bisect_left(right_keys, target - lsum)
        hi = bisect.bisect_right(right_keys, target + tolerance - lsum)
        for rsum, rcombo in right_sums[lo:hi]:
            combo = lcombo + rcombo
            if 2 <= len(combo) <= max_size:
                found.append((lsum + rsum - target, len(combo), combo))
                if len(found) >= limit * 4:
                    break
    found.sort()
    return [combo for _diff, _n, combo in found[:limit]]


def _subset_partners(line, index, cited):
    """Partners a grouped payment may come from, most likely first, as
    ``[(partner, weight)]``: cited ones (1.0) and identified ones."""
    partners = defaultdict(float)
    for item_id in cited:
        item = index.items[item_id]
        partners[item.partner_id] = max(partners[item.partner_id], 1.0)
    for pid, (weight, _reason) in line.partner_evidence.items():
        partners[pid] = max(partners[pid], weight)
    partners.pop(None, None)
    return sorted(partners.items(), key=lambda kv: -kv[1])


def _subset_proposals(line, index, cited, config):
    """Proposals grouping several open items of one partner."""
    proposals = []
    tolerance = _fee_limit(line.cents, config)
    for pid, _w in _subset_partners(line, index, cited)[:3]:
        pool = [index.items[i] for i in cited if index.items[i].partner_id == pid]
        pool += _nearest_items(
            index,
            (pid, line.currency, line.sign),
            line,
            tolerance,
            cited,
            config.max_subset_pool - len(pool),
        )
        if len(pool) < 2:
            continue
        for combo in _subset_sums(
            [it.cents for it in pool], line.cents, tolerance, config.max_subset_size
        ):
            chosen = [pool[i] for i in combo]
            proposals.append(_score_subset(line, chosen, cited, config))
    return proposals


def _exact_subsets(cents, target, max_size, limit=5):
    """Subsets (sorted tuples of indexes, 2 to ``max_size`` <= 4 items)
    of ``cents`` summing exactly to ``target``, fewest items first: sums of
    pairs are hashed, so a pool of n items costs about n * n / 2 steps
    whatever the size."""
    by_value = defaultdict(list)
    for idx, value in enumerate(cents):
        by_value[value].append(idx)
    found = set()
    for i, value in enumerate(cents):
        found.update((i, j) for j in by_value.get(target - value, ()) if j > i)
    if max_size >= 3:
        pair_sums = _pair_sums(cents, target, by_value, found)
        if max_size >= 4:
            _quadruples(pair_sums, target, found, limit * 4)
    return sorted(found, key=lambda combo: (len(combo), combo))[: limit * 4]


def _pair_sums(cents, target, by_value, found):
    """``{sum: [(i, j)]}`` of the pairs below ``target``; adds to
    ``found`` the triples completing a pair exactly."""
    pair_sums = defaultdict(list)
    size = len(cents)
    for i in range(size):
        ci = cents[i]
        for j in range(i + 1, size):
            pair = ci + cents[j]
            if pair >= target:
                continue
            pair_sums[pair].append((i, j))
            for k in by_value.get(target - pair, ()):
                if k > j:
                    found.add((i, j, k))
    return pair_sums


def _quadruples(pair_sums, target, found, limit):
    """Adds to ``found`` the disjoint pairs of pairs summing to ``target``."""
    for pair, pairs in pair_sums.items():
        rest = target - pair
        if rest < pair or rest not in pair_sums:
            continue
        for i, j in pairs:
            for k, m in pair_sums[rest]:
                if len({i, j, k, m}) == 4:
                    found.add(tuple(sorted((i, j, k, m))))
        if len(found) >= limit:
            return


def _wide_subset_proposals(line, index, cited, config):
    """Exact grouped payments searched further than ``_subset_proposals``:
    among more items of each partner (a large customer has many open
    items in the weeks around the payment) and among every partner about
    as likely as the best (a common name is borne by several partners)."""
    ranked = _subset_partners(line, index, cited)
    if not ranked:
        return []
    floor = ranked[min(2, len(ranked) - 1)][1] - 1e-9
    proposals = []
    for rank, (pid, weight) in enumerate(ranked[: config.max_subset_partners]):
        if rank >= 3 and weight < floor:
            break
        pool = _nearest_items(
            index,
            (pid, line.currency, line.sign),
            line,
            0,
            (),
            config.max_exact_pool,
        )
        if len(pool) < 2:
            continue
        for combo in _exact_subsets(
            [it.cents for it in pool], line.cents, config.max_exact_size
        ):
            proposals.append(
                _score_subset(line, [pool[i] for i in combo], cited, config)
            )
    return proposals


def _nearest_items(index, key, line, tolerance, exclude, limit):
    """Up to ``limit`` items of a partner small enough to be part of the
    payment, nearest in (due) date to the line first."""
    ordered = index.partner_by_date.get(key, ())
    dates = index.partner_dates.get(key, ())
    pos = bisect.bisect_left(dates, line.date) if line.date else len(ordered)
    left, right = pos - 1, pos
    found = []
    while len(found) < limit and (left >= 0 or right < len(ordered)):
        take_left = (
            right >= len(ordered)
            or (
                left >= 0
                and line.date
                and (line.date - dates[left]) <= (dates[right] - line.date)
            )
            or (left >= 0 and not line.date)
        )
        if take_left:
            item, left = ordered[left], left - 1
        else:
            item, right = ordered[right], right + 1
        if item.cents < line.cents + tolerance and item.id not in exclude:
            found.append(item)
    return found


def _score_subset(line, chosen, cited, config):
    total = sum(it.cents for it in chosen)
    relation, fee = _amount_relation(line, total, config)
    ref_scores = [cited.get(it.id, (0.0, ""))[0] for it in chosen]
    coverage = sum(ref_scores) / len(chosen)
    weights, reasons = [], []
    if coverage:
        weights.append(W_REF * coverage)
        reasons.append(min({cited[it.id][1] for it in chosen if it.id in cited}))
    partner_w, partner_reasons = line.partner_evidence.get(
        chosen[0].partner_id, (0.0, ())
    )
    if partner_w:
        weights.append(partner_w)
        reasons.extend(partner_reasons)
    weights.append(W_SUBSET if relation == "exact" else W_SUBSET_FEE)
    reasons.append("amount:subset")
    if relation == "fee":
        reasons.append("amount:fee")
    date_w = max(_date_weight(line, it) for it in chosen)
    if date_w > 0.05:
        weights.append(date_w)
        reasons.append("date")
    score = _noisy_or(weights)
    reasons.append("currency")
    ordered = sorted(chosen, key=lambda it: it.order)
    return Proposal(
        item_ids=tuple(it.id for it in ordered),
        score=round(score, 4),
        reasons=reasons,
        fee_amount=Decimal(line.sign) * Decimal(fee) / 100,
        partial=False,
    )


def _candidates(line, index, cited, config):
    ids = {item_id for item_id in cited}
    tolerance = _fee_limit(line.cents + line.cents // 10, config)
    for pid in line.partner_evidence:
        entries = index.partner_amounts.get((pid, line.currency, line.sign), ())
        lo = bisect.bisect_left(entries, (line.cents,))
        hi = bisect.bisect_right(entries, (line.cents + tolerance, float("inf")))
        ids.update(item_id for _c, _o, item_id in entries[lo:hi][:50])
    same = index.amount_index.get((line.currency, line.sign, line.cents), ())
    ids.update(same[: config.max_amount_only])
    result = []
    for item_id in ids:
        item = index.items[item_id]
        if item.currency == line.currency and item.sign == line.sign:
            result.append(item)
    return result


def _amount_auto_ok(prop):
    """The amount evidence of ``prop`` allows an automatic match: exact,
    an exact subset, or a fee deducted from a cited item (an amount merely
    a little below an uncited item is a guess)."""
    return (
        any(r in AUTO_AMOUNT_REASONS for r in prop.reasons)
        and not prop.partial
        and not ("amount:subset" in prop.reasons and "amount:fee" in prop.reasons)
        and not (
            "amount:fee" in prop.reasons
            and not any(r.startswith("ref:") for r in prop.reasons)
        )
    )


def _decide(line_id, proposals, config, noise=False):
    proposals = sorted(
        proposals, key=lambda p: (-p.score, len(p.item_ids), str(p.item_ids))
    )
    unique, seen = [], set()
    for prop in proposals:
        key = frozenset(prop.item_ids)
        if key not in seen:
            seen.add(key)
            unique.append(prop)
    top = unique[: config.max_suggestions]
    if not top:
        return Decision(line_id, "none", [])
    best = top[0]
    second = unique[1].score if len(unique) > 1 else 0.0
    if (
        not noise
        and best.score >= config.auto_threshold
        and best.score - second >= config.margin
        and _amount_auto_ok(best)
    ):
        return Decision(line_id, "auto", top)
    return Decision(line_id, "suggest", top)


def _explains_exactly(prop):
    """``prop`` accounts for the whole amount: one item or a subset
    exactly."""
    return "amount:exact" in prop.reasons or (
        "amount:subset" in prop.reasons and "amount:fee" not in prop.reasons
    )


def _exact_identified(proposals):
    """A single item identified by reference or partner matches exactly."""
    return any(
        len(p.item_ids) == 1
        and "amount:exact" in p.reasons
        and any(r.startswith(("ref:", "partner", "payer_")) for r in p.reasons)
        for p in proposals
    )


def _apply_context(proposals, cited, exact_identified):
    """Scale down proposals that explain the line worse than a rival.

    * the label cites a candidate (match >= CITED_REF): proposals with an
      item cited clearly less well (by more than 0.1) are scaled by 0.8
      when they miss the best cited items, or hold an uncited item while
      the label cites several;
    * ``exact_identified``, a single item identified by reference or by a
      partner as well identified as any matches the amount exactly: uncited
      fee matches and uncited subsets are scaled by 0.85.
    """

    def min_ref(prop):
        return min(cited.get(i, (0.0, ""))[0] for i in prop.item_ids)

    best_cite = max((score for score, _r in cited.values()), default=0.0)
    best_ids = {i for i, (score, _r) in cited.items() if score >= best_cite - 0.1}
    for prop in proposals:
        weakest = min_ref(prop)
        if best_cite >= CITED_REF and weakest < best_cite - 0.1:
            if not best_ids.intersection(prop.item_ids) or (
                weakest == 0 and len(cited) > 1
            ):
                prop.score = round(prop.score * 0.8, 4)
        if (
            exact_identified
            and weakest < CITED_REF
            and ("amount:fee" in prop.reasons or len(prop.item_ids) > 1)
        ):
            prop.score = round(prop.score * 0.85, 4)


def evaluate_line(line, index, config):
    """Decision for one prepared line (no cross-line conflict handling)."""
    if line.sign == 0 or not line.currency:
        return Decision(line.id, "none", []), []
    cited = {
        item_id: value
        for item_id, value in _ref_scores(line, index).items()
        if index.items[item_id].currency == line.currency
        and index.items[item_id].sign == line.sign
    }
    proposals = []
    for item in _candidates(line, index, cited, config):
        prop = _single_proposal(line, item, cited, config)
        if prop is not None:
            proposals.append(prop)
    # Singles that may spare the search for a grouped payment: cited, or
    # of a partner identified as well as any (a namesake's item of the
    # amount does not, when the payer account names another partner).
    top_partner = max((w for w, _r in line.partner_evidence.values()), default=0.0)
    strong = [
        p
        for p in proposals
        if p.item_ids[0] in cited
        or line.partner_evidence.get(index.items[p.item_ids[0]].partner_id, (0.0, ()))[
            0
        ]
        >= top_partner - 1e-9
    ]
    best_single = max((p.score for p in strong if _amount_auto_ok(p)), default=0.0)
    cited_partners = [
        index.items[i].partner_id
        for i, (score, _r) in cited.items()
        if score >= CITED_REF
    ]
    several_cited = len(cited_partners) != len(set(cited_partners))
    if several_cited or (
        best_single < config.auto_threshold and not _exact_identified(strong)
    ):
        proposals += _subset_proposals(line, index, cited, config)
        if not any(_explains_exactly(p) for p in proposals) and not any(
            score >= CITED_REF for score, _r in cited.values()
        ):
            proposals += _wide_subset_proposals(line, index, cited, config)
    _apply_context(proposals, cited, _exact_identified(strong))
    if line.noise:
        proposals = [
            p
            for p in proposals
            if max(cited.get(i, (0.0, ""))[0] for i in p.item_ids) >= 0.95
        ]
    all_sorted = sorted(proposals, key=lambda p: -p.score)
    return _decide(line.id, proposals, config, noise=line.noise), all_sorted


def match_lines(lines, items, partner_accounts=None, config=None):
    """Match a batch of statement lines; returns a list of :class:`Decision`
    in the order of ``lines``."""
    config = config or MatchConfig()
    with _gc_paused():
        index = MatchIndex(items, partner_accounts)
        decisions, pools = [], []
        for raw in lines:
            line = _prepare_line(raw, index, config)
            decision, pool = evaluate_line(line, index, config)
            decisions.append(decision)
            pools.append(pool)
        return _resolve_conflicts(decisions, pools, config)


@contextlib.contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector during a batch.

    A batch allocates some ten objects per open item and proposal, none in
    a reference cycle (reference counting frees them), yet each allocation
    burst makes the collector walk every object of the process again: a
    fifth of the time of a 10,000-line batch.  Restored on exit."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _resolve_conflicts(decisions, pools, config):
    """Grant autos greedily by score; re-evaluate the losers."""
    used = set()
    order = sorted(
        (i for i, d in enumerate(decisions) if d.action == "auto"),
        key=lambda i: -decisions[i].proposals[0].score,
    )
    for i in order:
        decision = decisions[i]
        if not used.intersection(decision.proposals[0].item_ids):
            used.update(decision.proposals[0].item_ids)
            continue
        remaining = [p for p in pools[i] if not used.intersection(p.item_ids)]
        redo = _decide(decision.line_id, remaining, config)
        if redo.action == "auto":
            used.update(redo.proposals[0].item_ids)
        elif not remaining:
            # Everything it wanted is taken (duplicate payment?): keep the
            # original proposals for a human to decide.
            redo = Decision(decision.line_id, "suggest", decision.proposals)
        else:
            redo = Decision(decision.line_id, "suggest", redo.proposals)
        decisions[i] = redo
    return decisions


# ---------------------------------------------------------------------------
# Gateway payouts
# ---------------------------------------------------------------------------


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
