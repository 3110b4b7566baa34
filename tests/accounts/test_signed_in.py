"""A signed-in request reads its session, the person and their memberships once, fresh from the
database: a change made anywhere (a page, the API, a task, SQL) counts from the member's next
request."""

import importlib
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session as DjangoSession
from django.core.signals import request_started
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, MembershipStatus, Session
from accounts.policy import ON, AccountPermission
from accounts.signed_in import person_take, session_with_person
from tests.factories import PASSWORD, AccountFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def assert_sent_to_sign_in(response) -> None:
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.fixture
def admin_client(client):
    admin = MembershipFactory(super_admin=True, account__name="Acme")
    client.force_login(admin.user)
    assert client.get(reverse("seats:users")).status_code == 200
    return client, admin


def test_a_signed_in_request_asks_one_query_for_its_session_and_the_person(
    client, django_assert_num_queries
):
    """The session, the person, every account they can pick and its membership, in one query;
    "last active" was written by the first request."""
    member = MembershipFactory()
    client.force_login(member.user)
    client.get(reverse("accounts:home"))
    with django_assert_num_queries(1):
        response = client.get(reverse("accounts:home"))
    assert response.status_code == 302


def test_the_account_switcher_needs_no_query_of_its_own(client, django_assert_num_queries):
    member = MembershipFactory(account__name="Acme")
    MembershipFactory(user=member.user, account=AccountFactory(name="Initech"))
    client.force_login(member.user)
    client.get(reverse("accounts:home"))
    with django_assert_num_queries(1):
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

    assert_sent_to_sign_in(response)


def test_a_user_deactivated_as_a_person_is_signed_out(admin_client):
    client, admin = admin_client
    type(admin.user).objects.filter(pk=admin.user.pk).update(is_active=False)

    response = client.get(reverse("seats:users"))

    assert_sent_to_sign_in(response)


# --- Sessions (accounts.sessions) --------------------------------------------------------------


def _sign_in(client, member) -> None:
    response = client.post(
        reverse("accounts:login"), {"username": member.user.email, "password": PASSWORD}
    )
    assert response.status_code == 302


def test_a_session_row_names_the_person_signed_in_to_it_until_they_sign_out(client):
    member = MembershipFactory(super_admin=True)
    _sign_in(client, member)
    key = client.cookies["sessionid"].value

    assert Session.objects.get(session_key=key).user_id == member.user.pk
    client.post(reverse("accounts:logout"))
    assert not Session.objects.filter(session_key=key).exists()


def test_a_signed_out_session_cookie_opens_nothing_again(client):
    member = MembershipFactory(super_admin=True)
    _sign_in(client, member)
    cookie = client.cookies["sessionid"].value
    assert client.session[SESSION_KEY] == str(member.user.pk)
    client.post(reverse("accounts:logout"))
    client.cookies["sessionid"] = cookie

    response = client.get(reverse("seats:users"))

    assert_sent_to_sign_in(response)


def test_an_expired_session_signs_nobody_in(client):
    member = MembershipFactory(super_admin=True)
    _sign_in(client, member)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    response = client.get(reverse("seats:users"))

    assert_sent_to_sign_in(response)


def test_deleting_a_person_ends_their_sessions(client):
    member = MembershipFactory(super_admin=True)
    _sign_in(client, member)
    member.user.delete()

    assert not Session.objects.exists()
    assert client.get(reverse("seats:users")).status_code == 302


def test_the_signed_session_data_names_the_person_not_the_column(client):
    """The column only saves a query: were it to name someone else (edited in the database),
    the person is still the one the session's signed data names."""
    member = MembershipFactory(super_admin=True, account__name="Acme")
    other = MembershipFactory(super_admin=True, account__name="Initech")
    _sign_in(client, member)
    Session.objects.update(user=other.user)

    page = client.get(reverse("seats:users")).content.decode()

    assert "Acme" in page and "Initech" not in page


def test_a_person_with_no_account_to_pick_is_still_signed_in(client, django_assert_num_queries):
    """An operator with no membership: the session's query finds nobody's memberships, and
    a second one reads the person."""
    operator = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(operator)
    with django_assert_num_queries(2):
        response = client.get(reverse("accounts:home"))
    assert response.wsgi_request.user == operator


def test_the_person_found_with_a_session_is_handed_over_once_and_to_that_request_only():
    member = MembershipFactory()
    store = DjangoSessionStore()
    store[SESSION_KEY] = str(member.user.pk)
    Session.objects.create(
        session_key="k" * 32,
        session_data=store.encode(store._session),
        expire_date=timezone.now() + timedelta(hours=1),
        user=member.user,
    )

    assert session_with_person(session_key="k" * 32, now=timezone.now()) is not None
    assert person_take(member.user.pk + 1) is None  # someone else: not handed over
    assert person_take(member.user.pk) is None  # and gone once asked for

    session_with_person(session_key="k" * 32, now=timezone.now())
    taken = person_take(member.user.pk)
    assert taken == member.user
    assert [m.pk for m in taken.selectable_memberships] == [member.pk]

    session_with_person(session_key="k" * 32, now=timezone.now())
    request_started.send(sender=None)  # the thread's next request
    assert person_take(member.user.pk) is None


def test_the_upgrade_keeps_everyone_signed_in():
    """accounts 0019 moves the sessions of Django's own table into accounts_session, with the
    person of each; an expired one, or one of a person since deleted, is not carried over."""
    member, gone = MembershipFactory(), UserFactory()
    store = DjangoSessionStore()
    rows = {}
    for key, user_id, expires in (
        ("a" * 32, member.user.pk, timedelta(hours=1)),
        ("b" * 32, None, timedelta(hours=1)),
        ("c" * 32, member.user.pk, -timedelta(hours=1)),
        ("d" * 32, gone.pk, timedelta(hours=1)),
    ):
        data = {SESSION_KEY: str(user_id)} if user_id else {"django_language": "fr"}
        rows[key] = DjangoSession.objects.create(
            session_key=key, session_data=store.encode(data), expire_date=timezone.now() + expires
        )
    gone.delete()
    migration = importlib.import_module("accounts.migrations.0019_sessions")

    migration.sessions_carry_over(apps, SimpleNamespace(connection=connection))

    carried = {s.session_key: s for s in Session.objects.all()}
    assert set(carried) == {"a" * 32, "b" * 32, "d" * 32}
    assert carried["a" * 32].user_id == member.user.pk
    assert carried["a" * 32].session_data == rows["a" * 32].session_data
    assert carried["b" * 32].user_id is None
    assert carried["d" * 32].user_id is None
    assert not DjangoSession.objects.exists()


def test_expired_sessions_are_deleted_every_day(settings):
    from accounts.tasks import sessions_expired_delete_task

    member = MembershipFactory()
    now = timezone.now()
    for key, expires in (("o" * 32, now + timedelta(hours=1)), ("x" * 32, now - timedelta(1))):
        Session.objects.create(
            session_key=key, session_data="", expire_date=expires, user=member.user
        )

    assert sessions_expired_delete_task.delay().get() == 1

    assert list(Session.objects.values_list("session_key", flat=True)) == ["o" * 32]
    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert schedule["accounts.tasks.sessions_expired_delete_task"] == timedelta(days=1)
