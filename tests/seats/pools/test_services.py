"""Pools room (seats/pools/services.py): the seat pools and their ledger (DOMAIN.md sections 2
and 7).

Pools are set up the way production sets them up: by starting a subscription (Marketing Hub
Professional includes 3 Core seats) or by syncing the pools. Adding members, and the pool rules it
obeys (a released seat frees one, a kept one does not), are tested through the path "Create user"
takes, in tests/invitations/test_members.py.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from accounts.locks import account_lock
from accounts.models import Account, SeatType
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services.subscriptions import subscription_start
from seats.models import LedgerReason, SeatLedgerEntry, SeatPool
from seats.pools.services import (
    seat_pool_add_purchased,
    seat_pool_removal_cancel,
    seat_pool_removal_schedule,
    seat_pools_lock,
    seat_pools_renew,
    seat_pools_sync,
)
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)
MARKETING_PRO = {HubCode.MARKETING: TierCode.PROFESSIONAL}
MARKETING_AND_SALES_PRO = {**MARKETING_PRO, HubCode.SALES: TierCode.PROFESSIONAL}


def subscribed_account(hubs=MARKETING_PRO, *, extra_seats=None) -> Account:
    account = AccountFactory()
    subscription_start(
        account=account,
        hubs=hubs,
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
        extra_seats=extra_seats,
    )
    return account


def core_pool(account: Account) -> SeatPool:
    return SeatPool.objects.get(account=account, seat_type=SeatType.CORE)


# --- seat_pools_sync and the ledger --------------------------------------------------------------


def _ledger(pool: SeatPool) -> list[tuple[str, int, int, int]]:
    return [
        (entry.reason, entry.included, entry.purchased, entry.purchased_at_renewal)
        for entry in SeatLedgerEntry.objects.filter(pool=pool).order_by("id")
    ]


def test_syncing_creates_the_enabled_pools_each_with_a_ledger_row():
    account = AccountFactory()

    seat_pools_sync(
        account=account, included={"core": 3}, enabled={"core", "sales"}, actor=None, now=NOW
    )

    pools = {pool.seat_type: pool for pool in SeatPool.objects.filter(account=account)}
    assert set(pools) == {SeatType.CORE, SeatType.SALES}
    assert (pools["core"].included, pools["core"].enabled) == (3, True)
    assert (pools["sales"].included, pools["sales"].enabled) == (0, True)
    assert _ledger(pools["core"]) == [(LedgerReason.CREATED, 3, 0, 0)]
    assert _ledger(pools["sales"]) == [(LedgerReason.CREATED, 0, 0, 0)]


def test_a_change_of_included_seats_appends_a_ledger_row():
    account = AccountFactory()
    seat_pools_sync(account=account, included={"core": 3}, enabled={"core"}, actor=None)

    seat_pools_sync(account=account, included={"core": 6}, enabled={"core"}, actor=None)

    assert _ledger(core_pool(account)) == [
        (LedgerReason.CREATED, 3, 0, 0),
        (LedgerReason.INCLUDED_CHANGED, 6, 0, 0),
    ]


def test_syncing_the_same_subscription_twice_appends_nothing():
    account = AccountFactory()
    seat_pools_sync(account=account, included={"core": 3}, enabled={"core"}, actor=None)

    seat_pools_sync(account=account, included={"core": 3}, enabled={"core"}, actor=None)

    assert SeatPool.objects.filter(account=account).count() == 1
    assert SeatLedgerEntry.objects.filter(pool__account=account).count() == 1


def test_a_pool_whose_seat_type_is_no_longer_enabled_keeps_its_seats():
    account = subscribed_account(MARKETING_AND_SALES_PRO, extra_seats={SeatType.SALES: 2})

    seat_pools_sync(account=account, included={"core": 3}, enabled={"core"}, actor=None)

    sales = SeatPool.objects.get(account=account, seat_type=SeatType.SALES)
    assert (sales.enabled, sales.purchased, sales.purchased_at_renewal) == (False, 2, 2)


def test_replaying_a_pools_ledger_gives_its_current_counts():
    account = AccountFactory()
    seat_pools_sync(account=account, included={"core": 3}, enabled={"core"}, actor=None)
    seat_pool_add_purchased(pool=core_pool(account), quantity=2, actor=None)
    seat_pools_sync(account=account, included={"core": 6}, enabled={"core"}, actor=None)
    seat_pool_add_purchased(pool=core_pool(account), quantity=1, actor=None, now=NOW)
    pool = core_pool(account)

    replayed = {}
    for entry in SeatLedgerEntry.objects.filter(pool=pool).order_by("id"):
        replayed = {
            "included": entry.included,
            "purchased": entry.purchased,
            "purchased_at_renewal": entry.purchased_at_renewal,
        }

    assert replayed == {"included": 6, "purchased": 3, "purchased_at_renewal": 3}
    assert replayed == {
        "included": pool.included,
        "purchased": pool.purchased,
        "purchased_at_renewal": pool.purchased_at_renewal,
    }


def test_the_ledger_records_who_changed_the_pool_and_when():
    account = AccountFactory()
    actor = UserFactory()
    later = NOW + timedelta(days=3)

    seat_pools_sync(account=account, included={"core": 3}, enabled={"core"}, actor=actor, now=NOW)
    seat_pool_add_purchased(pool=core_pool(account), quantity=1, actor=actor, now=later)

    entries = SeatLedgerEntry.objects.filter(pool__account=account).order_by("id")
    assert [(e.reason, e.actor, e.created_at) for e in entries] == [
        (LedgerReason.CREATED, actor, NOW),
        (LedgerReason.PURCHASE, actor, later),
    ]


# --- seat_pools_renew: billing's one pool-renewal path -------------------------------------------
# At renewal the scheduled removals take effect; a seat type the plan no longer enables, and every
# seat type of a subscription that ends, renews with no bought seats. Each change appends a
# RENEWAL ledger row.

RENEWAL = datetime(2027, 5, 1, tzinfo=UTC)


def account_with(*, core: tuple[int, int], sales: tuple[int, int], sales_enabled: bool = True):
    """An account whose Core and Sales pools hold (purchased, purchased at renewal) seats."""
    account = AccountFactory()
    seat_pools_sync(account=account, included={"core": 3}, enabled={"core", "sales"}, actor=None)
    for seat_type, (purchased, at_renewal) in ((SeatType.CORE, core), (SeatType.SALES, sales)):
        pool = SeatPool.objects.get(account=account, seat_type=seat_type)
        if purchased:
            seat_pool_add_purchased(pool=pool, quantity=purchased, actor=None)
        SeatPool.objects.filter(pk=pool.pk).update(purchased_at_renewal=at_renewal)
    if not sales_enabled:
        seat_pools_sync(account=account, included={"core": 3}, enabled={"core"}, actor=None)
    return account


def renew(account, *, ending: bool = False) -> list[SeatPool]:
    with transaction.atomic():
        account_lock(account)
        pools = seat_pools_lock(account_ids=[account.pk])
        return seat_pools_renew(pools=pools, now=RENEWAL, ending=ending)


def counts(account) -> dict[str, tuple[int, int]]:
    return {
        pool.seat_type: (pool.purchased, pool.purchased_at_renewal)
        for pool in SeatPool.objects.filter(account=account)
    }


def renewal_rows(account) -> list[tuple[str, int, int, int]]:
    return list(
        SeatLedgerEntry.objects.filter(pool__account=account, reason=LedgerReason.RENEWAL)
        .order_by("id")
        .values_list("pool__seat_type", "included", "purchased", "purchased_at_renewal")
    )


def test_a_scheduled_removal_takes_effect_with_a_renewal_row():
    account = account_with(core=(3, 1), sales=(2, 2))

    changed = renew(account)

    assert counts(account) == {"core": (1, 1), "sales": (2, 2)}
    assert [(p.seat_type, p.purchased, p.purchased_at_renewal) for p in changed] == [("core", 1, 1)]
    assert renewal_rows(account) == [("core", 3, 1, 1)]


def test_a_pool_without_a_scheduled_removal_is_left_alone():
    account = account_with(core=(2, 2), sales=(0, 0))

    assert renew(account) == []
    assert renewal_rows(account) == []


def test_seats_of_a_type_the_plan_no_longer_enables_are_not_renewed():
    account = account_with(core=(2, 2), sales=(2, 2), sales_enabled=False)

    renew(account)

    assert counts(account) == {"core": (2, 2), "sales": (0, 0)}
    assert renewal_rows(account) == [("sales", 0, 0, 0)]


def test_an_ending_subscription_renews_no_bought_seat():
    account = account_with(core=(3, 1), sales=(2, 2))

    renew(account, ending=True)

    assert counts(account) == {"core": (0, 0), "sales": (0, 0)}
    assert renewal_rows(account) == [("core", 3, 0, 0), ("sales", 0, 0, 0)]


def test_renewing_twice_changes_nothing_the_second_time():
    account = account_with(core=(3, 1), sales=(2, 2), sales_enabled=False)
    renew(account)

    assert renew(account) == []
    assert len(renewal_rows(account)) == 2


# --- A removal scheduled for the renewal, and cancelled (billing's "Remove unassigned seats") ----


def last_ledger_row(account) -> tuple[str, int, int, int]:
    return (
        SeatLedgerEntry.objects.filter(pool=core_pool(account))
        .order_by("id")
        .values_list("reason", "included", "purchased", "purchased_at_renewal")
        .last()
    )


def test_a_scheduled_removal_lowers_only_the_next_period_with_a_ledger_row():
    account = account_with(core=(3, 3), sales=(0, 0))

    seat_pool_removal_schedule(pool=core_pool(account), quantity=2, actor=None)

    assert counts(account)["core"] == (3, 1)
    assert last_ledger_row(account) == (LedgerReason.REMOVAL_SCHEDULED, 3, 3, 1)


@pytest.mark.parametrize("quantity", [0, 4])
def test_a_removal_of_no_seat_or_more_than_the_next_period_has_is_a_bug(quantity):
    account = account_with(core=(3, 3), sales=(0, 0))

    with pytest.raises(ValueError, match="quantity must be 1 to 3"):
        seat_pool_removal_schedule(pool=core_pool(account), quantity=quantity, actor=None)

    assert counts(account)["core"] == (3, 3)


def test_cancelling_a_removal_keeps_every_seat_bought_with_a_ledger_row():
    account = account_with(core=(3, 3), sales=(0, 0))
    seat_pool_removal_schedule(pool=core_pool(account), quantity=2, actor=None)

    seat_pool_removal_cancel(pool=core_pool(account), actor=None)

    assert counts(account)["core"] == (3, 3)
    assert last_ledger_row(account) == (LedgerReason.REMOVAL_CANCELLED, 3, 3, 3)
