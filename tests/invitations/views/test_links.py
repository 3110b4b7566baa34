"""An admin's actions on an invited member's links (invitations/views/links.py) over HTTP with
Django's test client: copy invite link, resend, revoke, and the invitation status they leave on
the Users list. DOMAIN.md section 5.
"""

import html
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Account, Membership, MembershipStatus, SeatType
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services.subscriptions import subscription_start
from invitations.models import Invitation
from invitations.services.links import invitation_accept, invitation_revoke
from tests.factories import AccountFactory, MembershipFactory
from tests.invitations.helpers import NOW
from tests.invitations.views.helpers import (
    ACCEPT,
    LINK,
    _nothing_changed_for,
    copied_link,
    invitation_emails,
    invite,
    invited_with_link,
    new_person_form,
    open_as_invitee,
    status_of,
)

pytestmark = pytest.mark.django_db


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


def emailed_link(capture, admin: Membership, email: str = "new@example.com"):
    """Invite one person; return their membership and the path of the link in their email."""
    with capture(execute=True):
        [membership] = invite(admin, email)
    [message] = [m for m in invitation_emails() if m.to == [email]]
    return membership, LINK.search(message.body).group(1)


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
    open_as_invitee(invitee, LINK.fullmatch(url).group(1), "bob@example.com")
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


def test_resend_invite_sends_three_emails_per_member_per_hour_then_says_to_wait(
    admin_client, admin, django_capture_on_commit_callbacks
):
    membership, _path = emailed_link(django_capture_on_commit_callbacks, admin)
    url = reverse("invitations:invite_resend", kwargs={"membership_id": membership.pk})

    for _attempt in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(url, follow=True)

    assert len(invitation_emails()) == 1 + 3
    assert (
        "Too many invitations were sent to new@example.com: try again in an hour."
        in html.unescape(response.content.decode())
    )
    assert Invitation.objects.filter(membership=membership).count() == 1 + 3


def test_the_resend_invite_limit_is_per_member(
    admin_client, admin, django_capture_on_commit_callbacks
):
    first, _path = emailed_link(django_capture_on_commit_callbacks, admin)
    second, _path = emailed_link(django_capture_on_commit_callbacks, admin, "two@example.com")
    for _attempt in range(4):
        with django_capture_on_commit_callbacks(execute=True):
            admin_client.post(
                reverse("invitations:invite_resend", kwargs={"membership_id": first.pk})
            )

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("invitations:invite_resend", kwargs={"membership_id": second.pk}))

    assert [m.to for m in invitation_emails()].count(["two@example.com"]) == 2


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


def test_revoke_invite_says_the_paid_seat_is_released_before_and_after(
    admin_client, admin, django_capture_on_commit_callbacks
):
    membership, _path = emailed_link(django_capture_on_commit_callbacks, admin)
    url = reverse("invitations:invite_revoke", kwargs={"membership_id": membership.pk})

    confirm = html.unescape(admin_client.get(url).content.decode())
    assert "Their Core seat will be released, so you can give it to someone else." in confirm

    response = admin_client.post(url, follow=True)

    assert "Their Core seat was released and is free for someone else." in html.unescape(
        response.content.decode()
    )
    assert Membership.objects.get(pk=membership.pk).seat_type == SeatType.VIEW_ONLY


def test_a_users_admin_is_told_only_a_super_admin_revokes_a_super_admins_invite(
    client, admin, users_admin
):
    invited = MembershipFactory(
        account=admin.account, invited=True, super_admin=True, user__email="boss@example.com"
    )
    client.force_login(users_admin.user)

    response = client.post(
        reverse("invitations:invite_revoke", kwargs={"membership_id": invited.pk}), follow=True
    )

    assert "Only a super admin can change a super admin." in html.unescape(
        response.content.decode()
    )
    invited.refresh_from_db()
    assert (invited.invite_revoked_at, invited.seat_type) == (None, SeatType.CORE)


def test_revoke_invite_for_a_member_who_joined_changes_nothing(admin_client, admin):
    member = MembershipFactory(
        account=admin.account,
        user__email="joined@example.com",
        user__first_name="Joan",
        user__last_name="Ide",
    )

    response = admin_client.post(
        reverse("invitations:invite_revoke", kwargs={"membership_id": member.pk}), follow=True
    )

    # A confirmation names the person by name when they have one.
    assert "Joan Ide has already joined." in response.content.decode()
    assert Membership.objects.get(pk=member.pk).invite_revoked_at is None


# --- Invitation status on the Users page ---------------------------------------------------------


def _row(page: str, email: str) -> str:
    """The Users list's row of this address (shown under the name, or as the link)."""
    rows = page.split("<tr>")
    [row] = [
        chunk for chunk in rows if re.search(rf'data-field="email">{re.escape(email)}<', chunk)
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

    def invitation(email: str) -> str:
        found = re.search(r'data-field="invitation">([^<]*)<', _row(page, email))
        return found.group(1) if found else ""

    assert invitation("pending@example.com") == "Pending"
    assert invitation("expired@example.com") == "Expired"
    assert invitation("revoked@example.com") == "Revoked"
    assert invitation("not.sent@example.com") == "No invite sent"


def test_the_users_page_shows_active_once_the_invitee_joined(admin_client, admin):
    membership, path = invited_with_link(admin, "joined@example.com")
    invitation_accept(token=path.split("/")[-2], user=membership.user)

    page = admin_client.get(reverse("seats:users")).content.decode()

    row = _row(page, "joined@example.com")
    assert 'class="status status-active">Active<' in row
    assert "invite-" not in row  # accepted: no invitation state under "Active"


# --- Who may use these actions -------------------------------------------------------------------

# This room's actions: (method, URL name, takes a membership id). Who may use them, signed out or
# without "Add and edit users", is proved once with the "Create user" pages (test_create_user.py).
ACTIONS = [
    ("post", "invitations:invite_link_copy", True),
    ("post", "invitations:invite_resend", True),
    ("get", "invitations:invite_revoke", True),
    ("post", "invitations:invite_revoke", True),
]


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
