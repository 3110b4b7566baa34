"""Request a seat (issue 19): a View-only member asks for a paid seat; super admins and holders
of "Add and edit users" are told and approve (the seat is assigned) or deny (with a note); the
requester is told either way, and every step is audited.

Acme subscribes to Marketing Hub Professional (3 Core seats included) and Sales Hub Professional
with 1 Sales seat bought: one Sales seat to give.
"""

from datetime import UTC, datetime

import pytest

from accounts.models import AuditEvent, AuditVerb, Membership, Notification, SeatType
from accounts.notifications import NotificationKind
from accounts.policy import ON, AccountPermission
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services.subscriptions import subscription_start
from seats.catalogue import seat_default_permissions
from seats.errors import (
    SeatRequestClosed,
    SeatRequestDuplicate,
    SeatRequestNoSeatLeft,
    SeatRequestOnlyFromViewOnly,
    SeatRequestReasonRequired,
    SeatRequestsNotYours,
    SeatTypeUnavailable,
)
from seats.models import SeatRequest, SeatRequestStatus
from seats.requests.services import (
    seat_request_approve,
    seat_request_cancel,
    seat_request_create,
    seat_request_deny,
)
from tests.factories import AccountFactory, MembershipFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 4, 1, tzinfo=UTC)


def holding(permission: AccountPermission) -> dict[str, str]:
    return {**seat_default_permissions(SeatType.CORE), str(permission): ON}


@pytest.fixture
def account():
    account = AccountFactory(name="Acme")
    subscription_start(
        account=account,
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL, HubCode.SALES: TierCode.PROFESSIONAL},
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
        extra_seats={SeatType.SALES: 1},
    )
    return account


@pytest.fixture
def admin(account):
    return MembershipFactory(account=account, super_admin=True, user__email="ada@acme.example")


@pytest.fixture
def users_admin(account):
    return MembershipFactory(
        account=account,
        user__email="uma@acme.example",
        permissions=holding(AccountPermission.USERS),
    )


@pytest.fixture
def viewer(account):
    return MembershipFactory(account=account, view_only=True, user__email="vic@acme.example")


def ask(membership, seat_type=SeatType.SALES, reason="I run the pipeline reviews"):
    return seat_request_create(membership=membership, seat_type=seat_type, reason=reason, now=NOW)


def verbs(account) -> list[str]:
    return list(
        AuditEvent.objects.filter(account=account, verb__startswith="seat_request")
        .order_by("id")
        .values_list("verb", flat=True)
    )


def notes_for(membership) -> list[str]:
    return list(
        Notification.objects.filter(membership=membership, kind=NotificationKind.SEAT_REQUESTS)
        .order_by("id")
        .values_list("text", flat=True)
    )


def test_a_viewer_asks_and_the_admins_who_manage_users_are_told(
    account, admin, users_admin, viewer
):
    billing_only = MembershipFactory(
        account=account, permissions=holding(AccountPermission.BILLING)
    )
    seat_request = ask(viewer)
    assert (seat_request.status, seat_request.seat_type) == (SeatRequestStatus.OPEN, "sales")
    for approver in (admin, users_admin):
        [text] = notes_for(approver)
        assert "asks for a Sales seat" in text and "I run the pipeline reviews" in text
    assert notes_for(billing_only) == []
    event = AuditEvent.objects.get(verb=AuditVerb.SEAT_REQUESTED)
    assert (event.actor, event.target) == (viewer.user, viewer)
    assert event.after == {"seat_type": "sales", "reason": "I run the pipeline reviews"}


def test_an_admin_who_turned_email_off_is_told_in_the_app_only(
    account, admin, viewer, mailoutbox, django_capture_on_commit_callbacks
):
    admin.notification_settings = {"seat_requests": {"email": False, "in_app": True}}
    admin.save()
    with django_capture_on_commit_callbacks(execute=True):
        ask(viewer)
    assert len(notes_for(admin)) == 1
    assert mailoutbox == []


