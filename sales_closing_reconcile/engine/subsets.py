"""Grouped payments: one statement line paying several open items of one
partner.

Searches over plain cents (``subset_sums``, ``exact_subsets``) and the
proposals they make for a line (``subset_proposals``,
``wide_subset_proposals``, ``payer_solutions``, ``completion_proposals``).

* ``subset_sums``: subsets of a pool whose sum lies in a window (the
  amount, plus a fee within tolerance), meet in the middle over two halves
  of the pool (2^(n/2) sums a half, pruned above the window).
* ``exact_subsets``: subsets of 2 to 4 items summing exactly, sums of pairs
  hashed (n * n / 2 steps for n items): for pools too large to halve.
* A **certain payer** (its bank account, the line's partner, or a payer
  name no other partner bears as well) with at most ``max_full_pool``
  open items below the amount: every subset of up to ``max_full_size`` of
  them is enumerated (``payer_solutions``).  The one subset (single items
  included) explaining the amount exactly, or, when none does, the one
  explaining it less a fee within tolerance, is *certain*: it may be
  reconciled automatically.  Two equal explanations are suggested only.
  When nothing explains the amount exactly and the text cites no document
  (no number of three digits or more), the one item the amount pays less
  a fee is certain (``single_fee_item``), whatever the fee-deducted
  subsets: a fee deducted from one invoice is far likelier.
* **Net of a credit note** (``credit_note_proposals``): a line short of a
  cited item by exactly the residual of one (or two) open credit notes of
  the item's partner (opposite sign, same currency) pays the item less
  them.  The only such explanation of the cited item is certain; a
  shortfall a credit note explains only within the fee tolerance is
  suggested, scaled down when other credit notes do so too (and
  ``credit_explains_shortfall`` keeps the item's partial payment from
  being reconciled by itself).
* **A cut list** (``completion_proposals``): cited items of one partner
  the amount exceeds, completed by the fewest of its other open items
  nearest in date (the references the field width lost).
* Otherwise the partners a grouped payment may come from are searched among
  their cited items and the ``max_subset_pool`` items nearest in date (fee
  allowed), then, when nothing explains the amount exactly, exact subsets
  among the ``max_exact_pool`` items nearest in date of every partner about
  as likely as the third (``wide_subset_proposals``).
"""

import bisect
import math
import re
from collections import defaultdict
from decimal import Decimal

from .scoring import (
    CERTAIN_PARTNER,
    CITED_REF,
    STRONG_REF,
    W_REF,
    W_SUBSET,
    W_SUBSET_CHANCE,
    W_SUBSET_FEE,
    W_SUBSET_FEE_NO_REF,
    Proposal,
    amount_relation,
    date_weight,
    fee_limit,
    noisy_or,
)

FULL_CAP = 50  # explanations of a certain payer's amount looked at
# expected number of subsets of a pool summing to the amount by chance
# above which an exact sum of uncited items is no evidence to reconcile on
CHANCE_MAX = 0.01


def chance_sums(cents, target, max_size, min_size=2):
    """Expected number of subsets of ``min_size`` to ``max_size`` of the
    amounts ``cents`` that sum to exactly ``target`` by chance
    (``max_size``: the size of the subset found; a coincidence as simple as
    it, or simpler).

    The sums of ``k`` items drawn from the pool are about normal (mean
    ``k`` times the pool's, variance ``k`` times its, less the finite
    population's share); ``C(n, k)`` of them fall on a cent with that
    density.  Among a large customer's forty open items some four sum to
    about any amount (several tenths), among a small one's five almost
    never (ten thousandths)."""
    n = len(cents)
    if n < min_size or n < 2:
        return 0.0
    mean = sum(cents) / n
    variance = sum((c - mean) ** 2 for c in cents) / n
    expected = 0.0
    for k in range(min_size, min(max_size, n) + 1):
        spread = k * variance * (n - k) / (n - 1)
        if spread <= 0:
            continue
        z2 = (target - k * mean) ** 2 / (2 * spread)
        if z2 < 60:
            expected += (
                math.comb(n, k) * math.exp(-z2) / math.sqrt(2 * math.pi * spread)
            )
    return expected


