"""Unit tests of the installment, retry, recurrence and capture engine."""

import unittest
from datetime import date, datetime, timedelta
from decimal import Decimal

from odoo.addons.sales_closing_payments.engine import schedule

D = Decimal


class TestSplitInstallments(unittest.TestCase):
    """split_installments."""

    def test_thirds_sum_exactly(self):
        """33.33% x 3 of 100.00: the last line absorbs the rounding."""
        terms = [("percent", 33.33, 0), ("percent", 33.33, 30), ("percent", 33.34, 60)]
        result = schedule.split_installments(D("100.00"), terms, date(2024, 1, 15))
        self.assertEqual(
            result,
            [
                (date(2024, 1, 15), D("33.33")),
                (date(2024, 2, 14), D("33.33")),
                (date(2024, 3, 15), D("33.34")),
            ],
        )
        self.assertEqual(sum(amount for _due, amount in result), D("100.00"))

    def test_sum_is_exact_for_awkward_totals(self):
        """Many totals and splits: the sum always equals the total to the cent."""
        terms = [("percent", "30", 0), ("percent", "30", 30), ("percent", "40", 60)]
        for cents in (1, 2, 3, 7, 99, 101, 333, 1001, 99999, 123457):
            total = D(cents) / 100
            with self.subTest(total=total):
                result = schedule.split_installments(total, terms, date(2024, 1, 1))
                self.assertEqual(sum(amount for _due, amount in result), total)
                self.assertTrue(
                    all(amount == amount.quantize(D("0.01")) for _due, amount in result)
                )

    def test_half_up_rounding(self):
        """Non-last lines round half up, like Odoo's currency rounding."""
        result = schedule.split_installments(
            D("0.05"), [("percent", 50, 0), ("percent", 50, 10)], date(2024, 1, 1)
        )
        self.assertEqual([amount for _due, amount in result], [D("0.03"), D("0.02")])

    def test_fixed_then_balance(self):
        """A fixed deposit then the balance; dict lines like Odoo's are accepted."""
        terms = [
            {"value": "fixed", "value_amount": 150.0, "nb_days": 0},
            {"value": "percent", "value_amount": 100.0, "nb_days": 30},
        ]
        result = schedule.split_installments(D("1000.00"), terms, date(2024, 3, 1))
        self.assertEqual(
            result, [(date(2024, 3, 1), D("150.00")), (date(2024, 3, 31), D("850.00"))]
        )

    def test_credit_note_keeps_signs(self):
        """A negative total is split into negative installments summing exactly."""
        terms = [("fixed", 10, 0), ("percent", 50, 0), ("percent", 50, 30)]
        result = schedule.split_installments(D("-100.01"), terms, date(2024, 1, 1))
        self.assertEqual(
            [amount for _due, amount in result], [D("-10.00"), D("-50.01"), D("-40.00")]
        )

    def test_cash_rounding(self):
        """A 0.05 rounding step (CHF cash) is honoured on computed lines."""
        result = schedule.split_installments(
            D("100.00"),
            [("percent", 33.33, 0), ("percent", 66.67, 30)],
            date(2024, 1, 1),
            D("0.05"),
        )
        self.assertEqual([amount for _due, amount in result], [D("33.35"), D("66.65")])

    def test_zero_installments_dropped_and_total_zero(self):
        """Zero lines disappear; a zero total yields no installment."""
        result = schedule.split_installments(
            D("50"), [("percent", 0, 0), ("percent", 100, 30)], date(2024, 1, 1)
        )
        self.assertEqual(result, [(date(2024, 1, 31), D("50"))])
        self.assertEqual(
            schedule.split_installments(
                D("0"), [("percent", 100, 0)], date(2024, 1, 1)
            ),
            [],
        )

    def test_invalid_terms(self):
        """Over-total lines, bad kinds or percentages, no lines: errors."""
        with self.assertRaises(ValueError):
            schedule.split_installments(
                D("100"), [("fixed", 150, 0), ("percent", 100, 30)], date(2024, 1, 1)
            )
        with self.assertRaises(ValueError):
            schedule.split_installments(D("100"), [("balance", 0, 0)], date(2024, 1, 1))
        with self.assertRaises(ValueError):
            schedule.split_installments(
                D("100"), [("percent", 120, 0)], date(2024, 1, 1)
            )
        with self.assertRaises(ValueError):
            schedule.split_installments(D("100"), [], date(2024, 1, 1))
        with self.assertRaises(ValueError):
            schedule.split_installments(D("100"), [("percent", 100)], date(2024, 1, 1))
        with self.assertRaises(TypeError):
            schedule.split_installments(100.0, [("percent", 100, 0)], date(2024, 1, 1))

    def test_delay_types(self):
        """Odoo's four delay types."""
        invoice = date(2024, 1, 20)
        self.assertEqual(schedule.term_due_date(invoice, 10), date(2024, 1, 30))
        self.assertEqual(
            schedule.term_due_date(invoice, 10, "days_after_end_of_month"),
            date(2024, 2, 10),
        )
        self.assertEqual(
            schedule.term_due_date(invoice, 0, "days_after_end_of_next_month"),
            date(2024, 2, 29),
        )
        self.assertEqual(
            schedule.term_due_date(
                date(2024, 1, 31), 5, "days_after_end_of_next_month"
            ),
            date(2024, 3, 5),
        )
        self.assertEqual(
            schedule.term_due_date(invoice, 30, "days_end_of_month_on_the", 10),
            date(2024, 3, 10),
        )
        self.assertEqual(
            schedule.term_due_date(date(2024, 1, 5), 0, "days_end_of_month_on_the", 31),
            date(2024, 2, 29),
        )
        self.assertEqual(
            schedule.term_due_date(date(2024, 1, 5), 0, "days_end_of_month_on_the", 0),
            date(2024, 1, 31),
        )
        terms = [("percent", 100, 30, "days_end_of_month_on_the", "10")]
        self.assertEqual(
            schedule.split_installments(D("10"), terms, invoice),
            [(date(2024, 3, 10), D("10"))],
        )
        with self.assertRaises(ValueError):
            schedule.split_installments(
                D("10"), [("percent", 100, 0, "weekly")], invoice
            )


