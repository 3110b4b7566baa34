"""The money a billing admin reconciles: over random plans owned and random bundles asked for,
every line the customer pays for is in the quote (hubs, add-ons, the seats bought) and the
totals are the sums of the lines, per period and due today. "Per period" is also what the
renewal will charge for that plan, priced by the renewal's own code."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.catalogue import (
    HubCode,
    SeatNotForSaleError,
    TierCode,
    catalogue_get,
    seat_price_cents,
)
from billing.models import ItemKind
from billing.periods import BillingInterval
from billing.services.bundles import Bundle, bundle_quote
from billing.services.renewals.prices import plan_lines
from billing.services.subscriptions import subscription_start
from seats.catalogue import PAID_SEAT_TYPES
from seats.models import SeatPool
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

START = datetime(2027, 4, 1, tzinfo=UTC)
PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

HUBS = st.dictionaries(st.sampled_from(HubCode.values), st.sampled_from(TierCode.values))
ADDONS = st.dictionaries(
    st.sampled_from(sorted(catalogue_get().addons)), st.integers(min_value=1, max_value=1000)
)
INTERVALS = st.sampled_from(BillingInterval.values)
# Seats bought per paid type: (now, for the next period) — a pending removal keeps fewer.
SEATS = st.dictionaries(
    st.sampled_from(sorted(PAID_SEAT_TYPES)),
    st.tuples(st.integers(0, 40), st.integers(0, 40)).map(lambda t: (max(t), min(t))),
)
BUNDLES = st.builds(Bundle, hubs=HUBS, addons=ADDONS, interval=INTERVALS).filter(
    lambda b: b.hubs or b.addons
)
OWNED = st.none() | st.fixed_dictionaries(
    {"hubs": HUBS.filter(bool), "addons": ADDONS, "interval": INTERVALS, "seats": SEATS}
)


def _account_owning(owned):
    account = AccountFactory()
    if owned is None:
        return account
    subscription_start(
        account=account,
        hubs=owned["hubs"],
        addons=owned["addons"],
        interval=owned["interval"],
        now=START,
        actor=None,
    )
    for seat_type, (now, later) in owned["seats"].items():
        SeatPool.objects.update_or_create(
            account=account,
            seat_type=seat_type,
            defaults={"purchased": now, "purchased_at_renewal": later},
        )
    return account


def _renewal_charge(bundle: Bundle, interval: str, seats: dict) -> int:
    """What the renewal job charges for a period of this plan (billing.services.renewals)."""
    items = tuple((ItemKind.HUB, hub, tier, 1) for hub, tier in bundle.hubs.items()) + tuple(
        (ItemKind.ADDON, code, "", quantity) for code, quantity in bundle.addons.items()
    )
    pools = tuple((seat_type, later) for seat_type, (_now, later) in sorted(seats.items()))
    return sum(line.amount_cents for line in plan_lines((interval, items, pools)))


@PROPERTY
@given(owned=OWNED, bundle=BUNDLES, elapsed=st.floats(min_value=0, max_value=0.999))
def test_the_lines_add_up_to_the_totals_per_period_and_due_today(owned, bundle, elapsed):
    # A fresh account per example: the rows of one example never meet another's.
    account = _account_owning(owned)
    quote = bundle_quote(account=account, bundle=bundle, now=START + timedelta(days=27 * elapsed))

    assert sum(line.period_cents for line in quote.lines) == quote.period_cents
    assert sum(line.today_cents for line in quote.lines) == quote.today_cents
    seats = {} if owned is None else owned["seats"]
    assert quote.period_cents == _renewal_charge(bundle, quote.interval, seats)
    # Each seat type the next period pays for is a line of its own.
    for seat_type, (_now, later) in seats.items():
        try:
            seat_price_cents(bundle.hubs.items(), seat_type)
        except SeatNotForSaleError:  # not sold by the bundle: nothing to pay for
            continue
        if later:
            assert any(line.product == f"seat:{seat_type}" for line in quote.lines)
