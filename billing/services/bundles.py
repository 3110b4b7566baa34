"""Bundles: the plan an account wants ("Create a bundle"), priced against what it owns.

A bundle is {hub: tier}, {add-on: quantity} and a billing interval. Compared with what the
account owns it splits in two:

- upgrades (a new hub, a higher tier, a new add-on or more units of one) take effect now, and the
  price difference is charged for the rest of the current period;
- downgrades and removals (a lower tier, fewer units, a hub or add-on left out) and an interval
  switch wait for the renewal date (billing.services.checkout stores them; the renewal job,
  billing.services.renewals.subscription, applies them).

A downgrade or removal that would leave people on a seat type the plan no longer enables, or
more people on Core seats than the plan will have, is refused with the people or numbers.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.utils.translation import gettext as _

from accounts.models import Account, Membership, SeatType
from accounts.text import seats_label
from billing.catalogue import (
    HubCode,
    SeatNotForSaleError,
    TierCode,
    catalogue_get,
    enabled_seat_types,
    included_core_seats,
    period_price_cents,
    seat_price_cents,
    tier_offer_get,
    tier_rank,
)
from billing.errors import InvalidBundle, NotEnoughCoreSeatsAtRenewal, SeatsStillAssigned
from billing.models import (
    ItemKind,
    Subscription,
)
from billing.periods import BillingInterval, nth_period_bounds, proration_cents
from billing.selectors import member_names, subscription_live_get
from seats.catalogue import SEAT_RULES
from seats.models import SeatPool

MAX_ADDON_QUANTITY = 1000


# --- Bundles and quotes --------------------------------------------------------------------------


@dataclass(frozen=True)
class Bundle:
    """The plan an account asks for: every hub at a tier, every add-on with its quantity."""

    hubs: Mapping[str, str]
    addons: Mapping[str, int]
    interval: str


@dataclass(frozen=True)
class QuoteLine:
    """One product of the bundle and what happens to it.

    `change` is "new", "upgrade", "downgrade", "removal" or "unchanged"; `period_cents` is its
    price per period in the bundle (0 for a removal); `today_cents` what it costs today.
    """

    product: str
    description: str
    change: str
    period_cents: int
    today_cents: int

    @property
    def now(self) -> bool:
        return self.change in ("new", "upgrade")

    @property
    def at_renewal(self) -> bool:
        return self.change in ("downgrade", "removal")


@dataclass(frozen=True)
class BundleQuote:
    """What a bundle costs: per period once it is all in place, and what is charged today."""

    lines: list[QuoteLine]
    period_cents: int
    today_cents: int
    currency: str
    interval: str
    period_end: datetime
    starts_subscription: bool
    interval_switch: str = ""
    # Hubs and add-ons as they are right after checkout (upgrades applied, downgrades not yet).
    hubs_now: dict[str, str] = field(default_factory=dict)
    addons_now: dict[str, int] = field(default_factory=dict)

    @property
    def changes_now(self) -> list[QuoteLine]:
        return [line for line in self.lines if line.now]

    @property
    def changes_at_renewal(self) -> list[QuoteLine]:
        return [line for line in self.lines if line.at_renewal]

    @property
    def changes_anything(self) -> bool:
        return self.starts_subscription or bool(
            self.changes_now or self.changes_at_renewal or self.interval_switch
        )


def _bundle_check(bundle: Bundle) -> None:
    catalogue = catalogue_get()
    if not bundle.hubs and not bundle.addons:
        raise InvalidBundle()
    if bundle.interval not in BillingInterval.values:
        raise InvalidBundle()
    for hub, tier in bundle.hubs.items():
        if hub not in HubCode.values or tier not in TierCode.values:
            raise InvalidBundle()
    for code, quantity in bundle.addons.items():
        if code not in catalogue.addons or not 1 <= quantity <= MAX_ADDON_QUANTITY:
            raise InvalidBundle()


def _hub_name(hub: str, tier: str) -> str:
    return f"{catalogue_get().hubs[HubCode(hub)].name} {tier_offer_get(hub, tier).label}"


def _hub_period(hub: str, tier: str, interval: str) -> int:
    return period_price_cents(tier_offer_get(hub, tier).price_cents, interval)


def _addon_period(code: str, quantity: int, interval: str) -> int:
    return period_price_cents(catalogue_get().addons[code].price_cents, interval) * quantity


def _seat_unit(hubs: Mapping[str, str], seat_type: str, interval: str) -> int:
    try:
        return period_price_cents(seat_price_cents(hubs.items(), seat_type), interval)
    except SeatNotForSaleError:
        return 0


def _line_period(line: QuoteLine, bundle: Bundle, interval: str) -> int:
    """A hub's or add-on's quote line price per period of `interval` (0 for what is removed)."""
    if line.change == "removal":
        return 0
    if line.product in bundle.hubs:
        return _hub_period(line.product, bundle.hubs[line.product], interval)
    return _addon_period(line.product, bundle.addons[line.product], interval)


def plan_period_cents(
    *,
    hubs: Mapping[str, str],
    addons: Mapping[str, int],
    purchased: Mapping[str, int],
    interval: str,
) -> int:
    """Price of one period of a plan: the hubs' tiers, the add-ons and the purchased seats."""
    return (
        sum(_hub_period(hub, tier, interval) for hub, tier in hubs.items())
        + sum(_addon_period(code, quantity, interval) for code, quantity in addons.items())
        + sum(_seat_unit(hubs, seat, interval) * n for seat, n in purchased.items() if n)
    )