class TestNextRetry(unittest.TestCase):
    """next_retry exponential back-off."""

    def test_backoff_sequence(self):
        """6h, 12h, 24h, 48h then give up after the 5th attempt."""
        failed_at = datetime(2024, 5, 1, 8, 0)
        delays = [schedule.next_retry(n, failed_at) - failed_at for n in range(1, 5)]
        self.assertEqual(delays, [timedelta(hours=h) for h in (6, 12, 24, 48)])
        self.assertIsNone(schedule.next_retry(5, failed_at))
        self.assertIsNone(schedule.next_retry(9, failed_at))

    def test_parameters(self):
        """Custom base, factor, max_attempts and max_delay."""
        at = datetime(2024, 1, 1)
        self.assertEqual(
            schedule.next_retry(3, at, base=timedelta(minutes=10), factor=3),
            at + timedelta(minutes=90),
        )
        self.assertIsNone(schedule.next_retry(2, at, max_attempts=2))
        self.assertEqual(
            schedule.next_retry(4, at, max_delay=timedelta(hours=24)),
            at + timedelta(hours=24),
        )
        with self.assertRaises(ValueError):
            schedule.next_retry(0, at)


class TestRecurringDates(unittest.TestCase):
    """recurring_dates month-end anchoring."""

    def test_month_end_anchor(self):
        """Jan 31 -> Feb 29 (leap) -> Mar 31 -> Apr 30 -> May 31."""
        self.assertEqual(
            schedule.recurring_dates(date(2024, 1, 31), "monthly", count=5),
            [
                date(2024, 1, 31),
                date(2024, 2, 29),
                date(2024, 3, 31),
                date(2024, 4, 30),
                date(2024, 5, 31),
            ],
        )
        self.assertEqual(
            schedule.recurring_dates(date(2023, 1, 31), "monthly", count=3),
            [date(2023, 1, 31), date(2023, 2, 28), date(2023, 3, 31)],
        )

    def test_quarterly_and_yearly(self):
        """Quarterly crosses the year; yearly Feb 29 returns on leap years."""
        self.assertEqual(
            schedule.recurring_dates(date(2023, 11, 30), "quarterly", count=4),
            [
                date(2023, 11, 30),
                date(2024, 2, 29),
                date(2024, 5, 30),
                date(2024, 8, 30),
            ],
        )
        self.assertEqual(
            schedule.recurring_dates(date(2024, 2, 29), "yearly", count=5)[-1],
            date(2028, 2, 29),
        )
        self.assertEqual(
            schedule.recurring_dates(date(2024, 2, 29), "yearly", count=2)[1],
            date(2025, 2, 28),
        )

    def test_until_and_count(self):
        """until is inclusive; the first limit reached wins; an explicit anchor day."""
        self.assertEqual(
            schedule.recurring_dates(
                date(2024, 1, 15), "monthly", until=date(2024, 4, 15)
            ),
            [
                date(2024, 1, 15),
                date(2024, 2, 15),
                date(2024, 3, 15),
                date(2024, 4, 15),
            ],
        )
        self.assertEqual(
            len(
                schedule.recurring_dates(
                    date(2024, 1, 15), "monthly", count=2, until=date(2030, 1, 1)
                )
            ),
            2,
        )
        self.assertEqual(
            schedule.recurring_dates(
                date(2024, 1, 15), "monthly", until=date(2024, 1, 1)
            ),
            [],
        )
        self.assertEqual(
            schedule.recurring_dates(
                date(2024, 2, 29), "monthly", count=2, anchor_day=31
            ),
            [date(2024, 2, 29), date(2024, 3, 31)],
        )
        self.assertEqual(
            schedule.recurring_dates(date(2024, 1, 1), "monthly", count=0), []
        )

    def test_invalid(self):
        """Unknown interval, missing limit or negative count raise ValueError."""
        with self.assertRaises(ValueError):
            schedule.recurring_dates(date(2024, 1, 1), "weekly", count=2)
        with self.assertRaises(ValueError):
            schedule.recurring_dates(date(2024, 1, 1), "monthly")
        with self.assertRaises(ValueError):
            schedule.recurring_dates(date(2024, 1, 1), "monthly", count=-1)


