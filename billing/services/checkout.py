"""Checkout of a bundle (billing.services.bundles): without a subscription it starts one and
charges its first period; with one, it charges the upgrades now (prorated) and stores the
downgrades, removals and interval switch for the renewal date.

When the bank asks the card holder to authenticate (3-D Secure), the checkout commits only its
invoice, "needs authentication", holding what it would apply (`Invoice.grant`: the bundle, the
moment it was quoted and the quote's lines) and changes nothing else. Once the provider confirms
the money (billing.services.payments: the authentication page or the webhook, whichever comes
first, once) `checkout_paid_apply` applies it as the checkout would have, at the quoted prices;
if the subscription changed meanwhile, so that the quote no longer holds, the payment is
refunded instead and the billing admins are told.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import DomainError
from accounts.locks import account_lock
from accounts.models import Account, AuditVerb, User
from accounts.services import audit_record
from accounts.text import day
from billing.catalogue import (
    HubCode,
)
from billing.errors import NoCardOnFile
from billing.gateway import CardDetails, gateway_get
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
from billing.services.charges import invoice_paid_charge, invoice_refund_record
from billing.services.subscriptions import subscription_create, subscription_pools_sync
from seats.pools.services import billing_admins_notify

logger = logging.getLogger(__name__)

# --- Checkout ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckoutResult:
    """What a checkout did. `subscription` is None while a first subscription's payment waits
    for the bank (`invoice` "needs authentication"): nothing exists yet."""

    subscription: Subscription | None
    invoice: Invoice | None
    quote: BundleQuote | None


def _quote_lines(quote: BundleQuote) -> list[list]:
    """What a checkout's quote says, as its waiting invoice keeps it (JSON): a confirmed payment
    applies the checkout only if the same quote, made again, still says this."""
    return [
        [line.product, line.change, line.period_cents, line.today_cents] for line in quote.lines
    ]


def _checkout_grant(
    *, bundle: Bundle, quote: BundleQuote, subscription: Subscription | None, now: datetime
) -> dict:
    """What a checkout waiting for the bank applies once paid (kept on its invoice)."""
    return {
        "bundle": {
            "hubs": dict(bundle.hubs),
            "addons": dict(bundle.addons),
            "interval": bundle.interval,
        },
        "quoted_at": now.isoformat(),
        "subscription": subscription.pk if subscription is not None else None,
        "plan": _bundle_json(bundle_renewal_state(subscription)),
        "lines": _quote_lines(quote),
    }


def _invoice_paid(
    *,
    account: Account,
    card: CardOnFile | None,
    subscription: Subscription | None,
    bundle: Bundle,
    quote: BundleQuote,
    lines: list[QuoteLine],
    idempotency_key: str,
    actor: User,
    now: datetime,
) -> Invoice:
    """Charge today's part of these quote lines to `card` (the card on file, the new one if
    the checkout stored one) and write the checkout invoice: paid, or "needs authentication"
    with what the checkout applies once the bank confirms it (the caller changes nothing then).
    `subscription` None: the checkout starts one, once paid.
    """
    end = day(subscription.current_period_end if subscription else quote.period_end)
    return invoice_paid_charge(
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
        grant=_checkout_grant(bundle=bundle, quote=quote, subscription=subscription, now=now),
        period_end=quote.period_end if subscription is None else None,
    )


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
    CardDeclined and nothing changes. When the bank asks for authentication, the invoice is
    returned "needs authentication" and nothing else changes until the money is confirmed
    (`checkout_paid_apply`). A second call with the same idempotency key (a double
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
    invoice = None
    if quote.changes_now:
        invoice = _invoice_paid(
            account=account,
            card=card_on_file_get(account=account),
            subscription=subscription,
            bundle=bundle,
            quote=quote,
            lines=quote.changes_now,
            idempotency_key=idempotency_key,
            actor=actor,
            now=now,
        )
        if invoice.status != InvoiceStatus.PAID:
            return CheckoutResult(subscription=subscription, invoice=invoice, quote=quote)
    _plan_change_apply(
        account=account,
        subscription=subscription,
        bundle=bundle,
        quote=quote,
        charged=invoice is not None,
        actor=actor,
        now=now,
    )
    return CheckoutResult(subscription=subscription, invoice=invoice, quote=quote)


def _plan_change_apply(
    *,
    account: Account,
    subscription: Subscription,
    bundle: Bundle,
    quote: BundleQuote,
    charged: bool,
    actor: User | None,
    now: datetime,
) -> None:
    """Write a paid (or free) change of the subscription: the items, the interval at renewal,
    the pools, the audit event, the billing admins told. Under the account's and the
    subscription's locks."""
    before = bundle_renewal_state(subscription)
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
                "charged_cents": quote.today_cents if charged else 0,
            },
            now=now,
        )
        who = actor.display_name if actor is not None else str(account)
        billing_admins_notify(
            account=account,
            text=lambda: _("%(who)s changed the subscription.") % {"who": who},
            now=now,
        )


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
    # roll back) together. The charge comes first, so that a payment waiting for the bank
    # leaves no subscription behind (under the account's lock nobody starts another meanwhile).
    invoice = _invoice_paid(
        account=account,
        card=card,
        subscription=None,
        bundle=bundle,
        quote=quote,
        lines=quote.lines,
        idempotency_key=idempotency_key,
        actor=actor,
        now=now,
    )
    if invoice.status != InvoiceStatus.PAID:
        return CheckoutResult(subscription=None, invoice=invoice, quote=quote)
    subscription = _subscription_start_paid(
        account=account, bundle=bundle, invoice=invoice, actor=actor, now=now
    )
    return CheckoutResult(subscription=subscription, invoice=invoice, quote=quote)


