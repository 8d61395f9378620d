"""Unit tests of the sales order validation rules (no database)."""

import unittest

from odoo.addons.sales_closing.engine import order_rules

SETTINGS = {
    "max_discount": 10,
    "min_margin": 20,
    "max_below_pricelist": 5,
    "zero_price": True,
    "qty_factor": 3,
}


def line(**values):
    base = {
        "ref": 1,
        "name": "L1",
        "qty": 1,
        "price_unit": 100.0,
        "discount": 0.0,
        "cost": 50.0,
        "pricelist_price": 100.0,
        "average_qty": 1.0,
    }
    base.update(values)
    return base


class TestOrderRules(unittest.TestCase):
    def rules(self, **values):
        return [v["rule"] for v in order_rules.evaluate([line(**values)], SETTINGS)]

    def test_clean_line_passes(self):
        self.assertEqual(self.rules(), [])

    def test_max_discount(self):
        self.assertEqual(self.rules(discount=10), [])
        violations = order_rules.evaluate([line(discount=12)], SETTINGS)
        self.assertEqual(violations[0]["rule"], "max_discount")
        self.assertEqual(violations[0]["value"], 12)
        self.assertEqual(violations[0]["limit"], 10)
        self.assertEqual(violations[0]["ref"], 1)
        self.assertIn("L1", violations[0]["message"])

    def test_min_margin(self):
        self.assertEqual(self.rules(cost=80), [])  # exactly 20 %
        violations = order_rules.evaluate([line(cost=85)], SETTINGS)
        self.assertEqual([v["rule"] for v in violations], ["min_margin"])
        self.assertAlmostEqual(violations[0]["value"], 15.0)
        # the margin is on the discounted price; the discount rule also fires
        self.assertIn("min_margin", self.rules(discount=40, cost=50))
        # unknown cost: the margin rule is skipped
        self.assertEqual(self.rules(cost=None), [])

    def test_below_pricelist(self):
        self.assertEqual(self.rules(price_unit=95), [])
        violations = order_rules.evaluate([line(price_unit=90, cost=10)], SETTINGS)
        self.assertEqual([v["rule"] for v in violations], ["below_pricelist"])
        self.assertAlmostEqual(violations[0]["value"], 10.0)
        self.assertEqual(self.rules(price_unit=90, cost=10, pricelist_price=None), [])

    def test_zero_price(self):
        self.assertEqual(
            self.rules(price_unit=0, cost=None, pricelist_price=None),
            ["zero_price"],
        )
        settings = dict(SETTINGS, zero_price=False)
        self.assertEqual(
            order_rules.evaluate(
                [line(price_unit=0, cost=None, pricelist_price=None)], settings
            ),
            [],
        )

    def test_zero_price_with_cost_has_negative_margin(self):
        self.assertEqual(order_rules.margin_pct(line(price_unit=0, cost=5)), -100.0)
        self.assertEqual(order_rules.margin_pct(line(price_unit=0, cost=0)), 0.0)

    def test_quantity_above_average(self):
        self.assertEqual(self.rules(qty=3), [])
        violations = order_rules.evaluate([line(qty=4, average_qty=1)], SETTINGS)
        self.assertEqual([v["rule"] for v in violations], ["qty_above_average"])
        self.assertEqual((violations[0]["value"], violations[0]["limit"]), (4, 3))
        # no history: the rule does not apply
        self.assertEqual(self.rules(qty=400, average_qty=None), [])

    def test_rules_off(self):
        off = dict.fromkeys(SETTINGS, 0)
        self.assertFalse(order_rules.any_rule_on(off))
        self.assertTrue(order_rules.any_rule_on(dict(off, zero_price=True)))
        bad = line(discount=90, price_unit=0, qty=100, cost=500)
        self.assertEqual(order_rules.evaluate([bad], off), [])

    def test_several_lines_keep_order(self):
        lines = [line(ref=1, discount=50, cost=10), line(ref=2, qty=10, average_qty=2)]
        violations = order_rules.evaluate(lines, SETTINGS)
        self.assertEqual(
            [(v["ref"], v["rule"]) for v in violations],
            [(1, "max_discount"), (2, "qty_above_average")],
        )

    def test_violation_key(self):
        violation = order_rules.evaluate([line(discount=12)], SETTINGS)[0]
        self.assertEqual(
            order_rules.violation_key(violation), ("max_discount", 1, 12.0)
        )
