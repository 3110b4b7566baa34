"""The Users tab's filters, bulk-edit bar and table head are kept in this process's fragment cache
(CACHES["users_fragments"]) under shell_key and the view's filters_key
(templates/seats/users/users.html): whatever was
drawn before, for another query, another account's teams or another language, each page shows
the filters of its own query and choices."""

import re

import pytest
from django.core.cache import caches
from django.urls import reverse

from tests.factories import MembershipFactory, PermissionSetFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client):
    admin = MembershipFactory(super_admin=True, account__name="Acme")
    client.force_login(admin.user)
    return admin


def users(client, **params):
    response = client.get(reverse("seats:users"), params)
    assert response.status_code == 200
    return response


def options(response, name: str) -> list[str]:
    """The filter `name`'s options by label, the selected one marked "(selected)"."""
    html = response.content.decode()
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)
    return [
        label + (" (selected)" if "selected" in attrs else "")
        for attrs, label in re.findall(r"<option([^>]*)>([^<]*)</option>", select)
    ]


def sort_links(response) -> list[str]:
    html = response.content.decode()
    head = re.search(r"<thead>.*?</thead>", html, re.S).group(0)
    return [
        " ".join(re.sub(r"<[^>]+>", " ", text).split()) + f" -> {href}"
        for href, text in re.findall(r'<a href="([^"]*)" class="sort">(.*?)</a>', head, re.S)
    ]


def drawn(response) -> set[str]:
    return {template.name for template in response.templates}


def test_the_filters_show_the_values_of_this_query_not_an_earlier_ones(client, admin):
    assert "Active (selected)" in options(users(client, status="active"), "status")

    page = users(client, status="deactivated")

    assert "Deactivated (selected)" in options(page, "status")
    assert "Active (selected)" not in options(page, "status")
    assert 'value="ada"' in users(client, q="ada").content.decode()
    assert 'value="ada"' not in users(client, q="bo").content.decode()


def test_the_table_head_links_sort_this_query_the_other_way(client, admin):
    MembershipFactory(account=admin.account)
    ascending = sort_links(users(client, sort="seat"))
    descending = sort_links(users(client, sort="seat", desc="1"))

    assert "Seat ▲ (sorted ascending) -> ?sort=seat&amp;desc=1" in ascending
    assert "Seat ▼ (sorted descending) -> ?sort=seat" in descending
    assert "Seat ▲ (sorted ascending) -> ?status=active&amp;sort=seat&amp;desc=1" in sort_links(
        users(client, status="active", sort="seat")
    )


def test_a_new_or_renamed_team_or_permission_set_is_offered_at_once(client, admin):
    sales = TeamFactory(account=admin.account, name="Sales")
    assert options(users(client), "team") == ["All teams (selected)", "Sales"]

    TeamFactory(account=admin.account, name="Marketing")
    sales.name = "Field sales"
    sales.save()
    PermissionSetFactory(account=admin.account, name="Auditors")
    page = users(client)

    assert options(page, "team") == ["All teams (selected)", "Field sales", "Marketing"]
    assert "Auditors" in options(page, "access")


def test_another_account_with_the_same_query_is_offered_its_own_teams(client, admin):
    TeamFactory(account=admin.account, name="Acme sales")
    assert "Acme sales" in options(users(client, status="active"), "team")

    other = MembershipFactory(super_admin=True, account__name="Globex")
    TeamFactory(account=other.account, name="Globex sales")
    client.force_login(other.user)
    page = users(client, status="active")

    assert options(page, "team") == ["All teams (selected)", "Globex sales"]


def test_the_filters_are_in_the_viewers_language(client, admin):
    assert "Any status (selected)" in options(users(client), "status")

    admin.user.language = "fr"
    admin.user.save()
    page = users(client)

    assert "Any status (selected)" not in options(page, "status")
    assert "Tous les statuts (selected)" in options(page, "status")


def test_the_filters_and_table_head_are_drawn_once_then_taken_from_the_cache(client, admin):
    caches["users_fragments"].clear()

    first = users(client, status="active")
    again = users(client, status="active")
    next_page = users(client, status="active", page="2")

    assert "seats/users/_sort.html" in drawn(first)
    assert "seats/users/_sort.html" not in drawn(again)
    assert "seats/users/_sort.html" not in drawn(next_page)  # the same filters on every page
    assert options(again, "status") == options(first, "status")
    assert sort_links(again) == sort_links(first)


def listed(response) -> list[str]:
    return re.findall(r'name="members" value="(\d+)"', response.content.decode())


def test_a_team_deleted_since_the_same_query_was_read_no_longer_filters_the_list(client, admin):
    # The filters read from a query are kept with the choices they were checked against.
    sales = TeamFactory(account=admin.account, name="Sales")
    seller = MembershipFactory(account=admin.account, main_team=sales)
    team = sales.pk
    assert listed(users(client, team=team)) == [str(seller.pk)]

    sales.delete()
    page = users(client, team=team)

    assert sorted(listed(page)) == sorted([str(admin.pk), str(seller.pk)])
    assert options(page, "team") == ["All teams"]
