"""The invitee's side (invitations/views/accept.py) over HTTP with Django's test client: opening
a link, setting a password or signing in to join, switching user, links that can't be used, and
the rate limit. DOMAIN.md section 5.
"""

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import MembershipStatus, Notification
from accounts.selectors import SESSION_ACCOUNT_KEY
from invitations.services.links import invitation_accept, invitation_revoke
from invitations.tokens import token_new
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.invitations.views.helpers import (
    ACCEPT,
    NEW_PASSWORD,
    confirm_mailbox,
    invited_with_link,
    new_person_form,
    open_as_invitee,
    status_of,
)

pytestmark = pytest.mark.django_db

LIMIT = 30  # attempts to open or accept a link from one IP address in 10 minutes


def signed_in_user_id(client: Client):
    return client.session.get("_auth_user_id")


# --- Opening the link ----------------------------------------------------------------------------


def test_a_valid_link_redirects_to_the_token_free_invite_page_without_a_referrer(client, admin):
    _membership, path = invited_with_link(admin)

    response = client.get(path)

    assert response.status_code == 302
    assert response.url == ACCEPT
    assert response["Referrer-Policy"] == "no-referrer"


def test_the_invite_page_asks_a_new_person_to_set_a_password(client, admin):
    _membership, path = invited_with_link(admin, "bob@example.com")
    open_as_invitee(client, path, "bob@example.com")

    response = client.get(ACCEPT)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Join Initech" in page
    assert "Set a password for bob@example.com" in page


def test_a_new_person_sets_a_password_is_signed_in_and_lands_in_the_account(client, admin):
    membership, path = invited_with_link(admin, "bob@example.com")
    open_as_invitee(client, path, "bob@example.com")
    session_key_before = client.session.session_key

    response = client.post(ACCEPT, new_person_form())

    assert response.status_code == 302
    assert response.url == reverse("accounts:home")
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE
    assert membership.user.check_password(NEW_PASSWORD)
    assert (membership.user.first_name, membership.user.last_name) == ("Bob", "Builder")
    assert signed_in_user_id(client) == str(membership.user.pk)
    assert client.session.session_key != session_key_before
    assert client.session[SESSION_ACCOUNT_KEY] == admin.account_id
    assert path.split("/")[-2] not in json.dumps(dict(client.session.items()))


def test_the_inviter_is_notified_in_the_app_when_the_invitation_is_accepted(client, admin):
    _membership, path = invited_with_link(admin, "bob@example.com")
    open_as_invitee(client, path, "bob@example.com")

    client.post(ACCEPT, new_person_form())

    [notification] = Notification.objects.filter(membership=admin)
    assert notification.text == "Bob Builder accepted your invitation to Initech."


@pytest.mark.parametrize(
    ("password", "error"),
    [
        ("tiny-7", "This password is too short."),
        ("qwertyuiop", "This password is too common."),
    ],
)
def test_a_weak_password_is_refused_at_the_field(client, admin, password, error):
    membership, path = invited_with_link(admin, "bob@example.com")
    open_as_invitee(client, path, "bob@example.com")

    response = client.post(ACCEPT, new_person_form(password))

    assert response.status_code == 200
    assert any(error in message for message in response.context["form"].errors["password1"])
    assert status_of(membership) == MembershipStatus.INVITED
    assert signed_in_user_id(client) is None


def test_two_different_passwords_are_refused_at_the_confirmation(client, admin):
    membership, path = invited_with_link(admin)
    open_as_invitee(client, path, "new@example.com")

    response = client.post(ACCEPT, new_person_form(password2="another-password-88"))

    assert response.context["form"].errors["password2"] == ["The two passwords don't match."]
    assert status_of(membership) == MembershipStatus.INVITED