def _subscription_start_paid(
    *, account: Account, bundle: Bundle, invoice: Invoice, actor: User | None, now: datetime
) -> Subscription:
    """Start the subscription a paid checkout `invoice` bought (its first period from `now`)."""
    subscription = subscription_create(
        account=account,
        hubs=dict(bundle.hubs),
        addons=dict(bundle.addons),
        interval=BillingInterval(bundle.interval),
        now=now,
        actor=actor,
    )
    invoice.subscription = subscription
    invoice.save(update_fields=["subscription"])
    who = actor.display_name if actor is not None else str(account)
    billing_admins_notify(
        account=account,
        text=lambda: (
            _("%(who)s started the subscription; invoice %(number)s was paid.")
            % {"who": who, "number": invoice.number}
        ),
        now=now,
    )
    return subscription


class _QuoteGone(Exception):
    """The subscription changed since a waiting checkout was quoted."""


def checkout_paid_apply(*, invoice: Invoice, now: datetime) -> str:
    """Apply what a checkout that waited for the bank bought, now that its `invoice` is paid:
    "applied", as the checkout would have when it was quoted (the same prices, the same
    proration); or "refunded", when the quote no longer holds (the subscription changed,
    renewed, started or ended meanwhile, or the plan is refused now): the payment is given
    back, the invoice shows it and the billing admins are told. Once per invoice (the caller
    settles it once), in the caller's transaction, under the account's lock."""
    grant = invoice.grant
    bundle = Bundle(
        hubs=grant["bundle"]["hubs"],
        addons=grant["bundle"]["addons"],
        interval=grant["bundle"]["interval"],
    )
    quoted_at = datetime.fromisoformat(grant["quoted_at"])
    account, actor = invoice.account, invoice.created_by
    try:
        # A savepoint: a refusal found half-way undoes what was written, not the payment.
        with transaction.atomic():
            live = subscription_live_get(account=account)
            if grant["subscription"] is None:
                if live is not None:
                    raise _QuoteGone()
                _subscription_start_paid(
                    account=account, bundle=bundle, invoice=invoice, actor=actor, now=quoted_at
                )
                return "applied"
            if live is None or live.pk != grant["subscription"]:
                raise _QuoteGone()
            subscription = Subscription.objects.select_for_update().get(pk=live.pk)
            quote = quote_build(
                account=account, subscription=subscription, bundle=bundle, now=quoted_at
            )
            if (
                _quote_lines(quote) != grant["lines"]
                or _bundle_json(bundle_renewal_state(subscription)) != grant["plan"]
                or quoted_at < subscription.current_period_start
            ):
                raise _QuoteGone()
            if quote.changes_at_renewal:
                renewal_seats_check(account=account, subscription=subscription, bundle=bundle)
            _plan_change_apply(
                account=account,
                subscription=subscription,
                bundle=bundle,
                quote=quote,
                charged=True,
                actor=actor,
                now=now,
            )
            return "applied"
    except (_QuoteGone, DomainError):
        logger.info("checkout invoice %s paid after its quote changed: refunded", invoice.pk)
    _checkout_refund(invoice=invoice, now=now)
    return "refunded"


def _checkout_refund(*, invoice: Invoice, now: datetime) -> None:
    gateway_get().refund(
        payment_id=invoice.payment_id,
        amount_cents=invoice.total_cents,
        idempotency_key=f"refund:{invoice.payment_id}",
    )
    invoice_refund_record(invoice=invoice, refunded_cents=invoice.total_cents, now=now)
    billing_admins_notify(
        account=invoice.account,
        text=lambda: (
            _(
                "Invoice %(number)s was paid after the subscription had changed, so the plan "
                "it was for no longer applies: nothing was changed and the payment was "
                "refunded. Create the bundle again to buy it at today's prices."
            )
            % {"number": invoice.number}
        ),
        now=now,
    )


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
