"""Taking money from the card on file: every charge billing asks the payment gateway for.

The policy, one for every charge (billing.services says it too):

- An admin's purchase or checkout charges inside its own transaction, while it holds the
  account's lock (`invoice_paid_charge`). The admin is waiting for the answer anyway; holding the
  lock means two admins cannot sell the same seats or change the same plan twice at once, and
  what was bought (seats, a hub, a new card) is granted in the same commit as the payment: a
  refused card rolls everything back, and nothing is granted that was not paid for.
- The renewal job charges after its renewal has committed, with no transaction open and no lock
  held (`card_charge`), and records the outcome in a second, short transaction
  (billing.services.renewals.charges). A batch renews hundreds of accounts: holding their locks
  while a provider answers each charge would keep their admins waiting for minutes. Nothing
  needs rolling back there: a declined renewal takes no seat away, its invoice stays open and is
  retried.

Either way the provider gets an idempotency key naming what is paid for, so a request retried
after a timeout or a crash is never charged twice.

When the bank asks the card holder to authenticate (3-D Secure), an admin's purchase writes its
invoice as "needs authentication" and grants nothing: what it buys follows when the provider
confirms the money (billing.services.payments). A renewal charges off session: the provider
refuses at once (AuthenticationRequired) and the invoice is past due like any decline.
"""

import logging
from collections.abc import Sequence
from datetime import datetime

from accounts.models import Account, AuditVerb, User
from accounts.services import audit_record
from billing.errors import AuthenticationRequired, BillingError, NoCardOnFile
from billing.gateway import Charge, PaymentStatus, gateway_get
from billing.models import (
    CardOnFile,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    PaymentCustomer,
    Subscription,
)

logger = logging.getLogger(__name__)


def invoice_paid_charge(
    *,
    account: Account,
    card: CardOnFile | None,
    subscription: Subscription | None,
    kind: InvoiceKind,
    lines: Sequence[InvoiceLine],
    currency: str,
    idempotency_key: str,
    description: str,
    actor: User,
    now: datetime,
    grant: dict | None = None,
    period_end: datetime | None = None,
) -> Invoice:
    """Charge `card` (the account's card on file, read by the caller under its lock) what `lines`
    add up to and write them as a paid invoice of `kind` for the rest of the subscription's period
    (from `now`); the invoice. A checkout that starts a subscription charges before it writes
    one: `subscription` None, and the first period ends at `period_end`.

    In the caller's transaction, which holds the account's lock (see above). Nothing is charged
    when the lines add up to 0; otherwise NoCardOnFile is raised without a card, and the
    gateway's CardDeclined, CardInvalid or GatewayUnavailable go through to roll the caller's
    transaction back. The provider's key is `idempotency_key` (the form's) with the kind and the
    account: a double submit finds the first invoice before calling this, and a request retried
    after a crash is not charged twice. `description` is what the provider shows for the charge.

    When the bank asks for authentication, the invoice is written "needs authentication" (not
    paid) with `grant`, what it buys once paid: the caller grants nothing then.
    """
    total = sum(line.amount_cents for line in lines)
    charge = Charge(id="", amount_cents=0, currency=currency)
    if total > 0:
        if card is None:
            raise NoCardOnFile()
        key = f"{InvoiceKind(kind).value}:{account.pk}:{idempotency_key}"
        charge = gateway_get().charge(
            card_token=card.gateway_token,
            amount_cents=total,
            currency=currency,
            idempotency_key=key,
            description=description,
            customer_id=customer_id_get(account_id=account.pk),
            metadata={"account_id": str(account.pk), "key": key},
        )
    paid = charge.status == PaymentStatus.SUCCEEDED
    invoice = Invoice.objects.create(
        account=account,
        subscription=subscription,
        kind=kind,
        status=InvoiceStatus.PAID if paid else InvoiceStatus.NEEDS_AUTHENTICATION,
        currency=currency,
        total_cents=total,
        period_start=now,
        period_end=period_end or subscription.current_period_end,
        idempotency_key=idempotency_key,
        charge_id=charge.id,
        payment_id=charge.payment_ref,
        receipt_url=charge.receipt_url,
        grant={} if paid else (grant or {}),
        attempts=1,
        created_by=actor,
        created_at=now,
        paid_at=now if paid else None,
    )
    for line in lines:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(lines)
    return invoice


def charge_paid(charge: Charge | None) -> bool:
    """Whether `card_charge`'s answer took the money (or there was nothing to take)."""
    return charge is not None and charge.status == PaymentStatus.SUCCEEDED


def invoice_charge_note(*, invoice: Invoice, charge: Charge) -> None:
    """Copy what the provider says of a payment onto its invoice (not saved)."""
    invoice.charge_id, invoice.payment_id = charge.id, charge.payment_ref
    invoice.receipt_url = charge.receipt_url


def payment_waiting_completed(*, invoice: Invoice) -> Charge | None:
    """The payment of this open invoice that waited for the bank's authentication, if the card
    holder has completed it since; None otherwise (or when the provider can't say now)."""
    if not invoice.payment_id or invoice.charge_id:
        return None
    try:
        waiting = gateway_get().payment_get(payment_id=invoice.payment_id)
    except BillingError:
        return None
    return waiting if waiting.status == PaymentStatus.SUCCEEDED else None


