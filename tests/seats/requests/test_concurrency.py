"""Two approvers, two requests, one Sales seat left, at the same moment (PostgreSQL only: SQLite
takes no row locks). The account's lock queues them: one request is approved, the other is
refused with SeatRequestNoSeatLeft and stays open; the pool is never oversold."""

from datetime import UTC, datetime

import pytest

from accounts.models import AuditEvent, AuditVerb, Membership, SeatType
from accounts.policy import ON, AccountPermission
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services.subscriptions import subscription_start
from seats.catalogue import seat_default_permissions
from seats.models import SeatPool, SeatRequest, SeatRequestStatus
from seats.requests.services import seat_request_approve, seat_request_create
from tests.concurrency import kinds, run_together
from tests.factories import AccountFactory, MembershipFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NOW = datetime(2027, 4, 1, tzinfo=UTC)


def test_two_approvers_approving_two_requests_for_the_last_seat_give_it_once():
    account = AccountFactory(name="Acme")
    subscription_start(
        account=account,
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL, HubCode.SALES: TierCode.PROFESSIONAL},
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
        extra_seats={SeatType.SALES: 1},
    )
    ada = MembershipFactory(account=account, super_admin=True, seat_type=SeatType.CORE)
    # A sales manager who adds and edits users, on a Sales seat of their own: the pool then
    # has 2 seats and 1 left. (Bought one more for them first.)
    SeatPool.objects.filter(account=account, seat_type=SeatType.SALES).update(
        purchased=2, purchased_at_renewal=2
    )
    sam = MembershipFactory(
        account=account,
        seat_type=SeatType.SALES,
        permissions={**seat_default_permissions(SeatType.SALES), AccountPermission.USERS: ON},
    )
    requests = [
        seat_request_create(
            membership=MembershipFactory(account=account, view_only=True),
            seat_type=SeatType.SALES,
            reason="Forecasts",
            now=NOW,
        )
        for _ in range(2)
    ]

    outcomes = run_together(
        [
            lambda: seat_request_approve(seat_request=requests[0], actor_membership=ada),
            lambda: seat_request_approve(seat_request=requests[1], actor_membership=sam),
        ]
    )

    assert kinds(outcomes) == ["SeatRequest", "SeatRequestNoSeatLeft"]
    assert Membership.objects.filter(account=account, seat_type=SeatType.SALES).count() == 2
    statuses = sorted(SeatRequest.objects.values_list("status", flat=True))
    assert statuses == [SeatRequestStatus.APPROVED, SeatRequestStatus.OPEN]
    assert AuditEvent.objects.filter(verb=AuditVerb.SEAT_REQUEST_APPROVED).count() == 1
