"""The "Create user" pages, the invitation actions on the Users list, and the invitee's side, over
HTTP with Django's test client. DOMAIN.md sections 4 and 5.

The account subscribes to Marketing Hub and Sales Hub Professional (3 Core seats included) and
bought 1 Core seat; its super admin takes one of the 4, leaving 3 free.
"""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import (
    Account,
    InvitationState,
    Membership,
    MembershipStatus,
    Notification,
    SeatType,
    User,
)
from accounts.policy import ON, AccountPermission
from accounts.selectors import SESSION_ACCOUNT_KEY
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services.subscriptions import subscription_start
from invitations.models import Invitation, SalesforceConnection
from invitations.parsing import ParsedPerson
from invitations.services.links import invitation_accept, invitation_link_copy, invitation_revoke
from invitations.services.members import members_invite
from invitations.tokens import token_new
from invitations.views.create_user import WIZARD_KEY
from seats.catalogue import seat_default_permissions
from seats.permissions.choice import AccessChoice, AccessMode
from tests.factories import PASSWORD, AccountFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)
LINK = re.compile(r"https?://\S+?(/invite/[A-Za-z0-9_-]+/)")
NEW_PASSWORD = "plum-orchard-lantern-42"
CORE_DEFAULTS = seat_default_permissions(SeatType.CORE)
ACCEPT = reverse("invitations:accept")
LIMIT = 30  # attempts to open or accept a link from one IP address in 10 minutes


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def subscribed_account(name: str = "Initech") -> Account:
    account = AccountFactory(name=name)
    subscription_start(
        account=account,
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL, HubCode.SALES: TierCode.PROFESSIONAL},
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
        extra_seats={"core": 1},
    )
    return account


@pytest.fixture
def account() -> Account:
    return subscribed_account()


@pytest.fixture
def admin(account) -> Membership:
    return MembershipFactory(
        account=account, super_admin=True, user__email="admin@example.com", user__first_name="Ada"
    )


@pytest.fixture
def users_admin(account) -> Membership:
    """Holds "Add and edit users" but is not a super admin."""
    return MembershipFactory(
        account=account,
        user__email="users.admin@example.com",
        permissions={**CORE_DEFAULTS, AccountPermission.USERS.value: ON},
    )


@pytest.fixture
def admin_client(client, admin) -> Client:
    client.force_login(admin.user)
    return client


def invitation_emails() -> list:
    """The invitation emails sent so far (billing admins may be emailed about seats too)."""
    return [message for message in mail.outbox if LINK.search(message.body)]


def invite(
    admin: Membership, *emails: str, send_email: bool = True, seat_type: str = SeatType.CORE
) -> list[Membership]:
    return members_invite(
        account=admin.account,
        actor_membership=admin,
        people=[ParsedPerson(email) for email in emails],
        seat_type=seat_type,
        access=AccessChoice(mode=AccessMode.DEFAULTS),
        send_email=send_email,
    ).memberships


def emailed_link(capture, admin: Membership, email: str = "new@example.com"):
    """Invite one person; return their membership and the path of the link in their email."""
    with capture(execute=True):
        [membership] = invite(admin, email)
    [message] = [m for m in invitation_emails() if m.to == [email]]
    return membership, LINK.search(message.body).group(1)


def copied_link(admin: Membership, membership: Membership) -> str:
    url = invitation_link_copy(account=admin.account, membership_id=membership.pk, actor=admin.user)
    return LINK.fullmatch(url).group(1)


def invited_with_link(admin: Membership, email: str = "new@example.com"):
    [membership] = invite(admin, email, send_email=False)
    return membership, copied_link(admin, membership)


def status_of(membership: Membership) -> str:
    return Membership.objects.get(pk=membership.pk).status


def new_person_form(password: str = NEW_PASSWORD, **fields) -> dict:
    return {
        "first_name": "Bob",
        "last_name": "Builder",
        "password1": password,
        "password2": password,
        **fields,
    }


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

    response = client.get(path, follow=True)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Join Initech" in page
    assert "Set a password for bob@example.com" in page


