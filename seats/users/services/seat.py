"""A member's seat: "Assign a seat" for one user or a bulk edit of several, with exactly which
permissions the new seat takes away, checked under the pool's lock."""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.locks import account_lock, members_lock
from accounts.models import (
    Access,
    Account,
    AuditVerb,
    Membership,
    MembershipStatus,
    SeatType,
    User,
)
from accounts.notifications import NotificationKind
from accounts.services import audit_record, notify, user_get_or_create
from seats.catalogue import (
    SEAT_RULES,
    PermissionChange,
    permissions_clamp,
    seat_allows_super_admin,
    seat_default_permissions,
)
from seats.errors import (
    AlreadyMember,
    BulkRefused,
    NoUsersSelected,
    SuperAdminNeedsPaidSeat,
    SuperAdminsOnlyBySuperAdmins,
)
from seats.pools.services import (
    seat_capacity_check,
    seat_eligibility_check,
    seat_pool_lock_for,
    seat_pool_settle,
)


@transaction.atomic(durable=True)
def member_add(
    *,
    account: Account,
    email: str,
    seat_type: str,
    actor: User | None,
    first_name: str = "",
    last_name: str = "",
    is_super_admin: bool = False,
    status: MembershipStatus = MembershipStatus.INVITED,
    now: datetime | None = None,
) -> Membership:
    """Add one person to the account on a seat, with the seat's default permissions.

    Refused whole (nothing written) when the seat is not available to them, none is free, or
    they are already a member.
    """
    now = now or timezone.now()
    account = account_lock(account)
    if is_super_admin and not seat_allows_super_admin(seat_type):
        raise SuperAdminNeedsPaidSeat()
    user, _created = user_get_or_create(email=email, first_name=first_name, last_name=last_name)
    if Membership.objects.filter(account=account, user=user).exists():
        raise AlreadyMember(email=user.email)
    seat_eligibility_check(account=account, seat_type=seat_type, emails=[user.email])
    seat_pool_lock_for(account=account, seat_type=seat_type)
    seat_capacity_check(account=account, seat_type=seat_type, needed=1)
    membership = Membership(
        user=user,
        account=account,
        seat_type=seat_type,
        is_super_admin=is_super_admin,
        permissions=seat_default_permissions(SeatType(seat_type)),
        access=Access.SEAT_DEFAULTS,
        status=status,
        joined_at=now if status == MembershipStatus.ACTIVE else None,
        created_by=actor,
        created_at=now,
    )
    membership.full_clean(exclude=["user", "account"])
    membership.save()
    audit_record(
        account=account,
        actor=actor,
        verb=AuditVerb.MEMBER_ADDED,
        target=membership,
        after={"seat_type": seat_type, "is_super_admin": is_super_admin, "status": status},
        now=now,
    )
    seat_pool_settle(account=account, seat_type=seat_type, actor=actor, now=now)
    return membership


def seat_change_preview(*, membership: Membership, seat_type: str) -> list[PermissionChange]:
    """Exactly which permissions moving to `seat_type` would take away (nothing is saved)."""
    if membership.is_super_admin:
        return []
    _clamped, changes = permissions_clamp(membership.permissions, SeatType(seat_type))
    return changes


def seat_change_check(
    *, membership: Membership, seat_type: str, actor_membership: Membership
) -> None:
    """Raise the reason this member can't move to `seat_type` (capacity aside)."""
    if membership.is_super_admin and not actor_membership.is_super_admin:
        raise SuperAdminsOnlyBySuperAdmins()
    if membership.is_super_admin and not seat_allows_super_admin(seat_type):
        raise SuperAdminNeedsPaidSeat()
    seat_eligibility_check(
        account=membership.account, seat_type=seat_type, emails=[membership.user.email]
    )


def seat_change_apply(
    *, membership: Membership, seat_type: SeatType, actor: User, now: datetime
) -> list[PermissionChange]:
    """Move a locked member to `seat_type`, lowering permissions above its ceiling. In the
    caller's transaction, after its checks; the caller settles the pools afterwards."""
    old_seat = membership.seat_type
    clamped, changes = permissions_clamp(membership.permissions, seat_type)
    membership.seat_type = seat_type
    if changes and not membership.is_super_admin:
        membership.permissions = clamped
        if membership.access != Access.SEAT_DEFAULTS:
            membership.access = Access.CUSTOM
            membership.permission_set = None
            membership.permission_template = ""
    if membership.access == Access.SEAT_DEFAULTS and not membership.is_super_admin:
        membership.permissions = seat_default_permissions(seat_type)
    membership.full_clean(exclude=["user", "account"])
    membership.save()
    audit_record(
        account=membership.account,
        actor=actor,
        verb=AuditVerb.SEAT_CHANGED,
        target=membership,
        before={"seat_type": old_seat},
        after={
            "seat_type": seat_type,
            "permissions_removed": [f"{c.code}: {c.before} → {c.after}" for c in changes],
        },
        now=now,
    )
    notify(
        membership=membership,
        kind=NotificationKind.ACCESS_CHANGED,
        text=_("Your seat in %(account)s is now: %(seat)s.")
        % {"account": membership.account.name, "seat": SEAT_RULES[seat_type].label},
        now=now,
    )
    return changes


@transaction.atomic(durable=True)
def member_seat_change(
    *,
    membership: Membership,
    seat_type: str,
    actor_membership: Membership,
    now: datetime | None = None,
) -> Membership:
    """ "Assign a seat": move a member to another seat type ("View-only seat" unassigns a paid
    seat). Capacity and eligibility are checked under the pool's lock; permissions above the
    new seat's ceiling are lowered to it (seat_change_preview lists them beforehand).
    """
    now = now or timezone.now()
    seat_type = SeatType(seat_type)
    account = account_lock(membership.account)
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "account")
        .get(pk=membership.pk, account=account)
    )
    old_seat = membership.seat_type
    if old_seat == seat_type:
        return membership
    seat_change_check(membership=membership, seat_type=seat_type, actor_membership=actor_membership)
    seat_pool_lock_for(account=account, seat_type=seat_type)
    seat_capacity_check(account=account, seat_type=seat_type, needed=1)
    seat_change_apply(
        membership=membership, seat_type=seat_type, actor=actor_membership.user, now=now
    )
    for affected in (old_seat, seat_type):
        seat_pool_settle(account=account, seat_type=affected, actor=actor_membership.user, now=now)
    return membership


@transaction.atomic(durable=True)
def members_bulk_seat_change(
    *,
    account: Account,
    membership_ids: Iterable[int],
    seat_type: str,
    actor_membership: Membership,
    now: datetime | None = None,
) -> list[Membership]:
    """Move the selected members to one seat type; seats for all of them, or for none."""
    now = now or timezone.now()
    seat_type = SeatType(seat_type)
    account = account_lock(account)
    members = members_lock(account, membership_ids)
    if not members:
        raise NoUsersSelected()
    movers = [m for m in members if m.seat_type != seat_type]
    BulkRefused.check_each(
        movers,
        lambda m: seat_change_check(
            membership=m, seat_type=seat_type, actor_membership=actor_membership
        ),
    )
    seat_pool_lock_for(account=account, seat_type=seat_type)
    seat_capacity_check(account=account, seat_type=seat_type, needed=len(movers))
    old_seats = {m.seat_type for m in movers}
    for membership in movers:
        seat_change_apply(
            membership=membership, seat_type=seat_type, actor=actor_membership.user, now=now
        )
    for affected in old_seats | {seat_type}:
        seat_pool_settle(account=account, seat_type=affected, actor=actor_membership.user, now=now)
    return members