def _by_chance(amounts, target, size, min_size=2):
    """The items ``amounts`` make a sum of ``min_size`` to ``size`` of them
    on ``target`` cents often enough that finding one is no evidence
    (``CHANCE_MAX``)."""
    return chance_sums(amounts, target, size, min_size) >= CHANCE_MAX


def subset_sums(pool, target, tolerance, max_size, limit=5, min_size=2):
    """Subsets (tuples of pool indexes, ``min_size`` to ``max_size`` items)
    whose cents sum lies in ``[target, target + tolerance]``, nearest the
    target and fewest items first, at most ``limit``."""
    found = _window(pool, target, tolerance, max_size, min_size, None)
    return [combo for _d, _n, combo in found[:limit]]


def _window(pool, target, tolerance, max_size, min_size, cap):
    """``[(sum - target, size, combo)]`` sorted; at most ``cap`` found
    (``None``: all)."""
    half = len(pool) // 2
    left, right = pool[:half], pool[half:]
    high = target + tolerance

    def enumerate_half(part, offset):
        sums = [(0, ())]
        for idx, cents in enumerate(part):
            sums += [
                (s + cents, combo + (idx + offset,))
                for s, combo in sums
                if len(combo) < max_size and s + cents <= high
            ]
        return sums

    left_sums = enumerate_half(left, 0)
    right_sums = sorted(enumerate_half(right, half))
    right_keys = [s for s, _c in right_sums]
    found = []
    for lsum, lcombo in left_sums:
        lo = bisect.bisect_left(right_keys, target - lsum)
        hi = bisect.bisect_right(right_keys, high - lsum)
        for rsum, rcombo in right_sums[lo:hi]:
            combo = lcombo + rcombo
            if min_size <= len(combo) <= max_size:
                found.append((lsum + rsum - target, len(combo), combo))
                if cap is not None and len(found) >= cap:
                    found.sort()
                    return found
    found.sort()
    return found


def exact_subsets(cents, target, max_size, limit=5):
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


# ---------------------------------------------------------------------------
# Proposals
# ---------------------------------------------------------------------------


