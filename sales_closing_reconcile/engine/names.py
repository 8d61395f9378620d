"""Payer names as banks print them, against the names of the partners.

Pure functions and one index, stdlib only.

A name is reduced to a :class:`NameForm`:

* ``core``: folded (NFKC, case, punctuation, traditional ideographs as
  simplified: ``華達`` -> ``华达``) without legal forms (Ltd,
  Co., GmbH, 有限公司, 股份有限公司, 集团 ..., also when the bank cut them:
  ``CO LT``, ``有限公``), without places (a leading city or province,
  ``(上海)``, ``(Shanghai)``), parenthesised parts, ``and``/``the``/``of``;
  English trade words in one spelling (``Technology``/``Tech``/
  ``Technologies`` -> ``tech``, ``Trade``/``TRDG`` -> ``trading``,
  ``I/E`` -> ``import export`` ...);
* ``places``: the places removed, in pinyin (``上海`` and ``Shanghai`` are
  one place): two names of different places are different companies;
* ``full``: the whole folded name, compact, to recognise a name the bank
  cut at its field width (20, 35, 40 characters ...).

A Chinese partner name also gets *aliases*, the forms banks print abroad:
its pinyin (``上海华达科技有限公司`` -> ``huada keji``, place ``shanghai``)
and its English form (brand in pinyin, trade words in English:
``huada tech``).  A partner may have several names (its name, its company's,
its bank accounts' holder names): each is indexed.

A printed payer name is read as the principal when it names an agent:
``甲公司代付乙公司``, ``甲代乙付款``, ``AGENT LTD OBO PRINCIPAL LTD``,
``... ON BEHALF OF ...``: the principal, named after the marker, is the
payer (the agent is not the customer).  A label may name the principal too
(``PAYMENT ON BEHALF OF HUADA TECH INV ...``).

``form_similarity`` compares a payer form with a partner form (same
script only): the similarity of the cores (``normalize``), 0.95 for a
payer that is the beginning of the partner's full name (cut by the bank),
scaled by 0.5 when both name places and they differ (below the
similarity a name needs to count).
"""

import functools
import heapq
import os
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from operator import itemgetter

from .name_tables import (
    CANONICAL,
    CJK_LEGAL,
    CJK_PLACES,
    CONNECTORS,
    LATIN_LEGAL,
    LATIN_PLACE_PAIRS,
    LEGAL_HEADS,
    PHRASES,
    PLACE_OF,
    PLACE_TAILS,
    PLACES,
    STOPWORDS,
    TITLES,
    TRADES,
    TRADES_BY_LENGTH,
)
from .normalize import has_cjk, initials, normalized_name_similarity

NAME_MIN_SIM = 0.6
NAME_POSTING_CAP = 400
TRUNCATED_SIM = 0.95
OTHER_PLACE = 0.5
# a name shorter than this (compact) is not taken as cut by the bank
TRUNCATED_MIN = {True: 6, False: 12}

# (not "in favour of" nor "for account of": SWIFT uses them for the
# beneficiary, that is us)
_AGENT_RE = re.compile(
    r"\b(?:for\s+and\s+on\s+behalf\s+of|on\s+behalf\s+of|behalf\s+of|"
    r"o\s*/\s*b\s*/\s*o|o\.\s*b\.\s*o\.?|obo|"
    # a platform's memo: "PAYMENT FOR <its client>"
    r"payment\s+for|paid\s+for)\b\s*[:：]?\s*"
    r"|代付款?\s*[:：]?\s*|代缴\s*[:：]?\s*|代汇\s*[:：]?\s*|委托付款\s*[:：]?\s*",
    re.IGNORECASE,
)
# 'A代B付款' in the payer name, '代B付款' in the memo (the agent is the payer)
_CJK_AGENT_RE = re.compile(r"^(?P<agent>.*?)代(?P<principal>.+?)(?:支付|付款|汇款|付)$")
_NAME_END_RE = re.compile(
    r"\s(?=\S*\d)|[,;/|]|\s(?=(?:inv|invoice|ref|reference|order|payment|pmt|"
    r"re|for)\b)|货款|发票|付款",
    re.IGNORECASE,
)
# what follows "payment for" when it is no name
_DOCUMENT_RE = re.compile(
    r"(?:r?inv|invoices?|order|ref|goods|services?|the|our|your)\b", re.IGNORECASE
)
_PAREN_RE = re.compile(r"[(\[（【〔]([^)\]）】〕]*)[)\]）】〕]?")