def _owned(subscription: Subscription) -> tuple[dict[str, str], dict[str, int]]:
    items = list(subscription.items.all())
    hubs = {i.product: i.tier for i in items if i.kind == ItemKind.HUB}
    addons = {i.product: i.quantity for i in items if i.kind == ItemKind.ADDON}
    return hubs, addons


def _purchased(account: Account) -> dict[str, tuple[int, int]]:
    """{seat type: (seats bought now, seats bought for the next period)}."""
    rows = SeatPool.objects.filter(account=account).order_by("seat_type")
    return {
        seat: (now, later)
        for seat, now, later in rows.values_list("seat_type", "purchased", "purchased_at_renewal")
    }


def _seat_lines(
    *,
    subscription: Subscription,
    hubs: Mapping[str, str],
    hubs_now: Mapping[str, str],
    bundle: Bundle,
    purchased: Mapping[str, tuple[int, int]],
    interval: str,
    now: datetime,
) -> list[QuoteLine]:
    """The seats bought beyond the included ones, one line per seat type.

    Per period: the seats the next period keeps, at the bundle's seat price. Today: a higher
    tier can raise the price of the seats held now (a Core seat's level follows the highest tier
    owned), and the difference is charged for the rest of the period. Seats that cost nothing
    now or later (a type the bundle no longer sells) are not a line.
    """
    lines = []
    for seat_type, (count_now, count_later) in purchased.items():
        unit_now, unit_before = (
            _seat_unit(hubs_now, seat_type, subscription.interval),
            _seat_unit(hubs, seat_type, subscription.interval),
        )
        extra = unit_now - unit_before if count_now else 0
        period = _seat_unit(bundle.hubs, seat_type, interval) * count_later
        if period == 0 and extra <= 0:
            continue
        label = SEAT_RULES[SeatType(seat_type)].label
        if count_now == count_later:
            description = f"{label} × {count_later}"
        else:
            description = _("%(seat)s × %(count)s (%(now)s until the renewal)") % {
                "seat": label,
                "count": count_later,
                "now": count_now,
            }
        lines.append(
            QuoteLine(
                f"seat:{seat_type}",
                description,
                "upgrade" if extra > 0 else "unchanged",
                period,
                _prorate(subscription, extra * count_now, now) if extra > 0 else 0,
            )
        )
    return lines


def bundle_seat_rows(
    *, account: Account, hubs: Mapping[str, str]
) -> list[tuple[str, str, int | None]]:
    """ "Create a bundle"'s seat rows: each seat type bought for the next period, as
    (seat type, "Core seat × 2", its price per month at these hubs' tiers), the price None
    when these hubs sell no such seat (the seats go at the renewal)."""
    rows = []
    for seat_type, (_now, count) in _purchased(account).items():
        if not count:
            continue
        try:
            price = seat_price_cents(hubs.items(), seat_type) * count
        except SeatNotForSaleError:
            price = None
        rows.append((seat_type, f"{SEAT_RULES[SeatType(seat_type)].label} × {count}", price))
    return rows


def _prorate(subscription: Subscription, amount_cents: int, now: datetime) -> int:
    # Rounding rule: each line's period price difference is prorated on its own, half up to the
    # cent (billing.periods.proration_cents), and the charge is the sum of the lines, so the
    # invoice always adds up. A negative difference is never refunded: it counts as 0.
    start, end = subscription.current_period_start, subscription.current_period_end
    return proration_cents(max(amount_cents, 0), start, end, now)


