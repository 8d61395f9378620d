"""Matching engine: statement lines against open items, over plain data.

By purpose: this module (index, lines, single items, decisions),
``names`` (payer names as banks print them), ``accounts`` (payer bank
accounts as banks print them), ``subsets`` (grouped payments),
``scoring`` (settings, proposals, weights, amount relations), ``payouts``
(gateway payouts), ``normalize`` (references).

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

``partner_accounts`` maps bank account numbers (any spacing) to partner ids;
``partner_names`` maps partner ids to more names they are known by (their
bank accounts' holder names ...).

Candidates
----------
Items are indexed once per batch: by reference keys (exact normalised form,
digit groups without leading zeros, raw digits; see ``normalize``), by
partner and amount (sorted cents per partner and currency), by currency and
exact cents, and partners by the keys of their names' forms (``names``).
A line only looks up its own label tokens, payer account, payer name and
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
                  (as banks print it, ``accounts``; only the
                  last digits of a masked one: 0.5)
payer_name        payer name vs partner names (sim >= 0.6)    0.80 x sim
amount:exact      amount equals the residual                  0.80
amount:fee        residual - amount within fee tolerance      0.65
                  (no reference: 0.5; the only one of a       (0.80)
                  certain payer's items: 0.8)
amount:subset     several items of one partner sum exactly    0.80
amount:subset+fee subset sum within fee tolerance             0.60
                  (certain: 0.8; no item cited: 0.45)
(amount only)     exact/fee amount with no ref nor partner    0.50
date              proximity to due date (60-day linear decay)  0.15 x prox
================  ==========================================  ============

``match`` is the ``ref_match`` score (1.0 exact, 0.95 zeros dropped, down
to 0.7 for a bare last digit group). Modifiers: a partial payment (amount
below the residual less the fee tolerance, ``amount:partial``) is only
proposed with a reference match >= 0.9 (>= 0.8 when the partner is
identified too) and is scaled by 0.85; an over-payment (``amount:over``)
likewise, scaled by 0.7; when the label cites some candidate with a match
>= 0.9, candidates it does not cite are scaled by 0.8 (the payer said which
document); a number read with its prefix or digit structure (>= 0.9) cites
no other candidate whose reference carries the same number without that
prefix (``_one_document_a_number``); a subset not fully cited is scaled by
0.85 when a single item already explains the amount exactly. The partner on
the line or of the payer account and a payer name of the same partner
combine (noisy-OR of 0.8 and 0.8 x sim). Two partners whose names fit the
payer's about as well (within 0.05, both >= 0.8) are namesakes: their name
similarity counts 0.75 at most, so that the name alone never decides
between them. Lines whose text says they are not customer money (bank fee,
salary, tax, interest, 手续费, 工资, 税 ...) keep only strongly cited proposals
and are never auto.

Certain payer
-------------
A partner identified by the payer's bank account or the line's partner, or
by a payer name (similarity >= 0.94) no namesake shares, is *certain*.
When none of its open items has the line's amount, every explanation of
the amount by its open items (single items less a fee, subsets exactly or
less a fee) is enumerated (``subsets.payer_solutions``): the only one is
*certain* and may be reconciled automatically, a fee or several invoices
without any reference.

Decision
--------
``auto`` when the best proposal is ahead of the second by ``margin`` and

* its score >= ``auto_threshold`` and its amount evidence is exact, an
  exact subset, a fee deducted from a cited item (or cited items), or the
  one certain explanation of a certain payer's amount; or
* it is a partial payment (``config.auto_partial``) of the only item the
  label cites (match >= 0.9, or >= 0.8 with the partner identified), of
  at most 80 % of it: the item is reconciled partially and stays open
  with the rest.

Otherwise ``suggest`` with up to ``max_suggestions`` proposals, or
``none``.  An item is used by at most one auto decision per batch: autos
are granted greedily by score; a line losing an item is re-evaluated on
its remaining proposals and downgraded to ``suggest`` when it no longer
qualifies.

Fee tolerance: ``0 < residual - amount <= max(fee_tolerance_abs,
fee_tolerance_pct * residual)``.
"""