def test_a_new_person_sets_a_password_is_signed_in_and_lands_in_the_account(client, admin):
    membership, path = invited_with_link(admin, "bob@example.com")
    client.get(path)
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
    client.get(path)

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
    client.get(path)

    response = client.post(ACCEPT, new_person_form(password))

    assert response.status_code == 200
    assert any(error in message for message in response.context["form"].errors["password1"])
    assert status_of(membership) == MembershipStatus.INVITED
    assert signed_in_user_id(client) is None


def test_two_different_passwords_are_refused_at_the_confirmation(client, admin):
    membership, path = invited_with_link(admin)
    client.get(path)

    response = client.post(ACCEPT, new_person_form(password2="another-password-88"))

    assert response.context["form"].errors["password2"] == ["The two passwords don't match."]
    assert status_of(membership) == MembershipStatus.INVITED


def test_an_existing_user_signs_in_with_their_password_and_joins(client, admin):
    person = UserFactory(email="known@example.com")
    elsewhere = MembershipFactory(user=person, account__name="Elsewhere")
    membership, path = invited_with_link(admin, "known@example.com")
    client.get(path, follow=True)
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

    page = client.get(path, follow=True).content.decode()

    assert "Sign in and join" in page
    assert "Set password and join" not in page


def test_a_wrong_password_is_an_error_at_the_field_and_the_person_stays_invited(client, admin):
    person = UserFactory(email="known@example.com")
    membership, path = invited_with_link(admin, "known@example.com")
    client.get(path)

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
    assert "Set a password for bob@example.com" in client.get(ACCEPT).content.decode()
    client.post(ACCEPT, new_person_form())
    assert status_of(membership) == MembershipStatus.ACTIVE
    assert signed_in_user_id(client) == str(membership.user.pk)


# --- Links that can't be used --------------------------------------------------------------------


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
    bodies = {r.content.decode() for r in responses.values()}
    assert len(bodies) == 1
    [body] = bodies
    assert "This invitation link can't be used" in body
    assert not any(email in body for email in ("expired@", "used@", "revoked@"))
    assert all(r["Referrer-Policy"] == "no-referrer" for r in responses.values())


def test_the_invite_page_without_an_opened_link_is_the_same_neutral_page(client, admin):
    neutral = Client().get(reverse("invitations:open", kwargs={"token": token_new()}))

    response = client.get(ACCEPT)

    assert (response.status_code, response.content) == (neutral.status_code, neutral.content)


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
    client.get(path)
    client.post(ACCEPT, new_person_form())

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
    client.get(path)  # the first attempt
    for _attempt in range(LIMIT - 1):
        client.post(ACCEPT, {"password": "a-wrong-guess"})

    response = client.post(ACCEPT, {"password": PASSWORD})

    assert response.status_code == 429
    assert status_of(membership) == MembershipStatus.INVITED
    assert signed_in_user_id(client) is None


# --- Who may use the staff pages -----------------------------------------------------------------

STAFF_PAGES = [
    ("get", "invitations:create_user", False),
    ("post", "invitations:create_user", False),
    ("get", "invitations:create_user_access", False),
    ("post", "invitations:create_user_access", False),
    ("get", "invitations:create_user_review", False),
    ("post", "invitations:create_user_review", False),
    ("get", "invitations:created_users", False),
    ("get", "invitations:create_user_salesforce", False),
    ("get", "invitations:salesforce_connect", False),
    ("post", "invitations:salesforce_connect", False),
    ("post", "invitations:invite_link_copy", True),
    ("post", "invitations:invite_resend", True),
    ("get", "invitations:invite_revoke", True),
    ("post", "invitations:invite_revoke", True),
]


