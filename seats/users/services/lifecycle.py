"""A member's life in an account after they join: deactivate, reactivate, remove, super admin,
and releasing the paid seat of someone who isn't using it.

Rules that hold on every path: only super admins touch super admins; the account's last active
super admin can't be demoted, deactivated or removed; a View-only seat never holds a super
admin; every change is audited and the member is told.
"""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.locks import account_lock, member_lock, members_lock
from accounts.models import Access, Account, AuditVerb, Membership, MembershipStatus, SeatType
from accounts.notifications import NotificationKind
from accounts.policy import super_admin_target_check
from accounts.services import audit_record, notify
from seats.catalogue import (
    SEAT_RULES,
    seat_allows_super_admin,
    seat_default_permissions,
    seat_is_paid,
)
from seats.errors import (
    BulkRefused,
    LastSuperAdmin,
    MemberNotDeactivated,
    NoUsersSelected,
    SeatNotReleasable,
    SeatTypeUnavailable,
    SuperAdminNeedsPaidSeat,
    SuperAdminNotWhileDeactivated,
    SuperAdminOnly,
)
from seats.models import SeatPool
from seats.permissions.choice import ResolvedAccess
from seats.permissions.services import access_apply
from seats.pools.services import seat_pool_settle


def _guard_last_super_admin(membership: Membership) -> None:
    """Refuse a change that would leave the account without an active super admin."""
    if not (membership.is_super_admin and membership.status == MembershipStatus.ACTIVE):
        return
    others = Membership.objects.filter(
        account_id=membership.account_id, is_super_admin=True, status=MembershipStatus.ACTIVE
    ).exclude(pk=membership.pk)
    if not others.exists():
        raise LastSuperAdmin()


def deactivate_check(*, membership: Membership, actor_membership: Membership | None) -> None:
    """Raise the reason this member can't be deactivated by this actor."""
    super_admin_target_check(membership, actor_membership)
    _guard_last_super_admin(membership)


def seat_release_apply(membership: Membership) -> str | None:
    """Put a member (in memory, not saved) on a View-only seat with its defaults when they hold a
    paid seat; a super admin no longer is one. Returns the paid seat type released, for the
    caller to settle that pool, or None when there was no paid seat."""
    if not seat_is_paid(membership.seat_type):
        return None
    released = membership.seat_type
    membership.seat_type = SeatType.VIEW_ONLY
    membership.is_super_admin = False
    access_apply(
        membership,
        ResolvedAccess(
            is_super_admin=False,
            permissions=seat_default_permissions(SeatType.VIEW_ONLY),
            access=Access.SEAT_DEFAULTS,
        ),
    )
    return released


def seat_releasable(membership: Membership) -> bool:
    """Whether "Release seat" applies: a paid seat held by someone who can't use it, because
    they are deactivated or their invitation was revoked."""
    unused = membership.status == MembershipStatus.DEACTIVATED or (
        membership.status == MembershipStatus.INVITED and membership.invite_revoked_at is not None
    )
    return unused and seat_is_paid(membership.seat_type)


def deactivate_apply(
    *, membership: Membership, release_seat: bool, actor, note: str, now: datetime
) -> str | None:
    """Deactivate a locked member, in the caller's transaction after its checks. Returns the
    paid seat type it released, for the caller to settle that pool."""
    before = {"status": membership.status, "seat_type": membership.seat_type}
    membership.status = MembershipStatus.DEACTIVATED
    membership.deactivated_at = now
    membership.deactivation_note = note.strip()[:500]
    # Released to a View-only seat, with its defaults: a super admin no longer is one.
    released = seat_release_apply(membership) if release_seat else None
    membership.full_clean(exclude=["user", "account"])
    membership.save()
    audit_record(
        account=membership.account,
        actor=actor,
        verb=AuditVerb.MEMBER_DEACTIVATED,
        target=membership,
        before=before,
        after={"status": membership.status, "seat_type": membership.seat_type, "note": note},
        now=now,
    )
    notify(
        membership=membership,
        kind=NotificationKind.STATUS_CHANGED,
        text=lambda: (
            _("Your access to %(account)s was deactivated.") % {"account": membership.account.name}
        ),
        now=now,
    )
    return released


