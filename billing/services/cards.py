"""The card on file and the billing contact."""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Account, AuditVerb, User
from accounts.services import audit_record
from billing.errors import BillingError
from billing.gateway import CardDetails, CardSetup, gateway_get
from billing.models import BillingContact, CardOnFile, Invoice, InvoiceStatus, PaymentCustomer
from billing.services.charges import customer_id_get

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewCard:
    """A card as typed into a form. Never stored: the gateway keeps it, seatmgr its token."""

    number: str
    exp_month: int
    exp_year: int
    cvc: str

    def tokenize(self, *, now: datetime) -> CardDetails:
        """Hand the card to the gateway; what seatmgr may keep. Raises CardInvalid."""
        return gateway_get().card_tokenize(
            number=self.number,
            exp_month=self.exp_month,
            exp_year=self.exp_year,
            cvc=self.cvc,
            now=now,
        )


@transaction.atomic(durable=True)
def card_save(
    *,
    account: Account,
    number: str,
    exp_month: int,
    exp_year: int,
    cvc: str,
    actor: User,
    now: datetime | None = None,
) -> CardOnFile:
    """Add or replace the card on file. The gateway tokenises it; only its token, brand, last
    four digits and expiry are kept. Raises the gateway's CardInvalid."""
    now = now or timezone.now()
    card = NewCard(number=number, exp_month=exp_month, exp_year=exp_year, cvc=cvc)
    payment_customer_ensure(account=account)
    return card_store(account=account, details=card.tokenize(now=now), actor=actor, now=now)


def card_setup_start(*, account: Account) -> CardSetup:
    """Start saving a card on the provider's own page (Stripe Elements): what the page needs."""
    return gateway_get().card_setup(customer_id=payment_customer_ensure(account=account))


@transaction.atomic(durable=True)
def card_save_from_setup(
    *, account: Account, setup_id: str, actor: User, now: datetime | None = None
) -> CardOnFile:
    """Keep the card a completed setup saved (its PaymentMethod id, brand, last four, expiry) as
    the account's card on file. Raises CardInvalid for a setup that is not this account's or
    did not succeed."""
    details = gateway_get().card_from_setup(
        customer_id=customer_id_get(account_id=account.pk), setup_id=setup_id
    )
    return card_store(account=account, details=details, actor=actor, now=now or timezone.now())


def payment_customer_ensure(*, account: Account) -> str:
    """The account's customer at the payment provider, created the first time; its id.

    The provider's call is idempotent per account, so two requests racing here (or one rolled
    back after it) name the same customer; the row is written once (unique per account).
    """
    found = customer_id_get(account_id=account.pk)
    if found:
        return found
    # One the provider deleted is replaced: a new customer, made once per deleted one.
    deleted = (
        PaymentCustomer.objects.filter(account=account, deleted_at__isnull=False)
        .values_list("customer_id", flat=True)
        .first()
    )
    contact = BillingContact.objects.filter(account=account).first()
    customer_id = gateway_get().customer_create(
        account_id=account.pk,
        name=contact.name if contact else account.name,
        email=contact.email if contact else "",
        replacing=deleted or "",
    )
    PaymentCustomer.objects.update_or_create(
        account=account, defaults={"customer_id": customer_id, "deleted_at": None}
    )
    return customer_id


def card_on_file_write(
    *, account: Account, details: CardDetails, actor: User | None, now: datetime
) -> tuple[CardOnFile, bool]:
    """Write what seatmgr keeps of a card (token, brand, last four, expiry) as the account's
    card on file; (the card, whether it is the account's first). The caller records it."""
    return CardOnFile.objects.update_or_create(
        account=account,
        defaults={
            "gateway_token": details.token,
            "brand": details.brand,
            "last4": details.last4,
            "exp_month": details.exp_month,
            "exp_year": details.exp_year,
            "updated_by": actor,
            "updated_at": now,
        },
    )


def card_store(*, account: Account, details: CardDetails, actor: User, now: datetime) -> CardOnFile:
    """Keep a tokenised card as the account's card on file, in the caller's transaction (card_save,
    or a checkout paying with a new card: the card is kept only if the checkout commits). The
    card it replaces is forgotten at the provider once this commits."""
    replaced = (
        CardOnFile.objects.filter(account=account)
        .exclude(gateway_token=details.token)
        .values_list("gateway_token", flat=True)
        .first()
    )
    if replaced:
        transaction.on_commit(lambda: card_forget(card_token=replaced))
    card, created = card_on_file_write(account=account, details=details, actor=actor, now=now)
    audit_record(
        account=account,
        actor=actor,
        verb=AuditVerb.BILLING_CHANGED,
        after={"card": f"{details.brand} •••• {details.last4}", "replaced": not created},
        now=now,
    )
    # Unpaid invoices are charged on the new card at the renewal job's next run, not hours
    # later at their scheduled retry.
    Invoice.objects.filter(account=account, status=InvoiceStatus.OPEN).update(next_attempt_at=now)
    return card


def card_forget(*, card_token: str) -> None:
    """Detach a replaced card at the provider. After commit; a failure is logged, not raised:
    the card is no longer seatmgr's either way."""
    try:
        gateway_get().card_detach(card_token=card_token)
    except BillingError:
        logger.warning("a replaced card could not be detached at the provider")


@transaction.atomic(durable=True)
def billing_contact_save(*, account: Account, name: str, email: str, actor: User) -> BillingContact:
    contact, _created = BillingContact.objects.get_or_create(
        account=account, defaults={"name": name, "email": email}
    )
    contact.name, contact.email = name.strip(), email.strip().lower()
    contact.full_clean(exclude=["account"])
    contact.save()
    audit_record(
        account=account,
        actor=actor,
        verb=AuditVerb.BILLING_CHANGED,
        after={"billing_contact": f"{contact.name} <{contact.email}>"},
    )
    return contact