class TestDueCharges(unittest.TestCase):
    """due_charges."""

    def test_selection_and_order(self):
        """Due pending lines and reached retries, oldest first; others skipped."""
        today = date(2024, 5, 10)
        lines = [
            {
                "id": 1,
                "due_date": date(2024, 5, 10),
                "amount": D("10"),
                "state": "pending",
            },
            {
                "id": 2,
                "due_date": date(2024, 5, 11),
                "amount": D("10"),
                "state": "pending",
            },
            {
                "id": 3,
                "due_date": date(2024, 4, 10),
                "amount": D("10"),
                "state": "charged",
            },
            {
                "id": 4,
                "due_date": date(2024, 4, 10),
                "amount": D("10"),
                "charged": True,
            },
            {"id": 5, "due_date": date(2024, 3, 10), "amount": D("10")},
            {
                "id": 6,
                "due_date": date(2024, 5, 1),
                "amount": D("10"),
                "state": "retry",
                "next_retry_at": datetime(2024, 5, 10, 6, 0),
            },
            {
                "id": 7,
                "due_date": date(2024, 5, 1),
                "amount": D("10"),
                "state": "retry",
                "next_retry_at": datetime(2024, 5, 11, 6, 0),
            },
            {
                "id": 8,
                "due_date": date(2024, 5, 1),
                "amount": D("10"),
                "state": "failed",
            },
            {
                "id": 9,
                "due_date": date(2024, 5, 1),
                "amount": D("10"),
                "state": "processing",
            },
            {
                "id": 10,
                "due_date": date(2024, 5, 1),
                "amount": D("10"),
                "state": "cancelled",
            },
            {
                "id": 11,
                "due_date": date(2024, 5, 1),
                "amount": D("0"),
                "state": "pending",
            },
            {
                "id": 12,
                "due_date": date(2024, 5, 1),
                "amount": D("10"),
                "state": "retry",
            },
        ]
        self.assertEqual(
            [line["id"] for line in schedule.due_charges(lines, today)], [5, 6, 1]
        )

    def test_datetime_today(self):
        """With a datetime, a retry scheduled later the same day is not due yet."""
        line = {
            "id": 1,
            "due_date": date(2024, 5, 1),
            "amount": D("5"),
            "state": "retry",
            "next_retry_at": datetime(2024, 5, 10, 18, 0),
        }
        self.assertEqual(schedule.due_charges([line], datetime(2024, 5, 10, 12, 0)), [])
        self.assertEqual(
            schedule.due_charges([line], datetime(2024, 5, 10, 18, 0)), [line]
        )


