"""Payments settled after the request that started them: authentications and webhook events.

A purchase whose bank asks for authentication commits its invoice "needs authentication" and
grants nothing (billing.services.charges). The money is confirmed later, by the card holder's
browser (the authentication page, which calls `payment_settle`) or by the provider's webhook,
whichever comes first; the other finds the invoice settled and does nothing.

Webhook events are handled once each (a WebhookEvent row per event id, unique) and never
trusted for the order they come in: a payment's handler reads the payment's current state from
the provider, so "failed" after "succeeded" (or the same event twice) settles it once, right.

A webhook can arrive while the request that started the payment still holds the account's lock
(a purchase charges under it). The handler takes that lock first, so it waits for the purchase
to commit and then sees its invoice: paid already (nothing to do), or waiting (settled here).
"""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.locks import account_lock
from accounts.models import Account, AuditVerb
from accounts.services import audit_record
from billing.errors import CardInvalid, NoCardOnFile
from billing.gateway import GatewayEvent, PaymentStatus, gateway_get
from billing.models import (
    CardOnFile,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    PaymentCustomer,
    Subscription,
    SubscriptionStatus,
    WebhookEvent,
)
from billing.money import money_format
from billing.services.cards import card_on_file_write
from billing.services.charges import (
    charge_refund_if_extra,
    invoice_charge_note,
    invoice_open_charge,
    invoice_refund_record,
)
from billing.services.checkout import checkout_paid_apply
from billing.services.purchases import seats_grant
from billing.services.seat_requests import seat_request_approve_paid
from seats.pools.services import billing_admins_notify, seat_pool_lock_for

logger = logging.getLogger(__name__)

# The events handled; any other is acknowledged (recorded) and ignored.
PAYMENT_EVENTS = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
)


def _invoice_locked(
    *, payment_id: str, account_id: str | int | None, invoice_id: str | int | None = None
) -> Invoice | None:
    """The invoice of a payment, under its account's lock (taken first, as every billing write
    does); None when there is none (the payment is not one of seatmgr's invoices, or the request
    that started it has not written it and will record the outcome itself). `invoice_id` (a
    renewal payment's metadata) finds an invoice that names another payment now: a retry
    replaced this one."""
    if not payment_id:
        return None
    found = Invoice.objects.filter(payment_id=payment_id).values_list("account_id", flat=True)
    account_id = found.first() or account_id
    if not account_id or not Account.objects.filter(pk=account_id).exists():
        return None
    # Waits for a purchase of this account still charging under the lock (see above).
    account = account_lock(int(account_id))
    invoices = (
        Invoice.objects.select_for_update(of=("self",))
        .filter(account=account)
        .select_related("account", "created_by")
    )
    found = invoices.filter(payment_id=payment_id).first()
    if found is None and str(invoice_id or "").isdigit():
        found = invoices.filter(pk=int(invoice_id)).first()
    return found


