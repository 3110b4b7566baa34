""" "Remove unassigned seats", "Cancel this removal", and assigning seats scheduled for removal.

DOMAIN.md section 7. The account subscribes to Marketing Hub Professional (3 Core seats
included) and bought 2 Core seats: 5 now, and 5 at the renewal on 2027-05-01 unless some are
removed. Its super admin holds one of them. `now` is passed to every service.
"""

import re
from datetime import UTC, datetime

import pytest

from accounts.models import (
    Account,
    AuditEvent,
    AuditVerb,
    Membership,
    MembershipStatus,
    Notification,
    SeatType,
)
from accounts.notifications import NotificationKind
from accounts.policy import ON, AccountPermission
from billing.catalogue import HubCode, TierCode
from billing.errors import InvalidQuantity, NoPendingRemoval, NoSubscription, RemovalTooLarge
from billing.periods import BillingInterval
from billing.services.removals import seat_removal_cancel, seat_removal_schedule
from billing.services.subscriptions import subscription_start
from invitations.parsing import ParsedPerson
from invitations.services.links import invitation_accept, invitation_link_copy
from invitations.services.members import members_invite
from seats.catalogue import seat_default_permissions
from seats.models import LedgerReason, SeatLedgerEntry, SeatPool
from seats.permissions.choice import AccessChoice, AccessMode
from seats.users.services.seat import member_seat_change
from tests.factories import AccountFactory, MembershipFactory
from tests.invitations.helpers import invite_each

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 4, 1, tzinfo=UTC)
LATER = datetime(2027, 4, 10, tzinfo=UTC)
RENEWAL = datetime(2027, 5, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def account() -> Account:
    account = AccountFactory(name="Initech")
    subscription_start(
        account=account,
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL},
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
        extra_seats={SeatType.CORE: 2},
    )
    return account


@pytest.fixture
def admin(account) -> Membership:
    return MembershipFactory(
        account=account,
        super_admin=True,
        user__email="ada@example.com",
        user__first_name="Ada",
        user__last_name="Lovelace",
    )


@pytest.fixture
def included_seats_full(account, admin) -> list[Membership]:
    """Two more people on Core seats: 3 assigned, as many as the plan includes."""
    return add(account, "bob@example.com", "carol@example.com")


@pytest.fixture
def both_bought_seats_scheduled(account, admin, included_seats_full) -> SeatPool:
    """3 of 5 assigned, and the 2 bought seats removed at the renewal: 3 seats next period."""
    return schedule(account, admin, 2)


def add(account: Account, *emails: str) -> list[Membership]:
    """Each person added on a Core seat through "Create user" by the account's super admin, one
    at a time."""
    admin = Membership.objects.get(account=account, is_super_admin=True)
    return invite_each(admin, *emails, send_email=False, now=LATER)


def schedule(account: Account, actor: Membership, quantity: int) -> SeatPool:
    return seat_removal_schedule(
        account=account, seat_type=SeatType.CORE, quantity=quantity, actor=actor.user, now=NOW
    )


def cancel(account: Account, actor: Membership) -> SeatPool:
    return seat_removal_cancel(account=account, seat_type=SeatType.CORE, actor=actor.user, now=NOW)


def core_pool(account: Account) -> SeatPool:
    return SeatPool.objects.get(account=account, seat_type=SeatType.CORE)


def counts(account: Account) -> tuple[int, int, int]:
    """(included, purchased, purchased at renewal) of the Core pool."""
    pool = core_pool(account)
    return pool.included, pool.purchased, pool.purchased_at_renewal


def ledger(account: Account) -> list[tuple[str, int, int, int]]:
    return [
        (entry.reason, entry.included, entry.purchased, entry.purchased_at_renewal)
        for entry in SeatLedgerEntry.objects.filter(pool=core_pool(account)).order_by("id")
    ]


def billing_texts(membership: Membership) -> list[str]:
    return list(
        Notification.objects.filter(
            membership=membership, kind=NotificationKind.BILLING
        ).values_list("text", flat=True)
    )


# --- Scheduling a removal ------------------------------------------------------------------------


def test_scheduling_a_removal_changes_nothing_now(account, admin):
    schedule(account, admin, 2)

    pool = core_pool(account)
    assert (pool.purchased, pool.total) == (2, 5)


def test_scheduling_a_removal_lowers_the_seats_at_renewal(account, admin):
    schedule(account, admin, 2)

    pool = core_pool(account)
    assert (pool.purchased_at_renewal, pool.total_at_renewal, pool.pending_removal) == (0, 3, 2)


