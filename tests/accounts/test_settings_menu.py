"""The settings menu and the Users & Teams tabs are kept in this process's fragment cache under
shell_key (accounts.context_processors): whatever was drawn for one person, page or language
before, each page shows the menu and tabs of its own viewer, page and language."""

import re

import pytest
from django.core.cache import caches
from django.urls import reverse

from accounts.models import SeatType
from accounts.policy import ON, AccountPermission
from seats.catalogue import seat_default_permissions
from tests.factories import MembershipFactory
from tests.seats.requests.test_views import ask, subscribed

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return subscribed("Acme")


@pytest.fixture
def admin(account):
    return MembershipFactory(account=account, super_admin=True)


@pytest.fixture
def manager(account):
    """May add and edit users, and nothing a super admin alone may do."""
    return MembershipFactory(
        account=account,
        permissions={**seat_default_permissions(SeatType.CORE), AccountPermission.USERS: ON},
    )


def menu(response) -> list[str]:
    """The settings menu's links, as "label" or "label (current)"."""
    html = response.content.decode()
    nav = re.search(r'<nav class="sidenav".*?</nav>', html, re.S).group(0)
    return [
        re.sub(r"<[^>]+>", "", label).strip() + (" (current)" if "aria-current" in attrs else "")
        for attrs, label in re.findall(r"<a ([^>]*)>(.*?)</a>", nav, re.S)
    ]


def tabs(response) -> list[str]:
    html = response.content.decode()
    nav = re.search(r'<nav class="tabs".*?</nav>', html, re.S).group(0)
    return [
        " ".join(re.sub(r"<[^>]+>", " ", label).split())
        + (" (current)" if "aria-current" in attrs else "")
        for attrs, label in re.findall(r"<a ([^>]*)>(.*?)</a>", nav, re.S)
    ]


def test_the_menu_kept_for_a_super_admin_is_not_shown_to_someone_who_may_do_less(
    client, admin, manager
):
    client.force_login(admin.user)
    assert "Audit log" in menu(client.get(reverse("seats:users")))

    client.force_login(manager.user)
    shown = menu(client.get(reverse("seats:users")))

    assert "Users & Teams (current)" in shown
    assert not {"Audit log", "API keys", "Account & Billing"} & set(shown)


def test_the_menu_kept_for_someone_who_may_do_less_is_not_shown_to_a_super_admin(
    client, admin, manager
):
    client.force_login(manager.user)
    assert "Audit log" not in menu(client.get(reverse("seats:users")))

    client.force_login(admin.user)

    assert "Audit log" in menu(client.get(reverse("seats:users")))


def test_the_menu_marks_the_page_it_is_shown_on(client, admin):
    client.force_login(admin.user)

    on_users = menu(client.get(reverse("seats:users")))
    on_audit_log = menu(client.get(reverse("seats:audit_log")))

    assert "Users & Teams (current)" in on_users and "Audit log" in on_users
    assert "Audit log (current)" in on_audit_log and "Users & Teams" in on_audit_log


def test_the_menu_and_tabs_are_in_the_viewers_language(client, admin):
    client.force_login(admin.user)
    assert "Users & Teams (current)" in menu(client.get(reverse("seats:users")))

    admin.user.language = "fr"
    admin.user.save()
    page = client.get(reverse("seats:users"))

    assert "Utilisateurs et équipes (current)" in menu(page)
    assert "Users & Teams (current)" not in menu(page)
    assert "Utilisateurs (current)" in tabs(page)


def test_the_seat_requests_tab_counts_the_open_requests_each_time(client, account, admin):
    client.force_login(admin.user)
    assert "Seat requests" in tabs(client.get(reverse("seats:users")))

    ask(MembershipFactory(account=account, view_only=True))
    assert "Seat requests 1" in tabs(client.get(reverse("seats:users")))

    ask(MembershipFactory(account=account, view_only=True))
    assert "Seat requests 2" in tabs(client.get(reverse("seats:users")))


def drawn(response) -> set[str]:
    return {template.name for template in response.templates}


def test_the_menu_and_tabs_are_drawn_once_then_taken_from_the_cache(client, admin):
    caches["template_fragments"].clear()
    client.force_login(admin.user)

    first = client.get(reverse("seats:users"))
    again = client.get(reverse("seats:users"))

    assert {"partials/settings_menu.html", "partials/users_teams_tabs_links.html"} <= drawn(first)
    assert not {"partials/settings_menu.html", "partials/users_teams_tabs_links.html"} & drawn(
        again
    )
    assert menu(again) == menu(first) and tabs(again) == tabs(first)