def _payment_settle(
    *,
    payment_id: str,
    account_id: str | int | None,
    now: datetime,
    invoice_id: str | int | None = None,
) -> None:
    invoice = _invoice_locked(payment_id=payment_id, account_id=account_id, invoice_id=invoice_id)
    # A payment this invoice asked for before another attempt replaced it (a renewal's retry),
    # completed since from the admins' link: it pays the invoice if nothing else did, or it is
    # given back.
    if (
        invoice is not None
        and invoice.payment_id != payment_id
        and not _earlier_payment_settle(invoice=invoice, payment_id=payment_id, now=now)
    ):
        return
    if invoice is None or invoice.status not in (
        InvoiceStatus.NEEDS_AUTHENTICATION,
        InvoiceStatus.OPEN,
    ):
        return
    charge = gateway_get().payment_get(payment_id=payment_id)
    if charge.status == PaymentStatus.SUCCEEDED:
        waited = invoice.status == InvoiceStatus.NEEDS_AUTHENTICATION
        invoice.status, invoice.paid_at, invoice.next_attempt_at = InvoiceStatus.PAID, now, None
        invoice_charge_note(invoice=invoice, charge=charge)
        invoice.save()
        outcome = ""
        if waited and invoice.grant:
            # What the payment bought follows it, here, once (the invoice is paid now); the
            # grant stays on the invoice with what became of it, for the page that says so.
            outcome = _grant_follow(invoice=invoice, now=now)
            invoice.grant = {**invoice.grant, "outcome": outcome}
            invoice.save(update_fields=["grant"])
        else:
            # A renewal paid from the link the billing admins were sent: active again.
            _subscription_active_if_paid_up(invoice=invoice)
        if outcome != "refunded":  # a refund has told the admins already, payment included
            billing_admins_notify(
                account=invoice.account,
                text=lambda: _("Invoice %(number)s was paid.") % {"number": invoice.number},
                now=now,
            )
    elif (
        charge.status == PaymentStatus.FAILED
        and invoice.status == InvoiceStatus.NEEDS_AUTHENTICATION
    ):
        invoice.status, invoice.grant = InvoiceStatus.VOID, {}
        invoice.save(update_fields=["status", "grant"])
        billing_admins_notify(
            account=invoice.account,
            text=lambda: (
                _("Invoice %(number)s was not paid: the bank refused it. Nothing was charged.")
                % {"number": invoice.number}
            ),
            now=now,
        )


def _earlier_payment_settle(*, invoice: Invoice, payment_id: str, now: datetime) -> bool:
    """An earlier payment of `invoice` (see `_payment_settle`): refunded when another payment
    paid the invoice first (and the billing admins told), once; True when it is to settle the
    invoice instead (`invoice.payment_id` set to it, not saved)."""
    try:
        charge = gateway_get().payment_get(payment_id=payment_id)
    except CardInvalid:  # not a payment the provider knows
        return False
    if charge.metadata.get("invoice_id") != str(invoice.pk):
        return False  # not this invoice's
    refunded_before = payment_id in invoice.extra_refunds
    if charge_refund_if_extra(invoice=invoice, charge=charge):
        if not refunded_before:
            billing_admins_notify(
                account=invoice.account,
                text=lambda: (
                    _(
                        "Invoice %(number)s was paid twice at the same time (the retry and the "
                        "payment link): the second payment, %(amount)s, was refunded."
                    )
                    % {
                        "number": invoice.number,
                        "amount": money_format(charge.amount_cents, invoice.currency),
                    }
                ),
                now=now,
            )
        return False
    if charge.status != PaymentStatus.SUCCEEDED:
        return False
    invoice.payment_id = payment_id
    return True


def _grant_follow(*, invoice: Invoice, now: datetime) -> str:
    """Grant what a payment that waited for the bank bought (`invoice.grant`); what became of
    it: a checkout "applied" or "refunded"; seats "granted" (and a seat request "approved" or
    "not_approved"), or "not_granted" for a seat type the account lost meanwhile."""
    if invoice.kind == InvoiceKind.CHECKOUT:
        return checkout_paid_apply(invoice=invoice, now=now)
    pool = seat_pool_lock_for(account=invoice.account, seat_type=invoice.grant["seat_type"])
    if pool is None:
        logger.error("invoice %s paid for a seat type the account lost", invoice.pk)
        return "not_granted"
    seats_grant(invoice=invoice, pool=pool, actor=invoice.created_by, now=now)
    if invoice.grant.get("seat_request"):
        return seat_request_approve_paid(invoice=invoice, now=now)
    return "granted"