def test_the_admins_are_emailed_by_default(
    account, admin, viewer, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ask(viewer)
    assert [m.to for m in mailoutbox] == [[admin.user.email]]
    assert "asks for a Sales seat" in mailoutbox[0].body


def test_a_second_open_request_for_the_same_seat_is_refused_at_the_field(account, viewer):
    ask(viewer)
    with pytest.raises(SeatRequestDuplicate) as refused:
        ask(viewer, reason="Again")
    assert refused.value.field == "seat_type"
    assert "already asked for a Sales seat" in str(refused.value)
    assert SeatRequest.objects.count() == 1


def test_another_seat_type_may_be_asked_for_alongside(account, viewer):
    ask(viewer)
    ask(viewer, seat_type=SeatType.CORE)
    assert SeatRequest.objects.filter(status=SeatRequestStatus.OPEN).count() == 2


def test_asking_again_after_a_denial_is_allowed(account, admin, viewer):
    seat_request_deny(seat_request=ask(viewer), actor_membership=admin, now=NOW)
    assert ask(viewer).status == SeatRequestStatus.OPEN


def test_the_reason_is_required(account, viewer):
    with pytest.raises(SeatRequestReasonRequired) as refused:
        ask(viewer, reason="   ")
    assert refused.value.field == "reason"


def test_only_a_view_only_member_asks(account, admin):
    core = MembershipFactory(account=account)
    with pytest.raises(SeatRequestOnlyFromViewOnly):
        ask(core)


def test_a_seat_type_the_plan_does_not_enable_is_refused(viewer):
    with pytest.raises(SeatTypeUnavailable) as refused:
        ask(viewer, seat_type=SeatType.SERVICE)
    assert refused.value.field == "seat_type"


def test_approving_assigns_the_seat_and_tells_the_requester(account, admin, viewer):
    seat_request = ask(viewer)
    seat_request_approve(seat_request=seat_request, actor_membership=admin, now=NOW)
    viewer.refresh_from_db()
    seat_request.refresh_from_db()
    assert viewer.seat_type == SeatType.SALES
    assert (seat_request.status, seat_request.decided_by, seat_request.decided_at) == (
        SeatRequestStatus.APPROVED,
        admin.user,
        NOW,
    )
    [told] = notes_for(viewer)
    assert "Sales seat in Acme was approved" in told
    assert verbs(account) == [AuditVerb.SEAT_REQUESTED, AuditVerb.SEAT_REQUEST_APPROVED]
    assert AuditEvent.objects.filter(verb=AuditVerb.SEAT_CHANGED, target=viewer).exists()


def test_a_holder_of_add_and_edit_users_approves_too(account, users_admin, viewer):
    seat_request = ask(viewer, seat_type=SeatType.CORE)
    seat_request_approve(seat_request=seat_request, actor_membership=users_admin, now=NOW)
    viewer.refresh_from_db()
    assert viewer.seat_type == SeatType.CORE


def test_someone_without_add_and_edit_users_cannot_decide(account, viewer):
    billing_only = MembershipFactory(
        account=account, permissions=holding(AccountPermission.BILLING)
    )
    seat_request = ask(viewer)
    with pytest.raises(SeatRequestsNotYours):
        seat_request_approve(seat_request=seat_request, actor_membership=billing_only)
    with pytest.raises(SeatRequestsNotYours):
        seat_request_deny(seat_request=seat_request, actor_membership=billing_only)
    seat_request.refresh_from_db()
    assert seat_request.status == SeatRequestStatus.OPEN


def test_approving_after_the_last_seat_went_is_refused_clearly_and_changes_nothing(account, admin):
    first = MembershipFactory(account=account, view_only=True, user__email="fay@acme.example")
    second = MembershipFactory(account=account, view_only=True, user__email="sam@acme.example")
    first_request, second_request = ask(first), ask(second)
    seat_request_approve(seat_request=first_request, actor_membership=admin, now=NOW)
    with pytest.raises(SeatRequestNoSeatLeft) as refused:
        seat_request_approve(seat_request=second_request, actor_membership=admin, now=NOW)
    assert f"No Sales seat is left to give {second.display_name}." in str(refused.value)
    assert "Buy 1 Sales seat and approve" in str(refused.value)
    second.refresh_from_db()
    second_request.refresh_from_db()
    assert second.seat_type == SeatType.VIEW_ONLY
    assert second_request.status == SeatRequestStatus.OPEN
    assert notes_for(second) == []


def test_denying_keeps_the_seat_and_tells_the_requester_with_the_note(account, admin, viewer):
    seat_request = ask(viewer)
    seat_request_deny(
        seat_request=seat_request, actor_membership=admin, note="Next quarter", now=NOW
    )
    viewer.refresh_from_db()
    seat_request.refresh_from_db()
    assert viewer.seat_type == SeatType.VIEW_ONLY
    assert (seat_request.status, seat_request.note) == (SeatRequestStatus.DENIED, "Next quarter")
    [told] = notes_for(viewer)
    assert "was denied" in told and "Next quarter" in told
    event = AuditEvent.objects.get(verb=AuditVerb.SEAT_REQUEST_DENIED)
    assert event.after == {"seat_type": "sales", "note": "Next quarter"}


def test_a_decided_request_cannot_be_decided_again(account, admin, viewer):
    seat_request = ask(viewer)
    seat_request_deny(seat_request=seat_request, actor_membership=admin, now=NOW)
    with pytest.raises(SeatRequestClosed) as refused:
        seat_request_approve(seat_request=seat_request, actor_membership=admin, now=NOW)
    assert "it was denied" in str(refused.value)
    viewer.refresh_from_db()
    assert viewer.seat_type == SeatType.VIEW_ONLY


def test_the_requester_cancels_their_open_request(account, admin, viewer):
    seat_request = ask(viewer)
    seat_request_cancel(seat_request=seat_request, membership=viewer, now=NOW)
    seat_request.refresh_from_db()
    assert seat_request.status == SeatRequestStatus.CANCELLED
    assert verbs(account) == [AuditVerb.SEAT_REQUESTED, AuditVerb.SEAT_REQUEST_CANCELLED]
    with pytest.raises(SeatRequestClosed):
        seat_request_approve(seat_request=seat_request, actor_membership=admin, now=NOW)


def test_nobody_else_cancels_a_request(account, admin, viewer):
    with pytest.raises(SeatRequestsNotYours):
        seat_request_cancel(seat_request=ask(viewer), membership=admin, now=NOW)


def test_the_requester_is_not_told_of_their_own_request_as_an_approver(account):
    # A View-only member is never an approver (no permission above viewing), so only admins
    # hear of a request: nobody at all in an account with no admin but the requester.
    viewer = MembershipFactory(account=account, view_only=True)
    ask(viewer)
    assert Notification.objects.filter(kind=NotificationKind.SEAT_REQUESTS).count() == 0
    assert Membership.objects.filter(account=account).count() == 1
