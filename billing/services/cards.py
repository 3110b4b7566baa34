"""The card on file and the billing contact."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Account, AuditVerb, User
from accounts.services import audit_record
from billing.gateway import CardDetails, gateway_get
from billing.models import BillingContact, CardOnFile, Invoice, InvoiceStatus


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
    return card_store(account=account, details=card.tokenize(now=now), actor=actor, now=now)


def card_store(*, account: Account, details: CardDetails, actor: User, now: datetime) -> CardOnFile:
    """Keep a tokenised card as the account's card on file, in the caller's transaction (card_save,
    or a checkout paying with a new card: the card is kept only if the checkout commits)."""
    card, created = CardOnFile.objects.update_or_create(
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
