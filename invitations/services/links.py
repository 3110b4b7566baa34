"""Invitation links: issue, copy, resend and revoke an invited member's links, and accept one.

Each link is an Invitation row with its own expiry, storing only the hash of its token; a member
stays invited until one of their links is accepted (single use, under the row's lock).
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.locks import account_lock
from accounts.models import Account, AuditVerb, Membership, MembershipStatus, User
from accounts.notifications import NotificationKind
from accounts.policy import super_admin_target_check
from accounts.services import admin_email_limit_exceeded, audit_record, notify
from invitations.errors import (
    InvitationForSomeoneElse,
    InvitationInvalid,
    InvitationPasswordAlreadySet,
    InvitationResendTooOften,
    MailboxNotConfirmed,
)
from invitations.models import Delivery, Invitation
from invitations.selectors import mailbox_confirmed
from invitations.tasks import invitation_emails_dispatch
from invitations.tokens import invitation_url, token_hash, token_new
from seats.pools.services import seat_pool_settle
from seats.users.services.lifecycle import seat_release_apply


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
    """Lock the account, then this invited member of it (raises InvitationInvalid when the
    member is not, or no longer, invited)."""
    account_lock(account)
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
    """ "Resend invite": a fresh emailed link with a fresh expiry; earlier links keep working.
    Refused with InvitationResendTooOften past ADMIN_EMAILS_PER_MEMBER an hour."""
    now = now or timezone.now()
    membership = _invited_membership_lock(account=account, membership_id=membership_id)
    if admin_email_limit_exceeded(scope="invitation_resend", membership=membership):
        raise InvitationResendTooOften(email=membership.user.email)
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


@dataclass(frozen=True)
class Revocation:
    """What "Revoke invite" did: how many links stopped working, and the paid seat type it
    released (None when the invitee held no paid seat)."""

    links: int
    seat_released: str | None


@transaction.atomic(durable=True)
def invitation_revoke(
    *,
    account: Account,
    membership_id: int,
    actor: User | None,
    actor_membership: Membership | None = None,
    now: datetime | None = None,
) -> Revocation:
    """ "Revoke invite": every link of this member's invitation stops working now, and a paid
    seat they held is released (they stay in the list as invited, on a View-only seat), so the
    seat is free for someone else. Only a super admin revokes a super admin's invitation
    (`actor_membership` None is system work)."""
    now = now or timezone.now()
    membership = _invited_membership_lock(account=account, membership_id=membership_id)
    super_admin_target_check(membership, actor_membership)
    revoked = Invitation.objects.filter(
        membership=membership, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    before = {"seat_type": membership.seat_type, "is_super_admin": membership.is_super_admin}
    released = seat_release_apply(membership)
    membership.invite_revoked_at = now
    membership.full_clean(exclude=["user", "account"])
    membership.save()
    after: dict = {"links_revoked": revoked}
    if released:
        after.update(seat_type=membership.seat_type, is_super_admin=membership.is_super_admin)
    audit_record(
        account=account,
        actor=actor,
        verb=AuditVerb.INVITATION_REVOKED,
        target=membership,
        before=before if released else None,
        after=after,
        now=now,
    )
    if released:
        seat_pool_settle(account=account, seat_type=released, actor=actor, now=now)
    return Revocation(links=revoked, seat_released=released)


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
    mailbox_code_id: int | None = None,
) -> Membership:
    """Accept the invitation as `user`: the membership becomes active; the link is used up.

    For a person with no password yet, `password` (already validated) becomes their password
    in the same transaction, with their name. Only the owner of the mailbox sets it: through
    an emailed link, or a copied one whose address was confirmed with a code
    (`mailbox_code_id`, invitations.services.codes), else MailboxNotConfirmed; and never for a
    person who has a password by now (InvitationPasswordAlreadySet: they sign in to join).
    Single use: the invitation row is locked and re-checked, so two concurrent accepts of one
    link end with one success and one InvitationInvalid.
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
        if invitation.delivery == Delivery.LINK and not mailbox_confirmed(
            invitation=invitation, code_id=mailbox_code_id, now=now
        ):
            raise MailboxNotConfirmed()
        # Under the person's lock: two accounts' invitations can't both set it.
        if User.objects.select_for_update().get(pk=user.pk).has_usable_password():
            raise InvitationPasswordAlreadySet()
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
            text=lambda: (
                _("%(name)s accepted your invitation to %(account)s.")
                % {"name": user.display_name, "account": membership.account.name}
            ),
            url=reverse("seats:users"),
            now=now,
        )
    return membership
