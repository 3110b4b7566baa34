"""The reclaim policy: set by a super admin, run daily (reclaim_run) to warn each inactive
person and the admins, then move them to a View-only seat through the one seat write.

The job is safe to run twice and late: every warning and reclaim is a ReclaimNotice row named
by the person's stretch of inactivity, so a second run finds what the first did; a run after a
gap warns and reclaims what was due meanwhile (nobody loses a seat without the warning's days of
notice). Each person is their own transaction: one failure is logged and the others go on.
"""

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.locks import account_lock, member_lock
from accounts.models import Account, AuditVerb, Membership, MembershipStatus, SeatType, Team
from accounts.notifications import NotificationKind
from accounts.services import Notice, audit_record, members_notify
from accounts.text import day
from seats.catalogue import PAID_SEAT_TYPES, SEAT_RULES
from seats.pools.services import seat_pool_settle
from seats.reclaim.models import ReclaimNotice, ReclaimPolicy
from seats.reclaim.selectors import RESTORE_WINDOW, member_is_exempt, reclaim_candidates
from seats.users.services.seat import members_seat_apply

logger = logging.getLogger(__name__)


def _policy_snapshot(policy: ReclaimPolicy) -> dict:
    if not policy.pk:
        return {"enabled": False}
    return {
        "enabled": policy.enabled,
        "inactive_days": policy.inactive_days,
        "warning_days": policy.warning_days,
        "exempt_people": sorted(policy.exempt_members.values_list("user__email", flat=True)),
        "exempt_teams": sorted(policy.exempt_teams.values_list("name", flat=True)),
    }


@transaction.atomic(durable=True)
def reclaim_policy_set(
    *,
    account: Account,
    enabled: bool,
    inactive_days: int,
    warning_days: int,
    exempt_members: Sequence[Membership],
    exempt_teams: Sequence[Team],
    actor_membership: Membership,
) -> ReclaimPolicy:
    """Save the account's reclaim policy (super admins; the view checks) and record it."""
    account = account_lock(account)
    policy = ReclaimPolicy.objects.filter(account=account).first() or ReclaimPolicy(account=account)
    before = _policy_snapshot(policy)
    policy.enabled = enabled
    policy.inactive_days = inactive_days
    policy.warning_days = warning_days
    policy.full_clean(exclude=["account"])
    policy.save()
    policy.exempt_members.set([m for m in exempt_members if m.account_id == account.pk])
    policy.exempt_teams.set([t for t in exempt_teams if t.account_id == account.pk])
    after = _policy_snapshot(policy)
    if after != before:
        audit_record(
            account=account,
            actor=actor_membership.user,
            verb=AuditVerb.RECLAIM_POLICY_CHANGED,
            before=before,
            after=after,
        )
    return policy


# --- The daily job -------------------------------------------------------------------------


def reclaim_run(*, now: datetime) -> dict[str, int]:
    """Warn and reclaim in every account whose policy is on. Returns what it did."""
    result = {"warned": 0, "reclaimed": 0, "failed": 0}
    for policy in ReclaimPolicy.objects.filter(enabled=True).select_related("account"):
        for key, value in account_reclaim_run(policy=policy, now=now).items():
            result[key] += value
    return result


def account_reclaim_run(*, policy: ReclaimPolicy, now: datetime) -> dict[str, int]:
    """One account's warnings (one transaction, the admins told once) and reclaims (one
    transaction each)."""
    result = {"warned": 0, "reclaimed": 0, "failed": 0}
    candidates = list(reclaim_candidates(policy=policy, now=now))
    notices = {
        (n.membership_id, n.inactive_since): n
        for n in ReclaimNotice.objects.filter(membership__in=[m.pk for m in candidates])
    }
    to_warn, to_reclaim = [], []
    for member in candidates:
        notice = notices.get((member.pk, member.inactive_since))
        if notice is None:
            to_warn.append(member)
        elif notice.reclaimed_at is None and notice.reclaim_on <= now:
            to_reclaim.append(notice)
    warned = []
    for member in to_warn:
        try:
            notice = member_reclaim_warn(policy=policy, member=member, now=now)
        except Exception:  # one person's failure is theirs: logged, the next run tries again
            logger.exception(
                "reclaim warning failed",
                extra={"account_id": policy.account_id, "membership_id": member.pk},
            )
            result["failed"] += 1
        else:
            if notice is not None:
                warned.append((member, notice))
    result["warned"] = len(warned)
    if warned:
        try:
            reclaim_admins_warn(account=policy.account, warned=warned, now=now)
        except Exception:  # the people were warned; the admins see them on the policy page
            logger.exception("reclaim admin notice failed", extra={"account_id": policy.account_id})
    for notice in to_reclaim:
        try:
            result["reclaimed"] += member_seat_reclaim(notice_id=notice.pk, now=now)
        except Exception:  # one person's failure is theirs: logged, the others go on
            logger.exception(
                "reclaim failed",
                extra={"account_id": policy.account_id, "membership_id": notice.membership_id},
            )
            result["failed"] += 1
    return result


def _admins(account: Account) -> list[Membership]:
    return list(
        Membership.objects.filter(
            account=account, is_super_admin=True, status=MembershipStatus.ACTIVE
        ).select_related("user", "account")
    )


