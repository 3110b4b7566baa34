"""Bulk edit on the Users list: the one-user rules, all or nothing, with a per-user report."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Membership, MembershipStatus, SeatType
from accounts.policy import ON, AccountPermission
from billing.services import subscription_start
from seats.catalogue import seat_default_permissions
from seats.errors import BulkRefused, NotEnoughSeats
from seats.users.services.lifecycle import members_bulk_deactivate
from seats.users.services.seat import members_bulk_seat_change
from tests.factories import AccountFactory, MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    account = AccountFactory(name="Acme")
    # Marketing Hub Professional: 3 Core seats included, none bought.
    subscription_start(
        account=account,
        hubs={"marketing": "professional"},
        interval="monthly",
        now=timezone.now(),
        actor=None,
    )
    return account


@pytest.fixture
def admin(account):
    return MembershipFactory(account=account, super_admin=True)  # holds 1 of the 3 Core seats


def viewers(account, n):
    return [
        MembershipFactory(account=account, view_only=True, user__email=f"v{i}@acme.example")
        for i in range(n)
    ]


def snapshot(account):
    rows = Membership.objects.filter(account=account).order_by("pk")
    return list(
        rows.values_list("seat_type", "status", "is_super_admin")
    ), AuditEvent.objects.count()


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


def test_deactivating_every_active_super_admin_is_refused(account, admin):
    second = MembershipFactory(account=account, super_admin=True, seat_type=SeatType.CORE)
    before = snapshot(account)
    with pytest.raises(BulkRefused):
        members_bulk_deactivate(
            account=account,
            membership_ids=[admin.pk, second.pk],
            release_seats=False,
            actor_membership=admin,
        )
    assert snapshot(account) == before


def test_bulk_deactivation_releasing_seats_frees_them(account, admin):
    worker = MembershipFactory(account=account)
    members_bulk_deactivate(
        account=account, membership_ids=[worker.pk], release_seats=True, actor_membership=admin
    )
    worker.refresh_from_db()
    assert (worker.status, worker.seat_type) == (MembershipStatus.DEACTIVATED, SeatType.VIEW_ONLY)


def test_the_bulk_page_adds_the_selection_to_a_team(client, account, admin):
    team = TeamFactory(account=account, name="Ops")
    people = viewers(account, 2)
    client.force_login(admin.user)
    response = client.post(
        reverse("seats:users_bulk"),
        {"members": [m.pk for m in people], "action": "team", "team": team.pk},
    )
    assert response.status_code == 302
    assert set(team.extra_members.values_list("pk", flat=True)) == {m.pk for m in people}


def test_the_bulk_page_reports_each_refused_user_and_changes_nothing(client, account, admin):
    people = viewers(account, 3)
    client.force_login(admin.user)
    before = snapshot(account)
    response = client.post(
        reverse("seats:users_bulk"),
        {"members": [m.pk for m in people], "action": "seat", "seat_type": SeatType.CORE},
    )
    assert response.status_code == 200
    assert "You need 1 more Core seat." in response.content.decode()
    assert snapshot(account) == before


def test_the_bulk_page_gives_404_for_another_accounts_users(client, account, admin):
    stranger = MembershipFactory()
    client.force_login(admin.user)
    response = client.get(reverse("seats:users_bulk"), {"members": [stranger.pk], "action": "seat"})
    assert response.status_code == 404


def test_the_bulk_page_is_refused_without_add_and_edit_users(client, account):
    member = MembershipFactory(account=account)
    client.force_login(member.user)
    assert client.get(reverse("seats:users_bulk")).status_code == 403