def _staff_url(name: str, takes_id: bool, membership: Membership) -> str:
    return reverse(name, kwargs={"membership_id": membership.pk}) if takes_id else reverse(name)


def _nothing_changed_for(membership: Membership) -> bool:
    return (
        not Invitation.objects.filter(membership=membership).exists()
        and Membership.objects.get(pk=membership.pk).invite_revoked_at is None
    )


@pytest.mark.parametrize(("method", "name", "takes_id"), STAFF_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, admin, method, name, takes_id):
    [invited] = invite(admin, "new@example.com", send_email=False)

    response = getattr(client, method)(_staff_url(name, takes_id, invited))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert _nothing_changed_for(invited)


@pytest.mark.parametrize(("method", "name", "takes_id"), STAFF_PAGES)
def test_members_without_add_and_edit_users_are_refused(client, admin, method, name, takes_id):
    [invited] = invite(admin, "new@example.com", send_email=False)
    client.force_login(MembershipFactory(account=admin.account).user)

    response = getattr(client, method)(_staff_url(name, takes_id, invited))

    assert response.status_code == 403
    assert _nothing_changed_for(invited)


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("post", "invitations:invite_link_copy"),
        ("post", "invitations:invite_resend"),
        ("get", "invitations:invite_revoke"),
        ("post", "invitations:invite_revoke"),
    ],
)
def test_an_invited_member_of_another_account_is_not_found(
    client, admin, users_admin, method, name
):
    other_admin = MembershipFactory(account=subscribed_account("Globex"), super_admin=True)
    [stranger] = invite(other_admin, "stranger@example.com", send_email=False)
    client.force_login(users_admin.user)

    response = getattr(client, method)(reverse(name, kwargs={"membership_id": stranger.pk}))

    assert response.status_code == 404
    assert _nothing_changed_for(stranger)


@pytest.mark.parametrize("method", ["get", "post"])
def test_connecting_salesforce_is_for_super_admins_only(client, users_admin, method):
    client.force_login(users_admin.user)

    response = getattr(client, method)(
        reverse("invitations:salesforce_connect"),
        {"instance_url": "https://example.my.salesforce.com", "access_token": "secret"},
    )

    assert response.status_code == 403
    assert not SalesforceConnection.objects.exists()


def test_a_users_admin_may_open_create_user(client, users_admin):
    client.force_login(users_admin.user)

    assert client.get(reverse("invitations:create_user")).status_code == 200


# --- Copy invite link, resend, revoke ------------------------------------------------------------


def test_copy_invite_link_answers_json_with_a_working_link_and_sends_no_email(
    admin_client, admin, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://seats.example.com"
    [membership] = invite(admin, "bob@example.com", send_email=False)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("invitations:invite_link_copy", kwargs={"membership_id": membership.pk})
        )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    url = response.json()["url"]
    assert url.startswith("https://seats.example.com/invite/")
    assert invitation_emails() == []
    invitee = Client()
    invitee.get(LINK.fullmatch(url).group(1))
    invitee.post(ACCEPT, new_person_form())
    assert status_of(membership) == MembershipStatus.ACTIVE


def test_copy_invite_link_needs_a_post(admin_client, admin):
    [membership] = invite(admin, "bob@example.com", send_email=False)

    response = admin_client.get(
        reverse("invitations:invite_link_copy", kwargs={"membership_id": membership.pk})
    )

    assert response.status_code == 405
    assert not Invitation.objects.exists()


def test_copy_invite_link_for_a_member_who_joined_is_a_conflict(admin_client, admin):
    member = MembershipFactory(account=admin.account)

    response = admin_client.post(
        reverse("invitations:invite_link_copy", kwargs={"membership_id": member.pk})
    )

    assert response.status_code == 409
    assert response.json() == {"error": "This user has already joined."}


