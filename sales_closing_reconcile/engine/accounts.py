"""Payer bank accounts as banks print them, looked up among the accounts
on file.

A statement does not always print the payer's account the way it was
saved on the partner:

* with spaces, dashes or in lower case (``DE89 3704 0044 ...``);
* as the domestic number (BBAN) of an IBAN on file, or as an IBAN whose
  domestic number is on file (``0532013000`` for
  ``DE89370400440532013000``), with or without its leading zeros;
* masked, its middle hidden (``6222 02** **** 1234``, ``****1234``,
  ``DE89XXXXXXXX3000``).

``AccountIndex.lookup`` answers the partner one printed form names, and
how surely: ``FULL`` when the whole number, or at least ``MASK_VISIBLE``
visible characters of a masked one (an IBAN's country and check digits
not counted), fit exactly one partner; ``TAIL`` when a masked number
shows fewer (its last four, say) that fit exactly one partner: a hint
only, since an account the company does not know shares its last four
digits with one on file often enough. A form that fits two partners
names none.
"""

import re
from collections import defaultdict

from .scoring import normalize_account

FULL = "full"
TAIL = "tail"

MASK_VISIBLE = 10  # visible characters of a masked number that identify
MIN_TAIL = 4  # fewer visible trailing characters identify nothing
MIN_KEY = 8  # a domestic number or a number without its zeros, at least

# a run of mask characters: stars, bullets, hashes, three x or more, dots
_MASK_RE = re.compile(r"[*\u2022\u00b7#]+|[xX]{3,}|\.{3,}|\u2026")
_IBAN_RE = re.compile(r"^[A-Z]{2}[0-9]{2}[0-9A-Z]{8,}$")
_IBAN_HEAD_RE = re.compile(r"^[A-Z]{2}[0-9]{2}")


def _forms(number):
    """The keys an account on file is found by: its normalised number,
    without leading zeros, and the domestic number of an IBAN (also
    without its zeros)."""
    forms = [number]
    if _IBAN_RE.match(number):
        forms.append(number[4:])
    for form in list(forms):
        if form.isdigit() and form.lstrip("0") != form:
            forms.append(form.lstrip("0"))
    return [f for i, f in enumerate(forms) if i == 0 or len(f) >= MIN_KEY]


def is_masked(printed):
    """The statement hid part of the number (it is no account to save)."""
    return bool(_MASK_RE.search(str(printed or "")))


class AccountIndex:
    """Accounts on file (number -> partner) by every key they are printed
    as."""

    def __init__(self, partner_accounts=None):
        self.exact = {}
        self._keys = defaultdict(set)  # key -> partners
        self._tails = defaultdict(list)  # last MIN_TAIL characters -> forms
        for number, partner_id in (partner_accounts or {}).items():
            number = normalize_account(number)
            if not number:
                continue
            self.exact[number] = partner_id
            for form in _forms(number):
                self._keys[form].add(partner_id)
                self._tails[form[-MIN_TAIL:]].append((form, partner_id))

    def lookup(self, printed):
        """``(partner, FULL | TAIL)`` for the account ``printed`` on a
        line, or None."""
        text = str(printed or "").strip()
        if not text or not self.exact:
            return None
        mask = _MASK_RE.search(text)
        if mask:
            return self._masked(
                normalize_account(text[: mask.start()]),
                normalize_account(text[mask.end() :]),
            )
        number = normalize_account(text)
        if number in self.exact:
            return self.exact[number], FULL
        # a number on file is found above; its other forms are MIN_KEY long
        for form in _forms(number):
            partners = self._keys.get(form)
            if partners and len(partners) == 1:
                return next(iter(partners)), FULL
        return None

    def _masked(self, head, tail):
        if len(tail) < MIN_TAIL:
            return None
        partners = {
            partner_id
            for form, partner_id in self._tails.get(tail[-MIN_TAIL:], ())
            if form.endswith(tail)
            and form.startswith(head)
            and len(form) > len(head) + len(tail)
        }
        if len(partners) != 1:
            return None
        # an IBAN's country and check digits say little about whose it is
        visible = len(head) + len(tail) - (4 if _IBAN_HEAD_RE.match(head) else 0)
        strength = FULL if visible >= MASK_VISIBLE else TAIL
        return next(iter(partners)), strength
