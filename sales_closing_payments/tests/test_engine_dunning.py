"""Unit tests of the pure-Python dunning engine (no Odoo model)."""

import unittest
from datetime import date, timedelta
from decimal import Decimal

from odoo.addons.sales_closing_payments.engine import dunning

LEVELS = [
    {
        "sequence": 1,
        "days": -3,
        "block_orders": False,
        "send_email": True,
        "send_letter": False,
    },
    {
        "sequence": 2,
        "days": 7,
        "block_orders": False,
        "send_email": True,
        "send_letter": False,
    },
    {
        "sequence": 3,
        "days": 15,
        "block_orders": True,
        "send_email": True,
        "send_letter": True,
    },
    {
        "sequence": 4,
        "days": 30,
        "block_orders": True,
        "send_email": True,
        "send_letter": True,
    },
]
DUE = date(2024, 5, 1)


def seqs(levels):
    """Return the sequences of a list of level dicts."""
    return [level["sequence"] for level in levels]


class TestLevelFor(unittest.TestCase):
    """level_for."""

    def test_progression_one_level_at_a_time(self):
        """Each level is reached on its day relative to the due date."""
        cases = [
            (DUE - timedelta(days=4), None, None),
            (DUE - timedelta(days=3), None, 1),
            (DUE + timedelta(days=6), 1, None),
            (DUE + timedelta(days=7), 1, 2),
            (DUE + timedelta(days=15), 2, 3),
            (DUE + timedelta(days=30), 3, 4),
            (DUE + timedelta(days=90), 4, None),
        ]
        for today, last, expected in cases:
            with self.subTest(today=today, last=last):
                decision = dunning.level_for(DUE, today, LEVELS, last)
                self.assertEqual(
                    decision.level and decision.level["sequence"], expected
                )
                self.assertEqual(decision.skipped, [])

    def test_never_backwards_never_twice(self):
        """A level already sent (or a higher one) is not sent again."""
        self.assertIsNone(
            dunning.level_for(DUE, DUE + timedelta(days=16), LEVELS, 3).level
        )
        self.assertIsNone(
            dunning.level_for(DUE, DUE + timedelta(days=8), LEVELS, 4).level
        )
        self.assertIsNone(
            dunning.level_for(
                DUE, DUE + timedelta(days=8), LEVELS, {"sequence": 2}
            ).level
        )

    def test_skipped_levels_are_reported(self):
        """Several levels due at once: highest sent, others reported."""
        decision = dunning.level_for(DUE, DUE + timedelta(days=20), LEVELS, None)
        self.assertEqual(decision.level["sequence"], 3)
        self.assertEqual(seqs(decision.skipped), [1, 2])
        decision = dunning.level_for(DUE, DUE + timedelta(days=45), LEVELS, False)
        self.assertEqual(decision.level["sequence"], 4)
        self.assertEqual(seqs(decision.skipped), [1, 2, 3])
        decision = dunning.level_for(DUE, DUE + timedelta(days=31), LEVELS, 2)
        self.assertEqual((decision.level["sequence"], seqs(decision.skipped)), (4, [3]))

    def test_unordered_levels_and_validation(self):
        """Input order is irrelevant; inconsistent levels raise."""
        decision = dunning.level_for(
            DUE, DUE + timedelta(days=8), list(reversed(LEVELS)), 1
        )
        self.assertEqual(decision.level["sequence"], 2)
        with self.assertRaises(ValueError):
            dunning.normalise_levels(
                [{"sequence": 1, "days": 10}, {"sequence": 2, "days": 5}]
            )
        with self.assertRaises(ValueError):
            dunning.normalise_levels(
                [{"sequence": 1, "days": 1}, {"sequence": 1, "days": 5}]
            )
        self.assertEqual(
            dunning.level_for(DUE, DUE + timedelta(days=99), [], None),
            dunning.LevelDecision(None, []),
        )


