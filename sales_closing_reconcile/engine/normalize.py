"""Normalisation and fuzzy comparison of references and names.

Pure functions, stdlib only.

References
----------
``normalize_ref`` folds a reference to upper-case alphanumerics
(``'inv/2024/0012'`` -> ``'INV20240012'``).  A reference is further split into
*segments*: alternating letter runs and digit runs (``INV``, ``2024``,
``0012``).  Bank labels are cut into candidate tokens by ``ref_tokens``:
maximal runs of words joined by reference separators (``- / . _`` and
single spaces), plus every shorter window of up to four adjacent words.

``ref_match(candidate_ref, label)`` scores how well a label carries a
reference:

* ``1.0``  the normalised reference appears in the label with word
  boundaries (separators and case do not matter), e.g. ``INV/2024/0012`` in
  ``'pmt inv 2024-0012 thx'``;
* ``0.95`` same letters and same digit groups once leading zeros are dropped
  (``'INV-2024-12'``);
* ``0.9``  same digit groups and the label token has a longer/different
  letter prefix that ends with the reference prefix (``'REFINV20240012'``);
* prefix missing (only digits typed, leading zeros optional): a score that
  grows with the number of *significant* digits (digits of the reference
  once leading zeros and a leading year group are removed), because short
  digit runs match by chance: ``>=6 -> 0.9``, ``5 -> 0.85``, ``4 -> 0.75``,
  fewer -> ``0``; +0.05 (max 0.9) when all digit groups are typed apart
  (``'2026/08743'``);
* only the last digit group (year and prefix missing, ``'1234'`` for
  ``'INV/2026/001234'``): ``>=6 -> 0.85``, ``5 -> 0.8``, ``4 -> 0.7``;
* ``0`` otherwise.

Names
-----
``normalize_name`` applies NFKC (full-width to half-width), casefolds,
removes punctuation and drops trailing legal-form suffixes (Ltd, GmbH,
有限公司 ...; words such as 集团 or 科技 are kept).  ``name_similarity``
combines soft token overlap (Dice), initials (``IBM`` vs ``International
Business Machines``), compact equality (``ACMETrading`` vs ``ACME Trading``)
and, for Chinese, containment and character bigram overlap.
"""

import functools
import re
import unicodedata

_ALNUM_RE = re.compile(r"[A-Z0-9]+")
_SEGMENT_RE = re.compile(r"[A-Z]+|[0-9]+")
_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_YEAR_RE = re.compile(r"^(19|20)\d\d$")
# Separators that may appear inside a reference typed by a human.
_REF_JOINERS = set("-/._ \\#:")
_MAX_WINDOW = 4

LEGAL_SUFFIXES = frozenset(
    {
        "ltd",
        "limited",
        "co",
        "company",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "llc",
        "plc",
        "gmbh",
        "ag",
        "sarl",
        "sas",
        "sa",
        "bv",
        "nv",
        "srl",
        "spa",
        "kg",
        "oy",
        "ab",
        "pty",
        "pte",
        "llp",
        "lp",
        "kk",
    }
)
CJK_LEGAL_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "公司")


# ---------------------------------------------------------------------------
# References
# ---------------------------------------------------------------------------


def _fold(text):
    """NFKC + upper-case, ``None`` safe."""
    if not text:
        return ""
    if text.isascii():
        return text.upper()
    return unicodedata.normalize("NFKC", text).upper()


def normalize_ref(s):
    """Return ``s`` upper-cased with everything but letters and digits removed."""
    return "".join(_ALNUM_RE.findall(_fold(s)))


def ref_segments(s):
    """Split a reference into letter and digit runs: ``'INV/2024/0012'`` ->
    ``['INV', '2024', '0012']``."""
    return _SEGMENT_RE.findall(_fold(s))


def _strip_zeros(digits):
    stripped = digits.lstrip("0")
    return stripped or "0"


def digit_key(s):
    """Digit groups of a reference without leading zeros, joined by ``'.'``.

    ``'INV/2024/0012'`` -> ``'2024.12'``; ``'S00045'`` -> ``'45'``.  Empty
    when the reference has no digit.
    """
    return ".".join(_strip_zeros(seg) for seg in ref_segments(s) if seg.isdigit())


