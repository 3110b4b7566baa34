"""The card on file and the billing contact."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Account, AuditVerb, User
from accounts.services import audit_record
from billing.gateway import gateway_get
from billing.models import BillingContact, CardOnFile, Invoice, InvoiceStatus


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
    details = gateway_get().card_tokenize(
        number=number, exp_month=exp_month, exp_year=exp_year, cvc=cvc, now=now
    )
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
