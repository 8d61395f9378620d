"""Closing checklist logic: dependencies, sign-offs and roll-forward.

Statuses follow the checklist lines: ``pending``, ``ok``, ``failed`` and
``waived``; an item is *done* when it is ``ok`` or ``waived``.  Severities
are ``blocking`` and ``warning``.  Pure Python, no Odoo import.
"""

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

DONE_STATUSES = frozenset({"ok", "waived"})
BLOCKING = "blocking"


def is_done(status):
    """Return True when ``status`` lets dependent items and the close go on."""
    return status in DONE_STATUSES


def _find_cycle(graph):
    """Return one dependency cycle as a list of ids (first id repeated), or None."""
    visiting, finished = set(), set()
    end = object()
    for start in graph:
        if start in finished:
            continue
        path, stack = [], [(start, iter(graph[start]))]
        visiting.add(start)
        path.append(start)
        while stack:
            node, children = stack[-1]
            child = next(children, end)
            if child is end:
                stack.pop()
                path.pop()
                visiting.discard(node)
                finished.add(node)
            elif child in visiting:
                return path[path.index(child) :] + [child]
            elif child not in finished:
                visiting.add(child)
                path.append(child)
                stack.append((child, iter(graph[child])))
    return None


def check_dependencies(depends_on):
    """Validate a dependency graph ``{id: [dependency ids]}``.

    Raises ``ValueError`` naming the item and the unknown id when an item
    depends on an id that is not in the graph, or naming the items of a
    dependency cycle (``a -> b -> a``).
    """
    for item_id, dependencies in depends_on.items():
        for dependency in dependencies:
            if dependency not in depends_on:
                raise ValueError(
                    f"Checklist item {item_id} depends on unknown item {dependency}."
                )
    cycle = _find_cycle(depends_on)
    if cycle:
        chain = " -> ".join(str(item_id) for item_id in cycle)
        raise ValueError(f"The checklist has a dependency cycle: {chain}.")


def blocked_items(items):
    """Return ``{id: [unmet dependency ids]}`` for the items that must wait.

    ``items`` maps an id to ``(status, depends_on ids)``.  An item is
    listed when it is not done itself and at least one of its direct
    dependencies is not done; the dependency ids keep their given order.
    Raises ``ValueError`` on unknown dependencies or dependency cycles.
    """
    graph = {item_id: list(deps or ()) for item_id, (_status, deps) in items.items()}
    check_dependencies(graph)
    blocked = {}
    for item_id, (status, _deps) in items.items():
        if is_done(status):
            continue
        unmet = [dep for dep in graph[item_id] if not is_done(items[dep][0])]
        if unmet:
            blocked[item_id] = unmet
    return blocked


def _amount_text(amount, digits):
    """Return ``amount`` rounded half-up to ``digits`` decimals, as text."""
    if amount is None:
        amount = 0
    if isinstance(amount, float):
        amount = Decimal(repr(amount))
    quant = Decimal(1).scaleb(-digits)
    value = Decimal(amount).quantize(quant, rounding=ROUND_HALF_UP)
    return format(value + 0, "f")


def fingerprint(count, amount, digits=2):
    """Return a short text identifying a check's figures, e.g. ``'12|1500.00'``.

    Store it when the reviewer signs off; when the figures change the new
    fingerprint differs and the sign-off must be undone.  The amount is
    rounded half-up to ``digits`` decimals so float noise from the database
    does not change the fingerprint; negative zero is written ``0.00``.
    """
    return f"{int(count or 0)}|{_amount_text(amount, digits)}"


def signoff_is_current(stored_fingerprint, count, amount, digits=2):
    """Return True when a stored sign-off fingerprint still matches the figures."""
    return bool(stored_fingerprint) and stored_fingerprint == fingerprint(
        count, amount, digits
    )


def _item_rows(items):
    """Yield ``(label, item)`` from a mapping of items or an iterable of them."""
    if isinstance(items, Mapping):
        for item_id, item in items.items():
            yield item.get("name") or item_id, item
    else:
        for index, item in enumerate(items, start=1):
            yield item.get("name") or f"#{index}", item


def _review_is_stale(item):
    """Return True when an item's review fingerprint no longer matches it."""
    stored = item.get("review_fingerprint")
    if not stored or "count" not in item:
        return False
    return not signoff_is_current(stored, item["count"], item.get("amount"))


def _item_reasons(label, item):
    """Return the reasons why one checklist item prevents the close."""
    reasons = []
    status = item.get("status")
    if item.get("severity", BLOCKING) == BLOCKING and not is_done(status):
        reasons.append(
            f"Blocking item {label} is {status or 'not run'}; it must be OK or waived."
        )
    if item.get("reviewer"):
        prepared_by, reviewed_by = item.get("prepared_by"), item.get("reviewed_by")
        if not prepared_by:
            reasons.append(f"Item {label} is not signed off by its preparer.")
        if not reviewed_by:
            reasons.append(f"Item {label} is not signed off by its reviewer.")
        elif prepared_by and reviewed_by == prepared_by:
            reasons.append(
                f"Item {label} was prepared and reviewed by the same person."
            )
        elif _review_is_stale(item):
            reasons.append(
                f"Item {label} changed after its review; "
                "the reviewer must sign it again."
            )
    return reasons


def can_close(items):
    """Return ``(allowed, reasons)`` for closing a period.

    ``items`` is a mapping ``{id: item}`` or an iterable of items; each item
    is a mapping with ``severity`` (``blocking`` by default), ``status``
    and optionally ``name``, ``reviewer`` (assigned reviewer; falsy when no
    review is needed), ``prepared_by`` and ``reviewed_by`` (who signed;
    falsy when unsigned), ``review_fingerprint``, ``count`` and ``amount``.

    The close is allowed only when every blocking item is ``ok`` or
    ``waived`` and every item with a reviewer is signed by its preparer and
    by a different reviewer whose sign-off still matches the figures (when
    a fingerprint and the count are given).  ``reasons`` lists, in plain
    English, everything that prevents the close.
    """
    reasons = []
    for label, item in _item_rows(items):
        reasons.extend(_item_reasons(label, item))
    return not reasons, reasons


def _template_fields(template):
    """Return ``(name, owner, due_days)`` from a tuple or a mapping."""
    if isinstance(template, Mapping):
        return template["name"], template.get("owner"), template.get("due_days", 0)
    name, owner, due_days = template
    return name, owner, due_days


def roll_forward(template_items, period_start):
    """Return ``[(name, owner, due date)]`` for a new period.

    Each template item is ``(name, owner, due_days)`` or a mapping with
    those keys; the due date is ``period_start + due_days`` days (0 means
    the first day of the period; negative values are allowed).  The order
    of the templates is kept.
    """
    if not isinstance(period_start, date):
        raise TypeError("The period start must be a date.")
    result = []
    for template in template_items:
        name, owner, due_days = _template_fields(template)
        if isinstance(due_days, bool) or not isinstance(due_days, int):
            raise TypeError(
                f"Due days of checklist item {name} must be a whole number."
            )
        result.append((name, owner, period_start + timedelta(days=due_days)))
    return result
