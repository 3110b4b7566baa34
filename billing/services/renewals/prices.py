"""What a renewal costs: a subscription's plan (interval, items, seats bought) priced at the
catalogue's prices, as invoice lines. Pure functions but for `renewal_lines`, which reads the
subscription's items."""

from collections.abc import Iterable
from dataclasses import dataclass

from billing.catalogue import (
    SeatNotForSaleError,
    catalogue_get,
    period_price_cents,
    seat_price_cents,
    tier_offer_get,
)
from billing.models import ItemKind, Subscription, SubscriptionItem
from seats.catalogue import SEAT_RULES
from seats.models import SeatPool


@dataclass(frozen=True)
class Line:
    description: str
    quantity: int
    unit_cents: int

    @property
    def amount_cents(self) -> int:
        return self.quantity * self.unit_cents


# A plan as renewal prices it: the interval, the items as (kind, product, tier, quantity), and
# the seats bought as (seat type, purchased). Subscriptions on the same plan cost the same.
Plan = tuple[str, tuple[tuple[str, str, str, int], ...], tuple[tuple[str, int], ...]]


def renewal_plan(
    *, subscription: Subscription, items: Iterable[SubscriptionItem], pools: list[SeatPool]
) -> Plan:
    """The plan the next period of `subscription` is priced on: its `items` (in their order)
    and its `pools` as they will be (their purchased counts)."""
    return (
        subscription.interval,
        tuple((item.kind, item.product, item.tier, item.quantity) for item in items),
        tuple((pool.seat_type, pool.purchased) for pool in pools),
    )


def plan_lines(plan: Plan) -> list[Line]:
    """What a period of this plan costs: each hub's tier, each add-on, and the purchased
    seats, at catalogue prices, in the active language."""
    catalogue = catalogue_get()
    interval, items, seats = plan
    lines = []
    hubs = {product: tier for kind, product, tier, _quantity in items if kind == ItemKind.HUB}
    for kind, product, tier, quantity in items:
        if kind == ItemKind.HUB:
            offer = tier_offer_get(product, tier)
            if offer.price_cents:
                name = catalogue.hubs[offer.hub].name
                lines.append(
                    Line(
                        f"{name} {offer.label}", 1, period_price_cents(offer.price_cents, interval)
                    )
                )
        else:
            addon = catalogue.addons[product]
            lines.append(
                Line(addon.name, quantity, period_price_cents(addon.price_cents, interval))
            )
    for seat_type, purchased in seats:
        if purchased == 0:
            continue
        try:
            unit = seat_price_cents(hubs.items(), seat_type)
        except SeatNotForSaleError:
            continue
        label = SEAT_RULES[seat_type].label
        lines.append(Line(str(label), purchased, period_price_cents(unit, interval)))
    return lines


def renewal_lines(*, subscription: Subscription, pools: list[SeatPool]) -> list[Line]:
    """What the next period costs: each hub's tier, each add-on, and the purchased seats."""
    return plan_lines(
        renewal_plan(subscription=subscription, items=subscription.items.all(), pools=pools)
    )
