"""Dunning (payment reminder) planning, free of any Odoo dependency.

A dunning *level* is a dict::

    {"sequence": 2, "days": 7, "block_orders": False, "send_email": True, ...}

``days`` counts from the invoice due date (negative = a courtesy reminder before the
due date). Any other keys (channel flags such as ``send_email``, ``send_letter``,
``send_sms``, a name...) are carried along untouched. Levels are identified by their
``sequence``; ``last_level_sent`` on an invoice is that sequence (None/0/False when
nothing was sent yet).

Rules: an invoice never goes back to a lower level, a level is never sent twice,
and when several levels became due at once only the highest is sent and the others
are reported as skipped so that the skip is visible, not silent.
"""

import itertools
from datetime import timedelta
from decimal import Decimal
from typing import NamedTuple

from .common import to_decimal


class LevelDecision(NamedTuple):
    """Outcome of :func:`level_for`: level to send (or None), levels skipped."""

    level: object
    skipped: list


def normalise_levels(levels):
    """Return ``levels`` sorted by sequence, checking they are consistent.

    Sequences must be unique and ``days`` must strictly increase with the sequence,
    otherwise "the highest level reached" would be ambiguous.
    """
    ordered = sorted(levels, key=lambda level: level["sequence"])
    for previous, current in itertools.pairwise(ordered):
        if previous["sequence"] == current["sequence"]:
            raise ValueError(
                f"Two dunning levels share the sequence {current['sequence']}."
            )
        if current["days"] <= previous["days"]:
            raise ValueError(
                f"Dunning level {current['sequence']} must come more days after the "
                "due date "
                f"than level {previous['sequence']}."
            )
    return ordered


def _sequence(level_ref):
    """Return the sequence of a level given as a dict, a number or None/False."""
    if isinstance(level_ref, dict):
        return level_ref["sequence"]
    return level_ref or 0


def level_reached(level, due_date, today):
    """Tell whether ``level`` is reached at ``today`` for an invoice due then."""
    return today >= due_date + timedelta(days=level["days"])


def level_for(due_date, today, levels, last_level_sent=None):
    """Return the :class:`LevelDecision` for one invoice.

    ``level`` is the highest level reached at ``today`` whose sequence is above
    ``last_level_sent`` (None when nothing new is due); ``skipped`` lists the other
    reached levels above ``last_level_sent`` that are jumped over.
    """
    last = _sequence(last_level_sent)
    pending = [
        level
        for level in normalise_levels(levels)
        if level["sequence"] > last and level_reached(level, due_date, today)
    ]
    if not pending:
        return LevelDecision(None, [])
    return LevelDecision(pending[-1], pending[:-1])


def _level_by_sequence(levels, sequence):
    """Return the level with ``sequence`` or None."""
    for level in levels:
        if level["sequence"] == sequence:
            return level
    return None