def test_resend_invite_emails_a_fresh_link_and_the_earlier_one_keeps_working(
    admin_client, admin, clock, django_capture_on_commit_callbacks
):
    membership, first_path = emailed_link(django_capture_on_commit_callbacks, admin)
    clock.shift(timedelta(days=1))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("invitations:invite_resend", kwargs={"membership_id": membership.pk}),
            follow=True,
        )

    assert response.redirect_chain == [(reverse("seats:users"), 302)]
    assert "A new invitation is on its way to new@example.com." in response.content.decode()
    emails = invitation_emails()
    assert [m.to for m in emails] == [["new@example.com"], ["new@example.com"]]
    second_path = LINK.search(emails[1].body).group(1)
    assert second_path != first_path
    assert Membership.objects.get(pk=membership.pk).invite_expires_at == NOW + timedelta(days=8)
    assert Client().get(first_path).status_code == 302
    assert Client().get(second_path).status_code == 302


def test_resend_invite_needs_a_post(admin_client, admin):
    [membership] = invite(admin, "bob@example.com", send_email=False)

    response = admin_client.get(
        reverse("invitations:invite_resend", kwargs={"membership_id": membership.pk})
    )

    assert response.status_code == 405
    assert not Invitation.objects.exists()


def test_revoke_invite_asks_for_confirmation_first(
    admin_client, admin, django_capture_on_commit_callbacks
):
    membership, path = emailed_link(django_capture_on_commit_callbacks, admin)

    response = admin_client.get(
        reverse("invitations:invite_revoke", kwargs={"membership_id": membership.pk})
    )

    assert response.status_code == 200
    assert "Every invitation link sent to new@example.com will stop working." in (
        response.content.decode()
    )
    assert Client().get(path).status_code == 302


def test_revoke_invite_confirmed_ends_every_link(
    admin_client, admin, django_capture_on_commit_callbacks
):
    membership, emailed = emailed_link(django_capture_on_commit_callbacks, admin)
    copied = copied_link(admin, membership)

    response = admin_client.post(
        reverse("invitations:invite_revoke", kwargs={"membership_id": membership.pk}),
        follow=True,
    )

    assert response.redirect_chain == [(reverse("seats:users"), 302)]
    assert "Every invitation link for new@example.com has stopped working." in (
        response.content.decode()
    )
    assert Client().get(emailed).status_code == 404
    assert Client().get(copied).status_code == 404
    assert status_of(membership) == MembershipStatus.INVITED


def test_revoke_invite_for_a_member_who_joined_changes_nothing(admin_client, admin):
    member = MembershipFactory(account=admin.account, user__email="joined@example.com")

    response = admin_client.post(
        reverse("invitations:invite_revoke", kwargs={"membership_id": member.pk}), follow=True
    )

    assert "joined@example.com has already joined." in response.content.decode()
    assert Membership.objects.get(pk=member.pk).invite_revoked_at is None


# --- Invitation status on the Users page ---------------------------------------------------------


def _row(page: str, email: str) -> str:
    """The Users list's row of this address (its email cell may mark a break: <wbr>)."""
    rows = page.replace("<wbr>", "").split("<tr>")
    [row] = [
        chunk
        for chunk in rows
        if re.search(rf'<td [^>]*id="email-\d+">{re.escape(email)}</td>', chunk)
    ]
    return row


def test_the_users_page_shows_each_members_invitation_status(admin_client, admin, clock):
    invited_with_link(admin, "expired@example.com")
    clock.shift(timedelta(days=7))
    invited_with_link(admin, "pending@example.com")
    revoked, _path = invited_with_link(admin, "revoked@example.com")
    invitation_revoke(account=admin.account, membership_id=revoked.pk, actor=admin.user)
    invite(admin, "not.sent@example.com", send_email=False, seat_type=SeatType.VIEW_ONLY)

    page = admin_client.get(reverse("seats:users")).content.decode()

    assert 'class="invite invite-pending">Pending<' in _row(page, "pending@example.com")
    assert 'class="invite invite-expired">Expired<' in _row(page, "expired@example.com")
    assert 'class="invite invite-revoked">Revoked<' in _row(page, "revoked@example.com")
    assert 'class="invite invite-not_sent">No invite sent<' in _row(page, "not.sent@example.com")


