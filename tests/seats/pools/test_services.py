"""Pools room (seats/pools/services.py): the seat pools and their ledger (DOMAIN.md sections 2
and 7).

Pools are set up the way production sets them up: by starting a subscription (Marketing Hub
Professional includes 3 Core seats) or by syncing the pools. Adding members, and the pool rules it
obeys (a released seat frees one, a kept one does not), are tested through the path "Create user"
takes, in tests/invitations/test_members.py.
"""

from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import Account, SeatType
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services.subscriptions import subscription_start
from seats.models import LedgerReason, SeatLedgerEntry, SeatPool
from seats.pools.services import seat_pool_add_purchased, seat_pools_sync
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