def test_scheduling_a_removal_appends_a_removal_scheduled_row(account, admin):
    schedule(account, admin, 1)

    assert ledger(account)[-1] == (LedgerReason.REMOVAL_SCHEDULED, 3, 2, 1)


def test_scheduling_a_removal_is_audited_with_the_auto_renewal_count(account, admin):
    schedule(account, admin, 2)

    event = AuditEvent.objects.get(account=account, verb=AuditVerb.SEAT_REMOVAL_SCHEDULED)
    assert (event.actor, event.created_at) == (admin.user, NOW)
    assert event.before == {"seat_type": "core", "auto_renewal": 5}
    assert event.after == {
        "seat_type": "core",
        "auto_renewal": 3,
        "effective": RENEWAL.isoformat(),
    }


def test_scheduling_a_removal_tells_the_billing_admins(account, admin):
    schedule(account, admin, 2)

    assert billing_texts(admin) == [
        "Ada Lovelace scheduled the removal of 2 Core seats on May 1, 2027."
    ]


def test_two_removals_add_up(account, admin):
    schedule(account, admin, 1)
    schedule(account, admin, 1)

    assert counts(account) == (3, 2, 0)


def test_the_seats_included_with_the_plan_cannot_be_removed(account, admin):
    with pytest.raises(RemovalTooLarge) as refused:
        schedule(account, admin, 3)

    assert str(refused.value) == (
        "You can remove at most 2 Core seats: 1 is assigned, and the 3 included with your plan "
        "can't be removed. Unassign seats first to remove more."
    )


def test_assigned_seats_cannot_be_removed(account, admin, included_seats_full):
    add(account, "dan@example.com")  # 4 of 5 assigned: 1 bought seat is free

    with pytest.raises(RemovalTooLarge) as refused:
        schedule(account, admin, 2)

    assert refused.value.context["maximum"] == 1
    assert str(refused.value).startswith("You can remove at most 1 Core seat: 4 are assigned")


def test_seats_already_scheduled_cannot_be_removed_again(account, admin):
    schedule(account, admin, 2)

    with pytest.raises(RemovalTooLarge) as refused:
        schedule(account, admin, 1)

    assert refused.value.context["maximum"] == 0


def test_a_refused_removal_changes_nothing(account, admin):
    ledger_before = ledger(account)

    with pytest.raises(RemovalTooLarge):
        schedule(account, admin, 3)

    assert counts(account) == (3, 2, 2)
    assert ledger(account) == ledger_before
    assert not AuditEvent.objects.filter(verb=AuditVerb.SEAT_REMOVAL_SCHEDULED).exists()


@pytest.mark.parametrize("quantity", [0, -1])
def test_removing_no_seats_is_refused(account, admin, quantity):
    with pytest.raises(InvalidQuantity):
        schedule(account, admin, quantity)

    assert counts(account) == (3, 2, 2)


def test_removing_seats_without_a_subscription_is_refused(admin):
    account = AccountFactory()

    with pytest.raises(NoSubscription):
        schedule(account, admin, 1)


# --- "Cancel this removal" -----------------------------------------------------------------------


def test_cancelling_a_removal_keeps_every_seat_at_renewal(account, admin):
    schedule(account, admin, 2)

    cancel(account, admin)

    pool = core_pool(account)
    assert (pool.purchased, pool.purchased_at_renewal, pool.pending_removal) == (2, 2, 0)


def test_cancelling_a_removal_appends_a_removal_cancelled_row(account, admin):
    schedule(account, admin, 2)

    cancel(account, admin)

    assert ledger(account)[-2:] == [
        (LedgerReason.REMOVAL_SCHEDULED, 3, 2, 0),
        (LedgerReason.REMOVAL_CANCELLED, 3, 2, 2),
    ]


def test_cancelling_a_removal_is_audited(account, admin):
    schedule(account, admin, 2)

    cancel(account, admin)

    event = AuditEvent.objects.get(account=account, verb=AuditVerb.SEAT_REMOVAL_CANCELLED)
    assert (event.before, event.after) == (
        {"seat_type": "core", "auto_renewal": 3},
        {"seat_type": "core", "auto_renewal": 5},
    )


def test_cancelling_when_nothing_is_scheduled_raises_no_pending_removal(account, admin):
    ledger_before = ledger(account)

    with pytest.raises(NoPendingRemoval) as refused:
        cancel(account, admin)

    assert str(refused.value) == "There is no removal to cancel."
    assert ledger(account) == ledger_before


# --- Assigning seats scheduled for removal -------------------------------------------------------