@transaction.atomic(durable=True)
def invoice_pay(*, invoice: Invoice, now: datetime | None = None) -> Invoice:
    """ "Pay now" on the link the billing admins were sent about an unpaid invoice (a renewal
    declined or refused off session): charge the card on file with them there; the invoice.

    Under the account's lock, which a renewal's retry records under too: an invoice paid
    meanwhile is returned as it is, not charged again. Paid, a past-due subscription whose
    invoices are all paid is active again. When the bank asks to authenticate, the invoice names
    that payment (the page asks next). Raises NoCardOnFile, or the gateway's CardDeclined,
    CardInvalid and GatewayUnavailable, changing nothing.
    """
    now = now or timezone.now()
    account = account_lock(invoice.account_id)
    invoice = Invoice.objects.select_for_update().select_related("account").get(pk=invoice.pk)
    if invoice.status != InvoiceStatus.OPEN or invoice.account_id != account.pk:
        return invoice
    card = CardOnFile.objects.filter(account=account).first()
    if card is None:
        raise NoCardOnFile()
    charge = invoice_open_charge(invoice=invoice, card=card)
    invoice_charge_note(invoice=invoice, charge=charge)
    if charge.status != PaymentStatus.SUCCEEDED:
        invoice.save(update_fields=["charge_id", "payment_id", "receipt_url"])
        return invoice
    invoice.status, invoice.paid_at, invoice.next_attempt_at = InvoiceStatus.PAID, now, None
    invoice.save()
    _subscription_active_if_paid_up(invoice=invoice)
    billing_admins_notify(
        account=account,
        text=lambda: _("Invoice %(number)s was paid.") % {"number": invoice.number},
        now=now,
    )
    return invoice


def _subscription_active_if_paid_up(*, invoice: Invoice) -> None:
    """A past-due subscription whose account owes nothing more is active again."""
    if not Invoice.objects.filter(account=invoice.account_id, status=InvoiceStatus.OPEN).exists():
        Subscription.objects.filter(
            pk=invoice.subscription_id, status=SubscriptionStatus.PAST_DUE
        ).update(status=SubscriptionStatus.ACTIVE)


@transaction.atomic(durable=True)
def payment_settle(
    *, invoice: Invoice, now: datetime | None = None, payment_id: str = ""
) -> Invoice:
    """Record what became of an invoice's payment after its authentication (the card holder's
    browser says it is done): paid (and what it bought granted), refused, or still waiting.
    Safe to call twice, and alongside the webhook: the first records it.

    `payment_id` is the payment the browser completed, when the page named it: a retry may
    have replaced it on the invoice since (and paid it: then it is refunded)."""
    _payment_settle(
        payment_id=payment_id or invoice.payment_id,
        account_id=invoice.account_id,
        invoice_id=invoice.pk,
        now=now or timezone.now(),
    )
    return Invoice.objects.get(pk=invoice.pk)


def _refund_record(*, obj: dict, now: datetime) -> None:
    invoice = _invoice_locked(payment_id=obj.get("payment_intent") or "", account_id=None)
    refunded = int(obj.get("amount_refunded") or 0)
    # The total refunded so far, never less: an older event arriving late changes nothing.
    if invoice is None or refunded <= invoice.refunded_cents:
        return
    invoice_refund_record(invoice=invoice, refunded_cents=refunded, now=now)


def _dispute_record(*, obj: dict, now: datetime) -> None:
    invoice = _invoice_locked(payment_id=obj.get("payment_intent") or "", account_id=None)
    if invoice is None:
        return
    audit_record(
        account=invoice.account,
        actor=None,
        verb=AuditVerb.BILLING_CHANGED,
        after={"invoice": invoice.number, "disputed_cents": int(obj.get("amount") or 0)},
        now=now,
    )
    billing_admins_notify(
        account=invoice.account,
        text=lambda: (
            _("The bank disputes the payment of invoice %(number)s.") % {"number": invoice.number}
        ),
        now=now,
    )


def _card_detached(*, obj: dict, now: datetime) -> None:
    card = CardOnFile.objects.filter(gateway_token=obj.get("id") or "").first()
    if card is None:
        return  # a card seatmgr replaced already (it asked for the detach)
    account = account_lock(card.account_id)
    if CardOnFile.objects.filter(pk=card.pk, gateway_token=card.gateway_token).delete()[0]:
        audit_record(
            account=account,
            actor=None,
            verb=AuditVerb.BILLING_CHANGED,
            before={"card": str(card)},
            after={"card": None},
            now=now,
        )
        billing_admins_notify(
            account=account,
            text=lambda: (
                _("The card %(card)s was removed at the payment provider. Add a card.")
                % {"card": str(card)}
            ),
            now=now,
        )


