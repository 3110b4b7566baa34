"""Checkout of a bundle (billing.services.bundles): without a subscription it starts one and
charges its first period; with one, it charges the upgrades now (prorated) and stores the
downgrades, removals and interval switch for the renewal date.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.locks import account_lock
from accounts.models import Account, AuditVerb, User
from accounts.services import audit_record
from accounts.text import day
from billing.catalogue import (
    HubCode,
)
from billing.errors import CheckoutNeedsAuthentication, NoCardOnFile
from billing.gateway import CardDetails
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
from billing.periods import BillingInterval
from billing.selectors import card_on_file_get, subscription_live_get
from billing.services.bundles import (
    Bundle,
    BundleQuote,
    QuoteLine,
    bundle_renewal_state,
    quote_build,
    renewal_seats_check,
)
from billing.services.cards import NewCard, card_store
from billing.services.charges import invoice_paid_charge
from billing.services.subscriptions import subscription_create, subscription_pools_sync
from seats.pools.services import billing_admins_notify

# --- Checkout ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckoutResult:
    subscription: Subscription
    invoice: Invoice | None
    quote: BundleQuote | None


def _invoice_paid(
    *,
    account: Account,
    card: CardOnFile | None,
    subscription: Subscription,
    quote: BundleQuote,
    lines: list[QuoteLine],
    idempotency_key: str,
    actor: User,
    now: datetime,
) -> Invoice:
    """Charge today's part of these quote lines to `card` (the card on file, the new one if
    the checkout stored one) and write the paid checkout invoice.

    A checkout changes too much to wait for the bank (items, pools, maybe a new subscription):
    when the bank asks for authentication, CheckoutNeedsAuthentication rolls it all back.
    Nothing was taken; the payment the provider holds is never confirmed.
    """
    end = day(subscription.current_period_end)
    invoice = invoice_paid_charge(
        account=account,
        card=card,
        subscription=subscription,
        kind=InvoiceKind.CHECKOUT,
        lines=[
            InvoiceLine(
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
        ],
        currency=quote.currency,
        idempotency_key=idempotency_key,
        description=", ".join(line.description for line in lines)[:200],
        actor=actor,
        now=now,
    )
    if invoice.status != InvoiceStatus.PAID:
        raise CheckoutNeedsAuthentication()
    return invoice


def bundle_checkout(
    *,
    account: Account,
    bundle: Bundle,
    idempotency_key: str,
    actor: User,
    new_card: NewCard | None = None,
    now: datetime | None = None,
) -> CheckoutResult:
    """ "Buy now" → confirm: start the subscription, or change it (upgrades now, the rest later).

    The charge, the items, the pools and the invoice commit together; a declined card raises
    CardDeclined and nothing changes. A second call with the same idempotency key (a double
    submit) returns the first invoice and charges nothing.

    With `new_card`, the checkout pays with it and it becomes the card on file, in the same
    commit: a checkout refused for any reason (the card declined, the plan refused) leaves the
    card on file as it was. The gateway checks the card first, before any lock is taken
    (CardInvalid).
    """
    now = now or timezone.now()
    details = new_card.tokenize(now=now) if new_card is not None else None
    with transaction.atomic(durable=True):
        return _checkout(
            account=account,
            bundle=bundle,
            idempotency_key=idempotency_key,
            actor=actor,
            new_card=details,
            now=now,
        )


def _checkout(
    *,
    account: Account,
    bundle: Bundle,
    idempotency_key: str,
    actor: User,
    new_card: CardDetails | None,
    now: datetime,
) -> CheckoutResult:
    # The account lock orders checkouts, purchases, removals, renewals and seat assignments.
    account = account_lock(account)
    done = Invoice.objects.filter(account=account, idempotency_key=idempotency_key).first()
    if done is not None:
        return CheckoutResult(subscription=done.subscription, invoice=done, quote=None)
    if new_card is not None:
        card_store(account=account, details=new_card, actor=actor, now=now)
    subscription = subscription_live_get(account=account)
    if subscription is None:
        return _subscription_checkout(
            account=account, bundle=bundle, idempotency_key=idempotency_key, actor=actor, now=now
        )
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    quote = quote_build(account=account, subscription=subscription, bundle=bundle, now=now)
    if quote.changes_at_renewal:
        renewal_seats_check(account=account, subscription=subscription, bundle=bundle)
    before = bundle_renewal_state(subscription)
    invoice = None
    if quote.changes_now:
        invoice = _invoice_paid(
            account=account,
            card=card_on_file_get(account=account),
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
    # Upgrades change the pools now; downgrades and removals change what they keep at renewal.
    subscription_pools_sync(account=account, subscription=subscription, actor=actor, now=now)
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
            text=lambda: _("%(who)s changed the subscription.") % {"who": actor.display_name},
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
    quote = quote_build(account=account, subscription=None, bundle=bundle, now=now)
    card = card_on_file_get(account=account)
    if card is None:
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
    invoice = _invoice_paid(
        account=account,
        card=card,
        subscription=subscription,
        quote=quote,
        lines=quote.lines,
        idempotency_key=idempotency_key,
        actor=actor,
        now=now,
    )
    billing_admins_notify(
        account=account,
        text=lambda: (
            _("%(who)s started the subscription; invoice %(number)s was paid.")
            % {"who": actor.display_name, "number": invoice.number}
        ),
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