@transaction.atomic(durable=True)
def member_reclaim_warn(
    *, policy: ReclaimPolicy, member: Membership, now: datetime
) -> ReclaimNotice | None:
    """Tell a member their paid seat goes on a date, and record it. The date: when their
    stretch of inactivity reaches the policy's days, but never less than the warning's days
    from now. None when another run warned them meanwhile."""
    account = account_lock(policy.account)
    reclaim_on = max(
        member.inactive_since + timedelta(days=policy.inactive_days),
        now + timedelta(days=policy.warning_days),
    )
    notice, created = ReclaimNotice.objects.get_or_create(
        membership=member,
        inactive_since=member.inactive_since,
        defaults={
            "account": account,
            "seat_type": member.seat_type,
            "warned_at": now,
            "reclaim_on": reclaim_on,
        },
    )
    if not created:
        return None
    audit_record(
        account=account,
        actor=None,
        verb=AuditVerb.RECLAIM_WARNED,
        target=member,
        after={"seat_type": member.seat_type, "reclaim_on": reclaim_on.date().isoformat()},
        now=now,
    )
    members_notify(
        notices=[
            Notice(
                membership=member,
                kind=NotificationKind.ACCESS_CHANGED,
                text=lambda: (
                    _(
                        "You have not used %(account)s for a while: your %(seat)s moves to a "
                        "View-only seat on %(date)s. Sign in before then to keep it."
                    )
                    % {
                        "account": account.name,
                        "seat": SEAT_RULES[member.seat_type].label,
                        "date": day(reclaim_on),
                    }
                ),
            )
        ],
        now=now,
    )
    return notice


@transaction.atomic(durable=True)
def reclaim_admins_warn(
    *, account: Account, warned: Sequence[tuple[Membership, ReclaimNotice]], now: datetime
) -> None:
    """Tell the super admins, in one message, who was just warned and when each seat goes."""

    def text() -> str:
        names = ", ".join(f"{m.display_name} ({day(n.reclaim_on)})" for m, n in warned)
        return _("Inactive paid seats will move to a View-only seat: %(names)s") % {"names": names}

    members_notify(
        notices=[
            Notice(
                membership=admin,
                kind=NotificationKind.ACCESS_CHANGED,
                text=text,
                url=reverse("seats:reclaim_policy"),
            )
            for admin in _admins(account)
        ],
        now=now,
    )


@transaction.atomic(durable=True)
def member_seat_reclaim(*, notice_id: int, now: datetime | None = None) -> bool:
    """Move a warned member to a View-only seat, keeping the access they held to give it back
    if they get the same seat again within RESTORE_WINDOW. The freed seat stays bought and
    available. Returns False (nothing done) when, under the locks, it is no longer due: the
    member was active since, became exempt, their seat changed, or the policy went off."""
    now = now or timezone.now()
    notice = ReclaimNotice.objects.select_related("account").get(pk=notice_id)
    # The account first, then the member (lock order): a manual seat change waits, or is done.
    account = account_lock(notice.account)
    member = member_lock(Membership.objects.get(pk=notice.membership_id))
    notice = ReclaimNotice.objects.select_for_update().get(pk=notice_id)
    policy = ReclaimPolicy.objects.filter(account=account).first()
    if (
        notice.reclaimed_at is not None
        or notice.reclaim_on > now
        or policy is None
        or not policy.enabled
        or member.seat_type != notice.seat_type
        or member.seat_type not in PAID_SEAT_TYPES
        or member.status == MembershipStatus.DEACTIVATED
        or (member.last_active_at or member.created_at) != notice.inactive_since
        or member_is_exempt(policy=policy, membership=member)
    ):
        return False
    notice.previous_permissions = dict(member.permissions)
    notice.previous_access = member.access
    notice.previous_permission_set = member.permission_set
    notice.previous_permission_template = member.permission_template
    notice.reclaimed_at = now
    notice.save()
    old_seat = member.seat_type
    members_seat_apply(members=[member], seat_type=SeatType.VIEW_ONLY, actor=None, now=now)
    seat_pool_settle(account=account, seat_type=old_seat, actor=None, now=now)
    restore_until = (now + RESTORE_WINDOW).date()
    audit_record(
        account=account,
        actor=None,
        verb=AuditVerb.SEAT_RECLAIMED,
        target=member,
        before={"seat_type": old_seat},
        after={
            "seat_type": SeatType.VIEW_ONLY.value,
            "inactive_days": policy.inactive_days,
            "restore_until": restore_until.isoformat(),
        },
        now=now,
    )
    members_notify(
        notices=[
            Notice(
                membership=member,
                kind=NotificationKind.ACCESS_CHANGED,
                text=lambda: (
                    _(
                        "Your %(seat)s in %(account)s was moved to a View-only seat after "
                        "%(days)s days without activity. Ask an admin for the seat again by "
                        "%(date)s and your permissions come back as they were."
                    )
                    % {
                        "seat": SEAT_RULES[old_seat].label,
                        "account": account.name,
                        "days": policy.inactive_days,
                        "date": day(restore_until),
                    }
                ),
            )
        ],
        now=now,
    )
    return True