class TestPlanRun(unittest.TestCase):
    """plan_run grouping per partner."""

    def test_grouping(self):
        """Lines per partner, level, totals, block flag, paid ignored."""
        today = date(2024, 6, 1)
        invoices = [
            {
                "id": 11,
                "partner_id": 1,
                "due_date": date(2024, 5, 20),
                "residual": Decimal("100"),
                "last_level_sent": 1,
            },
            {
                "id": 12,
                "partner_id": 1,
                "due_date": date(2024, 5, 10),
                "residual": Decimal("50.5"),
                "last_level_sent": None,
            },
            {
                "id": 21,
                "partner_id": 2,
                "due_date": date(2024, 5, 31),
                "residual": Decimal("80"),
                "last_level_sent": 1,
            },
            {
                "id": 31,
                "partner_id": 3,
                "due_date": date(2024, 4, 1),
                "residual": Decimal("0"),
                "last_level_sent": 2,
            },
            {
                "id": 41,
                "partner_id": 4,
                "due_date": date(2024, 6, 3),
                "residual": Decimal("10"),
                "last_level_sent": 0,
            },
        ]
        plan = dunning.plan_run(invoices, today, LEVELS)
        self.assertEqual([group["partner_id"] for group in plan], [1, 4])
        first = plan[0]
        self.assertEqual(first["level"]["sequence"], 3)
        self.assertTrue(first["block_orders"])
        self.assertEqual(first["total_residual"], Decimal("150.5"))
        self.assertEqual(first["skipped_levels"], [1, 2])
        self.assertEqual(
            [
                (
                    line["invoice_id"],
                    line["level"],
                    line["skipped"],
                    line["days_overdue"],
                )
                for line in first["lines"]
            ],
            [(12, 3, [1, 2], 22), (11, 2, [], 12)],
        )
        courtesy = plan[1]
        self.assertEqual(courtesy["level"]["sequence"], 1)
        self.assertFalse(courtesy["block_orders"])
        self.assertEqual(courtesy["lines"][0]["days_overdue"], -2)

    def test_block_persists_from_previous_level(self):
        """A partner whose open invoice already got a blocking level stays blocked."""
        today = date(2024, 6, 1)
        invoices = [
            {
                "id": 1,
                "partner_id": 7,
                "due_date": date(2024, 4, 1),
                "residual": Decimal("10"),
                "last_level_sent": 4,
            },
            {
                "id": 2,
                "partner_id": 7,
                "due_date": date(2024, 6, 3),
                "residual": Decimal("10"),
                "last_level_sent": None,
            },
        ]
        plan = dunning.plan_run(invoices, today, LEVELS)
        self.assertEqual(len(plan), 1)
        self.assertEqual(plan[0]["level"]["sequence"], 1)
        self.assertTrue(plan[0]["block_orders"])
        self.assertEqual([line["invoice_id"] for line in plan[0]["lines"]], [2])

    def test_nothing_to_send(self):
        """No invoices or nothing due gives an empty plan."""
        self.assertEqual(dunning.plan_run([], date(2024, 6, 1), LEVELS), [])
        invoice = {
            "id": 1,
            "partner_id": 1,
            "due_date": date(2024, 7, 1),
            "residual": "5",
            "last_level_sent": None,
        }
        self.assertEqual(dunning.plan_run([invoice], date(2024, 6, 1), LEVELS), [])


class TestShouldEscalate(unittest.TestCase):
    """should_escalate with and without promises to pay."""

    TODAY = date(2024, 6, 1)

    def test_threshold(self):
        """Escalate only once the threshold level is reached (new or already sent)."""
        self.assertTrue(dunning.should_escalate([{"level": 4}], 4, [], self.TODAY))
        self.assertTrue(
            dunning.should_escalate(
                [{"last_level_sent": 4}, {"level": 2}], 4, [], self.TODAY
            )
        )
        self.assertTrue(
            dunning.should_escalate([{"level": 4}], LEVELS[2], [], self.TODAY)
        )
        self.assertFalse(dunning.should_escalate([{"level": 3}], 4, [], self.TODAY))
        self.assertFalse(dunning.should_escalate([], 4, [], self.TODAY))
        self.assertFalse(dunning.should_escalate([{"level": None}], 0, [], self.TODAY))

    def test_pending_promise_blocks(self):
        """An unkept promise dated today or later holds the escalation back."""
        lines = [{"level": 4}]
        self.assertFalse(
            dunning.should_escalate(
                lines, 4, [(self.TODAY, Decimal("50"), False)], self.TODAY
            )
        )
        self.assertFalse(
            dunning.should_escalate(
                lines, 4, [(self.TODAY + timedelta(days=5), "10", False)], self.TODAY
            )
        )

    def test_broken_kept_or_empty_promises_do_not_block(self):
        """Broken (past, unkept), already kept and zero promises do not protect."""
        lines = [{"level": 4}]
        promises = [
            (self.TODAY - timedelta(days=1), Decimal("50"), False),
            (self.TODAY + timedelta(days=3), Decimal("50"), True),
            (self.TODAY + timedelta(days=3), Decimal("0"), False),
        ]
        self.assertTrue(dunning.should_escalate(lines, 4, promises, self.TODAY))
        self.assertTrue(dunning.should_escalate(lines, 4, None, self.TODAY))


