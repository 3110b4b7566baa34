"""Sign-in, sign-out, password reset, account choice, profile and notifications, over HTTP."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from accounts.policy import ON, AccountPermission
from accounts.selectors import SESSION_ACCOUNT_KEY
from accounts.services import notify
from tests.factories import PASSWORD, AccountFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def sign_in(client, email, password=PASSWORD):
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def test_signing_in_with_any_case_of_the_address_works(client):
    member = MembershipFactory(user__email="ada@example.com", super_admin=True)
    response = sign_in(client, "  ADA@Example.com ")
    assert response.status_code == 302
    assert client.get(reverse("accounts:home")).url == reverse("seats:users")
    assert client.session[SESSION_ACCOUNT_KEY] == member.account_id


def test_a_wrong_password_is_refused_with_a_message_that_names_neither_part(client):
    MembershipFactory(user__email="ada@example.com")
    response = sign_in(client, "ada@example.com", "not-the-password")
    assert response.status_code == 200
    assert "don&#x27;t match an account" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_signing_in_rotates_the_session_key(client):
    MembershipFactory(user__email="ada@example.com")
    client.get(reverse("accounts:login"))
    client.session.save()
    before = client.session.session_key
    sign_in(client, "ada@example.com")
    assert client.session.session_key != before


def test_a_deactivated_member_who_signs_in_is_told_they_have_no_access(client):
    member = MembershipFactory(deactivated=True, account__name="Initech")
    sign_in(client, member.user.email)
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 403
    assert "Your access to Initech has been deactivated" in response.content.decode()
    assert client.get(reverse("accounts:profile")).status_code == 403


def test_signing_out_needs_a_post_and_ends_the_session(client):
    member = MembershipFactory()
    client.force_login(member.user)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.url == reverse("accounts:login")
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_pages_send_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("seats:users"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_forgot_password_emails_a_link_that_sets_a_new_password(
    client, django_capture_on_commit_callbacks
):
    member = MembershipFactory(user__email="ada@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": "Ada@Example.com"})
    assert response.url == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ada@example.com"]
    link = re.search(r"http://\S+/password-reset/\S+/\S+/", mail.outbox[0].body).group(0)
    path = link.split("localhost:8000", 1)[1]
    form_page = client.get(path, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-new-long-password-9", "new_password2": "a-new-long-password-9"},
    )
    member.user.refresh_from_db()
    assert member.user.check_password("a-new-long-password-9")


def test_forgot_password_answers_the_same_for_an_unknown_address(
    client, django_capture_on_commit_callbacks
):
    MembershipFactory(user__email="ada@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(reverse("accounts:password_reset"), {"email": "ada@example.com"})
        unknown = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    assert len(mail.outbox) == 1


def test_a_person_in_one_account_lands_in_it_without_choosing(client):
    member = MembershipFactory()
    client.force_login(member.user)
    assert client.get(reverse("accounts:home")).url == reverse("accounts:profile")


def test_a_person_in_several_accounts_chooses_one_and_can_switch(client):
    user = UserFactory()
    first = MembershipFactory(user=user, account__name="Acme", super_admin=True)
    second = MembershipFactory(user=user, account__name="Globex")
    client.force_login(user)
    assert client.get(reverse("accounts:home")).url == reverse("accounts:choose_account")
    page = client.get(reverse("accounts:choose_account")).content.decode()
    assert "Acme" in page and "Globex" in page

    client.post(reverse("accounts:switch_account"), {"account": first.account_id})
    assert client.get(reverse("seats:users")).status_code == 200

    client.post(reverse("accounts:switch_account"), {"account": second.account_id})
    assert client.session[SESSION_ACCOUNT_KEY] == second.account_id
    assert client.get(reverse("seats:users")).status_code == 403


def test_switching_to_an_account_you_are_not_in_is_not_found(client):
    member = MembershipFactory()
    other = AccountFactory()
    client.force_login(member.user)
    response = client.post(reverse("accounts:switch_account"), {"account": other.pk})
    assert response.status_code == 404
    assert client.session.get(SESSION_ACCOUNT_KEY) in (None, member.account_id)


def test_an_invited_membership_is_not_an_account_you_can_enter(client):
    user = UserFactory()
    MembershipFactory(user=user)
    pending = MembershipFactory(user=user, invited=True)
    client.force_login(user)
    response = client.post(reverse("accounts:switch_account"), {"account": pending.account_id})
    assert response.status_code == 404


def test_the_users_page_lists_only_the_current_accounts_members(client):
    admin = MembershipFactory(super_admin=True)
    colleague = MembershipFactory(account=admin.account, user__email="colleague@example.com")
    MembershipFactory(user__email="stranger@example.com")
    client.force_login(admin.user)
    # The list marks where an address may wrap (<wbr> before the "@"): read it without those.
    page = client.get(reverse("seats:users")).content.decode().replace("<wbr>", "")
    assert colleague.user.email in page
    assert "stranger@example.com" not in page


def test_the_users_page_is_refused_without_add_and_edit_users(client):
    member = MembershipFactory()
    client.force_login(member.user)
    assert client.get(reverse("seats:users")).status_code == 403
    assert reverse("seats:users") not in client.get(reverse("accounts:profile")).content.decode()


def test_add_and_edit_users_opens_the_users_page_but_not_billing(client):
    member = MembershipFactory()
    member.permissions[AccountPermission.USERS] = ON
    member.save()
    client.force_login(member.user)
    assert client.get(reverse("seats:users")).status_code == 200
    assert client.get(reverse("billing:account")).status_code == 403
    assert client.get(reverse("billing:pricing")).status_code == 403


def test_edit_billing_opens_the_billing_pages_and_shows_them_in_the_menu(client):
    member = MembershipFactory()
    member.permissions[AccountPermission.BILLING] = ON
    member.save()
    client.force_login(member.user)
    page = client.get(reverse("billing:account")).content.decode()
    assert reverse("billing:pricing") in page
    assert reverse("seats:users") not in page
    assert client.get(reverse("billing:pricing"), {"hub": "sales"}).status_code == 200
    assert client.get(reverse("billing:pricing"), {"hub": "nonsense"}).status_code == 404


def test_the_profile_saves_the_name(client):
    member = MembershipFactory()
    client.force_login(member.user)
    client.post(
        reverse("accounts:profile"),
        {"first_name": " Grace ", "last_name": "Hopper", "language": "en"},
    )
    member.user.refresh_from_db()
    assert (member.user.first_name, member.user.last_name) == ("Grace", "Hopper")


def test_the_profile_refuses_an_unknown_language_at_the_field(client):
    member = MembershipFactory()
    client.force_login(member.user)
    response = client.post(
        reverse("accounts:profile"), {"first_name": "G", "last_name": "H", "language": "xx"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_notification_preferences_are_saved_per_kind_and_channel(client):
    member = MembershipFactory()
    client.force_login(member.user)
    client.post(
        reverse("accounts:notifications"), {"billing__email": "on", "access_changed__in_app": "on"}
    )
    member.refresh_from_db()
    assert member.notification_settings["billing"] == {"email": True, "in_app": False}
    assert member.notification_settings["access_changed"] == {"email": False, "in_app": True}
    assert member.notification_settings["status_changed"] == {"email": False, "in_app": False}


def test_last_active_is_written_at_most_once_per_interval(
    client, settings, django_assert_num_queries
):
    settings.LAST_ACTIVE_WRITE_INTERVAL = timedelta(minutes=5)
    member = MembershipFactory()
    client.force_login(member.user)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get(reverse("accounts:profile"))
        member.refresh_from_db()
        assert member.last_active_at == start
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        client.get(reverse("accounts:profile"))
        member.refresh_from_db()
        assert member.last_active_at == start
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        client.get(reverse("accounts:profile"))
        member.refresh_from_db()
        assert member.last_active_at == start + timedelta(minutes=6)


def test_in_app_notifications_are_counted_listed_and_marked_read(client):
    member = MembershipFactory()
    other = MembershipFactory()
    Notification.objects.create(membership=member, kind="billing", text="Two Core seats bought.")
    Notification.objects.create(membership=other, kind="billing", text="Not for you.")
    client.force_login(member.user)
    page = client.get(reverse("accounts:notifications")).content.decode()
    assert "Two Core seats bought." in page
    assert "Not for you." not in page
    assert 'data-testid="unread-count">1<' in page
    client.post(reverse("accounts:notifications_read"))
    page = client.get(reverse("accounts:notifications")).content.decode()
    assert "unread-count" not in page
    assert Notification.objects.get(membership=other).read_at is None


def test_a_notification_says_when_it_came_as_time_ago(client):
    member = MembershipFactory()
    now = timezone.now()
    Notification.objects.create(membership=member, kind="billing", text="A", created_at=now)
    Notification.objects.create(
        membership=member, kind="billing", text="B", created_at=now - timedelta(minutes=3)
    )
    client.force_login(member.user)
    page = client.get(reverse("accounts:notifications")).content.decode()
    times = re.findall(r"<time [^>]*>([^<]*)</time>", page)
    assert times == ["now", "3\xa0minutes ago"]


def test_a_notification_respects_the_members_channels(django_capture_on_commit_callbacks):
    member = MembershipFactory(notification_settings={"billing": {"email": True, "in_app": False}})
    with django_capture_on_commit_callbacks(execute=True):
        created = notify(membership=member, kind="billing", text=lambda: "Renewed.")
    assert created is None
    assert not Notification.objects.filter(membership=member).exists()
    assert [m.to for m in mail.outbox] == [[member.user.email]]