# A customer changed (or deleted) in the provider's dashboard.
CUSTOMER_EVENTS = ("customer.updated", "customer.deleted")


def _customer_changed(*, obj: dict, now: datetime) -> None:
    """Follow the customer's default card as the provider has it now (re-read, so events in any
    order, or twice, end the same): another default card (or the same one with a new expiry)
    becomes the card on file; a deleted customer leaves the account without one. A customer
    with no default card keeps seatmgr's card as it is: seatmgr saves its cards without making
    them the default."""
    customer_id = obj.get("id") or ""
    account_id = (
        PaymentCustomer.objects.filter(customer_id=customer_id)
        .values_list("account_id", flat=True)
        .first()
    )
    if account_id is None:
        return
    # The card on file changes under the account's lock, as every billing write; the state is
    # read under it, so of two events handled at once the later one writes the later state.
    account = account_lock(account_id)
    state = gateway_get().customer_card(customer_id=customer_id)
    card = CardOnFile.objects.filter(account=account).first()
    before = str(card) if card is not None else None
    if state.deleted:
        PaymentCustomer.objects.filter(account=account, deleted_at__isnull=True).update(
            deleted_at=now
        )
        if card is None:
            return
        card.delete()

        def text(card=before):
            return _(
                "The account's customer was deleted at the payment provider, and with it the "
                "card %(card)s. Add a card."
            ) % {"card": card}

        after = None
    else:
        details = state.card
        kept = (
            (card.gateway_token, card.brand, card.last4, card.exp_month, card.exp_year)
            if card is not None
            else None
        )
        if details is None or kept == (
            details.token,
            details.brand,
            details.last4,
            details.exp_month,
            details.exp_year,
        ):
            return
        # Not card_store: the card it replaces stays attached at the provider, whose dashboard
        # chose the new default.
        card, _created = card_on_file_write(account=account, details=details, actor=None, now=now)
        after = str(card)

        def text(card=after):
            return _(
                "The card on file is now %(card)s, the default card set at the payment provider."
            ) % {"card": card}

        # Unpaid invoices are tried on this card at the renewal job's next run.
        Invoice.objects.filter(account=account, status=InvoiceStatus.OPEN).update(
            next_attempt_at=now
        )
    audit_record(
        account=account,
        actor=None,
        verb=AuditVerb.BILLING_CHANGED,
        before={"card": before},
        after={"card": after},
        now=now,
    )
    billing_admins_notify(account=account, text=text, now=now)


@transaction.atomic(durable=True)
def webhook_event_handle(*, event: GatewayEvent, now: datetime | None = None) -> bool:
    """Handle a verified webhook event once; False when it was handled before (a redelivery).

    One transaction: the event's row and what it changed commit together, so an event whose
    handling failed is handled again when the provider redelivers it.
    """
    now = now or timezone.now()
    _seen, created = WebhookEvent.objects.get_or_create(
        event_id=event.id, defaults={"type": event.type, "received_at": now}
    )
    if not created:
        return False
    obj = event.object
    if event.type in PAYMENT_EVENTS:
        metadata = obj.get("metadata") or {}
        _payment_settle(
            payment_id=obj.get("id") or "",
            account_id=metadata.get("account_id"),
            invoice_id=metadata.get("invoice_id"),
            now=now,
        )
    elif event.type == "charge.refunded":
        _refund_record(obj=obj, now=now)
    elif event.type == "charge.dispute.created":
        _dispute_record(obj=obj, now=now)
    elif event.type == "payment_method.detached":
        _card_detached(obj=obj, now=now)
    elif event.type in CUSTOMER_EVENTS:
        _customer_changed(obj=obj, now=now)
    # The rest: recorded as seen.
    return True
