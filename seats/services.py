"""Every write of the seats floor: seat pools and their ledger, and adding members on a seat.

Locks are always taken in the same order, aggregate root first: Account, then SeatPool, then
Membership. Two admins assigning the last seat at the same moment therefore queue on the pool
row, and the second one counts the first one's seat.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import (
    Access,
    Account,
    AuditVerb,
    Membership,
    MembershipStatus,
    PartnerDomain,
    SeatType,
    User,
)
from accounts.services import audit_record, user_get_or_create
from seats.catalogue import (
    PAID_SEAT_TYPES,
    PERMISSIONS_BY_CODE,
    SEAT_RULES,
    permissions_complete,
    permissions_exceeding,
    permissions_validate,
    seat_allows_super_admin,
    seat_ceiling,
    seat_default_permissions,
    seat_is_paid,
)
from seats.errors import (
    AlreadyMember,
    NotEnoughSeats,
    PartnerDomainRequired,
    PermissionsAboveSeat,
    PermissionsNotHeld,
    SeatTypeUnavailable,
    SuperAdminNeedsPaidSeat,
)
from seats.models import LedgerReason, SeatLedgerEntry, SeatPool


def _ledger_append(
    *, pool: SeatPool, reason: LedgerReason, actor: User | None, now: datetime | None = None
) -> SeatLedgerEntry:
    entry = SeatLedgerEntry(
        pool=pool,
        reason=reason,
        included=pool.included,
        purchased=pool.purchased,
        purchased_at_renewal=pool.purchased_at_renewal,
        actor=actor,
        created_at=now or timezone.now(),
    )
    entry.save(force_insert=True)
    return entry


def _account_lock(account: Account) -> Account:
    # Serialises every change of who holds a seat in this account (and of its pools).
    return Account.objects.select_for_update().get(pk=account.pk)


def _pool_lock(account: Account, seat_type: str) -> SeatPool | None:
    return SeatPool.objects.select_for_update().filter(account=account, seat_type=seat_type).first()


def seats_assigned_count(*, account: Account, seat_type: str) -> int:
    """Members holding a seat of this type, whatever their status (see Membership)."""
    return Membership.objects.filter(account=account, seat_type=seat_type).count()


def seat_pools_sync(
    *,
    account: Account,
    included: Mapping[str, int],
    enabled: Iterable[str],
    actor: User | None,
    now: datetime | None = None,
) -> list[SeatPool]:
    """Make the account's pools match what its subscription includes and enables.

    Called by billing (a higher floor) whenever the subscription's hubs or tiers change. Runs
    inside the caller's transaction. A pool whose type is no longer enabled keeps its counts:
    seats already bought stay until the renewal takes them away.
    """
    _account_lock(account)
    enabled = set(enabled)
    pools = []
    for seat_type in PAID_SEAT_TYPES:
        pool = _pool_lock(account, seat_type)
        new_included = int(included.get(seat_type, 0))
        is_enabled = seat_type == SeatType.CORE or seat_type in enabled
        if pool is None:
            if not is_enabled and new_included == 0:
                continue
            pool = SeatPool(
                account=account, seat_type=seat_type, included=new_included, enabled=is_enabled
            )
            pool.full_clean()
            pool.save()
            _ledger_append(pool=pool, reason=LedgerReason.CREATED, actor=actor, now=now)
        elif pool.included != new_included or pool.enabled != is_enabled:
            included_changed = pool.included != new_included
            pool.included = new_included
            pool.enabled = is_enabled
            pool.save(update_fields=["included", "enabled", "updated_at"])
            if included_changed:
                _ledger_append(
                    pool=pool, reason=LedgerReason.INCLUDED_CHANGED, actor=actor, now=now
                )
        pools.append(pool)
    return pools


def seat_pool_add_purchased(
    *, pool: SeatPool, quantity: int, actor: User | None, now: datetime | None = None
) -> SeatPool:
    """Add bought seats to a pool, now and for the next period. Inside the caller's transaction.

    The caller holds the pool's lock and has taken the payment (billing).
    """
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    pool.purchased += quantity
    pool.purchased_at_renewal += quantity
    pool.save(update_fields=["purchased", "purchased_at_renewal", "updated_at"])
    _ledger_append(pool=pool, reason=LedgerReason.PURCHASE, actor=actor, now=now)
    return pool


def seat_eligibility_check(*, account: Account, seat_type: str, emails: Iterable[str]) -> None:
    """Raise if these addresses may not hold this seat type in this account.

    Paid seats need an enabled pool (Sales and Service follow the hubs' tiers); a Partner seat
    needs every address to be on a domain of a solutions partner linked to the account.
    """
    if seat_is_paid(seat_type):
        enabled = SeatPool.objects.filter(account=account, seat_type=seat_type, enabled=True)
        if not enabled.exists():
            raise SeatTypeUnavailable(seat=SEAT_RULES[SeatType(seat_type)].label)
    if seat_type == SeatType.PARTNER:
        domains = set(
            PartnerDomain.objects.filter(partner__accounts=account).values_list("domain", flat=True)
        )
        outside = sorted(e for e in emails if e.rpartition("@")[2] not in domains)
        if outside:
            raise PartnerDomainRequired(emails=", ".join(outside))


def seat_capacity_check(*, account: Account, seat_type: str, needed: int) -> None:
    """Raise NotEnoughSeats unless `needed` more seats of this type are free.

    The caller holds the pool's lock, so the count cannot change under it.
    """
    if not seat_is_paid(seat_type) or needed <= 0:
        return
    pool = SeatPool.objects.get(account=account, seat_type=seat_type)
    free = pool.total - seats_assigned_count(account=account, seat_type=seat_type)
    if needed > free:
        raise NotEnoughSeats(
            missing=needed - max(free, 0), seat=SEAT_RULES[SeatType(seat_type)].label
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
    account = _account_lock(account)
    if is_super_admin and not seat_allows_super_admin(seat_type):
        raise SuperAdminNeedsPaidSeat()
    user, _created = user_get_or_create(email=email, first_name=first_name, last_name=last_name)
    seat_eligibility_check(account=account, seat_type=seat_type, emails=[user.email])
    if seat_is_paid(seat_type):
        _pool_lock(account, seat_type)
        seat_capacity_check(account=account, seat_type=seat_type, needed=1)
    if Membership.objects.filter(account=account, user=user).exists():
        raise AlreadyMember(email=user.email)
    membership = Membership(
        user=user,
        account=account,
        seat_type=seat_type,
        is_super_admin=is_super_admin,
        permissions=seat_default_permissions(SeatType(seat_type)),
        access=Access.SEAT_DEFAULTS,
        status=status,
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
    return membership


@transaction.atomic(durable=True)
def member_deactivate(
    *,
    membership: Membership,
    release_seat: bool,
    actor: User | None,
    note: str = "",
    now: datetime | None = None,
) -> Membership:
    """Deactivate a member, keeping their paid seat for them or releasing it (View-only)."""
    now = now or timezone.now()
    _account_lock(membership.account)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    before = {"status": membership.status, "seat_type": membership.seat_type}
    membership.status = MembershipStatus.DEACTIVATED
    membership.deactivated_at = now
    membership.deactivation_note = note.strip()
    if release_seat and seat_is_paid(membership.seat_type):
        membership.seat_type = SeatType.VIEW_ONLY
        membership.is_super_admin = False
        membership.permissions = seat_default_permissions(SeatType.VIEW_ONLY)
        membership.access = Access.SEAT_DEFAULTS
        membership.permission_set = None
        membership.permission_template = ""
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
    return membership


@transaction.atomic(durable=True)
def member_permissions_set(
    *,
    membership: Membership,
    permissions: Mapping[str, str],
    access: Access,
    actor: User | None,
    actor_membership: Membership | None = None,
    permission_template: str = "",
    now: datetime | None = None,
) -> Membership:
    """Give a member these permissions, as they came from `access` (seat defaults, a template...).

    Refused when a permission is above the seat's ceiling, or above what the acting member
    holds themselves unless they are a super admin (`actor_membership`; None for system work).
    """
    permissions = permissions_validate(dict(permissions))
    membership = (
        Membership.objects.select_related("account", "user")
        .select_for_update(of=("self",))
        .get(pk=membership.pk)
    )
    above_seat = permissions_exceeding(permissions, seat_ceiling(SeatType(membership.seat_type)))
    if above_seat:
        raise PermissionsAboveSeat(
            seat=SEAT_RULES[SeatType(membership.seat_type)].label,
            permissions=", ".join(str(PERMISSIONS_BY_CODE[c].full_label) for c in above_seat),
        )
    if actor_membership is not None and not actor_membership.is_super_admin:
        not_held = permissions_exceeding(
            permissions, permissions_complete(actor_membership.permissions)
        )
        if not_held:
            raise PermissionsNotHeld(
                permissions=", ".join(str(PERMISSIONS_BY_CODE[c].full_label) for c in not_held)
            )
    before = {
        "access": membership.access,
        "permission_template": membership.permission_template,
        "permissions": membership.permissions,
    }
    membership.permissions = permissions
    membership.access = access
    membership.permission_template = permission_template if access == Access.TEMPLATE else ""
    membership.full_clean(exclude=["user", "account"])
    membership.save(update_fields=["permissions", "access", "permission_template", "updated_at"])
    audit_record(
        account=membership.account,
        actor=actor,
        verb=AuditVerb.PERMISSIONS_CHANGED,
        target=membership,
        before=before,
        after={
            "access": access,
            "permission_template": membership.permission_template,
            "permissions": permissions,
        },
        now=now,
    )
    return membership
