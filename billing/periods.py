"""Billing periods and proration: small pure functions on timezone-aware UTC datetimes.

Periods are always counted from a subscription's anchor, never from the previous period's end, so
a subscription anchored on the 31st ends its periods on the last day of short months and on the
31st again whenever the month has one (Jan 31 → Feb 29 → Mar 31).

Every function refuses naive datetimes (ValueError); aware ones in another zone are converted to
UTC first, and every datetime returned is in UTC.
"""

import calendar
from datetime import UTC, datetime, timedelta

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

_SECOND = timedelta(seconds=1)


class BillingInterval(TextChoices):
    MONTHLY = "monthly", _("Monthly")
    ANNUAL = "annual", _("Annual")


def interval_months(interval: str) -> int:
    """Length of one billing period in calendar months: monthly 1, annual 12."""
    return 12 if BillingInterval(interval) == BillingInterval.ANNUAL else 1


def _utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {value.isoformat()}")
    return value.astimezone(UTC)


def add_months(dt: datetime, n: int) -> datetime:
    """`dt` moved by `n` calendar months (n may be negative), same time of day, in UTC.

    Rule: the day of month is kept, clamped to the last day of the target month, so Jan 31 + 1
    month is Feb 29 in a leap year and Feb 28 otherwise. Clamping forgets the original day, so
    stepping one month at a time drifts (Jan 31 → Feb 29 → Mar 29); to walk billing periods always
    add to the anchor instead: `nth_period_bounds` and `period_end` do.
    """
    dt = _utc(dt, "dt")
    months = dt.year * 12 + (dt.month - 1) + n
    year, month_index = divmod(months, 12)
    month = month_index + 1
    day = min(dt.day, calendar.monthrange(year, month)[1])
    return dt.replace(year=year, month=month, day=day)


def nth_period_bounds(anchor: datetime, n: int, interval: str) -> tuple[datetime, datetime]:
    """Start (inclusive) and end (exclusive) of period `n` (0 is the first) counted from `anchor`.

    Rule: period n runs from anchor + n·k months to anchor + (n+1)·k months, k being 1 (monthly)
    or 12 (annual), each computed from the anchor with `add_months` so the anchor's day of month
    is kept across any number of periods (an annual anchor of Feb 29 gives Feb 28 in common years
    and Feb 29 again in leap years).
    """
    if n < 0:
        raise ValueError(f"period number must be 0 or more, got {n}")
    months = interval_months(interval)
    return add_months(anchor, n * months), add_months(anchor, (n + 1) * months)


def period_end(anchor: datetime, start: datetime, interval: str) -> datetime:
    """End of the period that begins at `start`, for a subscription anchored at `anchor`.

    Rule: `start` must be one of the anchor's period starts (the anchor itself or a renewal date);
    the end is the next one, computed from the anchor (see `nth_period_bounds`). Any other `start`
    is refused with ValueError rather than silently realigned.
    """
    anchor, start = _utc(anchor, "anchor"), _utc(start, "start")
    months_apart = (start.year - anchor.year) * 12 + (start.month - anchor.month)
    n, rest = divmod(months_apart, interval_months(interval))
    if n >= 0 and rest == 0:
        period_start, end = nth_period_bounds(anchor, n, interval)
        if period_start == start:
            return end
    raise ValueError(
        f"{start.isoformat()} is not the start of a {interval} period anchored at "
        f"{anchor.isoformat()}"
    )


def proration_cents(
    amount_cents: int, period_start: datetime, period_end: datetime, now: datetime
) -> int:
    """The price of what is left of a period at `now`, for `amount_cents` charged per full period.

    Rule: amount × remaining seconds / period seconds, rounded half up to the cent. Before the
    period starts the whole amount is due; at or after its end nothing is.
    """
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents < 0:
        raise ValueError(f"amount_cents must be a non-negative integer, got {amount_cents!r}")
    start = _utc(period_start, "period_start")
    end = _utc(period_end, "period_end")
    now = _utc(now, "now")
    period_seconds = (end - start) // _SECOND
    if period_seconds <= 0:
        raise ValueError(
            f"period_end ({end.isoformat()}) must be at least a second after "
            f"period_start ({start.isoformat()})"
        )
    # Whole seconds, floored: a second that has begun counts as used. Clamped to [0, period].
    remaining_seconds = min(max((end - now) // _SECOND, 0), period_seconds)
    # Rounding rule: half up to the cent, i.e. floor(x + 1/2) for x = a·r/p >= 0, computed exactly
    # in integers as (2·a·r + p) // (2·p). No floats, so no representation error at any amount.
    return (2 * amount_cents * remaining_seconds + period_seconds) // (2 * period_seconds)
