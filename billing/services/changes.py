"""Changing what an account subscribes to: "Create a bundle", checkout, and the auto-renewal.

A bundle is the plan the account wants: {hub: tier}, {add-on: quantity} and a billing interval.
Without a subscription, checkout starts one and charges its first period. With one, the bundle is
compared with what the account owns and split in two:

- upgrades (a new hub, a higher tier, a new add-on or more units of one) take effect now, and the
  price difference is charged for the rest of the current period;
- downgrades and removals (a lower tier, fewer units, a hub or add-on left out) and an interval
  switch wait for the renewal date, stored on the subscription and its items, and can be
  cancelled until then. The renewal job (billing.services.renewals) applies them.

A downgrade or removal that would leave people on a seat type the plan no longer enables, or
more people on Core seats than the plan will have, is refused with the people or numbers.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account, AuditVerb, Membership, SeatType, User
from accounts.services import audit_record
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
from billing.errors import BillingError, NoCardOnFile, NoSubscription
from billing.gateway import gateway_get
from billing.models import (
    CardOnFile,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    ItemKind,
    Subscription,
    SubscriptionItem,
)
from billing.periods import BillingInterval, nth_period_bounds, proration_cents
from billing.selectors import subscription_live_get
from billing.services.subscriptions import subscription_create
from seats.catalogue import SEAT_RULES
from seats.models import SeatPool
from seats.services import billing_admins_notify, seat_pools_ending_set, seat_pools_sync

MAX_ADDON_QUANTITY = 1000
PAID_SEATS = (SeatType.CORE, SeatType.SALES, SeatType.SERVICE)


# --- Errors (part of the one hierarchy: billing.errors.BillingError) -----------------------------


class InvalidBundle(BillingError):
    code = "invalid_bundle"
    message = gettext_lazy("Choose at least one hub or add-on, each from the catalogue.")


class SeatsStillAssigned(BillingError):
    """Context: `count`, `people` (names, comma-separated), `names` (a list), `seat`."""

    code = "seats_still_assigned"
    message = gettext_lazy(
        "Reassign these {count} users first: {people}. The new plan doesn't include {seat}s."
    )


class NotEnoughCoreSeatsAtRenewal(BillingError):
    """Context: `total`, `assigned`."""

    code = "not_enough_core_seats_at_renewal"
    message = gettext_lazy(
        "After this change your plan has {total} Core seats, but {assigned} are assigned. "
        "Unassign Core seats or buy more first."
    )


class PaidSeatsAssigned(BillingError):
    """Context: `count`, `people`, `names`."""

    code = "paid_seats_assigned"
    message = gettext_lazy(
        "Auto-renewal can be cancelled only when no paid seats are assigned. "
        "Move these {count} users to a View-only seat first: {people}."
    )


class NoPendingChange(BillingError):
    code = "no_pending_change"
    message = gettext_lazy("There is no pending change to cancel.")


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


def _line_period(line: QuoteLine, bundle, hubs_now, purchased, interval: str) -> int:
    """A quote line's price per period of `interval` (0 for what is removed)."""
    if line.change == "removal":
        return 0
    if line.product.startswith("seat:"):
        seat_type = line.product.removeprefix("seat:")
        return _seat_unit(hubs_now, seat_type, interval) * purchased.get(seat_type, 0)
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


def _purchased(account: Account) -> dict[str, int]:
    return dict(SeatPool.objects.filter(account=account).values_list("seat_type", "purchased"))


def _prorate(subscription: Subscription, amount_cents: int, now: datetime) -> int:
    # Rounding rule: each line's period price difference is prorated on its own, half up to the
    # cent (billing.periods.proration_cents), and the charge is the sum of the lines, so the
    # invoice always adds up. A negative difference is never refunded: it counts as 0.
    start, end = subscription.current_period_start, subscription.current_period_end
    return proration_cents(max(amount_cents, 0), start, end, now)


