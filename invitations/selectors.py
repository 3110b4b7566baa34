"""Reads for the "Create user" pages and the invitation emails' sweep."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import Account, Membership, MembershipStatus, email_normalise
from billing.catalogue import TierCode, tier_rank
from billing.selectors import subscription_hub_tiers, subscription_live_get
from invitations.models import Delivery, Invitation, MailboxCode, SalesforceConnection

# How long a confirmed mailbox code lets its browser go on to set a password and join.
MAILBOX_PROOF_LIFETIME = timedelta(minutes=30)


@dataclass(frozen=True)
class SalesforceAvailability:
    offered: bool
    why_not: str
    connection: SalesforceConnection | None


def salesforce_import_available(*, account: Account) -> SalesforceAvailability:
    """Import from Salesforce is offered on a Professional or Enterprise tier only."""
    tiers = subscription_hub_tiers(subscription_live_get(account=account)).values()
    if not any(tier_rank(t) >= tier_rank(TierCode.PROFESSIONAL) for t in tiers):
        return SalesforceAvailability(
            offered=False,
            why_not=_(
                "Import from Salesforce comes with Professional and Enterprise tiers. "
                "Upgrade a hub in Pricing & Features to use it."
            ),
            connection=None,
        )
    connection = SalesforceConnection.objects.filter(account=account).first()
    return SalesforceAvailability(offered=True, why_not="", connection=connection)


def created_members(*, account: Account, ids: list[int]) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(account=account, pk__in=ids)
        .select_related("user", "main_team")
        .order_by("user__email")
    )


def invitations_unsent_q(*, now: datetime) -> Q:
    """Invitations not sent yet whose link could still be accepted, judged on their own row
    (invitation_usable as a filter, but for the membership's status): a filter of one table,
    so that an UPDATE filtered by it is checked again by PostgreSQL on the row as it is once
    locked."""
    return Q(
        sent_at__isnull=True,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    )


def invitations_unsent(*, now: datetime, older_than_seconds: int = 120) -> list[int]:
    """Emailed invitations whose email never went out (the broker was down at commit)."""
    cutoff = now - timedelta(seconds=older_than_seconds)
    return list(
        Invitation.objects.filter(
            invitations_unsent_q(now=now),
            delivery=Delivery.EMAIL,
            created_at__lt=cutoff,
            membership__status=MembershipStatus.INVITED,
        ).values_list("pk", flat=True)
    )


def mailbox_confirmed(*, invitation: Invitation, code_id: int | None, now: datetime) -> bool:
    """Whether this code (the one a browser confirmed, kept in its session) confirms the
    invitation's address: it is this invitation's, it was typed back, not too long ago."""
    if not code_id:
        return False
    return MailboxCode.objects.filter(
        pk=code_id, invitation=invitation, used_at__gt=now - MAILBOX_PROOF_LIFETIME
    ).exists()


def existing_member_emails(*, account: Account, emails: Iterable[str]) -> list[str]:
    """The addresses among `emails` (normalised) already users of this account, whatever their
    status, in the order given. One query."""
    normal = [email_normalise(e) for e in emails]
    found = set(
        Membership.objects.filter(account=account, user__email__in=normal).values_list(
            "user__email", flat=True
        )
    )
    return [e for e in normal if e in found]
