"""Reads of the seat pools: each paid seat type's counts, and the seats an account can assign."""

from dataclasses import dataclass

from django.db.models import Count
from django.utils.translation import ngettext

from accounts.models import Account, Membership, SeatType, SolutionsPartner
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
    total_at_renewal: int
    enabled: bool
    # The plan change scheduled for the renewal date: what it includes and whether it keeps the
    # type (Account & Billing says so next to the pool).
    included_at_renewal: int
    enabled_at_renewal: bool


def seat_pool_summaries(*, account: Account) -> list[PoolSummary]:
    """Each paid seat type the account has: assigned, available and total. Two queries.

    `available` is what may still be assigned: free now and at the renewal date
    (SeatPool.assignable), so a scheduled downgrade lowers it at once.
    """
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
            available=max(pool.assignable - assigned.get(pool.seat_type, 0), 0),
            pending_removal=pool.pending_removal,
            total_at_renewal=pool.total_at_renewal,
            enabled=pool.enabled,
            included_at_renewal=pool.included_at_renewal,
            enabled_at_renewal=pool.enabled_at_renewal,
        )
        for pool in pools
    ]


def seat_choices_for(*, account: Account) -> list[tuple[str, str]]:
    """The seat types this account can assign now, paid ones with what is free (a type that a
    scheduled plan change drops at the renewal date is not offered)."""
    choices = []
    for pool in seat_pool_summaries(account=account):
        if pool.enabled and pool.enabled_at_renewal:
            label = ngettext(
                "%(seat)s (%(available)s available)",
                "%(seat)s (%(available)s available)",
                pool.available,
            ) % {"seat": pool.label, "available": pool.available}
            choices.append((pool.seat_type, label))
    choices.append((SeatType.VIEW_ONLY, str(SEAT_RULES[SeatType.VIEW_ONLY].label)))
    if SolutionsPartner.objects.filter(accounts=account).exists():
        choices.append((SeatType.PARTNER, str(SEAT_RULES[SeatType.PARTNER].label)))
    return choices


def seat_preselected(*, account: Account, needed: int) -> str:
    """The seat "Assign a seat" starts on for `needed` people: a Core seat when that many are
    free, else a View-only seat (free, never short). Never a seat at "(0 available)"."""
    core = next(
        (p for p in seat_pool_summaries(account=account) if p.seat_type == SeatType.CORE), None
    )
    if core is not None and core.enabled and core.available >= needed:
        return SeatType.CORE
    return SeatType.VIEW_ONLY