# ---------------------------------------------------------------------------
# Pinyin
# ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _pinyin_table():
    """``{ideograph: toneless pinyin}`` of ``data/pinyin.txt``."""
    table = {}
    path = os.path.join(os.path.dirname(__file__), "data", "pinyin.txt")
    with open(path, encoding="utf-8") as handle:
        for row in handle:
            if row.startswith("#") or not row.strip():
                continue
            reading, chars = row.split()
            for char in chars:
                table[char] = reading
    return table


@functools.lru_cache(maxsize=1)
def _simplified_table():
    """``str.translate`` table of ``data/traditional.txt``: traditional
    ideographs to simplified (``華`` -> ``华``)."""
    path = os.path.join(os.path.dirname(__file__), "data", "traditional.txt")
    with open(path, encoding="utf-8") as handle:
        pairs = [
            pair for row in handle if not row.startswith("#") for pair in row.split()
        ]
    return {ord(pair[0]): pair[1] for pair in pairs}


def pinyin(text):
    """Toneless pinyin of the ideographs of ``text``, one syllable each
    (``'华达'`` -> ``['hua', 'da']``); other characters are dropped, as
    ideographs outside GB 2312."""
    table = _pinyin_table()
    return [table[c] for c in text if c in table]


# ---------------------------------------------------------------------------
# Forms
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NameForm:
    core: str
    places: frozenset
    full: str
    cjk: bool


# German letters as SEPA's character set writes them (ü -> ue ...); other
# accented letters lose their accent (é -> e).  A partner name with umlauts
# is also known without them (Nordström: NORDSTROEM and NORDSTROM).
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_UMLAUTS_BARE = str.maketrans(
    {"ä": "a", "ö": "o", "ü": "u", "Ä": "A", "Ö": "O", "Ü": "U"}
)


def _fold(text):
    text = unicodedata.normalize("NFKC", text or "").casefold()
    if not text.isascii():
        # Hong Kong and Taiwan write names in traditional characters
        text = text.translate(_UMLAUTS).translate(_simplified_table())
        decomposed = unicodedata.normalize("NFKD", text)
        text = unicodedata.normalize(
            "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
        )
    return text.replace(".", "").replace("'", "").replace("’", "")


def _cut_parentheses(text, places):
    """``text`` without its parenthesised parts; places among them go to
    ``places``."""

    def drop(match):
        inner = match.group(1).strip()
        place = _place_of(inner.replace(" ", ""))
        if place:
            places.add(place)
        return " "

    return _PAREN_RE.sub(drop, text)


def _place_of(word):
    if word in PLACE_OF:
        return PLACE_OF[word]
    for tail in PLACE_TAILS:
        if word.endswith(tail) and word[: -len(tail)] in PLACE_OF:
            return PLACE_OF[word[: -len(tail)]]
    return None


def _strip_cjk_legal(compact):
    changed = True
    while changed and compact:
        changed = False
        for suffix in CJK_LEGAL:
            if compact.endswith(suffix) and len(compact) > len(suffix) + 1:
                compact = compact[: -len(suffix)]
                # "XX有限公司北京分公司": the branch's place goes too
                for place in CJK_PLACES:
                    if suffix == "分公司" and compact.endswith(place):
                        compact = compact[: -len(place)]
                        break
                changed = True
                break
    return compact


def _strip_cjk_places(compact, places):
    """Leading places (``广东省深圳市``) of a Chinese name, kept when only
    trade words would be left."""
    found = []
    rest = compact
    while True:
        for place in CJK_PLACES:
            if rest.startswith(place):
                tail = next(
                    (t for t in PLACE_TAILS if rest[len(place) :].startswith(t)), ""
                )
                candidate = rest[len(place) + len(tail) :]
                if len(candidate) >= 2 and _trade_split(candidate)[0]:
                    found.append(PLACES[place][0])
                    rest = candidate
                    break
        else:
            break
    places.update(found)
    return rest


def _trade_split(core):
    """``(brand, [trade words])`` of a Chinese core: trade words taken from
    its end (``华达电子科技`` -> ``('华达', ['电子', '科技'])``)."""
    trades = []
    while True:
        for word in TRADES_BY_LENGTH:
            if core.endswith(word) and len(core) > len(word):
                trades.insert(0, word)
                core = core[: -len(word)]
                break
        else:
            return core, trades


# "I/E", "I&E": import and export (进出口) cut to its initials
_IMPORT_EXPORT_RE = re.compile(r"\bi\s*[/&]\s*e\b")