def test_the_users_page_shows_accepted_once_the_invitee_joined(admin_client, admin):
    membership, path = invited_with_link(admin, "joined@example.com")
    invitation_accept(token=path.split("/")[-2], user=membership.user)

    page = admin_client.get(reverse("seats:users")).content.decode()

    assert 'class="invite invite-accepted">Accepted<' in _row(page, "joined@example.com")


# --- Create user, step by step -------------------------------------------------------------------


def _typed(client: Client, emails: str):
    return client.post(reverse("invitations:create_user"), {"source": "typed", "emails": emails})


def _access(client: Client, **fields):
    return client.post(
        reverse("invitations:create_user_access"),
        {"seat_type": SeatType.CORE, "mode": AccessMode.DEFAULTS, "template": "", **fields},
    )


def test_more_than_100_typed_addresses_are_refused_at_the_field_and_nothing_is_written(
    admin_client, admin
):
    memberships_before = Membership.objects.count()

    page = _typed(admin_client, "\n".join(f"user{n}@example.com" for n in range(500)))

    assert page.status_code == 200
    assert page.context["typed"].errors["emails"] == [
        "You entered 500 addresses; at most 100 users can be added at once. "
        "Split them into smaller batches."
    ]
    assert not admin_client.session.get(WIZARD_KEY, {}).get("people")
    assert Membership.objects.count() == memberships_before


def test_create_user_opens_on_an_empty_form_without_errors(admin_client, admin):
    for source in ("", "?source=typed", "?source=csv"):
        page = admin_client.get(reverse("invitations:create_user") + source)

        assert page.status_code == 200
        assert "This field is required." not in page.content.decode()
        assert not page.context["typed"].is_bound
        assert not page.context["upload"].is_bound


def test_going_back_to_who_shows_the_addresses_chosen_before(admin_client, admin):
    _typed(admin_client, "bob@example.com, carol@example.com")

    page = admin_client.get(reverse("invitations:create_user"))

    assert page.context["typed"]["emails"].value() == "bob@example.com\ncarol@example.com"
    assert "This field is required." not in page.content.decode()


def test_create_user_from_typed_addresses_through_access_and_review_to_created(
    admin_client, admin, django_capture_on_commit_callbacks
):
    typed = _typed(admin_client, "bob@example.com, Carol@Example.com\ndave@example.com")
    assert typed.url == reverse("invitations:create_user_access")
    access = _access(admin_client)
    assert access.url == reverse("invitations:create_user_review")
    review = admin_client.get(reverse("invitations:create_user_review")).content.decode()
    assert "carol@example.com" in review and "Core seat" in review

    with django_capture_on_commit_callbacks(execute=True):
        created = admin_client.post(reverse("invitations:create_user_review"))

    assert created.url == reverse("invitations:created_users")
    members = Membership.objects.filter(account=admin.account, status=MembershipStatus.INVITED)
    assert sorted(members.values_list("user__email", flat=True)) == [
        "bob@example.com",
        "carol@example.com",
        "dave@example.com",
    ]
    assert sorted(m.to[0] for m in invitation_emails()) == [
        "bob@example.com",
        "carol@example.com",
        "dave@example.com",
    ]
    page = admin_client.get(reverse("invitations:created_users")).content.decode()
    assert "dave@example.com" in page and "Copy invite link" in page


def test_create_user_without_the_invite_email_sends_none(
    admin_client, admin, django_capture_on_commit_callbacks
):
    _typed(admin_client, "bob@example.com")
    _access(admin_client, no_invite="on")

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("invitations:create_user_review"))

    membership = Membership.objects.get(user__email="bob@example.com")
    assert membership.invitation_state_at(NOW) == InvitationState.NOT_SENT
    assert invitation_emails() == []


