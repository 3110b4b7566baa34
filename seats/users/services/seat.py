"""A member's seat: "Assign a seat" for one user or a bulk edit of several, with exactly which
permissions the new seat takes away, checked under the pool's lock."""

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import SuperAdminsOnlyBySuperAdmins
from accounts.locks import account_lock, member_lock, members_lock
from accounts.models import (
    Account,
    Membership,
    SeatType,
    User,
)
from accounts.notifications import NotificationKind
from accounts.services import Notice, members_notify
from seats.catalogue import (
    SEAT_RULES,
    PermissionChange,
    permissions_exceeding,
    seat_allows_super_admin,
)
from seats.errors import BulkRefused, NoUsersSelected, SuperAdminNeedsPaidSeat
from seats.permissions.choice import permissions_grant_check
from seats.permissions.services import access_on_seat, members_access_write
from seats.pools.services import (
    seat_capacity_check,
    seat_eligibility_check,
    seat_pool_lock_for,
    seat_pool_settle,
)
from seats.reclaim.restore import reclaimed_access_take


def seat_change_preview(*, membership: Membership, seat_type: str) -> list[PermissionChange]:
    """Exactly which permissions moving to `seat_type` would take away (nothing is saved)."""
    _access, changes = access_on_seat(membership, seat_type)
    return changes


def seat_change_check(
    *, membership: Membership, seat_type: str, actor_membership: Membership
) -> None:
    """Raise the reason this member can't move to `seat_type` (capacity aside).

    A new seat's defaults are a grant like any other: what the member gains on it must be held
    by the actor, as on "Create user" (PermissionsNotHeld names what they lack).
    """
    if membership.is_super_admin and not actor_membership.is_super_admin:
        raise SuperAdminsOnlyBySuperAdmins()
    if membership.is_super_admin and not seat_allows_super_admin(seat_type):
        raise SuperAdminNeedsPaidSeat()
    seat_eligibility_check(
        account=membership.account, seat_type=seat_type, emails=[membership.user.email]
    )
    after = access_on_seat(membership, seat_type)[0].permissions
    gained = permissions_exceeding(after, membership.permissions)
    permissions_grant_check(
        permissions={code: after[code] for code in gained},
        seat_type=seat_type,
        actor_membership=actor_membership,
    )


def members_seat_apply(
    *, members: Sequence[Membership], seat_type: SeatType, actor: User | None, now: datetime
) -> None:
    """Move locked members to `seat_type`, lowering permissions above its ceiling, and tell
    them. In the caller's transaction, after its checks; the caller settles the pools.

    A member the reclaim policy took this seat type from lately gets back the access they held
    (seats.reclaim.restore). `actor` None: the reclaim policy itself.
    """
    seats_before = {m.pk: m.seat_type for m in members}
    restored = reclaimed_access_take(members=members, seat_type=seat_type, now=now)
    given = {m.pk: restored.get(m.pk) or access_on_seat(m, seat_type)[0] for m in members}
    for membership in members:
        membership.seat_type = seat_type
    members_access_write(
        memberships=members,
        access=lambda m: given[m.pk],
        actor=actor,
        now=now,
        seats_before=seats_before,
    )
    label = SEAT_RULES[seat_type].label
    members_notify(
        notices=[
            Notice(
                membership=m,
                kind=NotificationKind.ACCESS_CHANGED,
                text=lambda account=m.account.name: (
                    _("Your seat in %(account)s is now: %(seat)s.")
                    % {"account": account, "seat": label}
                ),
            )
            for m in members
        ],
        now=now,
    )


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
    return member_seat_move(
        membership=membership, seat_type=seat_type, actor_membership=actor_membership, now=now
    )


def member_seat_move(
    *,
    membership: Membership,
    seat_type: str,
    actor_membership: Membership,
    now: datetime | None = None,
) -> Membership:
    """member_seat_change inside the caller's transaction: for a service that assigns a seat
    together with its own write (a seat request approved, after a purchase). Takes the
    account's, the member's and the pool's locks itself."""
    now = now or timezone.now()
    seat_type = SeatType(seat_type)
    account = account_lock(membership.account)
    membership = member_lock(membership)
    old_seat = membership.seat_type
    if old_seat == seat_type:
        return membership
    seat_change_check(membership=membership, seat_type=seat_type, actor_membership=actor_membership)
    seat_pool_lock_for(account=account, seat_type=seat_type)
    seat_capacity_check(account=account, seat_type=seat_type, needed=1)
    members_seat_apply(
        members=[membership], seat_type=seat_type, actor=actor_membership.user, now=now
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
    members_seat_apply(members=movers, seat_type=seat_type, actor=actor_membership.user, now=now)
    for affected in old_seats | {seat_type}:
        seat_pool_settle(account=account, seat_type=affected, actor=actor_membership.user, now=now)
    return members