def _latin_tokens(text, places):
    text = _IMPORT_EXPORT_RE.sub(" import export ", text)
    tokens = [t for t in re.split(r"[^0-9a-z]+", text) if t and t not in STOPWORDS]
    tokens = [
        t
        for i, t in enumerate(tokens)
        if t not in CONNECTORS or i == 0 or i == len(tokens) - 1
    ]
    # a bank's cut of the legal form: "co lt", "company limi", "co l"
    if len(tokens) > 2 and any(
        head.startswith(tokens[-1])
        and (len(tokens[-1]) >= 3 or tokens[-2] in LATIN_LEGAL)
        for head in LEGAL_HEADS
    ):
        tokens.pop()
    _drop_legal_tail(tokens)
    # a branch: "... CO LTD SUZHOU BRANCH" (分公司), the branch's city is
    # not the company's
    if len(tokens) > 2 and tokens[-1] == "branch":
        tokens.pop()
        if len(tokens) > 2 and tokens[-1] in PLACE_OF:
            tokens.pop()
        _drop_legal_tail(tokens)
    merged = []
    for token in tokens:
        if merged and (merged[-1], token) in LATIN_PLACE_PAIRS:
            merged[-1] = LATIN_PLACE_PAIRS[(merged[-1], token)]
        else:
            merged.append(token)
    tokens = merged
    while len(tokens) > 1 and tokens[0] in PLACE_OF:
        places.add(PLACE_OF[tokens.pop(0)])
    while len(tokens) > 1 and tokens[-1] in PLACE_OF:
        places.add(PLACE_OF[tokens.pop()])
    _drop_legal_tail(tokens)
    # "GROUP JOINT STOCK CO LTD": a legal word left before a phrase dropped
    out = _drop_legal_tail(_collapse(tokens))
    while len(out) > 1 and out[0] in TITLES:
        out.pop(0)  # "MRS ANNA SCHMIDT", "Dr. Oetker GmbH" and "DR OETKER"
    return out


def _drop_legal_tail(tokens):
    """``tokens`` without the legal-form words at their end (in place; the
    first word always stays)."""
    while len(tokens) > 1 and tokens[-1] in LATIN_LEGAL:
        tokens.pop()
    return tokens


def _collapse(tokens):
    """Trade words in one spelling: canonical words, two-word phrases as
    one (``PHRASES``), a word repeated once."""
    out = []
    for token in tokens:
        token = CANONICAL.get(token, token)
        if out and (out[-1], token) in PHRASES:
            token = PHRASES[(out.pop(), token)]
            if not token:
                continue
        if out and out[-1] == token:
            continue  # "Commerce and Trade": trading once
        out.append(token)
    return out


@functools.lru_cache(maxsize=65536)
def name_form(raw):
    """The :class:`NameForm` of a name (partner's or payer's)."""
    text = _fold(raw)
    places = set()
    full = "".join(c for c in text if c.isalnum())
    text = _cut_parentheses(text, places)
    if has_cjk(text):
        compact = "".join(c for c in text if c.isalnum())
        compact = _strip_cjk_legal(compact)
        compact = _strip_cjk_places(compact, places)
        compact = _strip_cjk_legal(compact)
        return NameForm(compact, frozenset(places), full, True)
    tokens = _latin_tokens(text, places)
    return NameForm(" ".join(tokens), frozenset(places), full, False)


@functools.lru_cache(maxsize=65536)
def partner_forms(raw):
    """Forms a partner name is known by: its own and, for a Chinese name,
    its pinyin and English aliases."""
    form = name_form(raw)
    if not form.core:
        return ()
    forms = [form]
    bare = raw.translate(_UMLAUTS_BARE)
    if bare != raw:
        forms.append(name_form(bare))
    if not form.cjk and not raw.isascii():
        # a bank whose character set lacks a letter prints a blank or a
        # "?" for it: Zürich Société -> "Z RICH SOCI T"
        lost = "".join(c if c.isascii() or not c.isalpha() else " " for c in raw)
        forms.append(name_form(lost))
    if form.cjk:
        brand, trades = _trade_split(form.core)
        brand_py = "".join(pinyin(brand))
        if brand_py:
            places = form.places
            head = "".join(sorted(places))
            trades_py = ["".join(pinyin(t)) for t in trades]
            core = " ".join([brand_py] + trades_py)
            full_py = "".join(pinyin(form.full))
            forms.append(NameForm(core, places, full_py, False))
            english = _collapse(
                [brand_py] + [w for t in trades for w in TRADES[t].split()]
            )
            forms.append(
                NameForm(
                    " ".join(english), places, head + "".join(english) + "coltd", False
                )
            )
    return tuple(forms)


