"""The open items of a batch indexed for the lines' lookups: by reference
keys, by partner and amount, by currency and amount; partners by their
names (``names.NameIndex``) and bank accounts."""

import bisect
import datetime
from collections import defaultdict
from dataclasses import dataclass

from .accounts import AccountIndex
from .names import NameIndex
from .normalize import ref_index_keys
from .scoring import as_date, to_cents

NAME_AMOUNT_CAP = 1000  # items of the line's exact amount checked by name


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


class MatchIndex:
    """Indexes of open items and partners for fast candidate lookup."""

    def __init__(self, items, partner_accounts=None, partner_names=None):
        self.items = {}
        self.ref_index = defaultdict(list)  # key -> [(item id, reason, ref)]
        self.partner_amounts = defaultdict(
            list
        )  # (partner, cur, sign) -> sorted [(cents, order, id)]
        self.amount_index = defaultdict(list)  # (cur, sign, cents) -> [item id]
        self.names = NameIndex()
        self._amount_partners = {}
        self.accounts = AccountIndex(partner_accounts)
        for order, raw in enumerate(items):
            self._add(order, raw)
        for partner_id, names in (partner_names or {}).items():
            for name in names:
                self.names.add(partner_id, name)
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
            getter = raw.get
        else:

            def getter(name, default=None):
                return getattr(raw, name, default)

        residual = getter("amount_residual") or 0
        cents = to_cents(residual)
        if cents == 0:
            return
        refs = []
        for reason, name in (
            ("ref:invoice", "move_name"),
            ("ref:invoice", "payment_ref"),
        ):
            value = getter(name)
            if value:
                refs.append((reason, str(value)))
        for reason, name in (("ref:order", "order_refs"), ("ref:tx", "tx_refs")):
            for ref in getter(name) or ():
                if ref:
                    refs.append((reason, str(ref)))
        item_id = getter("id")
        partner_id = getter("partner_id")
        item = _Item(
            id=item_id,
            partner_id=partner_id,
            cents=abs(cents),
            sign=1 if cents > 0 else -1,
            currency=(getter("currency") or "").upper(),
            date=as_date(getter("date_maturity")) or as_date(getter("date")),
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
            for name in getter("partner_names") or ():
                self.names.add(partner_id, name)
            if getter("partner_name"):
                self.names.add(partner_id, getter("partner_name"))

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

    def has_amount(self, partner_id, currency, sign, cents):
        """``partner_id`` has an open item of exactly ``cents``."""
        entries = self.partner_amounts.get((partner_id, currency, sign), ())
        pos = bisect.bisect_left(entries, (cents,))
        return pos < len(entries) and entries[pos][0] == cents
