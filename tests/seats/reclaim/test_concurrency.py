"""A policy reclaim racing an admin's manual seat change (PostgreSQL: real row locks). Both take
the account's lock first, so one waits for the other and re-reads: the member moves once, one
"Seat changed" event, one seat freed."""

from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import AuditEvent, AuditVerb, Membership, SeatType
from billing.services.subscriptions import subscription_start
from seats.pools.services import seats_assigned_count
from seats.reclaim.models import ReclaimNotice
from seats.reclaim.services import member_seat_reclaim, reclaim_policy_set, reclaim_run
from seats.users.services.seat import member_seat_change
from tests.concurrency import run_together
from tests.factories import AccountFactory, MembershipFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NOW = datetime(2027, 4, 1, 9, tzinfo=UTC)
DUE = NOW + timedelta(days=90)


@pytest.mark.parametrize("attempt", range(3))
def test_a_policy_reclaim_racing_a_manual_seat_change_moves_the_member_once(attempt):
    account = AccountFactory()
    subscription_start(
        account=account, hubs={"marketing": "professional"}, interval="monthly", now=NOW, actor=None
    )
    admin = MembershipFactory(account=account, super_admin=True, last_active_at=DUE)
    idle = MembershipFactory(account=account, last_active_at=NOW)
    reclaim_policy_set(
        account=account,
        enabled=True,
        inactive_days=90,
        warning_days=7,
        exempt_members=[],
        exempt_teams=[],
        actor_membership=admin,
    )
    reclaim_run(now=DUE - timedelta(days=7))
    notice = ReclaimNotice.objects.get(membership=idle)
    assigned = seats_assigned_count(account=account, seat_type=SeatType.CORE)

    outcomes = run_together(
        [
            lambda: member_seat_reclaim(notice_id=notice.pk, now=DUE),
            lambda: member_seat_change(
                membership=Membership.objects.get(pk=idle.pk),
                seat_type=SeatType.VIEW_ONLY,
                actor_membership=Membership.objects.get(pk=admin.pk),
                now=DUE,
            ),
        ]
    )

    assert not any(isinstance(o, Exception) for o in outcomes), outcomes
    idle.refresh_from_db()
    assert idle.seat_type == SeatType.VIEW_ONLY
    assert AuditEvent.objects.filter(verb=AuditVerb.SEAT_CHANGED, target=idle).count() == 1
    reclaimed = outcomes[0]
    assert AuditEvent.objects.filter(verb=AuditVerb.SEAT_RECLAIMED).count() == int(reclaimed)
    notice.refresh_from_db()
    assert (notice.reclaimed_at is not None) == reclaimed
    assert seats_assigned_count(account=account, seat_type=SeatType.CORE) == assigned - 1
