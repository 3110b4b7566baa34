"""Creating users in a batch, invitation links, and accepting them.

A batch is all-or-nothing: everything is checked under the account's lock before the first row
is written, and any refusal raises before anything is saved.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import (
    Account,
    AuditVerb,
    Membership,
    MembershipStatus,
    PartnerDomain,
    SeatType,
    User,
    email_normalise,
)
from accounts.notifications import NotificationKind
from accounts.services import (
    audit_record,
    member_audit_events_record,
    notify,
    rows_insert,
    users_get_or_create,
)
from invitations.crypto import secret_encrypt
from invitations.errors import BatchRefused, InvitationForSomeoneElse, InvitationInvalid
from invitations.models import Delivery, Invitation, SalesforceConnection
from invitations.parsing import ParsedPerson
from invitations.salesforce import salesforce_connection_users
from invitations.tasks import invitation_emails_dispatch
from invitations.tokens import invitation_url, token_hash, token_new
from seats.permissions.choice import AccessChoice, access_resolve
from seats.pools.services import (
    seat_capacity_check,
    seat_eligibility_check,
    seat_pool_lock_for,
    seat_pool_settle,
)

# Foreign keys are left to the database (each would be checked with a query of its own).
_MEMBERSHIP_RELATIONS = ["user", "account", "permission_set", "main_team", "preset", "created_by"]


@dataclass(frozen=True)
class BatchResult:
    memberships: list[Membership]
    created_users: int


def _valid_email(email: str) -> bool:
    try:
        validate_email(email)
    except ValidationError:
        return False
    return len(email) <= 254


def _partner_problems(*, account: Account, emails: list[str]) -> list[tuple[str, str]]:
    domains = set(
        PartnerDomain.objects.filter(partner__accounts=account).values_list("domain", flat=True)
    )
    return [
        (e, _("Not on a linked solutions partner's domain, so it can't have a Partner seat."))
        for e in emails
        if e.rpartition("@")[2] not in domains
    ]


@transaction.atomic(durable=True)
def members_invite(
    *,
    account: Account,
    actor_membership: Membership,
    people: Sequence[ParsedPerson],
    seat_type: SeatType | str,
    access: AccessChoice,
    send_email: bool,
    now: datetime | None = None,
) -> BatchResult:
    """Create the batch on one seat type with one access choice, and invite them.

    Refused whole with BatchRefused (per-address report) for addresses already in the account
    or not allowed the seat; with NotEnoughSeats when the pool lacks seats for the batch; with
    the access errors of seats.access. A constant number of queries whatever the batch's size:
    the rows are written with one INSERT per table. Emails leave after commit, a task for each
    chunk of invitations (invitations.emails).
    """
    now = now or timezone.now()
    seat_type = SeatType(seat_type)
    actor = actor_membership.user
    # Serialises every change of who is in the account and who holds a seat (Account first).
    account = Account.objects.select_for_update().get(pk=account.pk)
    people = [ParsedPerson(email_normalise(p.email), p.first_name, p.last_name) for p in people]
    emails = [p.email for p in people]
    if not emails:
        raise BatchRefused([])
    repeated = sorted({e for e in emails if emails.count(e) > 1})
    existing = set(
        Membership.objects.filter(account=account, user__email__in=emails).values_list(
            "user__email", flat=True
        )
    )
    problems = [(e, _("Not a valid email address.")) for e in emails if not _valid_email(e)]
    problems += [(e, _("Listed more than once in this batch.")) for e in repeated]
    problems += [(e, _("Already a user in this account.")) for e in emails if e in existing]
    if seat_type == SeatType.PARTNER:
        problems += _partner_problems(account=account, emails=emails)
    if problems:
        raise BatchRefused(problems)
    seat_eligibility_check(account=account, seat_type=seat_type, emails=emails)
    resolved = access_resolve(
        account=account, seat_type=seat_type, choice=access, actor_membership=actor_membership
    )
    seat_pool_lock_for(account=account, seat_type=seat_type)
    seat_capacity_check(account=account, seat_type=seat_type, needed=len(emails))

    got = users_get_or_create(people=[(p.email, p.first_name, p.last_name) for p in people])
    # The invitation columns are set now, so no UPDATE follows the invitations' insert.
    expires_at = now + settings.INVITATION_EXPIRY if send_email else None
    memberships = [
        Membership(
            user=user,
            account=account,
            seat_type=seat_type,
            is_super_admin=resolved.is_super_admin,
            permissions=resolved.permissions,
            access=resolved.access,
            permission_set=resolved.permission_set,
            permission_template=resolved.permission_template,
            status=MembershipStatus.INVITED,
            invite_expires_at=expires_at,
            created_by=actor,
            created_at=now,
        )
        for user, _created in got
    ]
    # Every validated field is the batch's, the same in each row, so validating one validates
    # them all; field validation only, without the foreign keys and the constraints, which
    # would cost a query each per person: the database enforces them on insert.
    memberships[0].full_clean(exclude=_MEMBERSHIP_RELATIONS, validate_constraints=False)
    rows_insert(memberships)
    member_audit_events_record(
        account=account,
        actor=actor,
        verb=AuditVerb.MEMBER_ADDED,
        targets=memberships,
        after={
            "seat_type": seat_type,
            "is_super_admin": resolved.is_super_admin,
            "access": resolved.access,
            "permission_set": resolved.permission_set.name if resolved.permission_set else None,
            "permission_template": resolved.permission_template,
            "invite_email": send_email,
        },
        now=now,
    )
    if send_email:
        invitations = [
            Invitation(
                membership=membership,
                email=membership.user.email,
                delivery=Delivery.EMAIL,
                expires_at=expires_at,
                created_by=actor,
                created_at=now,
            )
            for membership in memberships
        ]
        rows_insert(invitations)
        invitation_emails_dispatch(invitation_ids=[i.pk for i in invitations])
    seat_pool_settle(account=account, seat_type=seat_type, actor=actor, now=now)
    return BatchResult(memberships=memberships, created_users=sum(c for _u, c in got))


def _invitation_create(
    *,
    membership: Membership,
    created_by: User | None,
    now: datetime,
    delivery: Delivery = Delivery.EMAIL,
    token: str | None = None,
) -> Invitation:
    """A new link row; the membership's invitation state follows (pending until the latest
    expiry, no longer revoked). Runs in the caller's transaction."""
    invitation = Invitation(
        membership=membership,
        email=membership.user.email,
        delivery=delivery,
        token_hash=token_hash(token) if token else None,
        expires_at=now + settings.INVITATION_EXPIRY,
        created_by=created_by,
        created_at=now,
    )
    invitation.save()
    if membership.invite_expires_at is None or membership.invite_expires_at < invitation.expires_at:
        membership.invite_expires_at = invitation.expires_at
    membership.invite_revoked_at = None
    membership.save(update_fields=["invite_expires_at", "invite_revoked_at", "updated_at"])
    return invitation