import bisect
import contextlib
import gc
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from . import accounts, subsets
from .index import MatchIndex
from .names import NAME_MIN_SIM, payer_names
from .normalize import ref_match, ref_tokens, token_keys
from .payouts import PayoutMatch, match_payout  # noqa: F401 (engine API)
from .scoring import (  # noqa: F401 (MatchConfig ... are the engine's API)
    AUTO_AMOUNT_REASONS,
    CERTAIN_PARTNER,
    CITED_REF,
    NAMESAKE_GAP,
    NAMESAKE_MIN,
    NAMESAKE_SIM,
    PARTIAL_MAX_SHARE,
    PARTIAL_REF_WITH_PARTNER,
    STRONG_REF,
    W_ACCOUNT_TAIL,
    W_AMOUNT_ONLY,
    W_EXACT,
    W_FEE,
    W_FEE_NO_REF,
    W_FEE_UNIQUE,
    W_NAME,
    W_PARTNER,
    W_REF,
    Decision,
    MatchConfig,
    Proposal,
    amount_relation,
    as_date,
    date_weight,
    fee_limit,
    get,
    noisy_or,
    normalize_account,
    to_cents,
)

NOISE_RE = re.compile(
    r"\b(bank\s*(fee|fees|charge|charges)|service\s*charges?|account\s*(fee|maintenance)|"
    r"commission|salary|salaries|payroll|wages?|taxes|tax|vat|interest|"
    r"overdraft|loan|insurance|rent)\b|手续费|工资|薪|税|利息|社保|公积金|年费|电费|房租"
    # a loan paid out; 贷款 alone is as often a typo for 货款 (goods)
    r"|贷款发放|发放贷款",
    re.IGNORECASE,
)


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
    certain: set = field(default_factory=set)  # partners identified for sure


# ---------------------------------------------------------------------------
# Line evaluation
# ---------------------------------------------------------------------------


def _name_similarities(raw, index, line, config):
    """``{partner: similarity}`` of the partners the payer name (or the
    principal it or the label names) fits, namesakes capped."""
    sims = {}
    limit = config.max_name_candidates
    names = payer_names(get(raw, "payer_name"), get(raw, "label"))
    for name in names:
        best, hits = index.names.lookup(name, limit)
        for pid, sim in best.items():
            sims[pid] = max(sim, sims.get(pid, 0.0))
        # Partners with an item of exactly this amount whose name fits too,
        # even when more partners bear a similar name than the candidates.
        for pid in index.amount_partners((line.currency, line.sign, line.cents)):
            if pid in hits and pid not in best:
                sim = index.names.similarity(name, pid)
                if sim >= NAME_MIN_SIM:
                    sims[pid] = max(sim, sims.get(pid, 0.0))
    _cap_namesakes(sims, names, index, line, config)
    return sims


def _cap_namesakes(sims, names, index, line, config):
    """Namesakes: partners whose names fit about as well.  The name decides
    for none of them (their similarity is capped) unless the open items of
    one only explain the amount (exactly, else less a fee; a partner with
    no explanation is no rival) or the bank printed the full name (legal
    form included) of one only of those explaining it, or of one only of
    all when none does."""
    top = max(sims.values(), default=0.0)
    floor = max(NAMESAKE_MIN, top - NAMESAKE_GAP)
    rivals = [pid for pid, sim in sims.items() if sim >= floor]
    if len(rivals) > 1:
        keep = _explaining(rivals, index, line, config)
        # of those explaining the amount, else of all (a partial payment
        # explains nothing), the one whose full name the bank printed
        printed = [
            pid
            for pid in (keep or rivals)
            if any(index.names.same_name(name, pid) for name in names)
        ]
        if len(printed) == 1:
            keep = printed
        for pid in rivals:
            if len(keep) != 1 or pid != keep[0]:
                sims[pid] = min(sims[pid], NAMESAKE_SIM)


def _explaining(rivals, index, line, config):
    """The first two of ``rivals`` whose open items explain the amount
    exactly, else the first two explaining it less a fee."""
    for explains in (subsets.explains_exactly, subsets.explains_with_fee):
        keep = []
        for pid in rivals:
            if explains(index, pid, line, config):
                keep.append(pid)
                if len(keep) > 1:
                    return keep
        if keep:
            return keep
    return []


