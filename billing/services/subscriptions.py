"""Every write of the billing floor. Billing tells seats (a lower floor) what the tiers allow."""

from collections.abc import Mapping
from datetime import datetime

from django.db import transaction

from accounts.locks import account_lock
from accounts.models import Account, AuditVerb, SeatType, User
from accounts.services import audit_record
from billing.catalogue import AddOn, catalogue_get, enabled_seat_types, included_core_seats
from billing.errors import SubscriptionExists
from billing.models import (
    LIVE_SUBSCRIPTION_STATUSES,
    ItemKind,
    Subscription,
    SubscriptionItem,
)
from billing.periods import BillingInterval, nth_period_bounds
from seats.catalogue import SEAT_RULES
from seats.errors import SeatTypeUnavailable
from seats.pools.services import seat_pool_add_purchased, seat_pool_lock_for, seat_pools_sync


@transaction.atomic(durable=True)
def subscription_start(**kwargs) -> Subscription:
    """Record an account's first subscription (one transaction; see subscription_create)."""
    return subscription_create(**kwargs)


def subscription_create(
    *,
    account: Account,
    hubs: Mapping[str, str],
    interval: BillingInterval,
    now: datetime,
    actor: User | None,
    addons: Mapping[str, int] | None = None,
    extra_seats: Mapping[str, int] | None = None,
) -> Subscription:
    """Record an account's first subscription and give it the seats its tiers include. Runs in
    the caller's transaction (checkout charges the card in the same one).

    `hubs` is {hub code: tier code}, `addons` {add-on code: quantity}, `extra_seats` {paid seat
    type: seats bought beyond the included ones}. The first period starts now. Charging the card
    for it belongs to checkout (billing's payment gateway), which calls this once paid.
    """
    # The account lock makes "no live subscription yet" hold until this one is written.
    account = account_lock(account)
    if Subscription.objects.filter(account=account, status__in=LIVE_SUBSCRIPTION_STATUSES).exists():
        raise SubscriptionExists()
    catalogue = catalogue_get()
    owned = list(hubs.items())
    start, end = nth_period_bounds(now, 0, interval)
    subscription = Subscription(
        account=account,
        interval=interval,
        anchor=start,
        current_period_start=start,
        current_period_end=end,
        created_at=now,
    )
    subscription.full_clean()
    subscription.save()
    items = [
        SubscriptionItem(subscription=subscription, kind=ItemKind.HUB, product=hub, tier=tier)
        for hub, tier in owned
    ]
    for code, quantity in (addons or {}).items():
        addon: AddOn = catalogue.addons[code]
        items.append(
            SubscriptionItem(
                subscription=subscription,
                kind=ItemKind.ADDON,
                product=addon.code,
                quantity=quantity,
            )
        )
    for item in items:
        item.full_clean()
    SubscriptionItem.objects.bulk_create(items)
    subscription_pools_sync(account=account, subscription=subscription, actor=actor, now=now)
    for seat_type, quantity in (extra_seats or {}).items():
        if quantity > 0:
            pool = seat_pool_lock_for(account=account, seat_type=seat_type)
            if pool is None or not pool.enabled:
                raise SeatTypeUnavailable(seat=SEAT_RULES[seat_type].label)
            seat_pool_add_purchased(pool=pool, quantity=quantity, actor=actor, now=now)
    audit_record(
        account=account,
        actor=actor,
        verb=AuditVerb.SUBSCRIPTION_CHANGED,
        after={
            "interval": interval,
            "hubs": dict(hubs),
            "addons": dict(addons or {}),
            # Seat types by code: the audit log writes their labels in its reader's language.
            "extra_seats": {str(k): v for k, v in (extra_seats or {}).items()},
        },
        now=now,
    )
    return subscription


def subscription_pools_sync(
    *, account: Account, subscription: Subscription, actor: User | None, now: datetime
) -> None:
    """Tell seats what the subscription's hubs include and enable now and from the renewal date
    (its pending downgrades and removals applied), so that no seat is assigned that the next
    period won't have. After every change of the items, in the caller's transaction (which holds
    the account's lock); the stored items are read, not a prefetched list.
    """
    items = list(
        subscription.items.filter(kind=ItemKind.HUB).values_list(
            "product", "tier", "tier_at_renewal", "remove_at_renewal"
        )
    )
    hubs_now = [(hub, tier) for hub, tier, _next, _removed in items]
    hubs_next = [(hub, next or tier) for hub, tier, next, removed in items if not removed]
    seat_pools_sync(
        account=account,
        included={SeatType.CORE: included_core_seats(hubs_now)},
        enabled=enabled_seat_types(hubs_now),
        included_at_renewal={SeatType.CORE: included_core_seats(hubs_next)},
        enabled_at_renewal=enabled_seat_types(hubs_next),
        actor=actor,
        now=now,
    )