def charge_refund_if_extra(*, invoice: Invoice, charge: Charge | None) -> bool:
    """Give back a charge that found its invoice paid by another payment meanwhile (a renewal's
    retry and the admins' link, at the same time): the same invoice is never paid twice, and
    the invoice shows the refund (`extra_refunds`). Once per payment; True when this one was
    extra. Under the caller's locks (the account's, then the invoice row)."""
    if not (
        charge_paid(charge)
        and charge.id
        and invoice.status == InvoiceStatus.PAID
        and invoice.payment_id != charge.payment_ref
    ):
        return False
    if charge.payment_ref in invoice.extra_refunds:
        return True  # given back already (the webhook and the page both saw it)
    logger.warning("invoice %s was paid twice; the second payment is refunded", invoice.pk)
    gateway_get().refund(
        payment_id=charge.payment_ref,
        amount_cents=charge.amount_cents,
        idempotency_key=f"refund:{charge.payment_ref}",
    )
    invoice.extra_refunds = {**invoice.extra_refunds, charge.payment_ref: charge.amount_cents}
    invoice.save(update_fields=["extra_refunds"])
    return True


def invoice_open_charge(*, invoice: Invoice, card: CardOnFile) -> Charge:
    """Charge an unpaid invoice to the card on file with a billing admin there ("Pay now" on the
    link they were sent): on session, so the answer may wait for the bank (REQUIRES_ACTION).
    Under the caller's lock, in its transaction, like a purchase. The key names the invoice, its
    attempts so far and the card: a double submit is charged once, and another card (or a
    later attempt) is a new request that the provider does not answer with an old decline.
    Raises the gateway's CardDeclined, CardInvalid or GatewayUnavailable."""
    key = f"invoice:{invoice.pk}:pay:{invoice.attempts}:{card.gateway_token}"
    return gateway_get().charge(
        card_token=card.gateway_token,
        amount_cents=invoice.total_cents,
        currency=invoice.currency,
        idempotency_key=key,
        description=f"seatmgr {invoice.number}",
        customer_id=customer_id_get(account_id=invoice.account_id),
        metadata={
            "key": key,
            "account_id": str(invoice.account_id),
            "invoice_id": str(invoice.pk),
        },
    )


def customer_id_get(*, account_id: int) -> str:
    """The account's customer at the provider ("" before its first card was saved, or after
    the provider deleted it)."""
    return (
        PaymentCustomer.objects.filter(account=account_id, deleted_at__isnull=True)
        .values_list("customer_id", flat=True)
        .first()
        or ""
    )


def card_charge(
    *,
    card_token: str | None,
    amount_cents: int,
    currency: str,
    key: str,
    period_start: datetime,
    period_end: datetime,
    customer_id: str = "",
    invoice: Invoice | None = None,
) -> Charge | None:
    """Charge the card on file for a renewal period (its gateway token; None: there is none),
    off session; the charge, or None (nothing raised) when it can't be paid: declined, or
    unreachable. When the bank asks for an authentication nobody is there to give, a charge
    with status REQUIRES_ACTION names the payment waiting for it (nothing taken). With no lock
    held (see above).

    The idempotency key names what is paid for (`key`) and the card: the same charge asked
    again — a retry after a timeout, a job killed after the provider took the money — can never
    be taken twice, and a new card is a new request that the provider does not answer with the
    old card's decline. Anything but a BillingError (a bug, a gateway that breaks its
    contract) is raised. The payment names `invoice` (and its account) for the provider, so
    that one completed later, after another paid the invoice, is found and given back
    (billing.services.payments).
    """
    if card_token is None:
        return None
    try:
        charge = gateway_get().charge(
            card_token=card_token,
            amount_cents=amount_cents,
            currency=currency,
            idempotency_key=f"{key}:{card_token}",
            description=f"seatmgr {period_start.date()} - {period_end.date()}",
            customer_id=customer_id,
            off_session=True,
            metadata={
                "key": f"{key}:{card_token}",
                **(
                    {"account_id": str(invoice.account_id), "invoice_id": str(invoice.pk)}
                    if invoice is not None
                    else {}
                ),
            },
        )
    except AuthenticationRequired as waiting:
        # Nothing taken: the billing admins are sent a link that completes this payment.
        logger.info("charge %s waits for the card holder's authentication", key)
        return Charge(
            id="",
            amount_cents=amount_cents,
            currency=currency,
            status=PaymentStatus.REQUIRES_ACTION,
            payment_id=waiting.payment_id,
        )
    except BillingError as failure:
        logger.info("charge %s failed: %s", key, failure.code)
        return None
    return charge


def invoice_refund_record(*, invoice: Invoice, refunded_cents: int, now: datetime) -> None:
    """Record that `refunded_cents` of the invoice's payment have been given back in all (the
    invoice shows it), with its audit event. In the caller's transaction."""
    before, invoice.refunded_cents = invoice.refunded_cents, refunded_cents
    invoice.save(update_fields=["refunded_cents"])
    audit_record(
        account=invoice.account,
        actor=None,
        verb=AuditVerb.BILLING_CHANGED,
        before={"invoice": invoice.number, "refunded_cents": before},
        after={"invoice": invoice.number, "refunded_cents": refunded_cents},
        now=now,
    )