def loose_key(s):
    """Letters kept, digit groups without leading zeros: ``'INV.2024.12'``."""
    return ".".join(
        _strip_zeros(seg) if seg.isdigit() else seg for seg in ref_segments(s)
    )


def significant_digits(ref):
    """Number of digits that identify ``ref`` when its prefix is missing.

    Leading zeros do not count, nor a leading year group (``2024``) when
    more digit groups follow, since every reference of the year shares it.
    """
    groups = [_strip_zeros(seg) for seg in ref_segments(ref) if seg.isdigit()]
    if len(groups) > 1 and _YEAR_RE.match(groups[0]):
        groups = groups[1:]
    return sum(len(g) for g in groups if g != "0")


def _label_words(label):
    """Yield ``(word, separator_before)`` pairs of alphanumeric words."""
    text = _fold(label)
    words = []
    last_end = 0
    for match in _ALNUM_RE.finditer(text):
        between = text[last_end : match.start()]
        words.append((match.group(), between))
        last_end = match.end()
    return words


def _is_joiner(between):
    return 0 < len(between) <= 2 and all(c in _REF_JOINERS for c in between)


def ref_tokens(text):
    """Candidate reference tokens of a free-text label, normalised.

    Returns a list (no duplicates, stable order) of alphanumeric strings:
    every word, and every concatenation of up to four adjacent words
    separated only by reference separators (``- / . _`` or one space).
    Tokens made only of letters are dropped: references carry digits.
    """
    words = _label_words(text)
    tokens = []
    seen = set()
    for i in range(len(words)):
        acc = ""
        for j in range(i, min(i + _MAX_WINDOW, len(words))):
            word, between = words[j]
            if j > i and not _is_joiner(between):
                break
            acc += word
            if acc not in seen and any(c.isdigit() for c in acc):
                seen.add(acc)
                tokens.append(acc)
    return tokens


def token_keys(token):
    """Index keys of a label token: ``(digits_key, raw_digits)``.

    ``digits_key`` keeps digit groups separated (zeros stripped) and
    ``raw_digits`` is the plain digit string without leading zeros, so a
    reference typed without separators can still be found.
    """
    segs = ref_segments(token)
    digits = [seg for seg in segs if seg.isdigit()]
    if not digits:
        return ()
    keys = [".".join(_strip_zeros(d) for d in digits), _strip_zeros("".join(digits))]
    return tuple(dict.fromkeys(keys))


def ref_index_keys(ref):
    """Index keys of a reference so that label tokens can find it.

    Exact normalised form, the digit key (groups without zeros), the raw
    digit string, the concatenation of zero-stripped groups and, when it
    has at least four significant digits, the last digit group alone.
    """
    segs = ref_segments(ref)
    keys = ["".join(segs)]
    digits = [seg for seg in segs if seg.isdigit()]
    if digits:
        stripped = [seg.lstrip("0") or "0" for seg in digits]
        keys.append(".".join(stripped))
        keys.append("".join(digits).lstrip("0") or "0")
        keys.append("".join(stripped).lstrip("0") or "0")
        if len(digits) > 1 and len(stripped[-1]) >= 4:
            keys.append(stripped[-1])
    return tuple(k for k in dict.fromkeys(keys) if k)


def _skeleton(folded_label):
    """Alphanumerics of a folded label and, for each, whether a separator
    precedes it in the label."""
    chars, gaps = [], []
    gap = True
    for char in folded_label:
        if ("A" <= char <= "Z") or ("0" <= char <= "9"):
            chars.append(char)
            gaps.append(gap)
            gap = False
        else:
            gap = True
    gaps.append(True)
    return "".join(chars), gaps


def _boundary(left, right, gap):
    """True when ``left`` and ``right`` are not part of one word/number."""
    return gap or left.isdigit() != right.isdigit()


def _exact_in(norm_ref, folded_label, skeleton=None):
    """Normalised ``norm_ref`` occurs in the label at word boundaries
    (separators and case ignored)."""
    text, gaps = skeleton or _skeleton(folded_label)
    size = len(norm_ref)
    start = text.find(norm_ref)
    while start >= 0:
        end = start + size
        head_ok = start == 0 or _boundary(text[start - 1], norm_ref[0], gaps[start])
        tail_ok = end == len(text) or _boundary(norm_ref[-1], text[end], gaps[end])
        if head_ok and tail_ok:
            return True
        start = text.find(norm_ref, start + 1)
    return False