def _quote(*, account: Account, subscription: Subscription | None, bundle: Bundle, now: datetime):
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
    # A higher tier can raise the price of the seats already bought (a Core seat's level
    # follows the highest tier owned): the difference is charged for the rest of the period too.
    purchased = _purchased(account)
    for seat_type, count in sorted(purchased.items()):
        extra = _seat_unit(hubs_now, seat_type, interval) - _seat_unit(hubs, seat_type, interval)
        if count and extra > 0:
            label = SEAT_RULES[SeatType(seat_type)].label
            lines.append(
                QuoteLine(
                    f"seat:{seat_type}",
                    _("%(count)s × %(seat)s at the new price") % {"count": count, "seat": label},
                    "upgrade",
                    _seat_unit(hubs_now, seat_type, interval) * count,
                    _prorate(subscription, extra * count, now),
                )
            )
    switch = bundle.interval if bundle.interval != interval else ""
    renewal_interval = switch or interval
    if switch:
        # Today's charges follow the current interval; the per-period prices shown follow the
        # interval the plan renews on, like the total below them.
        lines = [
            replace(
                line,
                period_cents=_line_period(line, bundle, hubs_now, purchased, renewal_interval),
            )
            for line in lines
        ]
    return BundleQuote(
        lines=lines,
        period_cents=plan_period_cents(
            hubs=bundle.hubs,
            addons=bundle.addons,
            purchased=purchased,
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


def _member_names(memberships) -> list[str]:
    return [
        m.user.get_full_name().strip() or m.user.email
        for m in memberships.select_related("user").order_by("user__email")
    ]


def _renewal_seats_check(*, account: Account, subscription: Subscription, bundle: Bundle) -> None:
    """Refuse a plan for the next period that leaves people on seats it does not allow."""
    hubs, _addons = _owned(subscription)
    lost = enabled_seat_types(hubs.items()) - enabled_seat_types(bundle.hubs.items())
    for seat_type in sorted(lost):
        holders = Membership.objects.filter(account=account, seat_type=seat_type)
        names = _member_names(holders)
        if names:
            raise SeatsStillAssigned(
                count=len(names),
                people=", ".join(names),
                names=names,
                seat=SEAT_RULES[SeatType(seat_type)].label,
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
    quote = _quote(account=account, subscription=subscription, bundle=bundle, now=now)
    if subscription is not None and quote.changes_at_renewal:
        _renewal_seats_check(account=account, subscription=subscription, bundle=bundle)
    return quote


# --- Checkout ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckoutResult:
    subscription: Subscription
    invoice: Invoice | None
    quote: BundleQuote | None


def _charge_and_invoice(
    *,
    account: Account,
    subscription: Subscription,
    quote: BundleQuote,
    lines: list[QuoteLine],
    idempotency_key: str,
    actor: User,
    now: datetime,
) -> Invoice:
    charge_id = ""
    if quote.today_cents > 0:
        card = CardOnFile.objects.filter(account=account).first()
        if card is None:
            raise NoCardOnFile()
        charge_id = (
            gateway_get()
            .charge(
                card_token=card.gateway_token,
                amount_cents=quote.today_cents,
                currency=quote.currency,
                idempotency_key=f"checkout:{account.pk}:{idempotency_key}",
                description=", ".join(line.description for line in lines)[:200],
            )
            .id
        )
    invoice = Invoice.objects.create(
        account=account,
        subscription=subscription,
        kind=InvoiceKind.CHECKOUT,
        status=InvoiceStatus.PAID,
        currency=quote.currency,
        total_cents=quote.today_cents,
        period_start=now,
        period_end=subscription.current_period_end,
        idempotency_key=idempotency_key,
        charge_id=charge_id,
        attempts=1,
        created_by=actor,
        created_at=now,
        paid_at=now,
    )
    end = subscription.current_period_end.date().isoformat()
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            description=(
                line.description
                if quote.starts_subscription
                else _("%(what)s, prorated to %(end)s") % {"what": line.description, "end": end}
            ),
            quantity=1,
            unit_cents=line.period_cents,
            amount_cents=line.today_cents,
        )
        for line in lines
    )
    return invoice


def _pools_sync(*, account: Account, hubs: Mapping[str, str], actor: User | None, now: datetime):
    seat_pools_sync(
        account=account,
        included={SeatType.CORE: included_core_seats(hubs.items())},
        enabled=enabled_seat_types(hubs.items()),
        actor=actor,
        now=now,
    )


@transaction.atomic(durable=True)
def bundle_checkout(
    *,
    account: Account,
    bundle: Bundle,
    idempotency_key: str,
    actor: User,
    now: datetime | None = None,
) -> CheckoutResult:
    """ "Buy now" → confirm: start the subscription, or change it (upgrades now, the rest later).

    The charge, the items, the pools and the invoice commit together; a declined card raises
    CardDeclined and nothing changes. A second call with the same idempotency key (a double
    submit) returns the first invoice and charges nothing.
    """
    now = now or timezone.now()
    # The account lock orders checkouts, purchases, removals, renewals and seat assignments.
    account = Account.objects.select_for_update().get(pk=account.pk)
    done = Invoice.objects.filter(account=account, idempotency_key=idempotency_key).first()
    if done is not None:
        return CheckoutResult(subscription=done.subscription, invoice=done, quote=None)
    subscription = subscription_live_get(account=account)
    if subscription is None:
        return _subscription_checkout(
            account=account, bundle=bundle, idempotency_key=idempotency_key, actor=actor, now=now
        )
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    quote = _quote(account=account, subscription=subscription, bundle=bundle, now=now)
    if quote.changes_at_renewal:
        _renewal_seats_check(account=account, subscription=subscription, bundle=bundle)
    before = bundle_renewal_state(subscription)
    invoice = None
    if quote.changes_now:
        invoice = _charge_and_invoice(
            account=account,
            subscription=subscription,
            quote=quote,
            lines=quote.changes_now,
            idempotency_key=idempotency_key,
            actor=actor,
            now=now,
        )
    _items_update(subscription=subscription, bundle=bundle, quote=quote)
    subscription.interval_at_renewal = quote.interval_switch
    subscription.save(update_fields=["interval_at_renewal"])
    if quote.changes_now:
        _pools_sync(account=account, hubs=quote.hubs_now, actor=actor, now=now)
    after = bundle_renewal_state(subscription)
    if before != after or quote.changes_now:
        audit_record(
            account=account,
            actor=actor,
            verb=AuditVerb.SUBSCRIPTION_CHANGED,
            before=_bundle_json(before),
            after={
                **_bundle_json(after),
                "now": [line.product for line in quote.changes_now],
                "at_renewal": [line.product for line in quote.changes_at_renewal],
                "charged_cents": quote.today_cents if invoice else 0,
            },
            now=now,
        )
        billing_admins_notify(
            account=account,
            text=_("%(who)s changed the subscription.") % {"who": actor.display_name},
            now=now,
        )
    return CheckoutResult(subscription=subscription, invoice=invoice, quote=quote)


def _bundle_json(bundle: Bundle | None) -> dict:
    if bundle is None:
        return {}
    return {"hubs": dict(bundle.hubs), "addons": dict(bundle.addons), "interval": bundle.interval}


def _subscription_checkout(
    *, account: Account, bundle: Bundle, idempotency_key: str, actor: User, now: datetime
) -> CheckoutResult:
    quote = _quote(account=account, subscription=None, bundle=bundle, now=now)
    if not CardOnFile.objects.filter(account=account).exists():
        raise NoCardOnFile()
    # In this checkout's transaction: the charge, the subscription and the invoice commit (or
    # roll back) together.
    subscription = subscription_create(
        account=account,
        hubs=dict(bundle.hubs),
        addons=dict(bundle.addons),
        interval=BillingInterval(bundle.interval),
        now=now,
        actor=actor,
    )
    invoice = _charge_and_invoice(
        account=account,
        subscription=subscription,
        quote=quote,
        lines=quote.lines,
        idempotency_key=idempotency_key,
        actor=actor,
        now=now,
    )
    billing_admins_notify(
        account=account,
        text=_("%(who)s started the subscription; invoice %(number)s was paid.")
        % {"who": actor.display_name, "number": invoice.number},
        now=now,
    )
    return CheckoutResult(subscription=subscription, invoice=invoice, quote=quote)


def _items_update(*, subscription: Subscription, bundle: Bundle, quote: BundleQuote) -> None:
    """Write the upgrades (now) and the pending downgrades and removals (at renewal)."""
    items = {item.product: item for item in subscription.items.select_for_update()}
    for line in quote.lines:
        if line.product.startswith("seat:"):
            continue
        item = items.get(line.product)
        is_hub = line.product in HubCode.values
        if item is None:
            item = SubscriptionItem(
                subscription=subscription,
                kind=ItemKind.HUB if is_hub else ItemKind.ADDON,
                product=line.product,
                tier=bundle.hubs[line.product] if is_hub else "",
                quantity=1 if is_hub else bundle.addons[line.product],
            )
        # Every line states the whole plan for this product: earlier pending changes give way.
        item.tier_at_renewal, item.quantity_at_renewal, item.remove_at_renewal = "", None, False
        if line.change == "removal":
            item.remove_at_renewal = True
        elif is_hub and line.change == "upgrade":
            item.tier = bundle.hubs[line.product]
        elif is_hub and line.change == "downgrade":
            item.tier_at_renewal = bundle.hubs[line.product]
        elif line.change == "upgrade":
            item.quantity = bundle.addons[line.product]
        elif line.change == "downgrade":
            item.quantity_at_renewal = bundle.addons[line.product]
        item.full_clean()
        item.save()


# --- Pending changes, auto-renewal and the billing interval ---------------------------------------


def _live_locked(account: Account) -> tuple[Account, Subscription]:
    # The account lock first, as every billing write: then the subscription row.
    account = Account.objects.select_for_update().get(pk=account.pk)
    subscription = subscription_live_get(account=account)
    if subscription is None:
        raise NoSubscription()
    return account, Subscription.objects.select_for_update().get(pk=subscription.pk)


@transaction.atomic(durable=True)
def subscription_change_cancel(
    *, account: Account, item_id: int, actor: User, now: datetime | None = None
) -> SubscriptionItem:
    """ "Cancel this change": the item renews as it is now (no downgrade, no removal)."""
    now = now or timezone.now()
    account, subscription = _live_locked(account)
    item = SubscriptionItem.objects.filter(subscription=subscription, pk=item_id).first()
    if item is None or not item.has_pending_change:
        raise NoPendingChange()
    before = {
        "tier_at_renewal": item.tier_at_renewal,
        "quantity_at_renewal": item.quantity_at_renewal,
        "remove_at_renewal": item.remove_at_renewal,
    }
    item.tier_at_renewal, item.quantity_at_renewal, item.remove_at_renewal = "", None, False
    item.save(update_fields=["tier_at_renewal", "quantity_at_renewal", "remove_at_renewal"])
    audit_record(
        account=account,
        actor=actor,
        verb=AuditVerb.SUBSCRIPTION_CHANGED,
        before={"product": item.product, **before},
        after={"product": item.product, "pending": None},
        now=now,
    )
    return item


@transaction.atomic(durable=True)
def subscription_interval_switch(
    *, account: Account, interval: str, actor: User, now: datetime | None = None
) -> Subscription:
    """Monthly ↔ annual from the renewal date on; asking for the current one cancels a switch."""
    now = now or timezone.now()
    interval = BillingInterval(interval)
    account, subscription = _live_locked(account)
    before = subscription.interval_at_renewal
    subscription.interval_at_renewal = "" if interval == subscription.interval else interval
    subscription.save(update_fields=["interval_at_renewal"])
    audit_record(
        account=account,
        actor=actor,
        verb=AuditVerb.SUBSCRIPTION_CHANGED,
        before={"interval_at_renewal": before},
        after={"interval_at_renewal": subscription.interval_at_renewal},
        now=now,
    )
    return subscription


def paid_seat_holders(*, account: Account) -> list[str]:
    """Who holds a paid seat (Core, Sales or Service), by name: they block cancelling."""
    return _member_names(Membership.objects.filter(account=account, seat_type__in=PAID_SEATS))


@transaction.atomic(durable=True)
def auto_renewal_cancel(
    *, account: Account, actor: User, now: datetime | None = None
) -> Subscription:
    """ "Cancel auto-renewal": the subscription ends at the period end, with no charge.

    Refused while anyone holds a paid seat (they are named). Can be resumed until then.
    """
    now = now or timezone.now()
    account, subscription = _live_locked(account)
    holders = paid_seat_holders(account=account)
    if holders:
        raise PaidSeatsAssigned(count=len(holders), people=", ".join(holders), names=holders)
    if not subscription.cancel_at_period_end:
        subscription.cancel_at_period_end = True
        subscription.save(update_fields=["cancel_at_period_end"])
        seat_pools_ending_set(account=account, ending=True)
        audit_record(
            account=account,
            actor=actor,
            verb=AuditVerb.SUBSCRIPTION_CHANGED,
            before={"auto_renewal": True},
            after={"auto_renewal": False, "ends": subscription.current_period_end.isoformat()},
            now=now,
        )
        billing_admins_notify(
            account=account,
            text=_("%(who)s cancelled auto-renewal: the subscription ends on %(date)s.")
            % {
                "who": actor.display_name,
                "date": subscription.current_period_end.date().isoformat(),
            },
            now=now,
        )
    return subscription


@transaction.atomic(durable=True)
def auto_renewal_resume(
    *, account: Account, actor: User, now: datetime | None = None
) -> Subscription:
    """Resume auto-renewal before the period ends: the subscription renews as usual."""
    now = now or timezone.now()
    account, subscription = _live_locked(account)
    if subscription.cancel_at_period_end:
        subscription.cancel_at_period_end = False
        subscription.save(update_fields=["cancel_at_period_end"])
        seat_pools_ending_set(account=account, ending=False)
        audit_record(
            account=account,
            actor=actor,
            verb=AuditVerb.SUBSCRIPTION_CHANGED,
            before={"auto_renewal": False},
            after={"auto_renewal": True},
            now=now,
        )
        billing_admins_notify(
            account=account,
            text=_("%(who)s resumed auto-renewal.") % {"who": actor.display_name},
            now=now,
        )
    return subscription
