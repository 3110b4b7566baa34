"""Starting a subscription: the seats its tiers include and enable, and its first period.

DOMAIN.md sections 2 and 8. `now` is always passed explicitly, so no clock is read.
"""

from datetime import UTC, datetime

import pytest

from accounts.models import AuditEvent, AuditVerb, SeatType
from billing.catalogue import HubCode, TierCode
from billing.errors import SubscriptionExists
from billing.models import ItemKind, Subscription, SubscriptionItem, SubscriptionStatus
from billing.periods import BillingInterval
from billing.services.subscriptions import subscription_start
from seats.models import LedgerReason, SeatLedgerEntry, SeatPool
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 15, 9, 30, tzinfo=UTC)
MARKETING_PRO = {HubCode.MARKETING: TierCode.PROFESSIONAL}


def start(
    account, hubs, *, now=NOW, interval=BillingInterval.MONTHLY, actor=None, **kwargs
) -> Subscription:
    return subscription_start(
        account=account, hubs=hubs, interval=interval, now=now, actor=actor, **kwargs
    )


def pools(account) -> dict[str, SeatPool]:
    return {pool.seat_type: pool for pool in SeatPool.objects.filter(account=account)}


def ledger(pool: SeatPool) -> list[tuple[str, int, int, int]]:
    return [
        (entry.reason, entry.included, entry.purchased, entry.purchased_at_renewal)
        for entry in SeatLedgerEntry.objects.filter(pool=pool).order_by("id")
    ]


# --- Seats the tiers include and enable ----------------------------------------------------------


def test_marketing_and_sales_professional_give_3_core_seats_and_enable_sales_seats():
    account = AccountFactory()

    start(account, {**MARKETING_PRO, HubCode.SALES: TierCode.PROFESSIONAL})

    by_type = pools(account)
    assert set(by_type) == {SeatType.CORE, SeatType.SALES}
    assert (by_type["core"].included, by_type["core"].purchased, by_type["core"].enabled) == (
        3,
        0,
        True,
    )
    assert (by_type["sales"].included, by_type["sales"].enabled) == (0, True)


def test_marketing_and_cms_professional_include_6_core_seats():
    account = AccountFactory()

    start(account, {**MARKETING_PRO, HubCode.CMS: TierCode.PROFESSIONAL})

    assert pools(account)["core"].included == 6


@pytest.mark.parametrize(
    "hubs",
    [
        MARKETING_PRO,
        {**MARKETING_PRO, HubCode.SALES: TierCode.FREE},
        {**MARKETING_PRO, HubCode.SALES: TierCode.STARTER},
    ],
    ids=["no-sales-hub", "sales-hub-free", "sales-hub-starter"],
)
def test_without_sales_hub_professional_there_is_no_enabled_sales_pool(hubs):
    account = AccountFactory()

    start(account, hubs)

    assert not SeatPool.objects.filter(
        account=account, seat_type=SeatType.SALES, enabled=True
    ).exists()


def test_sales_hub_enterprise_enables_sales_seats():
    account = AccountFactory()

    start(account, {HubCode.SALES: TierCode.ENTERPRISE})

    assert pools(account)["sales"].enabled


def test_the_hubs_and_add_ons_are_recorded_as_items():
    account = AccountFactory()

    subscription = start(
        account,
        {**MARKETING_PRO, HubCode.SALES: TierCode.STARTER},
        addons={"marketing_contacts": 5},
    )

    items = SubscriptionItem.objects.filter(subscription=subscription)
    assert sorted((i.kind, i.product, i.tier, i.quantity) for i in items) == [
        (ItemKind.ADDON, "marketing_contacts", "", 5),
        (ItemKind.HUB, "marketing", "professional", 1),
        (ItemKind.HUB, "sales", "starter", 1),
    ]


# --- Extra seats ---------------------------------------------------------------------------------


def test_extra_seats_are_purchased_now_and_at_renewal():
    account = AccountFactory()

    start(
        account,
        {**MARKETING_PRO, HubCode.SALES: TierCode.PROFESSIONAL},
        extra_seats={SeatType.CORE: 2, SeatType.SALES: 4},
    )

    by_type = pools(account)
    assert (by_type["core"].purchased, by_type["core"].purchased_at_renewal) == (2, 2)
    assert (by_type["sales"].purchased, by_type["sales"].purchased_at_renewal) == (4, 4)
    assert by_type["core"].total == 5