class TestCaptureAmounts(unittest.TestCase):
    """capture_amounts for authorize-at-order / capture-at-delivery."""

    def test_partial_capture(self):
        """Each delivery captures its part; the last voids the rest."""
        self.assertEqual(
            schedule.capture_amounts(D("100"), [], D("30"), True, False),
            (D("30"), D("0")),
        )
        self.assertEqual(
            schedule.capture_amounts(D("100"), [D("30")], D("50"), True, False),
            (D("50"), D("0")),
        )
        self.assertEqual(
            schedule.capture_amounts(D("100"), [D("30"), D("50")], D("15"), True, True),
            (D("15"), D("5")),
        )

    def test_full_single_delivery(self):
        """One full delivery captures all and voids nothing."""
        for partial in (True, False):
            with self.subTest(partial=partial):
                self.assertEqual(
                    schedule.capture_amounts(D("100"), [], D("100"), partial, True),
                    (D("100"), D("0")),
                )

    def test_over_delivery_is_capped(self):
        """Never capture more than authorized."""
        self.assertEqual(
            schedule.capture_amounts(D("100"), [D("90")], D("30"), True, False),
            (D("10"), D("0")),
        )
        self.assertEqual(
            schedule.capture_amounts(D("100"), D("120"), D("5"), True, True),
            (D("0"), D("0")),
        )
        self.assertEqual(
            schedule.capture_amounts(D("100"), [D("90")], D("30"), False, True),
            (D("100"), D("0")),
        )

    def test_no_partial_support(self):
        """No partial capture: wait, capture at the end, void the rest."""
        self.assertEqual(
            schedule.capture_amounts(D("100"), [], D("40"), False, False),
            (D("0"), D("0")),
        )
        self.assertEqual(
            schedule.capture_amounts(D("100"), [D("40")], D("20"), False, True),
            (D("60"), D("40")),
        )

    def test_void_everything(self):
        """A last delivery of nothing voids the remaining authorization."""
        self.assertEqual(
            schedule.capture_amounts(D("100"), [], D("0"), True, True),
            (D("0"), D("100")),
        )
        self.assertEqual(
            schedule.capture_amounts(
                D("100"), (x for x in [D("25")]), D("0"), True, True
            ),
            (D("0"), D("75")),
        )

    def test_invalid(self):
        """Negative amounts and floats are refused."""
        with self.assertRaises(ValueError):
            schedule.capture_amounts(D("100"), [], D("-1"), True, True)
        with self.assertRaises(ValueError):
            schedule.capture_amounts(D("-100"), [], D("1"), True, True)
        with self.assertRaises(TypeError):
            schedule.capture_amounts(100.0, [], D("1"), True, True)


class TestInstallmentPlanHelpers(unittest.TestCase):
    """recurring_periods, split_equal and retry_schedule (installment plans)."""

    def test_recurring_periods_month_ends(self):
        """Monthly periods from Jan 31 end the day before the next charge date."""
        self.assertEqual(
            schedule.recurring_periods(date(2024, 1, 31), "monthly", count=3),
            [
                (date(2024, 1, 31), date(2024, 2, 28)),
                (date(2024, 2, 29), date(2024, 3, 30)),
                (date(2024, 3, 31), date(2024, 4, 29)),
            ],
        )

    def test_recurring_periods_quarterly(self):
        """Quarterly periods cover three months each, back to back."""
        periods = schedule.recurring_periods(date(2026, 1, 1), "quarterly", count=4)
        self.assertEqual(periods[0], (date(2026, 1, 1), date(2026, 3, 31)))
        self.assertEqual(periods[-1], (date(2026, 10, 1), date(2026, 12, 31)))
        for (_start, end), (next_start, _end) in zip(
            periods, periods[1:], strict=False
        ):
            self.assertEqual(end + timedelta(days=1), next_start)

    def test_split_equal_sums_exactly(self):
        """Equal shares rounded to the cent, the last one absorbs the rest."""
        self.assertEqual(
            schedule.split_equal(D("100.00"), 3), [D("33.33"), D("33.33"), D("33.34")]
        )
        for cents in (1, 2, 99, 1001, 123457):
            for count in (1, 2, 3, 7, 12):
                total = D(cents) / 100
                with self.subTest(total=total, count=count):
                    amounts = schedule.split_equal(total, count)
                    self.assertEqual(len(amounts), count)
                    self.assertEqual(sum(amounts), total)
        with self.assertRaises(ValueError):
            schedule.split_equal(D("10"), 0)

    def test_retry_schedule_doubles_then_gives_up(self):
        """Retries 1, 2 and 4 days after the failed attempts, none after the 4th."""
        day = date(2026, 3, 1)
        self.assertEqual(schedule.retry_schedule(1, day), date(2026, 3, 2))
        self.assertEqual(schedule.retry_schedule(2, day), date(2026, 3, 3))
        self.assertEqual(schedule.retry_schedule(3, day), date(2026, 3, 5))
        self.assertIsNone(schedule.retry_schedule(4, day))
        self.assertEqual(
            schedule.retry_schedule(1, day, delay_days=2, max_attempts=2),
            date(2026, 3, 3),
        )
        self.assertIsNone(schedule.retry_schedule(2, day, max_attempts=2))
        with self.assertRaises(ValueError):
            schedule.retry_schedule(1, day, delay_days=0)


if __name__ == "__main__":
    unittest.main()