@transaction.atomic(durable=True)
def member_deactivate(
    *,
    membership: Membership,
    release_seat: bool,
    actor: object | None,
    actor_membership: Membership | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Membership:
    """ "Deactivate user": they can't use the account from their next request on, keep their
    history, and keep their paid seat or release it (then they are on a View-only seat)."""
    now = now or timezone.now()
    membership = member_lock(membership)
    if membership.status == MembershipStatus.DEACTIVATED:
        return membership
    deactivate_check(membership=membership, actor_membership=actor_membership)
    released = deactivate_apply(
        membership=membership, release_seat=release_seat, actor=actor, note=note, now=now
    )
    if released:
        seat_pool_settle(account=membership.account, seat_type=released, actor=actor, now=now)
    return membership


@transaction.atomic(durable=True)
def member_reactivate(
    *, membership: Membership, actor_membership: Membership, now: datetime | None = None
) -> Membership:
    """ "Reactivate user": back on the seat they kept (still available to the account)."""
    now = now or timezone.now()
    membership = member_lock(membership)
    if membership.status != MembershipStatus.DEACTIVATED:
        return membership
    super_admin_target_check(membership, actor_membership)
    if seat_is_paid(membership.seat_type):
        # The seat they kept is still counted against the pool; the seat type itself must
        # still be part of the subscription.
        pool = SeatPool.objects.filter(
            account=membership.account, seat_type=membership.seat_type, enabled=True
        ).first()
        if pool is None:
            raise SeatTypeUnavailable(seat=SEAT_RULES[SeatType(membership.seat_type)].label)
    # Someone deactivated before accepting their invitation goes back to invited: their links
    # and "Resend invite" work again, and nobody is shown as having joined.
    never_joined = membership.joined_at is None and membership.invite_expires_at is not None
    membership.status = MembershipStatus.INVITED if never_joined else MembershipStatus.ACTIVE
    membership.deactivated_at = None
    membership.deactivation_note = ""
    membership.full_clean(exclude=["user", "account"])
    membership.save()
    audit_record(
        account=membership.account,
        actor=actor_membership.user,
        verb=AuditVerb.MEMBER_REACTIVATED,
        target=membership,
        before={"status": MembershipStatus.DEACTIVATED},
        after={"status": membership.status, "seat_type": membership.seat_type},
        now=now,
    )
    notify(
        membership=membership,
        kind=NotificationKind.STATUS_CHANGED,
        text=lambda: (
            _("Your access to %(account)s was reactivated.") % {"account": membership.account.name}
        ),
        now=now,
    )
    return membership


@transaction.atomic(durable=True)
def member_remove(
    *, membership: Membership, actor_membership: Membership, now: datetime | None = None
) -> None:
    """ "Remove from account": only a deactivated member; their audit history stays."""
    now = now or timezone.now()
    membership = member_lock(membership)
    if membership.status != MembershipStatus.DEACTIVATED:
        raise MemberNotDeactivated()
    super_admin_target_check(membership, actor_membership)
    account, seat_type = membership.account, membership.seat_type
    audit_record(
        account=account,
        actor=actor_membership.user,
        verb=AuditVerb.MEMBER_REMOVED,
        target=membership,
        before={"seat_type": seat_type, "status": membership.status},
        now=now,
    )
    membership.delete()
    seat_pool_settle(account=account, seat_type=seat_type, actor=actor_membership.user, now=now)


@transaction.atomic(durable=True)
def member_seat_release(
    *, membership: Membership, actor_membership: Membership, now: datetime | None = None
) -> str:
    """ "Release seat": free the paid seat of a deactivated user or of an invitee whose
    invitation was revoked. They move to a View-only seat with its defaults (a super admin no
    longer is one); the seat becomes available to someone else. Returns the seat type freed."""
    now = now or timezone.now()
    account = account_lock(membership.account)
    membership = member_lock(membership)
    super_admin_target_check(membership, actor_membership)
    if not seat_releasable(membership):
        raise SeatNotReleasable()
    before = {"seat_type": membership.seat_type, "is_super_admin": membership.is_super_admin}
    released = seat_release_apply(membership)
    membership.full_clean(exclude=["user", "account"])
    membership.save()
    audit_record(
        account=account,
        actor=actor_membership.user,
        verb=AuditVerb.SEAT_CHANGED,
        target=membership,
        before=before,
        after={"seat_type": membership.seat_type, "is_super_admin": membership.is_super_admin},
        now=now,
    )
    seat_pool_settle(account=account, seat_type=released, actor=actor_membership.user, now=now)
    return released


@transaction.atomic(durable=True)
def member_super_admin_set(
    *,
    membership: Membership,
    is_super_admin: bool,
    actor_membership: Membership,
    now: datetime | None = None,
) -> Membership:
    """ "Make super admin" / "Remove super admin": by super admins only, and never for a
    deactivated user (reactivate them first)."""
    now = now or timezone.now()
    if not actor_membership.is_super_admin:
        raise SuperAdminOnly()
    membership = member_lock(membership)
    if membership.is_super_admin == is_super_admin:
        return membership
    if is_super_admin and membership.status == MembershipStatus.DEACTIVATED:
        raise SuperAdminNotWhileDeactivated()
    if is_super_admin and not seat_allows_super_admin(membership.seat_type):
        raise SuperAdminNeedsPaidSeat()
    if not is_super_admin:
        _guard_last_super_admin(membership)
    membership.is_super_admin = is_super_admin
    membership.full_clean(exclude=["user", "account"])
    membership.save(update_fields=["is_super_admin", "updated_at"])
    audit_record(
        account=membership.account,
        actor=actor_membership.user,
        verb=AuditVerb.SUPER_ADMIN_CHANGED,
        target=membership,
        before={"is_super_admin": not is_super_admin},
        after={"is_super_admin": is_super_admin},
        now=now,
    )
    notify(
        membership=membership,
        kind=NotificationKind.ACCESS_CHANGED,
        text=lambda: (
            (
                _("You are now a super admin of %(account)s.")
                if is_super_admin
                else _("You are no longer a super admin of %(account)s.")
            )
            % {"account": membership.account.name}
        ),
        now=now,
    )
    return membership


@transaction.atomic(durable=True)
def members_bulk_deactivate(
    *,
    account: Account,
    membership_ids: Iterable[int],
    release_seats: bool,
    actor_membership: Membership,
    note: str = "",
    now: datetime | None = None,
) -> list[Membership]:
    """Deactivate the selected members; never the account's last active super admins."""
    now = now or timezone.now()
    account = account_lock(account)
    chosen = members_lock(account, membership_ids)
    if not chosen:
        raise NoUsersSelected()
    members = [m for m in chosen if m.status != MembershipStatus.DEACTIVATED]
    BulkRefused.check_each(
        members, lambda m: deactivate_check(membership=m, actor_membership=actor_membership)
    )
    chosen = {m.pk for m in members}
    other_super_admins = Membership.objects.filter(
        account=account, is_super_admin=True, status=MembershipStatus.ACTIVE
    ).exclude(pk__in=chosen)
    if any(m.is_super_admin for m in members) and not other_super_admins.exists():
        raise BulkRefused(
            [
                (
                    m.user.email,
                    str(_("This would leave the account without an active super admin.")),
                )
                for m in members
                if m.is_super_admin
            ]
        )
    released = set()
    for membership in members:
        seat = deactivate_apply(
            membership=membership,
            release_seat=release_seats,
            actor=actor_membership.user,
            note=note,
            now=now,
        )
        if seat:
            released.add(seat)
    for seat_type in released:
        seat_pool_settle(account=account, seat_type=seat_type, actor=actor_membership.user, now=now)
    return members