def test_typed_addresses_with_an_invalid_one_are_refused_whole(admin_client, admin):
    response = _typed(admin_client, "bob@example.com, not-an-address")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Nobody was added. Fix these and try again:" in page
    assert "not-an-address" in page
    assert admin_client.get(reverse("invitations:create_user_access")).url == reverse(
        "invitations:create_user"
    )


def _csv(rows: int) -> SimpleUploadedFile:
    lines = ["Email,First name"] + [f"person{i}@example.com,Person{i}" for i in range(rows)]
    return SimpleUploadedFile("users.csv", "\n".join(lines).encode(), content_type="text/csv")


def test_a_csv_file_of_101_users_is_refused_whole_with_a_message(admin_client, admin):
    response = admin_client.post(
        reverse("invitations:create_user"), {"source": "csv", "csv_file": _csv(101)}
    )

    assert response.status_code == 200
    assert response.context["upload"].errors["csv_file"] == [
        "This file has 101 users; at most 100 can be added from one file. "
        "Split it into smaller files."
    ]
    assert admin_client.get(reverse("invitations:create_user_access")).url == reverse(
        "invitations:create_user"
    )


def test_a_csv_file_of_100_users_is_read(admin_client, admin):
    response = admin_client.post(
        reverse("invitations:create_user"), {"source": "csv", "csv_file": _csv(100)}
    )

    assert response.url == reverse("invitations:create_user_access")
    page = admin_client.get(response.url).content.decode()
    assert "Adding 100 users" in page


def test_the_access_step_says_how_many_seats_are_missing(admin_client, admin):
    _typed(admin_client, " ".join(f"person{i}@example.com" for i in range(4)))

    response = _access(admin_client)

    assert response.status_code == 200
    assert "You need 1 more Core seat." in response.content.decode()
    assert "Buy more seats" in response.content.decode()


def test_the_review_step_says_a_seat_is_missing_when_one_was_taken_meanwhile(admin_client, admin):
    _typed(admin_client, "a@example.com b@example.com c@example.com")
    assert _access(admin_client).status_code == 302
    MembershipFactory(account=admin.account, seat_type=SeatType.CORE)  # takes a free seat

    response = admin_client.post(reverse("invitations:create_user_review"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "You need 1 more Core seat." in page
    assert "Nobody was added." in page
    assert not User.objects.filter(email__in=["a@example.com", "b@example.com"]).exists()


def test_the_review_step_reports_an_address_that_joined_the_account_meanwhile(admin_client, admin):
    _typed(admin_client, "a@example.com b@example.com")
    _access(admin_client)
    MembershipFactory(account=admin.account, user__email="b@example.com", view_only=True)

    response = admin_client.post(reverse("invitations:create_user_review"))

    assert response.status_code == 200
    assert response.context["refused"] == [("b@example.com", "Already a user in this account.")]
    assert not User.objects.filter(email="a@example.com").exists()


def test_make_super_admin_is_not_offered_to_a_users_admin(client, users_admin):
    client.force_login(users_admin.user)
    _typed(client, "boss@example.com")

    response = _access(client, mode=AccessMode.SUPER_ADMIN)

    assert response.status_code == 200
    assert response.context["form"].errors["mode"]
    assert "Make super admin" not in response.content.decode()


def test_a_users_admin_cannot_grant_a_template_with_permissions_they_lack(client, users_admin):
    client.force_login(users_admin.user)
    _typed(client, "new@example.com")

    response = _access(client, mode=AccessMode.TEMPLATE, template="builtin:admin")

    assert response.status_code == 200
    assert "You can&#x27;t grant permissions you don&#x27;t have yourself" in (
        response.content.decode()
    )
    # Nothing was chosen: the review step sends back to the start.
    review = client.get(reverse("invitations:create_user_review"))
    assert review.url == reverse("invitations:create_user")
