"""Giving back what the reclaim policy took: used by the one seat write
(seats.users.services.seat.members_seat_apply), so every way of assigning a seat does it."""

from collections.abc import Sequence
from datetime import datetime

from accounts.models import Access, Membership
from seats.catalogue import PAID_SEAT_TYPES, permissions_clamp
from seats.permissions.choice import ResolvedAccess
from seats.reclaim.models import ReclaimNotice
from seats.reclaim.selectors import RESTORE_WINDOW


def reclaimed_access_take(
    *, members: Sequence[Membership], seat_type: str, now: datetime
) -> dict[int, ResolvedAccess]:
    """For each member the policy reclaimed a `seat_type` seat from within RESTORE_WINDOW, the
    access they held then (by member id), and mark it given back. In the caller's transaction,
    which holds the members' rows.

    The policy gives back what it took: the admin assigning the seat needs to hold the seat's
    defaults, not every permission given back.
    """
    if seat_type not in PAID_SEAT_TYPES:
        return {}
    notices = (
        ReclaimNotice.objects.filter(
            membership__in=[m.pk for m in members if not m.is_super_admin],
            seat_type=seat_type,
            reclaimed_at__gte=now - RESTORE_WINDOW,
            restored_at__isnull=True,
        )
        .select_related("previous_permission_set")
        .order_by("membership_id", "-reclaimed_at")
    )
    latest: dict[int, ReclaimNotice] = {}
    for notice in notices:
        latest.setdefault(notice.membership_id, notice)
    if not latest:
        return {}
    ReclaimNotice.objects.filter(pk__in=[n.pk for n in latest.values()]).update(restored_at=now)
    return {member_id: _access(notice) for member_id, notice in latest.items()}


def _access(notice: ReclaimNotice) -> ResolvedAccess:
    permissions, lowered = permissions_clamp(notice.previous_permissions, notice.seat_type)
    access = Access(notice.previous_access)
    permission_set = notice.previous_permission_set
    # The set was deleted since, or the catalogue lowered the seat: the same permissions, by hand.
    if lowered or (access == Access.PERMISSION_SET and permission_set is None):
        return ResolvedAccess(is_super_admin=False, permissions=permissions, access=Access.CUSTOM)
    return ResolvedAccess(
        is_super_admin=False,
        permissions=permissions,
        access=access,
        permission_set=permission_set if access == Access.PERMISSION_SET else None,
        permission_template=notice.previous_permission_template
        if access == Access.TEMPLATE
        else "",
    )