def quote_build(
    *, account: Account, subscription: Subscription | None, bundle: Bundle, now: datetime
):
    _bundle_check(bundle)
    catalogue = catalogue_get()
    if subscription is None:
        # A new subscription's first period starts now: every line is due in full today.
        priced = [
            (hub, _hub_name(hub, tier), _hub_period(hub, tier, bundle.interval))
            for hub, tier in bundle.hubs.items()
        ] + [
            (
                code,
                f"{catalogue.addons[code].name} × {quantity}",
                _addon_period(code, quantity, bundle.interval),
            )
            for code, quantity in bundle.addons.items()
        ]
        lines = [QuoteLine(code, name, "new", cents, cents) for code, name, cents in priced]
        total = sum(line.period_cents for line in lines)
        return BundleQuote(
            lines=lines,
            period_cents=total,
            today_cents=total,
            currency=catalogue.currency,
            interval=bundle.interval,
            period_end=nth_period_bounds(now, 0, bundle.interval)[1],
            starts_subscription=True,
            hubs_now=dict(bundle.hubs),
            addons_now=dict(bundle.addons),
        )

    interval = subscription.interval
    hubs, addons = _owned(subscription)
    hubs_now, addons_now = dict(hubs), dict(addons)
    lines: list[QuoteLine] = []
    for hub in HubCode.values:
        old, new = hubs.get(hub), bundle.hubs.get(hub)
        if old is None and new is None:
            continue
        if new is None:
            lines.append(QuoteLine(hub, _hub_name(hub, old), "removal", 0, 0))
            continue
        period = _hub_period(hub, new, interval)
        if old is None:
            change, today = "new", _prorate(subscription, period, now)
            hubs_now[hub] = new
        elif tier_rank(new) > tier_rank(old):
            change = "upgrade"
            today = _prorate(subscription, period - _hub_period(hub, old, interval), now)
            hubs_now[hub] = new
        elif tier_rank(new) < tier_rank(old):
            change, today = "downgrade", 0
        else:
            change, today = "unchanged", 0
        lines.append(QuoteLine(hub, _hub_name(hub, new), change, period, today))
    for code in catalogue.addons:
        old, new = addons.get(code), bundle.addons.get(code)
        if old is None and new is None:
            continue
        name = catalogue.addons[code].name
        if new is None:
            lines.append(QuoteLine(code, f"{name} × {old}", "removal", 0, 0))
            continue
        period = _addon_period(code, new, interval)
        if old is None or new > old:
            change = "new" if old is None else "upgrade"
            today = _prorate(subscription, period - _addon_period(code, old or 0, interval), now)
            addons_now[code] = new
        elif new < old:
            change, today = "downgrade", 0
        else:
            change, today = "unchanged", 0
        lines.append(QuoteLine(code, f"{name} × {new}", change, period, today))
    switch = bundle.interval if bundle.interval != interval else ""
    renewal_interval = switch or interval
    if switch:
        # Today's charges follow the current interval; the per-period prices shown follow the
        # interval the plan renews on, like the total below them.
        lines = [
            replace(line, period_cents=_line_period(line, bundle, renewal_interval))
            for line in lines
        ]
    purchased = _purchased(account)
    lines += _seat_lines(
        subscription=subscription,
        hubs=hubs,
        hubs_now=hubs_now,
        bundle=bundle,
        purchased=purchased,
        interval=renewal_interval,
        now=now,
    )
    return BundleQuote(
        lines=lines,
        period_cents=plan_period_cents(
            hubs=bundle.hubs,
            addons=bundle.addons,
            purchased={seat: later for seat, (_now, later) in purchased.items()},
            interval=renewal_interval,
        ),
        today_cents=sum(line.today_cents for line in lines),
        currency=catalogue.currency,
        interval=renewal_interval,
        period_end=subscription.current_period_end,
        starts_subscription=False,
        interval_switch=switch,
        hubs_now=hubs_now,
        addons_now=addons_now,
    )


def renewal_seats_check(*, account: Account, subscription: Subscription, bundle: Bundle) -> None:
    """Refuse a plan for the next period that leaves people on seats it does not allow."""
    hubs, _addons = _owned(subscription)
    lost = enabled_seat_types(hubs.items()) - enabled_seat_types(bundle.hubs.items())
    for seat_type in sorted(lost):
        holders = Membership.objects.filter(account=account, seat_type=seat_type)
        names = member_names(holders)
        if names:
            raise SeatsStillAssigned(
                count=len(names),
                people=", ".join(names),
                names=names,
                seat=SEAT_RULES[SeatType(seat_type)].label,
                seats=seats_label(seat_type),
            )
    included_after = included_core_seats(bundle.hubs.items())
    if included_after < included_core_seats(hubs.items()):
        pool = SeatPool.objects.filter(account=account, seat_type=SeatType.CORE).first()
        bought = pool.purchased_at_renewal if pool else 0
        assigned = Membership.objects.filter(account=account, seat_type=SeatType.CORE).count()
        if included_after + bought < assigned:
            raise NotEnoughCoreSeatsAtRenewal(total=included_after + bought, assigned=assigned)


def bundle_renewal_state(subscription: Subscription | None) -> Bundle | None:
    """The plan the next period will have: what is owned with the pending changes applied.

    "Create a bundle" starts from it, so submitting it unchanged changes nothing.
    """
    if subscription is None:
        return None
    hubs: dict[str, str] = {}
    addons: dict[str, int] = {}
    for item in subscription.items.all():
        if item.remove_at_renewal:
            continue
        if item.kind == ItemKind.HUB:
            hubs[item.product] = item.tier_at_renewal or item.tier
        else:
            addons[item.product] = item.quantity_at_renewal or item.quantity
    return Bundle(
        hubs=hubs, addons=addons, interval=subscription.interval_at_renewal or subscription.interval
    )


def bundle_quote(*, account: Account, bundle: Bundle, now: datetime) -> BundleQuote:
    """The running total of "Create a bundle" and the checkout summary. Nothing is written.

    Raises the same refusals as checkout (an invalid bundle, people on seats it drops).
    """
    subscription = subscription_live_get(account=account)
    quote = quote_build(account=account, subscription=subscription, bundle=bundle, now=now)
    if subscription is not None and quote.changes_at_renewal:
        renewal_seats_check(account=account, subscription=subscription, bundle=bundle)
    return quote