def _search_tolerance(line, config):
    """Fee window searched above the amount: wide enough for the fee
    tolerance of any total in it."""
    return fee_limit(line.cents + line.cents // 10, config)


def payer_solutions(line, index, partner_id, config):
    """Every explanation of the line by the open items of a certain payer.

    ``None`` when the payer has more than ``max_full_pool`` open items
    below the amount (too many to enumerate), or when the amount less a fee
    has more than ``FULL_CAP`` explanations and none exact.  Else
    ``(certain, others)``: lists of item tuples, ``certain`` holding the one
    explanation the amount allows (see the module docstring) or nothing."""
    tolerance = _search_tolerance(line, config)
    pool = _payer_pool(index, partner_id, line, config)
    if pool is None:
        return None
    cents = [it.cents for it in pool]
    size = config.max_full_size
    exact = [
        tuple(pool[i] for i in combo)
        for _d, _n, combo in _window(cents, line.cents, 0, size, 1, 3)
    ]
    found = _window(cents, line.cents, tolerance, size, 1, FULL_CAP)
    fee = []
    for _diff, _n, combo in found:
        chosen = tuple(pool[i] for i in combo)
        total = sum(it.cents for it in chosen)
        if amount_relation(line, total, config)[0] == "fee":
            fee.append(chosen)
    complete = len(found) < FULL_CAP
    if len(exact) == 1 and (
        len(exact[0]) == 1 or not _by_chance(cents, line.cents, len(exact[0]))
    ):
        return exact, fee
    if len(exact) == 1:
        # several items summing to the amount as some of them would by
        # chance: suggested beside the rest, none certain
        return [], exact + fee
    if not exact and not _cites_unknown(line):
        single = single_fee_item(line, index, partner_id, config)
        if single is not None:
            return [(single,)], [c for c in fee if c != (single,)]
    if not exact and not complete:
        return None
    if not exact and len(fee) == 1:
        return fee, []
    return [], exact + fee


def _payer_pool(index, partner_id, line, config):
    """The open items of ``partner_id`` that may be part of the line's
    amount (less a fee), or None when more than ``max_full_pool``."""
    entries = index.partner_amounts.get((partner_id, line.currency, line.sign), ())
    hi = bisect.bisect_left(
        entries, (line.cents + _search_tolerance(line, config) + 1,)
    )
    if hi > config.max_full_pool:
        return None
    return [index.items[item_id] for _c, _o, item_id in entries[:hi]]


_UNKNOWN_REF_RE = re.compile(r"[0-9]{3,}")


def _cites_unknown(line):
    """The text carries a number of three digits or more (an invoice, a
    proforma, an order, a contract ...): the payer named a document, and
    the amount alone does not choose for it."""
    return any(_UNKNOWN_REF_RE.search(token) for token in line.tokens)


def single_fee_item(line, index, partner_id, config):
    """The one open item of ``partner_id`` the amount pays less a fee
    within tolerance, when no item nor subset of its items explains the
    amount exactly (``explains_exactly``): a fee deducted from one invoice
    is far likelier than a fee-deducted grouped payment (among many open
    items some subset falls within a fee of about any amount).  ``None``
    when there is none or several."""
    entries = index.partner_amounts.get((partner_id, line.currency, line.sign), ())
    lo = bisect.bisect_right(entries, (line.cents, float("inf")))
    hi = bisect.bisect_right(
        entries, (line.cents + _search_tolerance(line, config), float("inf"))
    )
    singles = [
        index.items[item_id]
        for _c, _o, item_id in entries[lo:hi]
        if amount_relation(line, index.items[item_id].cents, config)[0] == "fee"
    ]
    if len(singles) != 1 or explains_exactly(index, partner_id, line, config):
        return None
    return singles[0]


def explains_exactly(index, partner_id, line, config):
    """The open items of ``partner_id`` explain the line's amount exactly:
    an item of the amount, or a subset summing to it (among all its items
    below the amount when they are at most ``max_full_pool``, else among
    the ``max_exact_pool`` nearest in date)."""
    cents = line.cents
    key = (partner_id, line.currency, line.sign)
    entries = index.partner_amounts.get(key, ())
    lo = bisect.bisect_left(entries, (cents,))
    if lo < len(entries) and entries[lo][0] == cents:
        return True
    if lo <= config.max_full_pool:
        pool = [c for c, _o, _i in entries[:lo]]
        return bool(_window(pool, cents, 0, config.max_full_size, 2, 1))
    pool = nearest_items(index, key, line, line.cents, (), config.max_exact_pool)
    return bool(
        exact_subsets([it.cents for it in pool], cents, config.max_exact_size, 1)
    )


def explains_with_fee(index, partner_id, line, config):
    """The open items of ``partner_id`` could explain the line's amount
    less a fee within tolerance (assumed when they are too many to
    enumerate)."""
    tolerance = _search_tolerance(line, config)
    entries = index.partner_amounts.get((partner_id, line.currency, line.sign), ())
    hi = bisect.bisect_left(entries, (line.cents + tolerance + 1,))
    if hi > config.max_full_pool:
        return True
    pool = [c for c, _o, _i in entries[:hi]]
    return bool(_window(pool, line.cents, tolerance, config.max_full_size, 1, 1))


def certain_partners(line):
    return [
        pid
        for pid, (weight, _r) in line.partner_evidence.items()
        if weight >= CERTAIN_PARTNER and pid in line.certain
    ]


def subset_partners(line, index, cited):
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


def subset_proposals(line, index, cited, config, solved):
    """Proposals grouping several open items of one partner.

    ``solved``: ``{partner: payer_solutions(...)}`` of the certain payers
    already enumerated: their subsets come from there."""
    proposals = []
    tolerance = fee_limit(line.cents, config)
    for pid, _w in subset_partners(line, index, cited)[:3]:
        solutions = solved.get(pid)
        if solutions is not None:
            certain, others = solutions
            for chosen in certain:
                if len(chosen) > 1:
                    prop = score_subset(line, list(chosen), cited, config, True)
                    proposals.append(prop)
            amounts = [it.cents for it in _payer_pool(index, pid, line, config)]
            for chosen in others[: config.max_suggestions + 1]:
                if len(chosen) > 1:
                    prop = score_subset(line, list(chosen), cited, config, pool=amounts)
                    if certain:  # the one explanation of the amount beats these
                        prop.score = round(prop.score * 0.85, 4)
                    proposals.append(prop)
            continue
        pool = [index.items[i] for i in cited if index.items[i].partner_id == pid]
        pool += nearest_items(
            index,
            (pid, line.currency, line.sign),
            line,
            line.cents + tolerance,
            cited,
            config.max_subset_pool - len(pool),
        )
        if len(pool) < 2:
            continue
        amounts = [it.cents for it in pool]
        for combo in subset_sums(
            amounts, line.cents, tolerance, config.max_subset_size
        ):
            chosen = [pool[i] for i in combo]
            proposals.append(score_subset(line, chosen, cited, config, pool=amounts))
    return proposals


def wide_subset_proposals(line, index, cited, config, solved):
    """Exact grouped payments searched further than ``subset_proposals``:
    among more items of each partner (a large customer has many open
    items in the weeks around the payment) and among every partner about
    as likely as the best (a common name is borne by several partners)."""
    ranked = subset_partners(line, index, cited)
    if not ranked:
        return []
    floor = ranked[min(2, len(ranked) - 1)][1] - 1e-9
    proposals = []
    for rank, (pid, weight) in enumerate(ranked[: config.max_subset_partners]):
        if rank >= 3 and weight < floor:
            break
        if solved.get(pid) is not None:
            continue  # every subset of its items was searched
        pool = nearest_items(
            index,
            (pid, line.currency, line.sign),
            line,
            line.cents,
            (),
            config.max_exact_pool,
        )
        if len(pool) < 2:
            continue
        amounts = [it.cents for it in pool]
        for combo in exact_subsets(amounts, line.cents, config.max_exact_size):
            chosen = [pool[i] for i in combo]
            proposals.append(score_subset(line, chosen, cited, config, pool=amounts))
    return proposals


def _cited_sets(line, index, cited):
    """Per partner, the items the label cites of it (match >= CITED_REF),
    when one of them is cited strongly (>= STRONG_REF) or the partner is a
    certain payer (bare invoice numbers of its own)."""
    by_partner = defaultdict(list)
    for item_id, (score, _r) in cited.items():
        item = index.items[item_id]
        if score >= CITED_REF and item.partner_id is not None:
            by_partner[item.partner_id].append((item, score))
    return [
        [it for it, _s in entries]
        for pid, entries in by_partner.items()
        if max(score for _i, score in entries) >= STRONG_REF or pid in line.certain
    ]


def cited_set_proposals(line, index, cited, config):
    """The items a label cites of one partner, together: when at least two
    are cited (match >= CITED_REF, one >= STRONG_REF unless the partner is
    a certain payer: bare invoice numbers of its own) and their sum is the
    amount, or the amount less a fee within tolerance, the payer said which
    invoices it paid; certain (a bank fee deducted from a listed payment
    is found no other way among many fee-window subsets)."""
    proposals = []
    for chosen in _cited_sets(line, index, cited):
        if len(chosen) < 2:
            continue
        total = sum(it.cents for it in chosen)
        if amount_relation(line, total, config)[0] in ("exact", "fee"):
            proposals.append(score_subset(line, chosen, cited, config, True))
    return proposals


#: items completing a cut list of citations (the references the bank's
#: field width lost)
MAX_COMPLETION_SIZE = 3


def completion_proposals(line, index, cited, config):
    """A list of citations the amount exceeds: the cited items of one
    partner (match >= CITED_REF, one >= STRONG_REF unless the partner is a
    certain payer) and the fewest of its other open items nearest in date
    that make up the rest, exactly or less a fee (a list cut at the bank's
    field width, an invoice paid beside those cited).  The one exact
    completion, that the pool would not make by chance
    (``chance_sums``), is certain; any other is a suggestion (holding an
    uncited item beside cited ones, ``matching._apply_context`` scales it
    below what reconciles)."""
    proposals = []
    for chosen in _cited_sets(line, index, cited):
        pid = chosen[0].partner_id
        cited_total = sum(it.cents for it in chosen)
        rest = line.cents - cited_total
        if rest <= 0:
            continue
        tolerance = _search_tolerance(line, config)
        pool = nearest_items(
            index,
            (pid, line.currency, line.sign),
            line,
            rest + tolerance + 1,
            {it.id for it in chosen},
            config.max_exact_pool,
        )
        amounts = [it.cents for it in pool]
        # exact completions first (a fee window holds many more, and a
        # search capped in it could miss the exact one)
        found = [
            (diff, combo)
            for diff, _n, combo in _window(amounts, rest, 0, MAX_COMPLETION_SIZE, 1, 3)
        ]
        certain = len(found) == 1 and not _by_chance(
            amounts, rest, len(found[0][1]), min_size=1
        )
        if not found:
            found = [
                (diff, combo)
                for diff, _n, combo in _window(
                    amounts, rest, tolerance, MAX_COMPLETION_SIZE, 1, FULL_CAP
                )
                if amount_relation(
                    line, cited_total + sum(amounts[i] for i in combo), config
                )[0]
                == "fee"
            ]
        for diff, combo in found[: config.max_suggestions]:
            together = chosen + [pool[i] for i in combo]
            proposals.append(
                score_subset(line, together, cited, config, certain and diff == 0)
            )
    return proposals


MAX_CREDIT_NOTES = 30  # open credit notes of a partner looked at


def _credit_combos(index, item, line, shortfall, tolerance):
    """``[(credit notes, gap)]``: one or two open credit notes of
    ``item``'s partner (opposite sign, same currency) whose residuals sum
    to ``shortfall`` less ``gap`` cents, ``0 <= gap <= tolerance``."""
    key = (item.partner_id, line.currency, -line.sign)
    entries = index.partner_amounts.get(key, ())
    hi = bisect.bisect_right(entries, (shortfall, float("inf")))
    notes = [index.items[i] for _c, _o, i in entries[:hi][-MAX_CREDIT_NOTES:]]
    found = []
    for a, first in enumerate(notes):
        gap = shortfall - first.cents
        if 0 <= gap <= tolerance:
            found.append(((first,), gap))
        for second in notes[a + 1 :]:
            gap = shortfall - first.cents - second.cents
            if 0 <= gap <= tolerance:
                found.append(((first, second), gap))
    return found


def credit_explains_shortfall(index, item, line, config):
    """Open credit notes of ``item``'s partner account for what the line
    lacks of the item (exactly or within the fee tolerance): the line may
    pay the item net of them rather than a part of it."""
    shortfall = item.cents - line.cents
    if shortfall <= 0 or item.partner_id is None:
        return False
    return bool(
        _credit_combos(index, item, line, shortfall, fee_limit(item.cents, config))
    )


def credit_note_proposals(line, index, cited, cited_credits, config):
    """Proposals paying a cited item net of open credit notes of its
    partner.  ``cited``: items of the line's sign cited (id -> (score,
    reason)); ``cited_credits``: credit notes cited (opposite sign).

    Per cited item (match >= CITED_REF) larger than the line: the credit
    notes whose residuals fill the shortfall exactly (or less a fee within
    tolerance).  The one exact explanation of an item is certain when its
    citation is strong (>= STRONG_REF) or the credit note is cited too;
    every other is a suggestion.  A credit note less a fee is not proposed
    when a fee alone explains the shortfall, unless the credit note is
    cited."""
    proposals = []
    for item_id, (ref_score, _reason) in cited.items():
        item = index.items[item_id]
        shortfall = item.cents - line.cents
        if ref_score < CITED_REF or shortfall <= 0 or item.partner_id is None:
            continue
        tolerance = fee_limit(item.cents, config)
        combos = _credit_combos(index, item, line, shortfall, tolerance)
        exact = [notes for notes, gap in combos if gap == 0]
        for notes, gap in combos:
            credit_cited = all(n.id in cited_credits for n in notes)
            if gap and shortfall <= tolerance and not credit_cited:
                continue  # a fee deducted from the item alone is simpler
            certain = (
                gap == 0
                and len(exact) == 1
                and (ref_score >= STRONG_REF or credit_cited)
            ) or (gap and credit_cited and len(combos) == 1)
            prop = _score_net(line, item, notes, gap, cited, cited_credits, certain)
            if gap and not credit_cited and len(combos) > 1:
                # uncited credit notes filling the shortfall within a fee,
                # one way of several: a guess, below the partial payment
                prop.score = round(prop.score * 0.8, 4)
            proposals.append(prop)
    return proposals


def _score_net(line, item, notes, gap, cited, cited_credits, certain):
    ref_score, ref_reason = cited[item.id]
    weights, reasons = [W_REF * ref_score], [ref_reason]
    partner_w, partner_reasons = line.partner_evidence.get(item.partner_id, (0.0, ()))
    if partner_w:
        weights.append(partner_w)
        reasons.extend(partner_reasons)
    if all(n.id in cited_credits for n in notes):
        weights.append(W_REF * min(cited_credits[n.id][0] for n in notes))
    weights.append(W_SUBSET if gap == 0 or certain else W_SUBSET_FEE)
    reasons += ["amount:subset", "amount:credit_note"]
    if gap:
        reasons.append("amount:fee")
    date_w = date_weight(line, item)
    if date_w > 0.05:
        weights.append(date_w)
        reasons.append("date")
    reasons.append("currency")
    chosen = [item, *sorted(notes, key=lambda it: it.order)]
    return Proposal(
        item_ids=tuple(it.id for it in chosen),
        score=round(noisy_or(weights), 4),
        reasons=reasons,
        fee_amount=Decimal(line.sign) * Decimal(gap) / 100,
        partial=False,
        certain=certain,
    )


def nearest_items(index, key, line, ceiling, exclude, limit):
    """Up to ``limit`` items of a partner below ``ceiling`` cents (small
    enough to be part of the payment), nearest in (due) date to the line
    first."""
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
        if item.cents < ceiling and item.id not in exclude:
            found.append(item)
    return found


def score_subset(line, chosen, cited, config, certain=False, pool=()):
    """Proposal of the items ``chosen`` together.

    ``certain``: the only explanation of the amount by a certain payer's
    items; a subset whose items are all cited (match >= 0.9) is certain
    too when the amount is theirs less a fee.  ``pool``: the amounts of the
    items searched; an exact sum of items none of which is cited that they
    make by chance (``_by_chance``) weighs ``W_SUBSET_CHANCE``, below what
    reconciles."""
    total = sum(it.cents for it in chosen)
    relation, fee = amount_relation(line, total, config)
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
    all_cited = min(ref_scores) >= STRONG_REF
    certain = certain or (relation == "fee" and all_cited)
    if (
        relation == "exact"
        and not coverage
        and not certain
        and _by_chance(pool, line.cents, len(chosen))
    ):
        weights.append(W_SUBSET_CHANCE)
    elif relation == "exact" or certain:
        weights.append(W_SUBSET)
    elif coverage:
        weights.append(W_SUBSET_FEE)
    else:
        # several uncited items less a fee: among a payer's many open items
        # some sum comes near any amount; below one item less a fee
        weights.append(W_SUBSET_FEE_NO_REF)
    reasons.append("amount:subset")
    if relation == "fee":
        reasons.append("amount:fee")
    date_w = max(date_weight(line, it) for it in chosen)
    if date_w > 0.05:
        weights.append(date_w)
        reasons.append("date")
    score = noisy_or(weights)
    reasons.append("currency")
    ordered = sorted(chosen, key=lambda it: it.order)
    return Proposal(
        item_ids=tuple(it.id for it in ordered),
        score=round(score, 4),
        reasons=reasons,
        fee_amount=Decimal(line.sign) * Decimal(fee) / 100,
        partial=False,
        certain=certain and relation in ("exact", "fee"),
    )