_SKELETON_CACHE = {}


def _cached_skeleton(folded):
    found = _SKELETON_CACHE.get(folded)
    if found is None:
        if len(_SKELETON_CACHE) > 4096:
            _SKELETON_CACHE.clear()
        found = _SKELETON_CACHE[folded] = _skeleton(folded)
    return found


def _prefix_missing_score(ref):
    n = significant_digits(ref)
    if n >= 6:
        return 0.9
    if n == 5:
        return 0.85
    if n == 4:
        return 0.75
    return 0.0


def ref_match(candidate_ref, label, tokens=None):
    """Score in [0, 1] for ``candidate_ref`` being cited in ``label``.

    ``tokens`` may pass precomputed ``ref_tokens(label)``.  See the module
    docstring for the scale.
    """
    norm = normalize_ref(candidate_ref)
    if not norm or not label:
        return 0.0
    folded = _fold(label)
    if _exact_in(norm, folded, _cached_skeleton(folded)):
        return 1.0
    segs = ref_segments(candidate_ref)
    ref_digits = [_strip_zeros(s) for s in segs if s.isdigit()]
    if not ref_digits:
        return 0.0
    ref_alpha = "".join(s for s in segs if not s.isdigit())
    ref_loose = loose_key(candidate_ref)
    ref_dkey = ".".join(ref_digits)
    ref_raw = {
        _strip_zeros("".join(s for s in segs if s.isdigit())),
        _strip_zeros("".join(ref_digits)),
    }
    best = 0.0
    for token in tokens if tokens is not None else ref_tokens(label):
        tsegs = ref_segments(token)
        t_digits = [s for s in tsegs if s.isdigit()]
        if not t_digits:
            continue
        t_alpha = "".join(s for s in tsegs if not s.isdigit())
        t_dkey = ".".join(_strip_zeros(d) for d in t_digits)
        t_raw = _strip_zeros("".join(t_digits))
        same_digits = t_dkey == ref_dkey or t_raw in ref_raw
        if not same_digits:
            continue
        if ref_alpha and loose_key(token) == ref_loose:
            return 0.95
        if ref_alpha and t_alpha == ref_alpha:
            best = max(best, 0.95)
        elif ref_alpha and t_alpha.endswith(ref_alpha):
            best = max(best, 0.9)
        elif not t_alpha or not ref_alpha:
            score = _prefix_missing_score(candidate_ref)
            if (
                score
                and len(ref_digits) > 1
                and (t_dkey == ref_dkey or _digit_groups_re(ref_dkey).search(folded))
            ):
                score = min(0.9, score + 0.05)  # whole digit structure typed
            best = max(best, score)
    if best == 0.0 and len(ref_digits) > 1:
        best = _last_group_score(
            ref_digits[-1], tokens if tokens is not None else ref_tokens(label)
        )
    return best


@functools.lru_cache(maxsize=4096)
def _digit_groups_re(dkey):
    """Regex finding the digit groups of ``dkey`` (``'2026.8743'``) typed
    apart in a folded label, leading zeros optional (``'2026/08743'``).

    Label tokens join separated words, so the structure is checked on the
    label itself."""
    groups = [re.escape(g) for g in dkey.split(".")]
    return re.compile(
        r"(?<![0-9])0*" + r"[-/._ \\#:]{1,2}0*".join(groups) + r"(?![0-9])"
    )


def _last_group_score(last_group, tokens):
    """Score a label citing only the last digit group (``'1234'`` for
    ``'INV/2026/001234'``): year and prefix missing, so it weighs less."""
    n = len(last_group)
    if n < 4:
        return 0.0
    for token in tokens:
        if token.isdigit() and _strip_zeros(token) == last_group:
            return 0.85 if n >= 6 else 0.8 if n == 5 else 0.7
    return 0.0


# ---------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------


def has_cjk(text):
    """True when ``text`` contains CJK ideographs."""
    return bool(_CJK_RE.search(text or ""))