def payer_names(raw, label=""):
    """The names a printed payer stands for, principal first: ``raw``'s
    principal when it names an agent (``A OBO B``, ``A代付B``, ``A代B付款``),
    else ``raw``; and a principal the label names (``... on behalf of B``)."""
    names = []
    for text, whole in ((raw or "", True), (label or "", False)):
        principal = _principal(text)
        if principal:
            names.append(principal)
        elif whole and text.strip():
            names.append(text.strip())
    return list(dict.fromkeys(n for n in names if n))


def _principal(text):
    if not text:
        return ""
    match = _AGENT_RE.search(text)
    if match:
        after = text[match.end() :]
        # the name ends where a reference or a figure starts
        after = _NAME_END_RE.split(after, maxsplit=1)[0].strip(" :：-")
        # "payment for invoice ...", "payment for 42": no name
        if _DOCUMENT_RE.match(after) or sum(c.isalpha() for c in after) < 2:
            return ""
        return after
    compact = text.strip()
    if has_cjk(compact):
        match = _CJK_AGENT_RE.match(compact)
        if match and len(match.group("principal")) >= 2:
            return match.group("principal")
    return ""


def form_similarity(payer, partner):
    """Similarity in [0, 1] of a payer form to a partner form."""
    if payer.cjk != partner.cjk or not payer.core or not partner.core:
        return 0.0
    sim = normalized_name_similarity(payer.core, partner.core)
    if (
        sim < TRUNCATED_SIM
        and len(payer.full) >= TRUNCATED_MIN[payer.cjk]
        and partner.full.startswith(payer.full)
    ):
        sim = TRUNCATED_SIM
    if payer.places and partner.places and not payer.places & partner.places:
        sim *= OTHER_PLACE
    return sim


def form_keys(form):
    """Index keys of a form: tokens, compact core, initials, CJK bigrams,
    and the compact core with each of its places (of the namesakes of a
    brand in many cities, the one of the payer's city comes first)."""
    core = form.core
    keys = []
    if form.cjk:
        keys.extend(core[i : i + 2] for i in range(len(core) - 1))
        compact = core
    else:
        tokens = core.split()
        keys.extend(tokens)
        compact = "".join(tokens)
        init = initials(core)
        if len(init) >= 2:
            keys.append("^" + init)
    keys.append(compact)
    keys.extend(f"@{place}@{compact}" for place in form.places)
    return keys


def payer_keys(form):
    keys = form_keys(form)
    if not form.cjk and " " not in form.core:
        keys.append("^" + form.core)  # initials typed as one word (IBM)
    return keys


# ---------------------------------------------------------------------------
# Index
# ---------------------------------------------------------------------------


class NameIndex:
    """Partners by the keys of their names' forms."""

    def __init__(self):
        self.forms = defaultdict(set)  # partner -> {NameForm}
        self.keys = defaultdict(set)  # key -> {partner}
        self._seen = set()
        self._cache = {}

    def add(self, partner_id, name):
        if not name or (partner_id, name) in self._seen:
            return
        self._seen.add((partner_id, name))
        for form in partner_forms(name):
            if form in self.forms[partner_id]:
                continue
            self.forms[partner_id].add(form)
            for key in form_keys(form):
                self.keys[key].add(partner_id)

    def similarity(self, payer_name, partner_id):
        """Best similarity of ``payer_name`` to ``partner_id``'s names."""
        form = name_form(payer_name)
        return max(
            (form_similarity(form, f) for f in self.forms.get(partner_id, ())),
            default=0.0,
        )

    def same_name(self, payer_name, partner_id):
        """``payer_name`` is one of ``partner_id``'s names as registered
        (legal form included; case, spaces and punctuation aside)."""
        full = name_form(payer_name).full
        return any(f.full == full for f in self.forms.get(partner_id, ()))

    def lookup(self, payer_name, limit):
        """``(best, hits)``: ``{partner: similarity}`` of the ``limit``
        partners sharing most keys with the payer (similarity at least
        ``NAME_MIN_SIM``), and every partner sharing a key (cached)."""
        cached = self._cache.get((payer_name, limit))
        if cached is None:
            cached = self._cache[(payer_name, limit)] = self._lookup(payer_name, limit)
        return cached

    def _lookup(self, payer_name, limit):
        form = name_form(payer_name)
        if not form.core:
            return {}, Counter()
        hits = Counter()
        for key in payer_keys(form):
            posting = self.keys.get(key, ())
            if len(posting) <= NAME_POSTING_CAP:
                hits.update(posting)
                if len(key) > 3 or key.startswith("^"):
                    hits.update(posting)
        best = {}
        for pid, _count in heapq.nlargest(limit, hits.items(), key=itemgetter(1)):
            sim = max(form_similarity(form, f) for f in self.forms[pid])
            if sim >= NAME_MIN_SIM:
                best[pid] = sim
        return best, hits