def test_adding_a_member_on_a_seat_scheduled_for_removal_reduces_the_removal(
    account, both_bought_seats_scheduled
):
    add(account, "dan@example.com")

    assert counts(account) == (3, 2, 1)
    assert ledger(account)[-1] == (LedgerReason.REMOVAL_REDUCED_BY_ASSIGNMENT, 3, 2, 1)


def test_reducing_a_removal_by_assigning_is_audited(account, both_bought_seats_scheduled):
    add(account, "dan@example.com")

    event = AuditEvent.objects.get(account=account, verb=AuditVerb.SEATS_CHANGED)
    assert (event.before, event.after) == (
        {"seat_type": "core", "purchased_at_renewal": 0},
        {"seat_type": "core", "purchased_at_renewal": 1},
    )


def test_reducing_a_removal_by_assigning_tells_the_billing_admins(
    account, admin, both_bought_seats_scheduled
):
    billing_holder = MembershipFactory(
        account=account,
        seat_type=SeatType.VIEW_ONLY,
        permissions={
            **seat_default_permissions(SeatType.VIEW_ONLY),
            AccountPermission.BILLING.value: ON,
        },
    )
    bystander = MembershipFactory(account=account, view_only=True)

    add(account, "dan@example.com")

    told = "1 Core seat scheduled for removal was assigned, so the removal was reduced by 1."
    assert told in billing_texts(admin)
    assert told in billing_texts(billing_holder)
    assert billing_texts(bystander) == []


def test_creating_users_on_seats_scheduled_for_removal_reduces_the_removal_by_as_many(
    account, admin, both_bought_seats_scheduled
):
    members_invite(
        account=account,
        actor_membership=admin,
        people=[ParsedPerson("dan@example.com"), ParsedPerson("erin@example.com")],
        seat_type=SeatType.CORE,
        access=AccessChoice(mode=AccessMode.DEFAULTS),
        send_email=False,
        now=LATER,
    )

    assert counts(account) == (3, 2, 2)
    assert ledger(account)[-1] == (LedgerReason.REMOVAL_REDUCED_BY_ASSIGNMENT, 3, 2, 2)
    assert (
        "2 Core seats scheduled for removal were assigned, so the removal was reduced by 2."
        in billing_texts(admin)
    )


def test_moving_a_member_onto_a_seat_scheduled_for_removal_reduces_the_removal(
    account, admin, both_bought_seats_scheduled
):
    viewer = MembershipFactory(account=account, view_only=True)

    member_seat_change(
        membership=viewer, seat_type=SeatType.CORE, actor_membership=admin, now=LATER
    )

    assert counts(account) == (3, 2, 1)
    assert ledger(account)[-1] == (LedgerReason.REMOVAL_REDUCED_BY_ASSIGNMENT, 3, 2, 1)


def test_assigning_a_seat_the_removal_leaves_in_place_does_not_reduce_it(account, admin):
    schedule(account, admin, 2)  # 1 of 5 assigned, 3 seats next period

    add(account, "bob@example.com")  # 2 assigned: still within the 3

    assert counts(account) == (3, 2, 0)
    assert ledger(account)[-1][0] == LedgerReason.REMOVAL_SCHEDULED
    assert not AuditEvent.objects.filter(verb=AuditVerb.SEATS_CHANGED).exists()


def test_after_a_reduction_cancelling_restores_the_rest(
    account, admin, both_bought_seats_scheduled
):
    add(account, "dan@example.com")

    cancel(account, admin)

    assert counts(account) == (3, 2, 2)


def test_accepting_an_invitation_does_not_change_the_pool(
    account, admin, both_bought_seats_scheduled
):
    # The invited member holds their seat from creation: the reduction happened then.
    [invited] = members_invite(
        account=account,
        actor_membership=admin,
        people=[ParsedPerson("dan@example.com")],
        seat_type=SeatType.CORE,
        access=AccessChoice(mode=AccessMode.DEFAULTS),
        send_email=False,
        now=LATER,
    ).memberships
    url = invitation_link_copy(
        account=account, membership_id=invited.pk, actor=admin.user, now=LATER
    )
    token = re.search(r"/invite/([A-Za-z0-9_-]+)/", url).group(1)
    counts_before, ledger_before = counts(account), ledger(account)
    notifications_before = Notification.objects.filter(kind=NotificationKind.BILLING).count()

    # Joining, not the password (which a copied link sets only after a mailbox code), is the point.
    invitation_accept(token=token, user=invited.user, now=LATER)

    assert Membership.objects.get(pk=invited.pk).status == MembershipStatus.ACTIVE
    assert counts(account) == counts_before == (3, 2, 1)
    assert ledger(account) == ledger_before
    assert (
        Notification.objects.filter(kind=NotificationKind.BILLING).count() == notifications_before
    )
