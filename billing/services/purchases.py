"""Buying seats now: the prorated price, the charge, the invoice and the bigger pool."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.locks import account_lock
from accounts.models import Account, AuditVerb, SeatType, User
from accounts.services import audit_record
from accounts.text import day, seat_count, seats_label
from billing.catalogue import (
    SeatNotForSaleError,
    catalogue_get,
    period_price_cents,
    seat_price_cents,
)
from billing.errors import InvalidQuantity, NoCardOnFile, NoSubscription, SeatsNotForSale
from billing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, Subscription
from billing.periods import proration_cents
from billing.selectors import card_on_file_get, subscription_hub_tiers, subscription_live_get
from billing.services.charges import invoice_paid_charge
from seats.catalogue import SEAT_RULES
from seats.errors import SeatTypeEndsAtRenewal, SeatTypeUnavailable
from seats.models import SeatPool
from seats.pools.services import (
    billing_admins_notify,
    seat_pool_add_purchased,
    seat_pool_lock_for,
    seat_pool_settle,
)

MAX_SEATS_PER_PURCHASE = 1000


@dataclass(frozen=True)
class PurchaseQuote:
    """What buying `quantity` seats costs today, and what they cost per period afterwards."""

    seat_type: str
    seat_label: str
    quantity: int
    unit_period_cents: int
    period_cents: int
    amount_cents: int
    currency: str
    period_start: datetime
    period_end: datetime
    interval: str


def _quote(
    *, subscription: Subscription, seat_type: str, quantity: int, now: datetime
) -> PurchaseQuote:
    if not 1 <= quantity <= MAX_SEATS_PER_PURCHASE:
        raise InvalidQuantity(maximum=MAX_SEATS_PER_PURCHASE)
    label = SEAT_RULES[SeatType(seat_type)].label
    try:
        unit = seat_price_cents(subscription_hub_tiers(subscription).items(), seat_type)
    except SeatNotForSaleError:
        raise SeatsNotForSale(seat=label, seats=seats_label(seat_type)) from None
    unit_period = period_price_cents(unit, subscription.interval)
    # Rounding rule: the whole line (unit price x quantity) is prorated once, rounded half up
    # to the cent (billing.periods.proration_cents), so 3 seats never cost 3 rounded thirds.
    amount = proration_cents(
        unit_period * quantity,
        subscription.current_period_start,
        subscription.current_period_end,
        now,
    )
    return PurchaseQuote(
        seat_type=seat_type,
        seat_label=str(label),
        quantity=quantity,
        unit_period_cents=unit_period,
        period_cents=unit_period * quantity,
        amount_cents=amount,
        currency=catalogue_get().currency,
        period_start=subscription.current_period_start,
        period_end=subscription.current_period_end,
        interval=subscription.interval,
    )


def seats_purchase_quote(
    *, account: Account, seat_type: str, quantity: int, now: datetime
) -> PurchaseQuote:
    """The price shown before "Buy now". Nothing is written."""
    subscription = subscription_live_get(account=account)
    if subscription is None:
        raise NoSubscription()
    return _quote(subscription=subscription, seat_type=seat_type, quantity=quantity, now=now)


@transaction.atomic(durable=True)
def seats_purchase(
    *,
    account: Account,
    seat_type: str,
    quantity: int,
    idempotency_key: str,
    actor: User,
    now: datetime | None = None,
    commit_with: Callable[[Invoice], None] | None = None,
    check_first: Callable[[], None] | None = None,
    grant_with: dict | None = None,
) -> Invoice:
    """ "Buy now": charge the card on file for the rest of the period, then grow the pool.

    A second call with the same idempotency key (a double submit) returns the first invoice
    and buys nothing. A declined card raises CardDeclined and nothing changes. The gateway gets
    the same key, so a request retried after a crash is not charged twice either. When the bank
    asks for authentication, the invoice is returned "needs authentication" and nothing is
    granted: the seats follow the confirmed money (billing.services.payments).

    `commit_with(invoice)` is a caller's write that must commit with the purchase or not at all
    (the JSON API's answer kept for a replay); it runs for a double submit's first invoice too.
    `check_first()` raises what would make that write fail, under the account's lock and before
    the card is charged (a seat request approved with the purchase), so nothing is paid for that
    can't be granted; a double submit doesn't run it. `grant_with` is kept with what a purchase
    waiting for the bank grants once paid (a seat request to approve then).
    """
    now = now or timezone.now()
    # The account lock orders purchases, removals, renewals and seat assignments.
    account = account_lock(account)
    done = Invoice.objects.filter(account=account, idempotency_key=idempotency_key).first()
    if done is not None:
        if commit_with is not None:
            commit_with(done)
        return done
    if check_first is not None:
        check_first()
    subscription = subscription_live_get(account=account)
    if subscription is None:
        raise NoSubscription()
    quote = _quote(subscription=subscription, seat_type=seat_type, quantity=quantity, now=now)
    pool = seat_pool_lock_for(account=account, seat_type=seat_type)
    if pool is None or not pool.enabled:
        raise SeatTypeUnavailable(seat=quote.seat_label)
    if not pool.enabled_at_renewal:
        # Seats of a type the next period drops could be assigned to nobody: don't sell them.
        raise SeatTypeEndsAtRenewal(seat=quote.seat_label)
    card = card_on_file_get(account=account)
    if card is None:
        raise NoCardOnFile()
    end = day(subscription.current_period_end)
    invoice = invoice_paid_charge(
        account=account,
        card=card,
        subscription=subscription,
        kind=InvoiceKind.PURCHASE,
        lines=[
            InvoiceLine(
                description=_("%(seat)s, prorated to %(end)s")
                % {"seat": quote.seat_label, "end": end},
                quantity=quantity,
                unit_cents=quote.unit_period_cents,
                amount_cents=quote.amount_cents,
            )
        ],
        currency=quote.currency,
        idempotency_key=idempotency_key,
        description=f"{quote.quantity} x {quote.seat_label}",
        actor=actor,
        now=now,
        grant={"seat_type": seat_type, "quantity": quantity, **(grant_with or {})},
    )
    if invoice.status == InvoiceStatus.PAID:
        # Paid (or nothing to pay): the seats follow the money in the same commit. Otherwise
        # the bank asks for authentication: they follow its confirmation (billing.services
        # .payments), and nothing is granted before.
        seats_grant(invoice=invoice, pool=pool, actor=actor, now=now)
    if commit_with is not None:
        commit_with(invoice)
    return invoice


def seats_grant(*, invoice: Invoice, pool: SeatPool, actor: User | None, now: datetime) -> None:
    """Grow `pool` by the seats a paid purchase `invoice` bought (its first line), tell the
    billing admins. In the caller's transaction, which holds the account's and the pool's
    locks."""
    account, line = invoice.account, invoice.lines.all()[0]
    seat_type, quantity = pool.seat_type, line.quantity
    seat_pool_add_purchased(pool=pool, quantity=quantity, actor=actor, now=now)
    audit_record(
        account=account,
        actor=actor,
        verb=AuditVerb.SEATS_BOUGHT,
        after={
            "seat_type": seat_type,
            "quantity": quantity,
            "amount_cents": line.amount_cents,
            "invoice": invoice.number,
        },
        now=now,
    )
    seat_pool_settle(account=account, seat_type=seat_type, actor=actor, now=now)
    who = actor.display_name if actor is not None else str(account)
    billing_admins_notify(
        account=account,
        text=lambda: (
            _("%(who)s bought %(seats)s (%(total)s in all).")
            % {"who": who, "seats": seat_count(seat_type, quantity), "total": pool.total}
        ),
        now=now,
    )
