"""Users room, bulk edit on the Users list (seats:users_bulk, seats/users/views/directory.py): the
one-user rules, all or nothing, with a per-user report; bulk deactivation (DOMAIN.md section 6).
The bulk seat change is test_seat.py's."""

import pytest
from django.urls import reverse

from accounts.models import MembershipStatus, SeatType
from seats.errors import BulkRefused
from seats.users.services.lifecycle import members_bulk_deactivate
from tests.factories import MembershipFactory, TeamFactory
from tests.seats.users.helpers import snapshot, viewers

pytestmark = pytest.mark.django_db


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
