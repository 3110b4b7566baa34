"""Billing periods and proration: month-end anchoring, leap years, rounding half up."""

import calendar
import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.periods import (
    BillingInterval,
    add_months,
    nth_period_bounds,
    period_end,
    proration_cents,
)

MONTHLY = BillingInterval.MONTHLY
ANNUAL = BillingInterval.ANNUAL


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# 13 monthly renewals of a subscription bought on 2028-01-31 (a leap year), and the end of the 13th.
MONTH_END_DATES = [
    utc(2028, 1, 31, 9, 30),
    utc(2028, 2, 29, 9, 30),
    utc(2028, 3, 31, 9, 30),
    utc(2028, 4, 30, 9, 30),
    utc(2028, 5, 31, 9, 30),
    utc(2028, 6, 30, 9, 30),
    utc(2028, 7, 31, 9, 30),
    utc(2028, 8, 31, 9, 30),
    utc(2028, 9, 30, 9, 30),
    utc(2028, 10, 31, 9, 30),
    utc(2028, 11, 30, 9, 30),
    utc(2028, 12, 31, 9, 30),
    utc(2029, 1, 31, 9, 30),
    utc(2029, 2, 28, 9, 30),
]


def test_billing_intervals_are_monthly_and_annual():
    assert BillingInterval.choices == [("monthly", "Monthly"), ("annual", "Annual")]


# --- add_months ----------------------------------------------------------------------------------


def test_adding_a_month_to_january_31_clamps_to_the_end_of_february():
    assert add_months(utc(2028, 1, 31), 1) == utc(2028, 2, 29)
    assert add_months(utc(2029, 1, 31), 1) == utc(2029, 2, 28)


def test_adding_months_keeps_the_time_of_day_and_crosses_years():
    assert add_months(utc(2028, 11, 15, 23, 59, 59), 3) == utc(2029, 2, 15, 23, 59, 59)
    assert add_months(utc(2028, 3, 31), -1) == utc(2028, 2, 29)


def test_stepping_one_month_at_a_time_forgets_the_anchor_day():
    # Why periods are always computed from the anchor: clamping is not reversible.
    assert add_months(add_months(utc(2028, 1, 31), 1), 1) == utc(2028, 3, 29)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        add_months(datetime(2028, 1, 31), 1)


def test_aware_datetimes_in_other_zones_are_converted_to_utc():
    paris_winter = timezone(timedelta(hours=1))

    assert add_months(datetime(2028, 2, 1, 0, 30, tzinfo=paris_winter), 1) == utc(
        2028, 2, 29, 23, 30
    )


# --- Period bounds -------------------------------------------------------------------------------


def test_monthly_periods_keep_the_month_end_anchor_over_13_renewals():
    anchor = MONTH_END_DATES[0]

    bounds = [nth_period_bounds(anchor, n, MONTHLY) for n in range(13)]

    assert bounds == list(itertools.pairwise(MONTH_END_DATES))


def test_walking_from_period_end_to_period_end_keeps_the_anchor_day():
    anchor = start = MONTH_END_DATES[0]
    ends = []
    for _ in range(13):
        start = period_end(anchor, start, MONTHLY)
        ends.append(start)

    assert ends == MONTH_END_DATES[1:]


def test_annual_periods_from_february_29_end_on_february_28_until_the_next_leap_year():
    anchor = utc(2028, 2, 29, 12)

    assert nth_period_bounds(anchor, 0, ANNUAL) == (anchor, utc(2029, 2, 28, 12))
    assert nth_period_bounds(anchor, 1, ANNUAL) == (utc(2029, 2, 28, 12), utc(2030, 2, 28, 12))
    assert nth_period_bounds(anchor, 3, ANNUAL) == (utc(2031, 2, 28, 12), utc(2032, 2, 29, 12))
    assert period_end(anchor, utc(2029, 2, 28, 12), ANNUAL) == utc(2030, 2, 28, 12)


