"""Reads about seats shared by pages (Users & Teams, Seats, Account & Billing)."""

from dataclasses import dataclass

from django.db.models import Count

from accounts.models import Account, Membership
from seats.catalogue import SEAT_RULES
from seats.models import SeatPool


@dataclass(frozen=True)
class PoolSummary:
    seat_type: str
    label: str
    included: int
    purchased: int
    total: int
    assigned: int
    available: int
    pending_removal: int
    enabled: bool


def seat_pool_summaries(*, account: Account) -> list[PoolSummary]:
    """Each paid seat type the account has: assigned, available and total. Two queries."""
    pools = list(SeatPool.objects.filter(account=account).order_by("id"))
    assigned = dict(
        Membership.objects.filter(account=account, seat_type__in=[p.seat_type for p in pools])
        .values("seat_type")
        .annotate(n=Count("id"))
        .values_list("seat_type", "n")
    )
    return [
        PoolSummary(
            seat_type=pool.seat_type,
            label=str(SEAT_RULES[pool.seat_type].label),
            included=pool.included,
            purchased=pool.purchased,
            total=pool.total,
            assigned=assigned.get(pool.seat_type, 0),
            available=max(pool.total - assigned.get(pool.seat_type, 0), 0),
            pending_removal=pool.pending_removal,
            enabled=pool.enabled,
        )
        for pool in pools
    ]