def invitation_issue(
    *, membership: Membership, created_by: User | None, now: datetime
) -> tuple[Invitation, str]:
    """A new link for an invited member, with its own expiry. Runs in the caller's transaction.

    Returns the row and the token; the token is not stored and cannot be recovered later.
    """
    token = token_new()
    invitation = _invitation_create(
        membership=membership, created_by=created_by, now=now, delivery=Delivery.LINK, token=token
    )
    return invitation, token


def _invited_membership_lock(*, account: Account, membership_id: int) -> Membership:
    Account.objects.select_for_update().get(pk=account.pk)
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "account")
        .filter(pk=membership_id, account=account, status=MembershipStatus.INVITED)
        .first()
    )
    if membership is None:
        raise InvitationInvalid()
    return membership


@transaction.atomic(durable=True)
def invitation_link_copy(
    *, account: Account, membership_id: int, actor: User, now: datetime | None = None
) -> str:
    """ "Copy invite link": a fresh link for an invited member, without an email."""
    now = now or timezone.now()
    membership = _invited_membership_lock(account=account, membership_id=membership_id)
    invitation, token = invitation_issue(membership=membership, created_by=actor, now=now)
    audit_record(
        account=account,
        actor=actor,
        verb=AuditVerb.INVITATION_LINK_COPIED,
        target=membership,
        after={"expires_at": invitation.expires_at.isoformat()},
        now=now,
    )
    return invitation_url(token)


@transaction.atomic(durable=True)
def invitation_resend(
    *, account: Account, membership_id: int, actor: User, now: datetime | None = None
) -> Invitation:
    """ "Resend invite": a fresh emailed link with a fresh expiry; earlier links keep working."""
    now = now or timezone.now()
    membership = _invited_membership_lock(account=account, membership_id=membership_id)
    invitation = _invitation_create(membership=membership, created_by=actor, now=now)
    audit_record(
        account=account,
        actor=actor,
        verb=AuditVerb.INVITATION_SENT,
        target=membership,
        after={"expires_at": invitation.expires_at.isoformat()},
        now=now,
    )
    invitation_emails_dispatch(invitation_ids=[invitation.pk])
    return invitation


