""" "Remove unassigned seats": scheduled for the renewal date, cancellable until then."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.locks import account_lock
from accounts.models import Account, AuditVerb, User
from accounts.services import audit_record
from accounts.text import day, seat_count, seats_label
from billing.errors import InvalidQuantity, NoPendingRemoval, NoSubscription, RemovalTooLarge
from billing.selectors import removable_seats, subscription_live_get
from seats.models import SeatPool
from seats.pools.services import (
    billing_admins_notify,
    seat_pool_lock_for,
    seat_pool_removal_cancel,
    seat_pool_removal_schedule,
    seats_assigned_count,
)


def _pool_locked(account: Account, seat_type: str) -> SeatPool:
    pool = seat_pool_lock_for(account=account, seat_type=seat_type)
    if pool is None:
        raise RemovalTooLarge(maximum=0, seat_type=seat_type, assigned=0, included=0)
    return pool


@transaction.atomic(durable=True)
def seat_removal_schedule(
    *,
    account: Account,
    seat_type: str,
    quantity: int,
    actor: User,
    now: datetime | None = None,
) -> SeatPool:
    """Remove `quantity` unassigned seats at the renewal date. Nothing changes now."""
    now = now or timezone.now()
    # Account first, then the pool: the same order as every seat assignment, so an assignment
    # and a removal never both see the same free seat.
    account = account_lock(account)
    subscription = subscription_live_get(account=account)
    if subscription is None:
        raise NoSubscription()
    pool = _pool_locked(account, seat_type)
    assigned = seats_assigned_count(account=account, seat_type=seat_type)
    maximum = removable_seats(
        included=pool.included_at_renewal,
        purchased_at_renewal=pool.purchased_at_renewal,
        assigned=assigned,
    )
    if quantity < 1:
        raise InvalidQuantity(maximum=max(maximum, 1))
    if quantity > maximum:
        raise RemovalTooLarge(
            maximum=maximum,
            seat_type=seat_type,
            assigned=assigned,
            included=pool.included_at_renewal,
        )
    before = pool.purchased_at_renewal
    seat_pool_removal_schedule(pool=pool, quantity=quantity, actor=actor, now=now)
    audit_record(
        account=account,
        actor=actor,
        verb=AuditVerb.SEAT_REMOVAL_SCHEDULED,
        before={"seat_type": seat_type, "auto_renewal": pool.included_at_renewal + before},
        after={
            "seat_type": seat_type,
            "auto_renewal": pool.total_at_renewal,
            "effective": subscription.current_period_end.isoformat(),
        },
        now=now,
    )
    billing_admins_notify(
        account=account,
        text=lambda: (
            _("%(who)s scheduled the removal of %(seats)s on %(date)s.")
            % {
                "who": actor.display_name,
                "seats": seat_count(seat_type, quantity),
                "date": day(subscription.current_period_end),
            }
        ),
        now=now,
    )
    return pool


@transaction.atomic(durable=True)
def seat_removal_cancel(
    *, account: Account, seat_type: str, actor: User, now: datetime | None = None
) -> SeatPool:
    """ "Cancel this removal": the next period keeps every seat of this type."""
    now = now or timezone.now()
    # Account, then pool, as for scheduling: a cancel and an assignment queue on one row.
    account = account_lock(account)
    pool = _pool_locked(account, seat_type)
    if pool.pending_removal == 0:
        raise NoPendingRemoval()
    before = pool.purchased_at_renewal
    seat_pool_removal_cancel(pool=pool, actor=actor, now=now)
    audit_record(
        account=account,
        actor=actor,
        verb=AuditVerb.SEAT_REMOVAL_CANCELLED,
        before={"seat_type": seat_type, "auto_renewal": pool.included_at_renewal + before},
        after={"seat_type": seat_type, "auto_renewal": pool.total_at_renewal},
        now=now,
    )
    billing_admins_notify(
        account=account,
        text=lambda: (
            _("%(who)s cancelled the removal of %(seats)s.")
            % {"who": actor.display_name, "seats": seats_label(seat_type)}
        ),
        now=now,
    )
    return pool
