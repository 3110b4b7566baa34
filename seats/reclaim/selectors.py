"""Reads of inactive paid seats and of the reclaim policy."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce

from accounts.models import Account, Membership, MembershipStatus
from accounts.selectors import inactive_q
from seats.catalogue import PAID_SEAT_TYPES
from seats.reclaim.models import ReclaimNotice, ReclaimPolicy

# The Seats tab's columns: not active for this many days.
INACTIVE_PERIODS = (30, 60, 90)
# A member reclaimed by the policy gets their access back when given the same seat again
# within this time.
RESTORE_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class InactiveCount:
    days: int
    count: int


def inactive_paid_seat_counts(*, account: Account, now: datetime) -> dict[str, list[InactiveCount]]:
    """For each paid seat type, how many holders have not been active for 30, 60 and 90 days
    (never active counts as inactive, as on the Users tab's filter). One query, whatever the
    number of members."""
    columns = {
        f"d{days}": Count("pk", filter=inactive_q(now=now, days=days)) for days in INACTIVE_PERIODS
    }
    rows = (
        Membership.objects.filter(account=account, seat_type__in=PAID_SEAT_TYPES)
        .order_by()
        .values("seat_type")
        .annotate(**columns)
    )
    found = {row["seat_type"]: row for row in rows}
    return {
        seat_type: [
            InactiveCount(days, found[seat_type][f"d{days}"] if seat_type in found else 0)
            for days in INACTIVE_PERIODS
        ]
        for seat_type in PAID_SEAT_TYPES
    }


def inactive_holders(
    *, account: Account, seat_type: str, days: int, now: datetime
) -> QuerySet[Membership]:
    """Holders of `seat_type` not active for `days` days who may be moved to a View-only seat
    (super admins keep a paid seat), the longest inactive first."""
    return (
        Membership.objects.filter(account=account, seat_type=seat_type, is_super_admin=False)
        .filter(inactive_q(now=now, days=days))
        .select_related("user", "permission_set")
        .order_by("last_active_at", "sort_name", "id")
    )


def reclaim_policy_get(*, account: Account) -> ReclaimPolicy:
    """The account's policy; an unsaved one (off, the defaults) when none was ever set."""
    return ReclaimPolicy.objects.filter(account=account).first() or ReclaimPolicy(account=account)


def reclaim_candidates(*, policy: ReclaimPolicy, now: datetime) -> QuerySet[Membership]:
    """Members the policy warns or reclaims now: on a paid seat, not exempt, not deactivated
    (they can't sign in to keep it; "Release seat" is the admins' tool for them), and inactive
    (since they were last active, or since they were added when never active) for at least
    the policy's days less its warning days. Each has `inactive_since`."""
    warn_from = now - timedelta(days=policy.inactive_days - policy.warning_days)
    exempt_teams = policy.exempt_teams.values("pk")
    return (
        Membership.objects.filter(
            account_id=policy.account_id, seat_type__in=PAID_SEAT_TYPES, is_super_admin=False
        )
        .exclude(status=MembershipStatus.DEACTIVATED)
        .annotate(inactive_since=Coalesce("last_active_at", "created_at"))
        .filter(inactive_since__lte=warn_from)
        .exclude(pk__in=policy.exempt_members.values("pk"))
        .exclude(Q(main_team__in=exempt_teams) | Q(extra_teams__in=exempt_teams))
        .select_related("user", "account", "permission_set")
        .distinct()
        .order_by("pk")
    )


def member_is_exempt(*, policy: ReclaimPolicy, membership: Membership) -> bool:
    if membership.is_super_admin or policy.exempt_members.filter(pk=membership.pk).exists():
        return True
    teams = policy.exempt_teams.all()
    return (
        membership.main_team_id in {t.pk for t in teams}
        or membership.extra_teams.filter(pk__in=teams).exists()
    )


def reclaim_notices_recent(*, account: Account) -> QuerySet[ReclaimNotice]:
    """The policy's latest warnings and reclaims, for its settings page."""
    return (
        ReclaimNotice.objects.filter(account=account)
        .select_related("membership__user")
        .order_by("-warned_at", "-id")[:20]
    )


def reclaim_restorable_get(*, membership: Membership, now: datetime) -> ReclaimNotice | None:
    """The policy's latest reclaim of this member still on a View-only seat whose permissions
    come back with the same seat within RESTORE_WINDOW, or None. `restore_until` is set."""
    if membership.seat_type in PAID_SEAT_TYPES:
        return None
    notice = (
        ReclaimNotice.objects.filter(
            membership=membership,
            reclaimed_at__gte=now - RESTORE_WINDOW,
            restored_at__isnull=True,
        )
        .order_by("-reclaimed_at")
        .first()
    )
    if notice is not None:
        notice.restore_until = notice.reclaimed_at + RESTORE_WINDOW
    return notice
