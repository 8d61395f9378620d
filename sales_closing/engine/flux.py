"""Flux analysis: compare balances with the previous period and last year.

For each key (account, product category, salesperson...) a row gives the
current amount, the previous-period and last-year amounts, the variances
and the variance percentages.

**When does a variance need an explanation?**  A row needs an explanation
when, against *either* comparison (previous period or same period last
year), *both* conditions hold:

* ``abs(variance) >= threshold_amount``, and
* ``abs(variance %) >= threshold_pct``.

Percentages are expressed in percent (``Decimal("10")`` means 10 %) and
computed against the absolute value of the base, so a move from -100 to
-150 is -50 %.  When the base is zero and the variance is not, the
percentage is infinite: the row shows ``None`` as percentage and the
percentage condition counts as met whatever ``threshold_pct`` is.  A key
missing from a comparison dict counts as zero; passing ``None`` instead of
a comparison dict means "no comparison available" and its variance is
``None`` and never flags a row.

Pure Python, no Odoo import.
"""

from collections import namedtuple
from decimal import ROUND_HALF_UP, Decimal

FluxRow = namedtuple(
    "FluxRow",
    [
        "key",
        "current",
        "previous",
        "last_year",
        "var_prev",
        "var_prev_pct",
        "var_ly",
        "var_ly_pct",
        "needs_explanation",
    ],
)

_PCT_QUANT = Decimal("0.01")
_HUNDRED = Decimal(100)


def _amount(value):
    """Return ``value`` as a ``Decimal`` (``None`` is zero); floats are refused."""
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise TypeError(f"Amounts must be Decimal, got {type(value).__name__}.")


def variance_pct(variance, base):
    """Return ``variance`` as a percentage of ``abs(base)``, rounded to 0.01.

    Returns ``Decimal(0)`` when both are zero and ``None`` (infinite) when
    only the base is zero.
    """
    if base == 0:
        return Decimal(0) if variance == 0 else None
    pct = variance * _HUNDRED / abs(base)
    return pct.quantize(_PCT_QUANT, rounding=ROUND_HALF_UP)


def is_significant(variance, pct, threshold_amount, threshold_pct):
    """Return True when a variance meets both thresholds.

    ``pct`` is ``None`` for an infinite percentage (zero base), which meets
    any percentage threshold.  ``variance`` ``None`` (no comparison) is never
    significant.
    """
    if variance is None:
        return False
    if abs(variance) < threshold_amount:
        return False
    return pct is None or abs(pct) >= threshold_pct


def _sorted_keys(keys):
    """Return keys sorted naturally, or by their text when types are mixed."""
    try:
        return sorted(keys)
    except TypeError:
        return sorted(keys, key=lambda key: (type(key).__name__, str(key)))


def _compare(current, base_map, key):
    """Return ``(base, variance, pct)`` for one comparison of one key."""
    if base_map is None:
        return None, None, None
    base = _amount(base_map.get(key))
    variance = current - base
    return base, variance, variance_pct(variance, base)


def flux(current, previous, last_year, threshold_amount, threshold_pct):
    """Return one :class:`FluxRow` per key found in any of the dicts.

    ``current``, ``previous`` and ``last_year`` map a key to a ``Decimal``
    amount; ``previous`` or ``last_year`` may be ``None`` when there is no
    such comparison.  Rows are sorted by key.  See the module docstring for
    the rule that sets ``needs_explanation``.
    """
    threshold_amount = _amount(threshold_amount)
    threshold_pct = _amount(threshold_pct)
    if threshold_amount < 0 or threshold_pct < 0:
        raise ValueError("Flux thresholds cannot be negative.")
    keys = set(current)
    for other in (previous, last_year):
        if other is not None:
            keys.update(other)
    rows = []
    for key in _sorted_keys(keys):
        amount = _amount(current.get(key))
        prev, var_prev, var_prev_pct = _compare(amount, previous, key)
        ly, var_ly, var_ly_pct = _compare(amount, last_year, key)
        needs = is_significant(
            var_prev, var_prev_pct, threshold_amount, threshold_pct
        ) or is_significant(var_ly, var_ly_pct, threshold_amount, threshold_pct)
        rows.append(
            FluxRow(
                key, amount, prev, ly, var_prev, var_prev_pct, var_ly, var_ly_pct, needs
            )
        )
    return rows
