"""Seat pools and their append-only ledger: what billing buys, includes, removes and renews, and
the checks and settling that every assignment of a paid seat goes through.

The caller holds the account's lock (accounts.locks.account_lock) before it locks a pool: Account,
then SeatPool, then Membership. Two admins assigning the last seat at the same moment therefore
queue on the account row, and the second one counts the first one's seat.
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.locks import account_lock
from accounts.models import (
    Account,
    AuditVerb,
    Membership,
    PartnerDomain,
    SeatType,
    User,
)
from accounts.notifications import NotificationKind
from accounts.selectors import billing_admins, billing_admins_by_account
from accounts.services import Notice, NoticeText, audit_record, members_notify, notify
from seats.catalogue import (
    PAID_SEAT_TYPES,
    SEAT_RULES,
    seat_is_paid,
)
from seats.errors import (
    NotEnoughSeats,
    NotEnoughSeatsAtRenewal,
    PartnerDomainRequired,
    SeatTypeEndsAtRenewal,
    SeatTypeUnavailable,
    SubscriptionEnding,
)
from seats.models import LedgerReason, SeatLedgerEntry, SeatPool


def seat_ledger_append(
    *, pool: SeatPool, reason: LedgerReason, actor: User | None, now: datetime | None = None
) -> SeatLedgerEntry:
    """Append the pool's counts as they are now, and why. In the caller's transaction."""
    entry = SeatLedgerEntry(
        pool=pool,
        reason=reason,
        included=pool.included,
        purchased=pool.purchased,
        purchased_at_renewal=pool.purchased_at_renewal,
        included_at_renewal=pool.included_at_renewal,
        enabled_at_renewal=pool.enabled_at_renewal,
        actor=actor,
        created_at=now or timezone.now(),
    )
    entry.save(force_insert=True)
    return entry


def seat_pools_renew(
    *, pools: Sequence[SeatPool], now: datetime, ending: bool = False
) -> list[SeatPool]:
    """At renewal, each pool's next-period count becomes its count (purchased =
    purchased_at_renewal: the scheduled removals take effect), set-wise for many accounts.

    A pool whose seat type the plan no longer enables renews with no bought seats (its tier was
    downgraded or removed), and so does every pool when the subscription ends (`ending`):
    purchased and purchased_at_renewal both become 0.

    One UPDATE per kind of change (renewed, emptied) and one INSERT of the changed pools' RENEWAL
    ledger rows; a pool that keeps its counts is left alone. The objects are updated in memory
    too. Returns the pools that changed. The one renewal path of billing, its batch and its one
    by one: runs inside the caller's transaction, which holds the accounts' and the pools' locks
    (seat_pools_lock).
    """
    changed, renewed, emptied = [], [], []
    for pool in pools:
        if ending or not pool.enabled:
            if pool.purchased or pool.purchased_at_renewal:
                changed.append(pool)
                emptied.append(pool.pk)
        elif pool.purchased != pool.purchased_at_renewal:
            changed.append(pool)
            renewed.append(pool.pk)
    if not changed:
        return []
    updated_at = timezone.now()  # what `auto_now` would have written
    if renewed:
        SeatPool.objects.filter(pk__in=renewed).update(
            purchased=F("purchased_at_renewal"), updated_at=updated_at
        )
    if emptied:
        SeatPool.objects.filter(pk__in=emptied).update(
            purchased=0, purchased_at_renewal=0, updated_at=updated_at
        )
    for pool in changed:
        if ending or not pool.enabled:
            pool.purchased_at_renewal = 0
        pool.purchased, pool.updated_at = pool.purchased_at_renewal, updated_at
    SeatLedgerEntry.objects.bulk_create(
        SeatLedgerEntry(
            pool=pool,
            reason=LedgerReason.RENEWAL,
            included=pool.included,
            purchased=pool.purchased,
            purchased_at_renewal=pool.purchased_at_renewal,
            included_at_renewal=pool.included_at_renewal,
            enabled_at_renewal=pool.enabled_at_renewal,
            actor=None,
            created_at=now,
        )
        for pool in changed
    )
    return changed


def _pool_lock(account: Account, seat_type: str) -> SeatPool | None:
    return SeatPool.objects.select_for_update().filter(account=account, seat_type=seat_type).first()


def seat_pool_lock_for(*, account: Account, seat_type: str) -> SeatPool | None:
    """Lock the pool of a paid seat type before counting it; None for free seat types.

    The caller already holds the account's lock (Account, then SeatPool).
    """
    if not seat_is_paid(seat_type):
        return None
    return _pool_lock(account, seat_type)


def seat_pools_lock(*, account_ids: Iterable[int]) -> list[SeatPool]:
    """Lock every pool of these accounts, in id order, and return them (billing's renewals).

    The caller already holds the accounts' locks (Account, then SeatPool).
    """
    return list(
        SeatPool.objects.select_for_update().filter(account__in=list(account_ids)).order_by("pk")
    )


def billing_admins_notify(
    *, account: Account, text: NoticeText, now: datetime | None = None
) -> None:
    """Tell every billing admin of the account, as their preferences say, each in their
    language (`text`: accounts.services.NoticeText)."""
    for admin in billing_admins(account=account):
        notify(
            membership=admin, kind=NotificationKind.BILLING, text=text, url=_seats_url(), now=now
        )


def billing_admins_notify_many(
    *, notices: Sequence[tuple[int, NoticeText] | tuple[int, NoticeText, str]], now: datetime
) -> None:
    """`billing_admins_notify` for many texts at once, each (account id, text), or (account id,
    text, the page it links to) where that is not the Seats tab: the admins read in one query,
    told through `members_notify` (one INSERT, one email task after commit), each text written
    in each admin's language."""
    seats_url = _seats_url()
    admins = billing_admins_by_account(account_ids={notice[0] for notice in notices})
    members_notify(
        notices=[
            Notice(
                membership=admin,
                kind=NotificationKind.BILLING,
                text=account_id_text_url[1],
                url=account_id_text_url[2] if len(account_id_text_url) > 2 else seats_url,
            )
            for account_id_text_url in notices
            for admin in admins[account_id_text_url[0]]
        ],
        now=now,
    )


def _seats_url() -> str:
    return reverse("billing:seats")


def seat_pool_settle(
    *, account: Account, seat_type: str, actor: User | None, now: datetime | None = None
) -> SeatPool | None:
    """After seats of this type were assigned, released or bought: keep the pool's promises.

    Assigning seats that a scheduled removal would take away cancels that much of the removal
    (the next period keeps enough seats for everyone), and the billing admins are told. When
    the seats left fall to the account's threshold, they are warned once per crossing.
    Runs inside the caller's transaction, which holds the account's lock.
    """
    if not seat_is_paid(seat_type):
        return None
    now = now or timezone.now()
    pool = _pool_lock(account, seat_type)
    if pool is None:
        return None
    label = SEAT_RULES[SeatType(seat_type)].label
    assigned = seats_assigned_count(account=account, seat_type=seat_type)
    restored = min(max(assigned - pool.total_at_renewal, 0), pool.pending_removal)
    if restored:
        before = pool.purchased_at_renewal
        pool.purchased_at_renewal += restored
        pool.save(update_fields=["purchased_at_renewal", "updated_at"])
        seat_ledger_append(
            pool=pool, reason=LedgerReason.REMOVAL_REDUCED_BY_ASSIGNMENT, actor=actor, now=now
        )
        audit_record(
            account=account,
            actor=actor,
            verb=AuditVerb.SEATS_CHANGED,
            before={"seat_type": seat_type, "purchased_at_renewal": before},
            after={"seat_type": seat_type, "purchased_at_renewal": pool.purchased_at_renewal},
            now=now,
        )
        billing_admins_notify(
            account=account,
            text=lambda: (
                ngettext(
                    "%(count)s %(seat)s scheduled for removal was assigned, so the removal was "
                    "reduced by %(count)s.",
                    "%(count)s %(seat)ss scheduled for removal were assigned, so the removal was "
                    "reduced by %(count)s.",
                    restored,
                )
                % {"count": restored, "seat": label}
            ),
            now=now,
        )
    available = pool.assignable - assigned
    if available <= account.seat_warning_threshold and pool.low_seats_warned_at is None:
        pool.low_seats_warned_at = now
        pool.save(update_fields=["low_seats_warned_at", "updated_at"])
        # The account's name leads, so that one ending in a full stop ("Acme Inc.") reads well.
        billing_admins_notify(
            account=account,
            text=lambda: (
                (
                    ngettext(
                        "%(account)s has only %(count)s %(seat)s left.",
                        "%(account)s has only %(count)s %(seat)ss left.",
                        available,
                    )
                    if available > 0
                    else _("%(account)s has no %(seat)ss left.")
                )
                % {"count": available, "seat": label, "account": account.name}
            ),
            now=now,
        )
    elif available > account.seat_warning_threshold and pool.low_seats_warned_at is not None:
        pool.low_seats_warned_at = None
        pool.save(update_fields=["low_seats_warned_at", "updated_at"])
    return pool


def seats_assigned_count(*, account: Account, seat_type: str) -> int:
    """Members holding a seat of this type, whatever their status (see Membership)."""
    return Membership.objects.filter(account=account, seat_type=seat_type).count()


def seat_pools_sync(
    *,
    account: Account,
    included: Mapping[str, int],
    enabled: Iterable[str],
    included_at_renewal: Mapping[str, int] | None = None,
    enabled_at_renewal: Iterable[str] | None = None,
    actor: User | None,
    now: datetime | None = None,
) -> list[SeatPool]:
    """Make the account's pools match what its subscription includes and enables, now and from
    the renewal date (its pending downgrades and removals applied; the same as now by default).

    Called by billing (a higher floor) whenever the subscription's hubs or tiers change or a
    change is scheduled or cancelled. Runs inside the caller's transaction. A pool whose type is
    no longer enabled keeps its counts: seats already bought stay until the renewal takes them
    away. Billing has checked that nobody holds a seat the next period won't have.
    """
    account_lock(account)
    enabled = set(enabled)
    included_at_renewal = included if included_at_renewal is None else included_at_renewal
    enabled_at_renewal = enabled if enabled_at_renewal is None else set(enabled_at_renewal)
    pools = []
    for seat_type in PAID_SEAT_TYPES:
        pool = _pool_lock(account, seat_type)
        counts = {
            "included": int(included.get(seat_type, 0)),
            "enabled": seat_type == SeatType.CORE or seat_type in enabled,
            "included_at_renewal": int(included_at_renewal.get(seat_type, 0)),
            "enabled_at_renewal": seat_type == SeatType.CORE or seat_type in enabled_at_renewal,
        }
        if pool is None:
            if not counts["enabled"] and counts["included"] == 0:
                continue
            pool = SeatPool(account=account, seat_type=seat_type, **counts)
            pool.full_clean()
            pool.save()
            seat_ledger_append(pool=pool, reason=LedgerReason.CREATED, actor=actor, now=now)
            pools.append(pool)
            continue
        changed = [field for field, value in counts.items() if getattr(pool, field) != value]
        if changed:
            for field in changed:
                setattr(pool, field, counts[field])
            pool.save(update_fields=[*changed, "updated_at"])
            if "included" in changed:
                reason = LedgerReason.INCLUDED_CHANGED
            elif {"included_at_renewal", "enabled_at_renewal"} & set(changed):
                reason = LedgerReason.PLAN_CHANGE_SCHEDULED
            else:
                reason = None  # only `enabled` now: the pool's counts are as they were
            if reason is not None:
                seat_ledger_append(pool=pool, reason=reason, actor=actor, now=now)
        pools.append(pool)
    return pools


def seat_pools_ending_set(*, account: Account, ending: bool) -> None:
    """Billing says the subscription ends at the period end (or no longer does). In the
    caller's transaction, which holds the account's lock."""
    SeatPool.objects.filter(account=account).update(ending=ending)


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
    seat_ledger_append(pool=pool, reason=LedgerReason.PURCHASE, actor=actor, now=now)
    return pool


def seat_pool_removal_schedule(
    *, pool: SeatPool, quantity: int, actor: User | None, now: datetime | None = None
) -> SeatPool:
    """Take `quantity` bought seats away from the pool's next period (billing's "Remove unassigned
    seats"). Inside the caller's transaction.

    The caller holds the pool's lock and has checked that the next period keeps a seat for
    everyone assigned one.
    """
    if not 0 < quantity <= pool.purchased_at_renewal:
        raise ValueError(f"quantity must be 1 to {pool.purchased_at_renewal}, got {quantity}")
    pool.purchased_at_renewal -= quantity
    pool.save(update_fields=["purchased_at_renewal", "updated_at"])
    seat_ledger_append(pool=pool, reason=LedgerReason.REMOVAL_SCHEDULED, actor=actor, now=now)
    return pool


def seat_pool_removal_cancel(
    *, pool: SeatPool, actor: User | None, now: datetime | None = None
) -> SeatPool:
    """The pool's next period keeps every seat bought: its scheduled removal is cancelled.
    Inside the caller's transaction, which holds the pool's lock."""
    pool.purchased_at_renewal = pool.purchased
    pool.save(update_fields=["purchased_at_renewal", "updated_at"])
    seat_ledger_append(pool=pool, reason=LedgerReason.REMOVAL_CANCELLED, actor=actor, now=now)
    return pool


def seat_eligibility_check(*, account: Account, seat_type: str, emails: Iterable[str]) -> None:
    """Raise if these addresses may not hold this seat type in this account.

    Paid seats need an enabled pool (Sales and Service follow the hubs' tiers); a Partner seat
    needs every address to be on a domain of a solutions partner linked to the account.
    """
    if seat_is_paid(seat_type):
        pool = SeatPool.objects.filter(account=account, seat_type=seat_type, enabled=True).first()
        if pool is None:
            raise SeatTypeUnavailable(seat=SEAT_RULES[SeatType(seat_type)].label)
        if pool.ending:
            raise SubscriptionEnding(seat=SEAT_RULES[SeatType(seat_type)].label)
        if not pool.enabled_at_renewal:
            raise SeatTypeEndsAtRenewal(seat=SEAT_RULES[SeatType(seat_type)].label)
    if seat_type == SeatType.PARTNER:
        domains = set(
            PartnerDomain.objects.filter(partner__accounts=account).values_list("domain", flat=True)
        )
        outside = sorted(e for e in emails if e.rpartition("@")[2] not in domains)
        if outside:
            raise PartnerDomainRequired(emails=", ".join(outside))


def seat_capacity_check(*, account: Account, seat_type: str, needed: int) -> None:
    """Raise NotEnoughSeats unless `needed` more seats of this type are free, now and at the
    renewal date (SeatPool.assignable): a scheduled downgrade that leaves fewer seats refuses
    with NotEnoughSeatsAtRenewal, which says so.

    The caller holds the pool's lock, so the count cannot change under it.
    """
    if not seat_is_paid(seat_type) or needed <= 0:
        return
    pool = SeatPool.objects.get(account=account, seat_type=seat_type)
    free = pool.assignable - seats_assigned_count(account=account, seat_type=seat_type)
    if needed <= free:
        return
    label = SEAT_RULES[SeatType(seat_type)].label
    missing = needed - max(free, 0)
    if pool.assignable < pool.total:
        raise NotEnoughSeatsAtRenewal(
            missing=missing, seat=label, total=pool.assignable, seat_type=str(seat_type)
        )
    raise NotEnoughSeats(missing=missing, seat=label, seat_type=str(seat_type))
