"""Gaps and duplicates in posted document numbers.

A name such as ``INV/2026/00012`` or ``INV/2026/11/0003`` is split into a
*prefix* (everything before the trailing number: ``INV/2026/`` or
``INV/2026/11/``) and the trailing number.  Numbers are compared per
prefix, so each journal, year and month is checked on its own.  Pure
Python, no Odoo import.
"""

import re
from collections import Counter, defaultdict
from itertools import pairwise

_NAME = re.compile(r"^(.*?)(\d+)$")


def split_name(name):
    """Return ``(prefix, number)`` of ``name``; ``None`` without trailing number."""
    match = _NAME.match(name.strip())
    if not match:
        return None
    return match.group(1), int(match.group(2))


def _missing_ranges(numbers):
    """Return ``[(from, to)]`` for the numbers missing between min and max."""
    ranges = []
    ordered = sorted(numbers)
    for low, high in pairwise(ordered):
        if high - low > 1:
            ranges.append((low + 1, high - 1))
    return ranges


def sequence_issues(names):
    """Find gaps and duplicates in a list of posted document names.

    Returns a dict with:

    * ``gaps``: ``[(prefix, missing_from, missing_to)]`` for each run of
      numbers missing between the lowest and highest number of a prefix,
      sorted by prefix then number;
    * ``duplicates``: sorted names that are used more than once, or that
      give a number already used under the same prefix with another
      zero-padding (``INV/2026/012`` and ``INV/2026/0012``);
    * ``unparsed``: sorted names without a trailing number (ignored).
    """
    numbers = defaultdict(set)
    owners = defaultdict(set)
    unparsed = set()
    counts = Counter(name.strip() for name in names)
    for name in counts:
        parsed = split_name(name)
        if parsed is None:
            unparsed.add(name)
            continue
        prefix, number = parsed
        numbers[prefix].add(number)
        owners[parsed].add(name)
    duplicates = {name for name, count in counts.items() if count > 1}
    for variants in owners.values():
        if len(variants) > 1:
            duplicates.update(variants)
    gaps = [
        (prefix, low, high)
        for prefix in sorted(numbers)
        for low, high in _missing_ranges(numbers[prefix])
    ]
    return {
        "gaps": gaps,
        "duplicates": sorted(duplicates),
        "unparsed": sorted(unparsed),
    }