def test_extra_seats_are_written_to_the_ledger_as_a_purchase():
    account = AccountFactory()
    buyer = UserFactory()

    start(
        account,
        {**MARKETING_PRO, HubCode.SALES: TierCode.PROFESSIONAL},
        extra_seats={SeatType.CORE: 2, SeatType.SALES: 4},
        actor=buyer,
    )

    by_type = pools(account)
    assert ledger(by_type["core"]) == [
        (LedgerReason.CREATED, 3, 0, 0),
        (LedgerReason.PURCHASE, 3, 2, 2),
    ]
    assert ledger(by_type["sales"]) == [
        (LedgerReason.CREATED, 0, 0, 0),
        (LedgerReason.PURCHASE, 0, 4, 4),
    ]
    purchase = SeatLedgerEntry.objects.filter(reason=LedgerReason.PURCHASE).first()
    assert (purchase.actor, purchase.created_at) == (buyer, NOW)


def test_zero_extra_seats_buy_nothing():
    account = AccountFactory()

    start(account, MARKETING_PRO, extra_seats={SeatType.CORE: 0})

    assert ledger(pools(account)["core"]) == [(LedgerReason.CREATED, 3, 0, 0)]


# --- The first period ----------------------------------------------------------------------------


def test_the_first_monthly_period_runs_one_month_from_now():
    account = AccountFactory()

    subscription = start(account, MARKETING_PRO, now=NOW)

    subscription.refresh_from_db()
    assert (
        subscription.status,
        subscription.anchor,
        subscription.current_period_start,
        subscription.current_period_end,
    ) == (
        SubscriptionStatus.ACTIVE,
        NOW,
        NOW,
        datetime(2027, 4, 15, 9, 30, tzinfo=UTC),
    )


def test_a_subscription_started_on_january_31_ends_its_first_period_on_february_28():
    account = AccountFactory()
    january_31 = datetime(2027, 1, 31, 9, 30, tzinfo=UTC)

    subscription = start(account, MARKETING_PRO, now=january_31)

    subscription.refresh_from_db()
    assert subscription.anchor == january_31
    assert subscription.current_period_end == datetime(2027, 2, 28, 9, 30, tzinfo=UTC)


def test_the_first_annual_period_runs_one_year_from_now():
    account = AccountFactory()

    subscription = start(account, MARKETING_PRO, now=NOW, interval=BillingInterval.ANNUAL)

    subscription.refresh_from_db()
    assert subscription.current_period_end == datetime(2028, 3, 15, 9, 30, tzinfo=UTC)


def test_starting_a_subscription_is_audited():
    account = AccountFactory()
    buyer = UserFactory()

    start(account, MARKETING_PRO, actor=buyer, extra_seats={SeatType.CORE: 1})

    event = AuditEvent.objects.get(account=account, verb=AuditVerb.SUBSCRIPTION_CHANGED)
    assert (event.actor, event.created_at) == (buyer, NOW)
    assert event.after == {
        "interval": "monthly",
        "hubs": {"marketing": "professional"},
        "addons": {},
        "extra_seats": {"core": 1},
    }


# --- A second start ------------------------------------------------------------------------------


def _row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Subscription, SubscriptionItem, SeatPool, SeatLedgerEntry, AuditEvent)
    }


def test_a_second_start_for_the_same_account_is_refused_and_writes_nothing():
    account = AccountFactory()
    start(account, MARKETING_PRO)
    before = _row_counts()

    with pytest.raises(SubscriptionExists):
        start(
            account,
            {HubCode.MARKETING: TierCode.ENTERPRISE, HubCode.SALES: TierCode.PROFESSIONAL},
            extra_seats={SeatType.CORE: 4},
        )

    assert _row_counts() == before
    assert pools(account)["core"].included == 3


def test_a_past_due_subscription_also_refuses_a_second_start():
    account = AccountFactory()
    start(account, MARKETING_PRO)
    Subscription.objects.filter(account=account).update(status=SubscriptionStatus.PAST_DUE)

    with pytest.raises(SubscriptionExists):
        start(account, MARKETING_PRO)


def test_an_account_whose_subscription_was_canceled_can_start_again():
    account = AccountFactory()
    start(account, MARKETING_PRO)
    Subscription.objects.filter(account=account).update(status=SubscriptionStatus.CANCELED)

    start(account, {**MARKETING_PRO, HubCode.CMS: TierCode.PROFESSIONAL})

    assert Subscription.objects.filter(account=account).count() == 2
    assert pools(account)["core"].included == 6