def _prepare_line(raw, index, config):
    amount = Decimal(str(get(raw, "amount") or 0))
    cents = to_cents(amount)
    text = " ".join(str(t) for t in (get(raw, "label"), get(raw, "note")) if t)
    currency = (get(raw, "currency") or "").upper()
    sign = 1 if cents > 0 else -1
    line = _Line(
        id=get(raw, "id"),
        cents=abs(cents),
        sign=sign if cents else 0,
        currency=currency,
        date=as_date(get(raw, "date")),
        text=text,
        tokens=ref_tokens(text),
        noise=bool(NOISE_RE.search(text)),
        partner_evidence={},
    )
    # The partner set on the line or known for the payer's account
    # identifies a partner (the strongest of both counts, the partner is
    # often derived from the account); a payer name similar to the
    # partner's is independent evidence and combines with it (noisy-OR).
    sims = _name_similarities(raw, index, line, config)
    evidence = line.partner_evidence
    for pid, sim in sims.items():
        evidence[pid] = (W_NAME * sim, ("payer_name",))
    line.certain = {pid for pid, (w, _r) in evidence.items() if w >= CERTAIN_PARTNER}
    # partner -> (weight, reason): the last digits of a masked account are
    # a hint, certain only with a payer name of the same partner
    identified = {}
    account = index.accounts.lookup(get(raw, "payer_account"))
    if account:
        pid, strength = account
        weight = W_PARTNER if strength == accounts.FULL else W_ACCOUNT_TAIL
        identified[pid] = (weight, "payer_account")
    if get(raw, "partner_id") is not None:
        identified[get(raw, "partner_id")] = (W_PARTNER, "partner")
    for pid, (weight, reason) in identified.items():
        name_w = W_NAME * sims.get(pid, 0.0)
        reasons = (reason, "payer_name") if name_w else (reason,)
        evidence[pid] = (noisy_or((weight, name_w)), reasons)
        if evidence[pid][0] >= CERTAIN_PARTNER:
            line.certain.add(pid)
    return line


def _ref_scores(line, index):
    """item id -> (score, reason, reference) for items cited in the line
    text."""
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
                    cited[item_id] = (score, reason, ref)
    return cited


def _one_document_a_number(cited):
    """``cited`` (item id -> (score, reason, reference)) as item id ->
    (score, reason), without the citations a better one explains.

    One number in the text names one document: when a reference is read
    in the text with its letters or its whole digit structure (a match
    >= ``STRONG_REF``: ``INV/2026/25134`` in ``'INV-2026-25134'``), the
    other candidates cited only by that number without their prefix
    (another customer's order ``S25134``, a match below ``STRONG_REF``)
    are not a second document named.  A bare number (``'25134'``) reads
    as well as an order as an invoice: both stay."""
    strong = {
        _main_number(ref)
        for score, _reason, ref in cited.values()
        if score >= STRONG_REF
    }
    return {
        item_id: (score, reason)
        for item_id, (score, reason, ref) in cited.items()
        if score >= STRONG_REF or _main_number(ref) not in strong
    }


_DIGITS_RE = re.compile(r"[0-9]+")


def _main_number(ref):
    """The longest digit group of ``ref`` without leading zeros: the number
    a text cites it by (``'25134'`` for ``INV/2026/025134`` and
    ``S25134``)."""
    groups = _DIGITS_RE.findall(ref)
    return max(groups, key=len).lstrip("0") if groups else ref


_NUMBER_RE = re.compile(r"(?<![0-9])[0-9]{1,6}(?![0-9])")
# an invoice of a known customer named by its sequence number in a list
# ("INV/2026/00042/43/47", "inv 42, 43, 47", "Rechnungen 373 1443"): cited,
# below a partial payment's certainty (PARTIAL_REF_WITH_PARTNER)
LIST_REF = 0.75


def _list_citations(line, index, cited):
    """Add to ``cited`` the open items of a known customer (one with an
    item cited, or a certain payer) whose invoice number's last digit group
    (leading zeros dropped) stands alone in the text as a number, as banks
    print lists of invoices.  A number equal to another digit group of the
    item's reference (its year) cites nothing."""
    partners = {
        index.items[i].partner_id
        for i, (score, _r) in cited.items()
        if score >= CITED_REF
    }
    partners.update(line.certain)
    partners.discard(None)
    if not partners:
        return
    numbers = {
        int(n) for n in _NUMBER_RE.findall(unicodedata.normalize("NFKC", line.text))
    }
    if not numbers:
        return
    for pid in partners:
        for item in index.partner_by_date.get((pid, line.currency, line.sign), ()):
            if item.id in cited and cited[item.id][0] >= LIST_REF:
                continue
            for reason, ref in item.refs:
                if reason != "ref:invoice":
                    continue
                groups = [int(g) for g in re.findall(r"[0-9]+", ref)]
                if groups and groups[-1] in numbers and groups[-1] not in groups[:-1]:
                    cited[item.id] = (LIST_REF, reason)
                    break