def plan_run(invoices, today, levels):
    """Plan a dunning run: return one group per partner that has something to send.

    ``invoices`` are dicts with ``id``, ``partner_id``, ``due_date``, ``residual`` and
    ``last_level_sent``. Paid invoices (residual <= 0) are ignored. Each group is::

        {"partner_id", "level" (highest new level dict), "lines", "total_residual",
         "block_orders", "skipped_levels"}

    where ``lines`` are ``{"invoice_id", "level", "skipped", "due_date",
    "days_overdue", "residual"}`` (level sequences) ordered by due date, and
    ``block_orders`` is True when the new level or a level already sent on an open
    invoice of the partner blocks new orders. Groups are ordered by partner id.
    """
    ordered = normalise_levels(levels)
    groups = {}
    for invoice in invoices:
        residual = to_decimal(invoice["residual"])
        if residual <= 0:
            continue
        partner = groups.setdefault(
            invoice["partner_id"],
            {
                "partner_id": invoice["partner_id"],
                "level": None,
                "lines": [],
                "total_residual": Decimal(0),
                "block_orders": False,
                "skipped_levels": [],
            },
        )
        previous = _level_by_sequence(
            ordered, _sequence(invoice.get("last_level_sent"))
        )
        if previous and previous.get("block_orders"):
            partner["block_orders"] = True
        decision = level_for(
            invoice["due_date"], today, ordered, invoice.get("last_level_sent")
        )
        if decision.level is None:
            continue
        partner["lines"].append(
            {
                "invoice_id": invoice["id"],
                "level": decision.level["sequence"],
                "skipped": [level["sequence"] for level in decision.skipped],
                "due_date": invoice["due_date"],
                "days_overdue": (today - invoice["due_date"]).days,
                "residual": residual,
            }
        )
        partner["total_residual"] += residual
        partner["block_orders"] = partner["block_orders"] or bool(
            decision.level.get("block_orders")
        )
        if (
            partner["level"] is None
            or decision.level["sequence"] > partner["level"]["sequence"]
        ):
            partner["level"] = decision.level
    result = []
    for partner_id in sorted(groups, key=str):
        group = groups[partner_id]
        if not group["lines"]:
            continue
        group["lines"].sort(
            key=lambda line: (line["due_date"], str(line["invoice_id"]))
        )
        group["skipped_levels"] = sorted(
            {seq for line in group["lines"] for seq in line["skipped"]}
        )
        result.append(group)
    return result


def pending_promise(promises, today):
    """Return True if a promise to pay is still pending at ``today``.

    ``promises`` are ``(date, amount, kept)`` tuples. A promise is pending when it was
    not kept yet, its date is today or later and its amount is positive; a promise
    whose date passed without being kept is broken and protects nothing.
    """
    for promised_date, amount, kept in promises or ():
        if not kept and promised_date >= today and to_decimal(amount) > 0:
            return True
    return False


def highest_level(partner_lines):
    """Return the highest level sequence among ``partner_lines``, 0 if none."""
    best = 0
    for line in partner_lines:
        for key in ("level", "last_level_sent"):
            best = max(best, _sequence(line.get(key)))
    return best


def should_escalate(partner_lines, threshold_level, promises, today):
    """Tell whether a partner's file must be escalated (e.g. to collection / legal).

    True when the highest level among ``partner_lines`` reached ``threshold_level``
    (a sequence or level dict) and no valid promise to pay is pending at ``today``.
    """
    highest = highest_level(partner_lines)
    if not highest or highest < _sequence(threshold_level):
        return False
    return not pending_promise(promises, today)


PROMISE_OPEN = "open"
PROMISE_KEPT = "kept"
PROMISE_BROKEN = "broken"


def promise_states(promises, payments, today):
    """Return the state of each promise to pay: ``{promise id: state}``.

    ``promises`` are dicts ``{"id", "date", "amount"}`` (the date by which the
    customer promised to pay ``amount``); ``payments`` are ``(date, amount)`` tuples
    of the money received from the customer since the first promise was made.
    Promises are honoured cumulatively in date order: a promise is *kept* when the
    payments received up to its date cover it together with every earlier promise,
    *broken* when its date passed without that, and *open* until then. A payment
    arriving after the date does not mend a broken promise (it was late).
    """
    ordered = sorted(promises, key=lambda p: (p["date"], str(p["id"])))
    received = sorted(
        ((day, to_decimal(amount)) for day, amount in payments or ()),
        key=lambda payment: payment[0],
    )
    result = {}
    promised = Decimal(0)
    for promise in ordered:
        promised += to_decimal(promise["amount"])
        paid = sum(
            (amount for day, amount in received if day <= promise["date"]),
            Decimal(0),
        )
        if paid >= promised:
            result[promise["id"]] = PROMISE_KEPT
        elif promise["date"] < today:
            result[promise["id"]] = PROMISE_BROKEN
        else:
            result[promise["id"]] = PROMISE_OPEN
    return result