@transaction.atomic(durable=True)
def invitation_revoke(
    *, account: Account, membership_id: int, actor: User, now: datetime | None = None
) -> int:
    """ "Revoke invite": every link of this member's invitation stops working now."""
    now = now or timezone.now()
    membership = _invited_membership_lock(account=account, membership_id=membership_id)
    revoked = Invitation.objects.filter(
        membership=membership, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    membership.invite_revoked_at = now
    membership.save(update_fields=["invite_revoked_at", "updated_at"])
    audit_record(
        account=account,
        actor=actor,
        verb=AuditVerb.INVITATION_REVOKED,
        target=membership,
        after={"links_revoked": revoked},
        now=now,
    )
    return revoked


def invitation_find(*, token: str, now: datetime) -> Invitation | None:
    """The pending invitation this token opens, or None (for every reason alike)."""
    if not token or len(token) > 200:
        return None
    invitation = (
        Invitation.objects.select_related("membership__account", "membership__user")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if invitation is None or not invitation_usable(invitation, now):
        return None
    return invitation


def invitation_usable(invitation: Invitation, now: datetime) -> bool:
    """Whether a link can still be accepted: not used, revoked or expired, member still invited."""
    return (
        invitation.accepted_at is None
        and invitation.revoked_at is None
        and invitation.expires_at > now
        and invitation.membership.status == MembershipStatus.INVITED
    )


@transaction.atomic(durable=True)
def invitation_accept(
    *,
    token: str,
    user: User,
    now: datetime | None = None,
    password: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
) -> Membership:
    """Accept the invitation as `user`: the membership becomes active; the link is used up.

    For a new person `password` (already validated) becomes their password in the same
    transaction. Single use: the invitation row is locked and re-checked, so two concurrent
    accepts of one link end with one success and one InvitationInvalid.
    """
    now = now or timezone.now()
    found = invitation_find(token=token, now=now)
    if found is None:
        raise InvitationInvalid()
    # Lock order: Account, then the membership, then the invitation itself.
    membership = _invited_membership_lock(
        account=found.membership.account, membership_id=found.membership_id
    )
    invitation = Invitation.objects.select_for_update().get(pk=found.pk)
    invitation.membership = membership
    if not invitation_usable(invitation, now):
        raise InvitationInvalid()
    if membership.user_id != user.pk:
        raise InvitationForSomeoneElse()
    if password is not None:
        user.set_password(password)
        user.first_name = (first_name or user.first_name).strip()
        user.last_name = (last_name or user.last_name).strip()
        user.save(update_fields=["password", "first_name", "last_name"])
    invitation.accepted_at = now
    invitation.save(update_fields=["accepted_at"])
    membership.status = MembershipStatus.ACTIVE
    membership.joined_at = now
    membership.save(update_fields=["status", "joined_at", "updated_at"])
    audit_record(
        account=membership.account,
        actor=user,
        verb=AuditVerb.MEMBER_ACTIVATED,
        target=membership,
        before={"status": MembershipStatus.INVITED},
        after={"status": MembershipStatus.ACTIVE},
        now=now,
    )
    inviter = (
        Membership.objects.filter(
            account=membership.account, user_id=invitation.created_by_id, status="active"
        )
        .select_related("user", "account")
        .first()
    )
    if inviter is not None:
        notify(
            membership=inviter,
            kind=NotificationKind.INVITATION_ACCEPTED,
            text=_("%(name)s accepted your invitation to %(account)s.")
            % {"name": user.display_name, "account": membership.account.name},
            url=reverse("seats:users"),
            now=now,
        )
    return membership


@transaction.atomic(durable=True)
def salesforce_connection_save(
    *, account: Account, instance_url: str, access_token: str, actor: User
) -> SalesforceConnection:
    """Save (or replace) the account's Salesforce connection; the token is stored encrypted."""
    connection, _created = SalesforceConnection.objects.update_or_create(
        account=account,
        defaults={
            "instance_url": instance_url,
            "access_token_encrypted": secret_encrypt(access_token),
            "saved_by": actor,
            "saved_at": timezone.now(),
        },
    )
    return connection


def salesforce_people_fetch(*, account: Account) -> list:
    """The account's active Salesforce users, read live through the saved connection."""
    connection = SalesforceConnection.objects.filter(account=account).first()
    return salesforce_connection_users(connection)