if __name__ == "__main__":
    unittest.main()


class TestPromiseStates(unittest.TestCase):
    def test_open_kept_broken(self):
        promises = [
            {"id": 1, "date": date(2024, 6, 10), "amount": Decimal("100")},
            {"id": 2, "date": date(2024, 6, 20), "amount": Decimal("50")},
        ]
        today = date(2024, 6, 15)
        # nothing paid yet: first broken (date passed), second still open
        self.assertEqual(
            dunning.promise_states(promises, [], today),
            {1: dunning.PROMISE_BROKEN, 2: dunning.PROMISE_OPEN},
        )
        # paid 100 on time: first kept, second open
        payments = [(date(2024, 6, 9), Decimal("100"))]
        self.assertEqual(
            dunning.promise_states(promises, payments, today),
            {1: dunning.PROMISE_KEPT, 2: dunning.PROMISE_OPEN},
        )

    def test_cumulative_and_late_payment(self):
        promises = [
            {"id": 1, "date": date(2024, 6, 10), "amount": "100"},
            {"id": 2, "date": date(2024, 6, 20), "amount": "50"},
        ]
        # 120 by the 20th covers only 120 of the 150 promised in total
        payments = [(date(2024, 6, 5), "100"), (date(2024, 6, 18), "20")]
        self.assertEqual(
            dunning.promise_states(promises, payments, date(2024, 6, 25)),
            {1: dunning.PROMISE_KEPT, 2: dunning.PROMISE_BROKEN},
        )
        # a payment after the promised date does not mend a broken promise
        late = [(date(2024, 6, 12), "100")]
        self.assertEqual(
            dunning.promise_states(promises[:1], late, date(2024, 6, 25)),
            {1: dunning.PROMISE_BROKEN},
        )