def _single_proposal(line, item, cited, config, certain=False):
    """Proposal of ``item`` alone; ``certain``: it is the only explanation
    of the amount by a certain payer's items."""
    ref_score, ref_reason = cited.get(item.id, (0.0, ""))
    partner_w, partner_reasons = line.partner_evidence.get(item.partner_id, (0.0, ()))
    relation, fee = amount_relation(line, item.cents, config)
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
        if certain:
            weights.append(W_FEE_UNIQUE)
        elif identified:
            weights.append(W_FEE if ref_score else W_FEE_NO_REF)
        else:
            weights.append(W_AMOUNT_ONLY * 0.8)
        reasons.append("amount:fee")
    elif ref_score < STRONG_REF and not (ref_score >= CITED_REF and partner_w):
        # a partial or an over-payment needs the item cited; cited loosely
        # (a bare number), also a payer whose name fits: a suggestion only
        # (_mark_certain_partial asks more of a partial made automatically)
        return None
    else:
        reasons.append("amount:partial" if relation == "partial" else "amount:over")
    date_w = date_weight(line, item)
    if date_w > 0.05:
        weights.append(date_w)
        reasons.append("date")
    score = noisy_or(weights)
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
        certain=certain and relation in ("exact", "fee"),
    )


def _candidates(line, index, cited, config):
    ids = {item_id for item_id in cited}
    tolerance = fee_limit(line.cents + line.cents // 10, config)
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
    an exact subset, a fee deducted from cited items, or the one
    explanation of a certain payer's amount (an amount merely a little
    below an uncited item is a guess).  Never a partial payment (see
    ``_partial_auto_ok``)."""
    if prop.partial or not any(r in AUTO_AMOUNT_REASONS for r in prop.reasons):
        return False
    if "amount:fee" in prop.reasons:
        return prop.certain or (
            len(prop.item_ids) == 1 and any(r.startswith("ref:") for r in prop.reasons)
        )
    return True


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
    if noise:
        return Decision(line_id, "suggest", top)
    if best.partial:
        # the label named this item; rivals are what explains the amount
        # otherwise: a cited item, or an exact or certain explanation (an
        # uncited one less a fee is a guess beside the item named)
        rivals = [
            p.score
            for p in unique[1:]
            if any(r.startswith("ref:") for r in p.reasons)
            or _explains_exactly(p)
            or (p.certain and "amount:fee" not in p.reasons)
        ]
        auto = (
            config.auto_partial
            and best.certain
            and best.score - max(rivals, default=0.0) >= config.margin
        )
    else:
        second = unique[1].score if len(unique) > 1 else 0.0
        auto = (
            best.score - second >= config.margin
            and best.score >= config.auto_threshold
            and _amount_auto_ok(best)
        )
    return Decision(line_id, "auto" if auto else "suggest", top)


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


def _apply_context(proposals, cited, exact_identified, line, items):
    """Scale down proposals that explain the line worse than a rival.

    * the label cites a candidate (match >= CITED_REF): proposals with an
      item cited clearly less well (by more than 0.1) are scaled by 0.8
      when they miss the best cited items, or hold an uncited item while
      the label cites several;
    * ``exact_identified``, a single item identified by reference or by a
      partner as well identified as any matches the amount exactly: uncited
      fee matches and uncited subsets are scaled by 0.85;
    * a subset of a partner's items sums exactly to the amount, or a
      certain payer's items explain it one way only: uncited fee matches
      (single items or subsets) of partners identified no better are
      scaled by 0.85 (among many open items some item or subset falls
      within a fee of about any amount; an exact sum is rare).
    """

    def min_ref(prop):
        # the credit notes deducted (opposite sign) need no citation
        return min(
            cited.get(i, (0.0, ""))[0]
            for i in prop.item_ids
            if items[i].sign == line.sign
        )

    def partner_weight(prop):
        pid = items[prop.item_ids[0]].partner_id
        return line.partner_evidence.get(pid, (0.0, ()))[0]

    strong = [
        partner_weight(p)
        for p in proposals
        if p.certain or (len(p.item_ids) > 1 and _explains_exactly(p))
    ]
    strong_w = max(strong, default=None)
    best_cite = max((score for score, _r in cited.values()), default=0.0)
    best_ids = {i for i, (score, _r) in cited.items() if score >= best_cite - 0.1}
    for prop in proposals:
        weakest = min_ref(prop)
        # the one exact explanation of a certain payer's amount holding
        # every item cited best: a list cut at the field width
        cut_list = prop.certain and best_ids.issubset(prop.item_ids)
        if best_cite >= CITED_REF and weakest < best_cite - 0.1 and not cut_list:
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
        elif (
            strong_w is not None
            and "amount:fee" in prop.reasons
            and not prop.certain
            and weakest < CITED_REF
            and partner_weight(prop) <= strong_w + 1e-9
        ):
            prop.score = round(prop.score * 0.85, 4)


def _prefer_credit_notes(proposals, net):
    """An item cited and paid less exactly an open credit note of its
    partner: the credit note explains the shortfall, a fee deducted from
    the item alone (a small credit note lies within the fee tolerance) is
    a guess; it is scaled by 0.8 and no longer certain."""
    netted = {p.item_ids[0] for p in net if p.certain and "amount:fee" not in p.reasons}
    for prop in proposals:
        if (
            len(prop.item_ids) == 1
            and prop.item_ids[0] in netted
            and "amount:fee" in prop.reasons
        ):
            prop.score = round(prop.score * 0.8, 4)
            prop.certain = False


def _mark_certain_partial(proposals, cited, line, items, index, config):
    """A partial payment is certain when its item is the only one the label
    cites clearly (match >= 0.9, or >= 0.8 with the partner identified
    too; a bare year matching an invoice's last digits, 0.7, is no
    citation), the line pays at most ``PARTIAL_MAX_SHARE`` of it, and no
    open credit note of the partner accounts for what it lacks (the item
    paid net of a credit note, ``subsets.credit_note_proposals``): such a
    partial is scaled by 0.8 and stays a suggestion."""
    named = [i for i, (score, _r) in cited.items() if score >= PARTIAL_REF_WITH_PARTNER]
    if len(named) != 1:
        return
    item = items[named[0]]
    if subsets.credit_explains_shortfall(index, item, line, config):
        for prop in proposals:
            if prop.partial and prop.item_ids == (named[0],):
                prop.score = round(prop.score * 0.8, 4)
        return
    if line.cents > PARTIAL_MAX_SHARE * item.cents:
        return
    for prop in proposals:
        if prop.partial and prop.item_ids == (named[0],):
            score = cited[named[0]][0]
            partner_ok = any(
                r in ("partner", "payer_account", "payer_name") for r in prop.reasons
            )
            prop.certain = score >= STRONG_REF or (
                score >= PARTIAL_REF_WITH_PARTNER and partner_ok
            )


def _single_fee_items(line, index, solved, config):
    """Items a certain payer (with no item of the amount) pays less a fee,
    being the only one of its items doing so while none of its items nor
    subsets explains the amount exactly (``subsets.single_fee_item``); the
    payers whose items were all enumerated (``solved``) decide there."""
    found = set()
    for pid in subsets.certain_partners(line):
        if pid in solved or index.has_amount(pid, line.currency, line.sign, line.cents):
            continue
        item = subsets.single_fee_item(line, index, pid, config)
        if item is not None:
            found.add(item.id)
    return found


def _solve_certain_payers(line, index, config):
    """``{partner: payer_solutions}`` for the certain payers of the line
    with no open item of exactly its amount."""
    solved = {}
    for pid in subsets.certain_partners(line):
        if index.has_amount(pid, line.currency, line.sign, line.cents):
            continue
        solutions = subsets.payer_solutions(line, index, pid, config)
        if solutions is not None:
            solved[pid] = solutions
    return solved


def evaluate_line(line, index, config):
    """Decision for one prepared line (no cross-line conflict handling)."""
    if line.sign == 0 or not line.currency:
        return Decision(line.id, "none", []), []
    cited, cited_credits = {}, {}
    for item_id, (score, reason, ref) in _ref_scores(line, index).items():
        item = index.items[item_id]
        if item.currency == line.currency:
            if item.sign == line.sign:
                cited[item_id] = (score, reason, ref)
            else:
                cited_credits[item_id] = (score, reason, ref)
    # each kind of document on its own
    cited = _one_document_a_number(cited)
    cited_credits = _one_document_a_number(cited_credits)
    _list_citations(line, index, cited)
    solved = _solve_certain_payers(line, index, config) if not line.noise else {}
    certain_singles = {
        chosen[0].id
        for certain, _others in solved.values()
        for chosen in certain
        if len(chosen) == 1
    }
    if not cited and not line.noise and not subsets._cites_unknown(line):
        certain_singles.update(_single_fee_items(line, index, solved, config))
    proposals = []
    for item in _candidates(line, index, cited, config):
        prop = _single_proposal(
            line, item, cited, config, certain=item.id in certain_singles
        )
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
        proposals += subsets.subset_proposals(line, index, cited, config, solved)
        proposals += subsets.cited_set_proposals(line, index, cited, config)
        proposals += subsets.completion_proposals(line, index, cited, config)
        if not any(_explains_exactly(p) for p in proposals) and not any(
            score >= CITED_REF for score, _r in cited.values()
        ):
            proposals += subsets.wide_subset_proposals(
                line, index, cited, config, solved
            )
    if not line.noise:
        net = subsets.credit_note_proposals(line, index, cited, cited_credits, config)
        _prefer_credit_notes(proposals, net)
        proposals += net
    _apply_context(proposals, cited, _exact_identified(strong), line, index.items)
    _mark_certain_partial(proposals, cited, line, index.items, index, config)
    if line.noise:
        proposals = [
            p
            for p in proposals
            if max(cited.get(i, (0.0, ""))[0] for i in p.item_ids) >= 0.95
        ]
    if not proposals and not line.noise:
        proposals = _payer_nearest_proposals(line, index, config)
    all_sorted = sorted(proposals, key=lambda p: -p.score)
    return _decide(line.id, proposals, config, noise=line.noise), all_sorted


#: a payer's open items proposed when nothing explains the amount
NEAREST_LIMIT = 3
#: their score: a suggestion, never automatic (below any threshold)
NEAREST_FACTOR = 0.5


def _payer_nearest_proposals(line, index, config):
    """Suggestions for a line of a known payer that nothing else explains:
    the payer's open items nearest in amount (an overpayment, a deduction
    beyond the fee tolerance, a partial payment without reference), as a
    person would look them up.  Only for payers identified as well as any
    (``CERTAIN_PARTNER``); never automatic (``amount:nearest`` is no
    amount evidence for ``_amount_auto_ok`` and the score stays low)."""
    payers = [
        (weight, pid, reasons)
        for pid, (weight, reasons) in line.partner_evidence.items()
        if pid is not None and weight >= CERTAIN_PARTNER
    ]
    if not payers:
        return []
    top = max(weight for weight, _pid, _r in payers)
    proposals = []
    for weight, pid, reasons in payers:
        if weight < top - 1e-9:
            continue
        entries = index.partner_amounts.get((pid, line.currency, line.sign), ())
        pos = bisect.bisect_left(entries, (line.cents,))
        window = entries[max(0, pos - NEAREST_LIMIT) : pos + NEAREST_LIMIT]
        window = sorted(window, key=lambda e: (abs(e[0] - line.cents), e[1]))
        for cents, _order, item_id in window[:NEAREST_LIMIT]:
            closeness = 1.0 - min(1.0, abs(cents - line.cents) / max(cents, 1))
            proposals.append(
                Proposal(
                    item_ids=(item_id,),
                    score=round(weight * NEAREST_FACTOR * (0.5 + closeness / 2), 4),
                    reasons=[*reasons, "amount:nearest", "currency"],
                    partial=False,
                    certain=False,
                )
            )
    return proposals


def match_lines(lines, items, partner_accounts=None, config=None, partner_names=None):
    """Match a batch of statement lines; returns a list of :class:`Decision`
    in the order of ``lines``."""
    config = config or MatchConfig()
    with _gc_paused():
        index = MatchIndex(items, partner_accounts, partner_names)
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