def test_period_end_refuses_a_start_that_is_not_a_renewal_date():
    anchor = MONTH_END_DATES[0]

    with pytest.raises(ValueError, match="not the start"):
        period_end(anchor, utc(2028, 2, 28, 9, 30), MONTHLY)
    with pytest.raises(ValueError, match="not the start"):
        period_end(anchor, MONTH_END_DATES[1], ANNUAL)
    with pytest.raises(ValueError, match="not the start"):
        period_end(anchor, utc(2027, 12, 31, 9, 30), MONTHLY)


def test_period_numbers_start_at_zero():
    with pytest.raises(ValueError):
        nth_period_bounds(MONTH_END_DATES[0], -1, MONTHLY)


@given(
    anchor=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2090, 12, 31),
        timezones=st.just(UTC),
    ),
    n=st.integers(min_value=0, max_value=100),
    interval=st.sampled_from(BillingInterval.values),
)
def test_periods_follow_each_other_without_gaps(anchor, n, interval):
    start, end = nth_period_bounds(anchor, n, interval)

    assert nth_period_bounds(anchor, n + 1, interval)[0] == end
    assert period_end(anchor, start, interval) == end
    assert start.day == min(anchor.day, calendar.monthrange(start.year, start.month)[1])
    assert start.time() == anchor.time()


# --- Proration -----------------------------------------------------------------------------------

FEB_START, FEB_END = utc(2028, 2, 1), utc(2028, 3, 1)  # 29 days: 2,505,600 seconds


def test_proration_at_the_start_of_the_period_is_the_full_amount():
    assert proration_cents(5000, FEB_START, FEB_END, FEB_START) == 5000


def test_proration_before_the_period_starts_is_the_full_amount():
    assert proration_cents(5000, FEB_START, FEB_END, utc(2028, 1, 15)) == 5000


def test_proration_at_or_after_the_end_of_the_period_is_zero():
    assert proration_cents(5000, FEB_START, FEB_END, FEB_END) == 0
    assert proration_cents(5000, FEB_START, FEB_END, utc(2028, 4, 1)) == 0


def test_proration_at_exactly_half_the_period_is_half_the_amount():
    half = FEB_START + timedelta(days=14, hours=12)

    assert proration_cents(5000, FEB_START, FEB_END, half) == 2500


def test_proration_rounds_half_a_cent_up():
    half = FEB_START + timedelta(days=14, hours=12)

    assert proration_cents(1001, FEB_START, FEB_END, half) == 501  # 500.5
    assert proration_cents(1, FEB_START, FEB_END, half) == 1  # 0.5


def test_proration_rounds_less_than_half_a_cent_down():
    start = utc(2028, 2, 1)
    end = start + timedelta(seconds=3)

    assert proration_cents(100, start, end, start + timedelta(seconds=2)) == 33  # 33.33
    assert proration_cents(100, start, end, start + timedelta(seconds=1)) == 67  # 66.67


def test_a_second_that_has_begun_counts_as_used():
    start = utc(2028, 2, 1)
    end = start + timedelta(seconds=4)

    assert proration_cents(400, start, end, start + timedelta(microseconds=1)) == 300


def test_proration_refuses_naive_datetimes_and_empty_periods_and_negative_amounts():
    with pytest.raises(ValueError, match="now"):
        proration_cents(5000, FEB_START, FEB_END, datetime(2028, 2, 10))
    with pytest.raises(ValueError, match="period_end"):
        proration_cents(5000, FEB_END, FEB_START, FEB_START)
    with pytest.raises(ValueError, match="amount_cents"):
        proration_cents(-1, FEB_START, FEB_END, FEB_START)


@given(
    amount=st.integers(min_value=0, max_value=10**10),
    period_seconds=st.integers(min_value=1, max_value=400 * 86400),
    earlier=st.floats(min_value=-0.5, max_value=1.5),
    later=st.floats(min_value=-0.5, max_value=1.5),
)
def test_proration_stays_within_the_amount_and_never_grows_as_time_passes(
    amount, period_seconds, earlier, later
):
    earlier, later = sorted((earlier, later))
    start = utc(2028, 1, 31)
    end = start + timedelta(seconds=period_seconds)
    first = proration_cents(amount, start, end, start + timedelta(seconds=earlier * period_seconds))
    second = proration_cents(amount, start, end, start + timedelta(seconds=later * period_seconds))

    assert 0 <= second <= first <= amount