def test_an_existing_user_signs_in_with_their_password_and_joins(client, admin):
    person = UserFactory(email="known@example.com")
    elsewhere = MembershipFactory(user=person, account__name="Elsewhere")
    membership, path = invited_with_link(admin, "known@example.com")
    open_as_invitee(client, path, "known@example.com")
    session_key_before = client.session.session_key

    response = client.post(ACCEPT, {"password": PASSWORD})

    assert response.url == reverse("accounts:home")
    assert status_of(membership) == MembershipStatus.ACTIVE
    assert signed_in_user_id(client) == str(person.pk)
    assert client.session.session_key != session_key_before
    # Two accounts now: the one just joined is the current one, not the other.
    assert client.session[SESSION_ACCOUNT_KEY] == admin.account_id != elsewhere.account_id
    assert client.get(reverse("accounts:home")).url == reverse("accounts:profile")


def test_an_existing_user_is_asked_for_their_password_not_a_new_one(client, admin):
    UserFactory(email="known@example.com")
    _membership, path = invited_with_link(admin, "known@example.com")
    open_as_invitee(client, path, "known@example.com")

    page = client.get(ACCEPT).content.decode()

    assert "Sign in and join" in page
    assert "Set password and join" not in page


def test_a_wrong_password_is_an_error_at_the_field_and_the_person_stays_invited(client, admin):
    person = UserFactory(email="known@example.com")
    membership, path = invited_with_link(admin, "known@example.com")
    open_as_invitee(client, path, "known@example.com")

    response = client.post(ACCEPT, {"password": "not-the-password"})

    assert response.status_code == 200
    [error] = response.context["form"].errors["password"]
    assert error.startswith("That password is not right.")
    assert status_of(membership) == MembershipStatus.INVITED
    assert signed_in_user_id(client) is None
    assert client.post(ACCEPT, {"password": PASSWORD}).status_code == 302
    assert status_of(membership) == MembershipStatus.ACTIVE
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_signed_in_as_the_invitee_they_join_with_one_click(client, admin):
    person = UserFactory(email="known@example.com")
    membership, path = invited_with_link(admin, "known@example.com")
    client.force_login(person)
    client.get(path)

    response = client.post(ACCEPT)

    assert response.url == reverse("accounts:home")
    assert status_of(membership) == MembershipStatus.ACTIVE
    assert client.session[SESSION_ACCOUNT_KEY] == admin.account_id


def test_signed_in_as_someone_else_they_are_told_so_and_offered_to_sign_out_and_continue(
    client, admin
):
    membership, path = invited_with_link(admin, "bob@example.com")
    client.force_login(UserFactory(email="someone.else@example.com"))

    response = client.get(path, follow=True)

    page = response.content.decode()
    assert "This invitation is for someone else" in page
    assert "signed in as someone.else@example.com" in page
    assert f'action="{reverse("invitations:switch_user")}"' in page
    assert "Sign out and continue" in page
    assert client.post(ACCEPT, {"password": PASSWORD}).status_code == 200
    assert status_of(membership) == MembershipStatus.INVITED


def test_signing_out_and_continuing_keeps_the_invitation(client, admin):
    membership, path = invited_with_link(admin, "bob@example.com")
    client.force_login(UserFactory(email="someone.else@example.com"))
    client.get(path)

    response = client.post(reverse("invitations:switch_user"))

    assert response.url == ACCEPT
    assert signed_in_user_id(client) is None
    confirm_mailbox(client, "bob@example.com")
    assert "Set a password for bob@example.com" in client.get(ACCEPT).content.decode()
    client.post(ACCEPT, new_person_form())
    assert status_of(membership) == MembershipStatus.ACTIVE
    assert signed_in_user_id(client) == str(membership.user.pk)


# --- Links that can't be used --------------------------------------------------------------------


def page(response) -> str:
    """A page's text but for the language switcher's CSRF token (masked anew each time) and its
    way back (the address asked for)."""
    return re.sub(r'name="(csrfmiddlewaretoken|next)" value="[^"]*"', "", response.content.decode())


