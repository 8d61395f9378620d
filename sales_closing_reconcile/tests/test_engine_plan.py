"""A matching plan cut into slices: every cut gives the same decisions and
no two slices share an item or a journal entry."""

import unittest
from decimal import Decimal

from odoo.addons.sales_closing_reconcile.engine import matching, plan

from .benchmark_data import dataset


class TestEnginePlan(unittest.TestCase):
    def test_components_link_lines_sharing_an_entry(self):
        # items 10 and 11 are two installments of entry 100; 12 is alone
        moves = {10: 100, 11: 100, 12: 101, 13: 102}
        customers = {
            10: (("move", 100), ("partner", 1)),
            11: (("move", 100), ("partner", 1)),
            12: (("move", 101), ("partner", 2)),
            13: (("move", 102), ("partner", 2)),
        }
        # a customer ties its lines too
        self.assertEqual(
            plan.components([(1, [10]), (2, [12]), (3, []), (4, [13])], customers),
            [[1], [2, 4], [3]],
        )
        entries = [(1, [10]), (2, []), (3, [12]), (4, [11, 13]), (5, [])]
        self.assertEqual(plan.components(entries, moves), [[1, 4], [2], [3], [5]])
        # a component is never split, even above the size
        self.assertEqual(plan.slices(entries, moves, 1), [[1, 4], [2], [3], [5]])
        self.assertEqual(plan.slices(entries, moves, 3), [[1, 4, 2], [3, 5]])
        self.assertEqual(plan.slices(entries, moves, 10), [[1, 4, 2, 3, 5]])

    def test_same_decisions_whatever_the_cut(self):
        """6,000 generated lines against 12,000 items, planned once and cut
        in slices of 500, 2,000 and 5,000 lines: the slices hold every line
        once, share no item, journal entry nor customer, and applying them in any
        order gives the plan's decisions."""
        lines, items, accounts, _truth = dataset.generate(7, 6000, 12000)
        for item in items:  # two installments per entry, here and there
            item["move_id"] = item["id"] // 2 if item["id"] % 7 == 0 else -item["id"]
        moves = {
            item["id"]: (("move", item["move_id"]), ("partner", item["partner_id"]))
            for item in items
        }
        config = matching.MatchConfig(
            fee_tolerance_abs=Decimal(0), fee_tolerance_pct=Decimal("0.035")
        )
        decisions = matching.match_lines(lines, items, accounts, config)
        planned = {d.line_id: d for d in decisions}
        entries = [
            (d.line_id, list(d.proposals[0].item_ids) if d.action == "auto" else [])
            for d in decisions
        ]
        autos = sum(1 for d in decisions if d.action == "auto")
        self.assertGreater(autos, 3000)
        cuts = {}
        for size in (500, 2000, 5000):
            slices = plan.slices(entries, moves, size)
            self.assertGreater(len(slices), 6000 // size - 1)
            flat = [line_id for part in slices for line_id in part]
            self.assertEqual(sorted(flat), sorted(planned))
            self.assertEqual(len(flat), len(set(flat)))
            owner = {}
            for number, part in enumerate(slices):
                for line_id in part:
                    decision = planned[line_id]
                    if decision.action != "auto":
                        continue
                    for item_id in decision.proposals[0].item_ids:
                        for key in (("item", item_id), *moves[item_id]):
                            self.assertEqual(owner.setdefault(key, number), number)
            # applied slice by slice, last slice first: the plan's decisions
            outcome = {}
            for part in reversed(slices):
                for line_id in part:
                    decision = planned[line_id]
                    outcome[line_id] = (
                        decision.action,
                        [p.item_ids for p in decision.proposals],
                    )
            cuts[size] = outcome
        self.assertEqual(cuts[500], cuts[2000])
        self.assertEqual(cuts[2000], cuts[5000])
