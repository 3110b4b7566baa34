"""Reads of the billing floor shared by pages and services."""

from dataclasses import dataclass

from django.db.models import QuerySet

from accounts.models import Account, Membership
from billing.catalogue import TierOffer, catalogue_get, tier_offer_get
from billing.models import (
    LIVE_SUBSCRIPTION_STATUSES,
    BillingContact,
    CardOnFile,
    Invoice,
    ItemKind,
    Subscription,
    SubscriptionItem,
)
from seats.catalogue import PAID_SEAT_TYPES
from seats.pools.selectors import PoolSummary, seat_pool_summaries

# --- The subscription ----------------------------------------------------------------------------


def subscription_live_get(*, account: Account) -> Subscription | None:
    """The account's one live (active or past-due) subscription, with its items."""
    return (
        Subscription.objects.filter(account=account, status__in=LIVE_SUBSCRIPTION_STATUSES)
        .prefetch_related("items")
        .first()
    )


def subscription_hub_tiers(subscription: Subscription | None) -> dict[str, str]:
    """{hub code: tier code} owned through this subscription (none: nothing owned)."""
    if subscription is None:
        return {}
    return {i.product: i.tier for i in subscription.items.all() if i.kind == ItemKind.HUB}


@dataclass(frozen=True)
class OwnedHub:
    name: str
    offer: TierOffer


def subscription_owned_hubs(subscription: Subscription | None) -> list[OwnedHub]:
    catalogue = catalogue_get()
    return [
        OwnedHub(name=catalogue.hubs[hub].name, offer=tier_offer_get(hub, tier))
        for hub, tier in subscription_hub_tiers(subscription).items()
    ]


@dataclass(frozen=True)
class PlanRow:
    """One hub or add-on of "Your plan": its name, what it is now and at renewal ("": the same)."""

    item: SubscriptionItem
    name: str
    now: str
    later: str


def subscription_plan_rows(subscription: Subscription | None) -> list[PlanRow]:
    """The rows of "Your plan", in the items' order: hubs by tier label, add-ons by quantity."""
    if subscription is None:
        return []
    catalogue = catalogue_get()
    rows = []
    for item in subscription.items.all():
        if item.kind == ItemKind.HUB:
            hub = catalogue.hubs[item.product]
            name, now = hub.name, hub.tiers[item.tier].label
            later = hub.tiers[item.tier_at_renewal].label if item.tier_at_renewal else ""
        else:
            name, now = catalogue.addons[item.product].name, str(item.quantity)
            later = str(item.quantity_at_renewal or "")
        rows.append(PlanRow(item=item, name=name, now=now, later=later))
    return rows


def subscription_item_live_get(*, account: Account, item_id: int) -> SubscriptionItem | None:
    """An item of the account's live subscription, or None (another account's, or ended)."""
    return SubscriptionItem.objects.filter(
        pk=item_id,
        subscription__account=account,
        subscription__status__in=LIVE_SUBSCRIPTION_STATUSES,
    ).first()


# --- Seats: who holds a paid seat, and what may be removed ---------------------------------------


def member_names(memberships: QuerySet[Membership]) -> list[str]:
    """The members' names (or emails), in the Users tab's name order."""
    return [m.display_name for m in memberships.select_related("user").order_by("sort_name", "id")]


def paid_seat_holders(*, account: Account) -> list[str]:
    """Who holds a paid seat (Core, Sales or Service), by name: they block cancelling."""
    return member_names(Membership.objects.filter(account=account, seat_type__in=PAID_SEAT_TYPES))


def removable_seats(*, included: int, purchased_at_renewal: int, assigned: int) -> int:
    """How many more purchased seats may be removed at renewal.

    Only purchased seats can go (never the ones the tier includes), and the next period must
    still have a seat for everyone assigned one: total at renewal - removal >= assigned, where
    `included` is what the next period's tiers include (a scheduled downgrade counted).
    """
    return max(0, min(purchased_at_renewal, included + purchased_at_renewal - assigned))


def _removable(pool: PoolSummary) -> int:
    return removable_seats(
        included=pool.included_at_renewal,
        purchased_at_renewal=pool.purchased - pool.pending_removal,
        assigned=pool.assigned,
    )


def seat_pools_removable_list(*, account: Account) -> list[tuple[PoolSummary, int]]:
    """Each paid seat type's pool, with how many more of its seats may be removed at renewal."""
    return [(pool, _removable(pool)) for pool in seat_pool_summaries(account=account)]


def seat_pool_summary_get(*, account: Account, seat_type: str) -> PoolSummary | None:
    """The pool of one paid seat type (seats.pools.selectors.PoolSummary), or None."""
    return next(
        (pool for pool in seat_pool_summaries(account=account) if pool.seat_type == seat_type),
        None,
    )


def seat_pool_removable_get(*, account: Account, seat_type: str) -> tuple[PoolSummary, int] | None:
    """The pool of one paid seat type with how many more of its seats may be removed, or None."""
    pool = seat_pool_summary_get(account=account, seat_type=seat_type)
    return None if pool is None else (pool, _removable(pool))


# --- The card, the invoices and the billing contact ----------------------------------------------


def card_on_file_get(*, account: Account) -> CardOnFile | None:
    """The account's card on file (there is at most one), or None."""
    return CardOnFile.objects.filter(account=account).first()


def invoices_list(*, account: Account) -> QuerySet[Invoice]:
    """The account's invoices, newest first."""
    return Invoice.objects.filter(account=account)


def invoice_get(*, account: Account, invoice_id: int) -> Invoice | None:
    """One of the account's invoices with its lines, or None (another account's)."""
    return Invoice.objects.prefetch_related("lines").filter(pk=invoice_id, account=account).first()


def billing_contact_get(*, account: Account) -> BillingContact | None:
    return BillingContact.objects.filter(account=account).first()