def normalize_name(s):
    """Fold a payer or partner name for comparison.

    NFKC, casefold, dots removed (``S.A.`` -> ``sa``), other punctuation
    turned into spaces, trailing legal-form suffixes removed.  Chinese legal
    suffixes (有限公司 ...) are removed from the end of the compact string.
    """
    text = unicodedata.normalize("NFKC", s or "").casefold()
    text = text.replace(".", "").replace("'", "")
    text = "".join(c if (c.isalnum() or c.isspace()) else " " for c in text)
    tokens = text.split()
    # Drop ``&`` remains such as "& co" and trailing legal forms.
    while len(tokens) > 1 and tokens[-1] in LEGAL_SUFFIXES:
        tokens.pop()
    if tokens:
        last = tokens[-1]
        for suffix in CJK_LEGAL_SUFFIXES:
            if last.endswith(suffix) and len(last) > len(suffix):
                tokens[-1] = last[: -len(suffix)]
                break
    return " ".join(tokens)


def name_tokens(normalized):
    """Tokens of an already normalised name."""
    return normalized.split()


def initials(normalized):
    """Initials of a multi-word normalised name (``'ibm'``), else ``''``."""
    tokens = normalized.split()
    if len(tokens) < 2:
        return ""
    return "".join(t[0] for t in tokens if t[0].isalpha())


def _bigrams(text):
    return {text[i : i + 2] for i in range(len(text) - 1)} or (
        {text} if text else set()
    )


def _abbreviates(short, long_):
    """True when ``short`` is a prefix or an in-order abbreviation of
    ``long_`` starting with the same letter (``intl`` / ``international``)."""
    if long_.startswith(short):
        return True
    if short[0] != long_[0]:
        return False
    pos = 0
    for char in short:
        pos = long_.find(char, pos)
        if pos < 0:
            return False
        pos += 1
    return True


def _soft_token_score(a_tokens, b_tokens):
    """Dice coefficient where a prefix abbreviation counts 0.8."""
    if not a_tokens or not b_tokens:
        return 0.0
    small, large = (
        (a_tokens, b_tokens) if len(a_tokens) <= len(b_tokens) else (b_tokens, a_tokens)
    )
    remaining = list(large)
    total = 0.0
    for tok in small:
        best, best_idx = 0.0, None
        for idx, other in enumerate(remaining):
            if tok == other:
                best, best_idx = 1.0, idx
                break
            shorter, longer = (tok, other) if len(tok) <= len(other) else (other, tok)
            if len(shorter) >= 3 and best < 0.8 and _abbreviates(shorter, longer):
                best, best_idx = 0.8, idx
        if best_idx is not None:
            remaining.pop(best_idx)
        total += best
    return 2 * total / (len(a_tokens) + len(b_tokens))


def _cjk_similarity(a, b):
    ca, cb = a.replace(" ", ""), b.replace(" ", "")
    if ca == cb:
        return 1.0
    short, long_ = (ca, cb) if len(ca) <= len(cb) else (cb, ca)
    if len(short) >= 3 and short in long_:
        return min(0.95, 0.8 + 0.2 * len(short) / len(long_))
    ba, bb = _bigrams(ca), _bigrams(cb)
    return 2 * len(ba & bb) / (len(ba) + len(bb))


def name_similarity(a, b):
    """Similarity in [0, 1] of two names (raw or normalised)."""
    return normalized_name_similarity(normalize_name(a), normalize_name(b))


def normalized_name_similarity(na, nb):
    """``name_similarity`` of two names already passed through
    ``normalize_name``."""
    if not na or not nb:
        return 0.0
    if na == nb:
        return 1.0
    if has_cjk(na) or has_cjk(nb):
        return _cjk_similarity(na, nb)
    ta, tb = na.split(), nb.split()
    if "".join(ta) == "".join(tb):
        return 0.95
    score = _soft_token_score(ta, tb)
    if sorted(ta) == sorted(tb):
        score = 1.0
    for single, multi in ((ta, nb), (tb, na)):
        if len(single) == 1 and len(single[0]) >= 2 and single[0] == initials(multi):
            score = max(score, 0.9 if len(single[0]) >= 3 else 0.75)
    small, large = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    if set(small) <= set(large) and sum(len(t) for t in small) >= 4:
        score = max(score, 0.85)
    return min(score, 1.0)
