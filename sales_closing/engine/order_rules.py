"""Sales order validation rules, evaluated on plain dicts.

A line is a dict with:

``ref``
    anything identifying the line for the caller (e.g. its id);
``name``
    a label used in the messages;
``qty``, ``price_unit``, ``discount`` (percent)
    as on the order line;
``cost``
    unit cost in the order currency, ``None`` when unknown (the margin rule
    then skips the line);
``pricelist_price``
    unit price the pricelist gives, ``None`` when unknown;
``average_qty``
    the customer's average quantity of the product on earlier confirmed
    orders, ``None`` when the customer never ordered it.

The settings dict holds the thresholds; 0, ``None`` or ``False`` switches a
rule off:

``max_discount``
    highest discount (%) allowed;
``min_margin``
    lowest margin (%) of the net unit price over the cost;
``max_below_pricelist``
    how far (%) the unit price may be below the pricelist price;
``zero_price``
    when true, lines with a unit price of zero break a rule;
``qty_factor``
    a quantity above this many times the customer's average breaks a rule.

:func:`evaluate` returns the violations as dicts ``rule``, ``ref``,
``value``, ``limit``, ``message``.  Pure Python, no Odoo import.
"""

MAX_DISCOUNT = "max_discount"
MIN_MARGIN = "min_margin"
BELOW_PRICELIST = "below_pricelist"
ZERO_PRICE = "zero_price"
QTY_ABOVE_AVERAGE = "qty_above_average"

RULES = (MAX_DISCOUNT, MIN_MARGIN, BELOW_PRICELIST, ZERO_PRICE, QTY_ABOVE_AVERAGE)

PRECISION = 6


def _num(value):
    return float(value or 0.0)


def _round(value):
    return round(value, PRECISION)


def net_price(line):
    """Unit price after the line's discount."""
    return _num(line.get("price_unit")) * (1.0 - _num(line.get("discount")) / 100.0)


def margin_pct(line):
    """Margin (%) of the net unit price over the cost, ``None`` without cost.

    A line sold at zero or less with a positive cost has a margin of -100 %;
    at zero with a zero cost, 0 %.
    """
    cost = line.get("cost")
    if cost is None:
        return None
    net = net_price(line)
    cost = _num(cost)
    if net <= 0:
        return -100.0 if cost > 0 else 0.0
    return _round((net - cost) / net * 100.0)


def below_pricelist_pct(line):
    """How far (%) the unit price is below the pricelist price, or ``None``."""
    pricelist_price = line.get("pricelist_price")
    if pricelist_price is None or _num(pricelist_price) <= 0:
        return None
    return _round(
        (_num(pricelist_price) - _num(line.get("price_unit")))
        / _num(pricelist_price)
        * 100.0
    )


def _violation(rule, line, value, limit, message):
    return {
        "rule": rule,
        "ref": line.get("ref"),
        "value": _round(value),
        "limit": _round(limit),
        "message": message,
    }


def evaluate_line(line, settings):
    """Return the violations of one line (a possibly empty list)."""
    name = line.get("name") or str(line.get("ref"))
    violations = []
    max_discount = _num(settings.get("max_discount"))
    discount = _num(line.get("discount"))
    if max_discount > 0 and discount > max_discount + 1e-9:
        violations.append(
            _violation(
                MAX_DISCOUNT,
                line,
                discount,
                max_discount,
                f"{name}: discount {discount:g}% is above the maximum of "
                f"{max_discount:g}%.",
            )
        )
    min_margin = _num(settings.get("min_margin"))
    margin = margin_pct(line)
    if min_margin > 0 and margin is not None and margin < min_margin - 1e-9:
        violations.append(
            _violation(
                MIN_MARGIN,
                line,
                margin,
                min_margin,
                f"{name}: margin {margin:.2f}% is below the minimum of "
                f"{min_margin:g}%.",
            )
        )
    max_below = _num(settings.get("max_below_pricelist"))
    below = below_pricelist_pct(line)
    if max_below > 0 and below is not None and below > max_below + 1e-9:
        violations.append(
            _violation(
                BELOW_PRICELIST,
                line,
                below,
                max_below,
                f"{name}: unit price {_num(line.get('price_unit')):g} is "
                f"{below:.2f}% below the pricelist price "
                f"{_num(line.get('pricelist_price')):g} (maximum {max_below:g}%).",
            )
        )
    if settings.get("zero_price") and _num(line.get("price_unit")) == 0:
        violations.append(
            _violation(ZERO_PRICE, line, 0.0, 0.0, f"{name}: unit price is zero.")
        )
    factor = _num(settings.get("qty_factor"))
    average = line.get("average_qty")
    qty = _num(line.get("qty"))
    if factor > 0 and average is not None and _num(average) > 0:
        limit = factor * _num(average)
        if qty > limit + 1e-9:
            violations.append(
                _violation(
                    QTY_ABOVE_AVERAGE,
                    line,
                    qty,
                    limit,
                    f"{name}: quantity {qty:g} is above {factor:g} times the "
                    f"customer's average of {_num(average):g} ({limit:g}).",
                )
            )
    return violations


def evaluate(lines, settings):
    """Return the violations of all ``lines``, in line order."""
    violations = []
    for line in lines:
        violations.extend(evaluate_line(line, settings))
    return violations


def any_rule_on(settings):
    """Whether at least one rule is switched on."""
    return any(
        _num(settings.get(key)) > 0
        for key in ("max_discount", "min_margin", "max_below_pricelist", "qty_factor")
    ) or bool(settings.get("zero_price"))


def violation_key(violation):
    """Key telling whether a later violation is the one already decided on."""
    return (violation["rule"], violation["ref"], _round(_num(violation["value"])))
