"""Users room, a member's seat (seats/users/services/seat.py): the bulk seat change moves every
selected user or, when the seats or the rules refuse one, nobody (DOMAIN.md sections 2 and 6)."""

import html

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, SeatType
from accounts.policy import ON, AccountPermission
from billing.services.subscriptions import subscription_start
from seats.catalogue import seat_default_permissions
from seats.errors import BulkRefused, NotEnoughSeats, PermissionsNotHeld
from seats.users.services.seat import member_seat_change, members_bulk_seat_change
from tests.factories import AccountFactory, MembershipFactory
from tests.seats.users.helpers import snapshot, viewers

pytestmark = pytest.mark.django_db


def test_a_batch_that_fits_moves_every_selected_user(account, admin):
    people = viewers(account, 2)
    members_bulk_seat_change(
        account=account,
        membership_ids=[m.pk for m in people],
        seat_type=SeatType.CORE,
        actor_membership=admin,
    )
    assert set(
        Membership.objects.filter(pk__in=[m.pk for m in people]).values_list("seat_type", flat=True)
    ) == {SeatType.CORE}


def test_a_batch_needing_more_seats_than_are_free_changes_nobody(account, admin):
    people = viewers(account, 3)
    before = snapshot(account)
    with pytest.raises(NotEnoughSeats) as short:
        members_bulk_seat_change(
            account=account,
            membership_ids=[m.pk for m in people],
            seat_type=SeatType.CORE,
            actor_membership=admin,
        )
    assert str(short.value) == "You need 1 more Core seat."
    assert snapshot(account) == before


def test_a_users_manager_cannot_move_a_super_admin_in_bulk_and_nobody_moves(account, admin):
    manager = MembershipFactory(
        account=account,
        permissions={**seat_default_permissions(SeatType.CORE), AccountPermission.USERS: ON},
    )
    [viewer] = viewers(account, 1)
    other_admin = MembershipFactory(
        account=account, super_admin=True, user__email="boss@acme.example"
    )
    before = snapshot(account)
    with pytest.raises(BulkRefused) as refused:
        members_bulk_seat_change(
            account=account,
            membership_ids=[viewer.pk, other_admin.pk],
            seat_type=SeatType.VIEW_ONLY,
            actor_membership=manager,
        )
    assert [email for email, _why in refused.value.problems] == ["boss@acme.example"]
    assert snapshot(account) == before


# --- A seat grants no more than the admin holds (issue 13, point 6) ------------------------------

USERS_MANAGER = {**seat_default_permissions(SeatType.CORE), AccountPermission.USERS: ON}


@pytest.fixture
def sales_account():
    """Acme with Sales Hub Professional too and 2 Sales seats bought."""
    account = AccountFactory(name="Acme")
    subscription_start(
        account=account,
        hubs={"marketing": "professional", "sales": "professional"},
        interval="monthly",
        now=timezone.now(),
        actor=None,
        extra_seats={SeatType.SALES: 2},
    )
    MembershipFactory(account=account, super_admin=True)
    return account


@pytest.fixture
def users_manager(sales_account):
    """Holds "Add and edit users" and the Core defaults, none of the Sales tools."""
    return MembershipFactory(
        account=sales_account, user__email="manager@acme.example", permissions=USERS_MANAGER
    )


@pytest.fixture
def core_member(sales_account):
    return MembershipFactory(account=sales_account, user__email="ana@acme.example")


def test_a_users_manager_cannot_grant_sales_tools_they_lack_by_assigning_a_sales_seat(
    sales_account, users_manager, core_member
):
    before = snapshot(sales_account)
    with pytest.raises(PermissionsNotHeld) as refused:
        member_seat_change(
            membership=core_member, seat_type=SeatType.SALES, actor_membership=users_manager
        )
    assert str(refused.value).startswith("You can't grant permissions you don't have yourself:")
    assert "Sequences" in str(refused.value)
    assert snapshot(sales_account) == before
    core_member.refresh_from_db()
    assert core_member.seat_type == SeatType.CORE


def test_a_users_manager_cannot_grant_sales_tools_in_bulk_and_nobody_moves(
    sales_account, users_manager, core_member
):
    before = snapshot(sales_account)
    with pytest.raises(BulkRefused) as refused:
        members_bulk_seat_change(
            account=sales_account,
            membership_ids=[core_member.pk],
            seat_type=SeatType.SALES,
            actor_membership=users_manager,
        )
    [(email, why)] = refused.value.problems
    assert email == "ana@acme.example"
    assert "You can't grant permissions you don't have yourself:" in str(why)
    assert snapshot(sales_account) == before


def test_a_users_manager_may_still_assign_a_seat_granting_nothing_they_lack(
    sales_account, users_manager
):
    [viewer] = viewers(sales_account, 1)
    member_seat_change(membership=viewer, seat_type=SeatType.CORE, actor_membership=users_manager)
    viewer.refresh_from_db()
    assert viewer.seat_type == SeatType.CORE


def test_a_super_admin_may_assign_a_sales_seat(sales_account, core_member):
    boss = Membership.objects.get(account=sales_account, is_super_admin=True)
    member_seat_change(membership=core_member, seat_type=SeatType.SALES, actor_membership=boss)
    core_member.refresh_from_db()
    assert core_member.seat_type == SeatType.SALES


def test_assign_a_seat_page_shows_the_permissions_not_held_and_saves_nothing(
    client, sales_account, users_manager, core_member
):
    before = snapshot(sales_account)
    client.force_login(users_manager.user)
    response = client.post(
        reverse("seats:user", args=[core_member.pk]),
        {"seat_type": SeatType.SALES, "confirmed": "1"},
    )
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "You can't grant permissions you don't have yourself:" in page
    assert snapshot(sales_account) == before


def test_the_bulk_page_reports_permissions_not_held_and_changes_nothing(
    client, sales_account, users_manager, core_member
):
    before = snapshot(sales_account)
    client.force_login(users_manager.user)
    response = client.post(
        reverse("seats:users_bulk"),
        {"members": [core_member.pk], "action": "seat", "seat_type": SeatType.SALES},
    )
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "You can't grant permissions you don't have yourself:" in page
    assert snapshot(sales_account) == before
