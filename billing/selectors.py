"""Reads of the billing floor shared by pages."""

from dataclasses import dataclass

from accounts.models import Account
from billing.catalogue import TierOffer, catalogue_get, tier_offer_get
from billing.models import LIVE_SUBSCRIPTION_STATUSES, CardOnFile, ItemKind, Subscription


def card_on_file_get(*, account: Account) -> CardOnFile | None:
    """The account's card on file (there is at most one), or None."""
    return CardOnFile.objects.filter(account=account).first()


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
