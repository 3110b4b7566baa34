"""A signed-in request reads the person and their memberships once, fresh from the database: a
change made anywhere (a page, the API, a task, SQL) counts from the member's next request."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, MembershipStatus
from accounts.policy import ON, AccountPermission
from tests.factories import PASSWORD, AccountFactory, MembershipFactory

pytestmark = pytest.mark.django_db

CACHED_DB = "django.contrib.sessions.backends.cached_db"


@pytest.fixture
def admin_client(client):
    admin = MembershipFactory(super_admin=True, account__name="Acme")
    client.force_login(admin.user)
    assert client.get(reverse("seats:users")).status_code == 200
    return client, admin


def test_a_signed_in_request_asks_for_the_session_and_the_person_only(
    client, django_assert_num_queries
):
    """The session (none with a shared cache: cached_db), then the person with every account
    they can pick and its membership, in one query; "last active" was written by the first."""
    member = MembershipFactory()
    client.force_login(member.user)
    client.get(reverse("accounts:home"))
    with django_assert_num_queries(2):
        response = client.get(reverse("accounts:home"))
    assert response.status_code == 302


def test_the_account_switcher_needs_no_query_of_its_own(client, django_assert_num_queries):
    member = MembershipFactory(account__name="Acme")
    MembershipFactory(user=member.user, account=AccountFactory(name="Initech"))
    client.force_login(member.user)
    client.get(reverse("accounts:home"))
    with django_assert_num_queries(2):
        response = client.get(reverse("accounts:choose_account"))
    page = response.content.decode()
    assert "Acme" in page and "Initech" in page


def test_a_member_deactivated_by_any_means_loses_access_on_their_next_request(admin_client):
    client, admin = admin_client
    Membership.objects.filter(pk=admin.pk).update(
        status=MembershipStatus.DEACTIVATED, deactivated_at=timezone.now()
    )

    response = client.get(reverse("seats:users"))

    assert response.status_code == 403
    assert "has been deactivated" in response.content.decode()


def test_a_member_removed_from_the_account_loses_it_on_their_next_request(admin_client):
    client, admin = admin_client
    Membership.objects.filter(pk=admin.pk).delete()

    response = client.get(reverse("seats:users"))

    assert response.status_code != 200
    assert 'name="members"' not in response.content.decode()


def test_a_permission_taken_away_counts_on_the_next_request(client):
    member = MembershipFactory(permissions={AccountPermission.USERS: ON})
    client.force_login(member.user)
    assert client.get(reverse("seats:users")).status_code == 200
    Membership.objects.filter(pk=member.pk).update(permissions={})

    assert client.get(reverse("seats:users")).status_code == 403


def test_a_new_password_signs_out_the_other_sessions(admin_client):
    client, admin = admin_client
    admin.user.set_password("a-brand-new-password-2027")
    admin.user.save()

    response = client.get(reverse("seats:users"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_a_user_deactivated_as_a_person_is_signed_out(admin_client):
    client, admin = admin_client
    type(admin.user).objects.filter(pk=admin.user.pk).update(is_active=False)

    response = client.get(reverse("seats:users"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


# --- Sessions in a shared cache (cached_db), as with CACHE_URL set -------------------------------


@pytest.fixture
def cached_sessions(settings):
    settings.SESSION_ENGINE = CACHED_DB
    cache.clear()
    yield
    cache.clear()


def _sign_in(client, member) -> None:
    response = client.post(
        reverse("accounts:login"), {"username": member.user.email, "password": PASSWORD}
    )
    assert response.status_code == 302


def test_a_session_in_the_cache_survives_the_cache_being_emptied(client, cached_sessions):
    member = MembershipFactory(super_admin=True)
    _sign_in(client, member)
    cache.clear()

    assert client.get(reverse("seats:users")).status_code == 200


def test_a_signed_out_session_cookie_opens_nothing_again(client, cached_sessions):
    member = MembershipFactory(super_admin=True)
    _sign_in(client, member)
    cookie = client.cookies["sessionid"].value
    assert client.session[SESSION_KEY] == str(member.user.pk)
    client.post(reverse("accounts:logout"))
    client.cookies["sessionid"] = cookie

    response = client.get(reverse("seats:users"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_with_a_shared_cache_a_signed_in_request_asks_only_for_the_person(
    client, cached_sessions, django_assert_num_queries
):
    member = MembershipFactory()
    _sign_in(client, member)
    client.get(reverse("accounts:home"))
    with django_assert_num_queries(1):
        client.get(reverse("accounts:home"))