def test_invalid_used_expired_and_revoked_links_get_the_same_status_and_the_same_page(admin, clock):
    _expired, expired_path = invited_with_link(admin, "expired@example.com")
    clock.shift(timedelta(days=7))
    used, used_path = invited_with_link(admin, "used@example.com")
    invitation_accept(token=used_path.split("/")[-2], user=used.user)
    revoked, revoked_path = invited_with_link(admin, "revoked@example.com")
    invitation_revoke(account=admin.account, membership_id=revoked.pk, actor=admin.user)
    invalid_path = reverse("invitations:open", kwargs={"token": token_new()})

    responses = {
        case: Client().get(path, follow=True)
        for case, path in {
            "invalid": invalid_path,
            "used": used_path,
            "expired": expired_path,
            "revoked": revoked_path,
        }.items()
    }

    assert {case: r.status_code for case, r in responses.items()} == dict.fromkeys(responses, 404)
    bodies = {page(r) for r in responses.values()}
    assert len(bodies) == 1
    [body] = bodies
    assert "This invitation link can't be used" in body
    assert not any(email in body for email in ("expired@", "used@", "revoked@"))
    assert all(r["Referrer-Policy"] == "no-referrer" for r in responses.values())


def test_the_invite_page_without_an_opened_link_is_the_same_neutral_page(client, admin):
    neutral = Client().get(reverse("invitations:open", kwargs={"token": token_new()}))

    response = client.get(ACCEPT)

    assert (response.status_code, page(response)) == (neutral.status_code, page(neutral))


def test_a_link_revoked_after_it_was_opened_gets_the_neutral_page_when_submitted(client, admin):
    membership, path = invited_with_link(admin)
    client.get(path)
    invitation_revoke(account=admin.account, membership_id=membership.pk, actor=admin.user)

    response = client.post(ACCEPT, new_person_form())

    assert response.status_code == 404
    assert status_of(membership) == MembershipStatus.INVITED
    membership.user.refresh_from_db()
    assert not membership.user.has_usable_password()


def test_a_link_expiring_while_the_page_is_open_gets_the_neutral_page(client, admin, clock):
    membership, path = invited_with_link(admin)
    client.get(path)
    clock.shift(timedelta(days=7))

    response = client.post(ACCEPT, new_person_form())

    assert response.status_code == 404
    assert status_of(membership) == MembershipStatus.INVITED


def test_a_link_used_once_cannot_be_opened_again(client, admin):
    _membership, path = invited_with_link(admin)
    open_as_invitee(client, path, "new@example.com")
    client.post(ACCEPT, new_person_form())
    assert status_of(_membership) == MembershipStatus.ACTIVE

    assert Client().get(path).status_code == 404


# --- Rate limit ----------------------------------------------------------------------------------


def _bogus_path() -> str:
    return reverse("invitations:open", kwargs={"token": token_new()})


def test_more_than_30_attempts_from_one_address_in_ten_minutes_are_refused(client, admin):
    _membership, path = invited_with_link(admin)
    for _attempt in range(LIMIT):
        assert client.get(_bogus_path()).status_code == 404

    response = client.get(path)

    assert response.status_code == 429


def test_attempts_from_another_address_are_not_refused(client, admin):
    _membership, path = invited_with_link(admin)
    for _attempt in range(LIMIT + 1):
        client.get(_bogus_path(), REMOTE_ADDR="203.0.113.7")

    assert client.get(path, REMOTE_ADDR="203.0.113.8").status_code == 302


def test_attempts_are_allowed_again_after_ten_minutes(client, admin, clock):
    _membership, path = invited_with_link(admin)
    for _attempt in range(LIMIT + 1):
        client.get(_bogus_path())
    clock.shift(timedelta(minutes=10, seconds=1))

    assert client.get(path).status_code == 302


def test_guessing_an_existing_users_password_on_the_invite_page_is_rate_limited(client, admin):
    UserFactory(email="known@example.com")
    membership, path = invited_with_link(admin, "known@example.com")
    open_as_invitee(client, path, "known@example.com")  # the first three attempts
    for _attempt in range(LIMIT - 3):
        client.post(ACCEPT, {"password": "a-wrong-guess"})

    response = client.post(ACCEPT, {"password": PASSWORD})

    assert response.status_code == 429
    assert status_of(membership) == MembershipStatus.INVITED
    assert signed_in_user_id(client) is None
