"""Inactive paid seats on the Seats tab: how many holders of each paid seat type have not been
active for 30, 60 and 90 days (never active counts), each a link to the Users tab filtered,
and "Move to View-only seat" listing what each person loses before moving them."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEvent, AuditVerb, Membership, SeatType, User
from seats.pools.services import seats_assigned_count
from tests.factories import MembershipFactory, UserFactory
from tests.seats.reclaim.conftest import CORE_DEFAULTS, NOW, signed_in

pytestmark = pytest.mark.django_db

SEATS = reverse("billing:seats")
MOVE_CORE = reverse("seats:inactive_move", args=[SeatType.CORE])


def core_member(account, email, *, days_ago, **fields):
    last = None if days_ago is None else NOW - timedelta(days=days_ago)
    return MembershipFactory(
        account=account, user=UserFactory(email=email), last_active_at=last, **fields
    )


def inactive_counts(page: str, seat_type: str) -> dict[int, int]:
    card = page.split(f'data-testid="seat-card-{seat_type}"', 1)[1].split("</section>", 1)[0]
    return {
        int(days): int(n)
        for days, n in re.findall(r'data-testid="inactive-(\d+)"[^>]*>(\d+)</a>', card)
    }


def test_the_seats_tab_counts_holders_not_active_for_30_60_and_90_days(account, admin):
    core_member(account, "recent@initech.example", days_ago=29)
    core_member(account, "month@initech.example", days_ago=31)
    core_member(account, "quarter@initech.example", days_ago=91)
    core_member(account, "never@initech.example", days_ago=None)
    core_member(account, "viewer@initech.example", days_ago=200, view_only=True)

    page = signed_in(admin).get(SEATS).content.decode()

    assert inactive_counts(page, SeatType.CORE) == {30: 3, 60: 2, 90: 2}
    assert inactive_counts(page, SeatType.SALES) == {30: 0, 60: 0, 90: 0}


def test_each_count_links_to_the_users_tab_filtered_to_the_same_people(account, admin):
    core_member(account, "month@initech.example", days_ago=45)
    core_member(account, "never@initech.example", days_ago=None)
    client = signed_in(admin)

    page = client.get(SEATS).content.decode()
    link = re.search(
        r'href="([^"]+)"[^>]*data-testid="inactive-30"|data-testid="inactive-30" '
        r'href="([^"]+)"',
        page,
    )
    url = (link.group(1) or link.group(2)).replace("&amp;", "&")
    listed = client.get(url).content.decode()

    assert url == f"{reverse('seats:users')}?seat=core&inactive_days=30"
    assert "month@initech.example" in listed and "never@initech.example" in listed


@pytest.mark.parametrize("first, then", [(10, 10_000)])
def test_the_seats_tab_costs_the_same_queries_at_10_and_10000_members(account, admin, first, then):
    def members_add(start, count):
        users = User.objects.bulk_create(
            UserFactory.build(email=f"u{i}@initech.example", password="!")
            for i in range(start, start + count)
        )
        Membership.objects.bulk_create(
            MembershipFactory.build(account=account, user=u, last_active_at=None) for u in users
        )

    client = signed_in(admin)
    members_add(0, first - 1)
    client.get(SEATS)
    with CaptureQueriesContext(connection) as small:
        assert client.get(SEATS).status_code == 200
    members_add(first, then - first)
    with CaptureQueriesContext(connection) as large:
        page = client.get(SEATS).content.decode()

    assert inactive_counts(page, SeatType.CORE)[30] == then - 1
    assert len(large) == len(small), [q["sql"] for q in large]


def test_move_to_view_only_lists_the_permissions_each_person_loses(account, admin):
    idle = core_member(account, "idle@initech.example", days_ago=40)

    page = signed_in(admin).get(MOVE_CORE + "?days=30").content.decode()

    lost = page.split(f'data-testid="lost-{idle.pk}"', 1)[1].split("</ul>", 1)[0]
    assert "idle@initech.example" in page
    assert "Edit" in lost or "Delete" in lost or "Publish" in lost
    assert f'name="members" value="{admin.pk}"' not in page  # super admins keep a paid seat


def test_moving_puts_the_ticked_people_on_a_view_only_seat_and_frees_their_seats(account, admin):
    idle = core_member(account, "idle@initech.example", days_ago=40)
    kept = core_member(account, "kept@initech.example", days_ago=40)
    before = seats_assigned_count(account=account, seat_type=SeatType.CORE)

    response = signed_in(admin).post(MOVE_CORE, {"days": "30", "members": [idle.pk]})

    assert response.status_code == 302
    idle.refresh_from_db()
    kept.refresh_from_db()
    assert (idle.seat_type, kept.seat_type) == (SeatType.VIEW_ONLY, SeatType.CORE)
    assert seats_assigned_count(account=account, seat_type=SeatType.CORE) == before - 1
    assert AuditEvent.objects.filter(verb=AuditVerb.SEAT_CHANGED, target=idle).exists()
    assert idle.permissions != CORE_DEFAULTS


def test_someone_without_add_and_edit_users_cannot_move_people(account):
    billing_only = MembershipFactory(
        account=account, permissions={**CORE_DEFAULTS, "account.billing": "on"}
    )
    idle = core_member(account, "idle@initech.example", days_ago=40)

    response = signed_in(billing_only).post(MOVE_CORE, {"days": "30", "members": [idle.pk]})

    assert response.status_code == 403
    idle.refresh_from_db()
    assert idle.seat_type == SeatType.CORE
