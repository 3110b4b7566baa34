"""Bulk edit on the Users list: the same rules as one user at a time, all or nothing.

Every member is checked before anything is written; any refusal raises BulkRefused with a
per-user report, and the batch's capacity is checked as a whole under the pool's lock.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Membership, MembershipStatus, SeatType
from seats.errors import SeatsError
from seats.lifecycle import deactivate_apply, deactivate_check
from seats.services import (
    account_lock,
    seat_capacity_check,
    seat_change_apply,
    seat_change_check,
    seat_pool_lock_for,
    seat_pool_settle,
)


class BulkRefused(SeatsError):
    """Nothing was changed; `problems` says why, user by user: [(email, why)]."""

    code = "bulk_refused"
    message = _("Nothing was changed. Fix what is listed below, or leave those users out.")

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.problems = list(problems)


class NoUsersSelected(SeatsError):
    code = "no_users_selected"
    message = _("Select at least one user.")


def _locked_members(account: Account, membership_ids: Iterable[int]) -> list[Membership]:
    members = list(
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "account")
        .filter(account=account, pk__in=list(membership_ids))
        .order_by("pk")
    )
    if not members:
        raise NoUsersSelected()
    return members


def _check_each(members, check) -> None:
    problems = []
    for membership in members:
        try:
            check(membership)
        except SeatsError as refused:
            problems.append((membership.user.email, str(refused)))
    if problems:
        raise BulkRefused(problems)


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
    members = _locked_members(account, membership_ids)
    movers = [m for m in members if m.seat_type != seat_type]
    _check_each(
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
    members = [
        m
        for m in _locked_members(account, membership_ids)
        if m.status != MembershipStatus.DEACTIVATED
    ]
    _check_each(
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
