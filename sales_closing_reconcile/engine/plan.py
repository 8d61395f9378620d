"""A matching run's plan cut into slices that parallel jobs apply.

The engine decides every line of a run in one pass (``match_lines``): which
open items a line takes is settled there, once, before any job starts, so
the decisions do not depend on how the run is cut nor on the order the jobs
finish in.  The jobs only apply a fixed plan; to let them run at once
without waiting on each other, two slices never write the same rows:

* the items an automatic match reconciles are the engine's own (an item is
  granted to one line of the run at most), and
* the other rows reconciling an item rewrites: its journal entry (an
  invoice's residual and payment state, shared by its installments) and
  what is kept per customer (a collection case's amount due over several
  invoices, for one).

So lines are linked when their automatic matches touch the same journal
entry or the same customer (``links``: item id -> its keys), the linked
lines form components (union-find) and the components are packed, in order
of their first line, into slices of about ``size`` lines, as even as the
components allow (a component is never split).  Lines
without an automatic match (suggestions, nothing found) write only their
own rows and fill the slices in line order.
"""


def _find(parent, key):
    root = key
    while parent[root] != root:
        root = parent[root]
    while parent[key] != root:  # path compression
        parent[key], key = root, parent[key]
    return root


def components(entries, links):
    """Groups of line ids that must be applied by the same job.

    ``entries``: ``[(line id, item ids taken automatically)]`` (empty item
    ids for a suggestion or no match); ``links``: item id -> a key or a
    tuple of keys (its journal entry, its customer) that tie the lines
    taking such items together.  Returns lists of line ids, each sorted,
    ordered by their first line."""
    parent = {}
    owner = {}  # journal entry -> first line touching it
    for line_id, item_ids in entries:
        parent.setdefault(line_id, line_id)
        for item_id in item_ids:
            keys = links.get(item_id, ())
            if not isinstance(keys, (tuple, list)):
                keys = (keys,)
            for key in (("item", item_id), *keys):
                other = owner.setdefault(key, line_id)
                if other != line_id:
                    a, b = _find(parent, other), _find(parent, line_id)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
    groups = {}
    for line_id in sorted(parent):
        groups.setdefault(_find(parent, line_id), []).append(line_id)
    return sorted(groups.values(), key=lambda group: group[0])


def slices(entries, links, size):
    """Line ids in slices of about ``size`` (see the module docstring): as
    many slices as ``size`` makes, of even length (a slice is closed once it
    reaches the average; a component is never split)."""
    groups = components(entries, links)
    total = sum(len(group) for group in groups)
    count = max(1, -(-total // max(1, int(size))))
    target = total / count
    result, current = [], []
    for group in groups:
        current = current + group
        if len(current) >= target and len(result) < count - 1:
            result.append(current)
            current = []
    if current:
        result.append(current)
    return result