class TestDateModes(unittest.TestCase):
    """level_date / level_for with the end_of_month and previous modes."""

    def test_end_of_month(self):
        """Days count from the last day of the due date's month."""
        self.assertEqual(dunning.end_of_month(date(2024, 2, 10)), date(2024, 2, 29))
        self.assertEqual(dunning.end_of_month(date(2023, 2, 28)), date(2023, 2, 28))
        self.assertEqual(dunning.end_of_month(date(2024, 12, 1)), date(2024, 12, 31))
        level = {"sequence": 1, "days": 5, "mode": "end_of_month"}
        self.assertEqual(dunning.level_date(level, DUE), date(2024, 6, 5))
        self.assertFalse(dunning.level_reached(level, DUE, date(2024, 6, 4)))
        self.assertTrue(dunning.level_reached(level, DUE, date(2024, 6, 5)))
        # due on the last day: same as counting from the due date
        self.assertEqual(dunning.level_date(level, date(2024, 5, 31)), date(2024, 6, 5))

    def test_due_is_the_default_mode(self):
        """Without a mode (or mode 'due') days count from the due date."""
        for level in (
            {"sequence": 1, "days": 7},
            {"sequence": 1, "days": 7, "mode": "due"},
        ):
            self.assertEqual(dunning.level_date(level, DUE), date(2024, 5, 8))

    def test_previous(self):
        """A previous level waits for the level below to be sent, then counts
        from the day it was sent."""
        levels = [
            {"sequence": 1, "days": 7},
            {"sequence": 2, "days": 10, "mode": "previous"},
        ]
        self.assertIsNone(dunning.level_date(levels[1], DUE))
        self.assertFalse(dunning.level_reached(levels[1], DUE, DUE + timedelta(999)))
        sent = DUE + timedelta(days=9)  # level 1 sent two days late
        cases = [
            (sent + timedelta(days=9), None),
            (sent + timedelta(days=10), 2),
            (sent + timedelta(days=30), 2),
        ]
        for today, expected in cases:
            with self.subTest(today=today):
                decision = dunning.level_for(DUE, today, levels, 1, {1: sent})
                self.assertEqual(
                    decision.level and decision.level["sequence"], expected
                )
        # level 1 planned but not sent yet: level 2 is not reached
        self.assertIsNone(
            dunning.level_for(DUE, DUE + timedelta(days=99), levels, 1, {}).level
        )
        # nothing sent: only level 1, level 2 is not skipped over
        decision = dunning.level_for(DUE, DUE + timedelta(days=99), levels, None)
        self.assertEqual((decision.level["sequence"], decision.skipped), (1, []))

    def test_previous_between_due_levels(self):
        """A level counted from the due date above a previous level still
        comes on its day, skipping the previous level not reached."""
        levels = [
            {"sequence": 1, "days": 7},
            {"sequence": 2, "days": 10, "mode": "previous"},
            {"sequence": 3, "days": 30},
        ]
        decision = dunning.level_for(
            DUE, DUE + timedelta(days=30), levels, 1, {1: DUE + timedelta(days=25)}
        )
        self.assertEqual(decision.level["sequence"], 3)
        self.assertEqual(decision.skipped, [])
        decision = dunning.level_for(
            DUE, DUE + timedelta(days=30), levels, 1, {1: DUE + timedelta(days=7)}
        )
        self.assertEqual((decision.level["sequence"], seqs(decision.skipped)), (3, [2]))

    def test_plan_run_uses_sent_dates(self):
        """plan_run passes each invoice's sent dates to level_for."""
        levels = [
            {"sequence": 1, "days": 0},
            {"sequence": 2, "days": 3, "mode": "previous"},
        ]
        invoice = {
            "id": 1,
            "partner_id": 1,
            "due_date": DUE,
            "residual": "10",
            "last_level_sent": 1,
            "sent_dates": {1: date(2024, 5, 20)},
        }
        self.assertEqual(dunning.plan_run([invoice], date(2024, 5, 22), levels), [])
        plan = dunning.plan_run([invoice], date(2024, 5, 23), levels)
        self.assertEqual(plan[0]["lines"][0]["level"], 2)

    def test_validation(self):
        """Days increase per mode; previous levels need a level below and days."""
        # a month-end level may have fewer days than a due-date one
        dunning.normalise_levels(
            [
                {"sequence": 1, "days": 15},
                {"sequence": 2, "days": 0, "mode": "end_of_month"},
                {"sequence": 3, "days": 5, "mode": "previous"},
                {"sequence": 4, "days": 45},
            ]
        )
        invalid = [
            [{"sequence": 1, "days": 5, "mode": "previous"}],
            [
                {"sequence": 1, "days": 5},
                {"sequence": 2, "days": 0, "mode": "previous"},
            ],
            [
                {"sequence": 1, "days": 5, "mode": "end_of_month"},
                {"sequence": 2, "days": 5, "mode": "end_of_month"},
            ],
            [
                {"sequence": 1, "days": 15},
                {"sequence": 2, "days": 5, "mode": "previous"},
                {"sequence": 3, "days": 10},
            ],
            [{"sequence": 1, "days": 5, "mode": "net_days"}],
        ]
        for levels in invalid:
            with self.subTest(levels=levels), self.assertRaises(ValueError):
                dunning.normalise_levels(levels)

    def test_drop_reason_at_send_time(self):
        """A reminder planned earlier is sent only if still due when sent."""
        level = LEVELS[1]  # 7 days after the due date
        today = DUE + timedelta(days=10)
        due = {
            "posted": True,
            "residual": Decimal("100.00"),
            "tolerance": Decimal("0"),
            "due_date": DUE,
            "level": level,
        }
        self.assertIsNone(dunning.drop_reason(due, today))
        cases = [
            ({"posted": False}, dunning.DROP_CANCELLED),
            ({"residual": Decimal("0")}, dunning.DROP_PAID),
            ({"residual": Decimal("0.50"), "tolerance": "1.00"}, dunning.DROP_PAID),
            ({"blocked": True}, dunning.DROP_BLOCKED),
            ({"excluded": True}, dunning.DROP_EXCLUDED),
            ({"on_hold": True}, dunning.DROP_ON_HOLD),
            # the due date moved: the level is not reached any more
            ({"due_date": DUE + timedelta(days=5)}, dunning.DROP_NOT_DUE),
            # paid wins over every other reason
            ({"residual": Decimal("0"), "blocked": True}, dunning.DROP_PAID),
        ]
        for change, reason in cases:
            with self.subTest(change=change):
                self.assertEqual(dunning.drop_reason({**due, **change}, today), reason)
        # a level counted from the previous one needs that one sent
        previous = {"sequence": 3, "days": 4, "mode": "previous"}
        chained = {**due, "level": previous}
        self.assertEqual(dunning.drop_reason(chained, today), dunning.DROP_NOT_DUE)
        chained["previous_sent"] = today - timedelta(days=4)
        self.assertIsNone(dunning.drop_reason(chained, today))
