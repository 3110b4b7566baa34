"""The "Create user" wizard (invitations/views/create_user.py) over HTTP with Django's test client:
who, access, review and created, connecting Salesforce, and who may use the staff pages.
DOMAIN.md section 4. The world is tests/invitations/conftest.py's: 3 free Core seats.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import InvitationState, Membership, MembershipStatus, SeatType, User
from invitations.models import SalesforceConnection
from invitations.views.create_user import WIZARD_KEY
from seats.permissions.choice import AccessMode
from tests.factories import MembershipFactory
from tests.invitations.helpers import NOW
from tests.invitations.views.helpers import _nothing_changed_for, invitation_emails, invite
from tests.invitations.views.test_links import ACTIONS as LINK_ACTIONS

pytestmark = pytest.mark.django_db


# --- Who may use the staff pages -----------------------------------------------------------------

# This room's pages, then the links room's actions (test_links.py): the rules are the same for
# all, so they are proved here once over all of them.
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
    *LINK_ACTIONS,
]


def _staff_url(name: str, takes_id: bool, membership: Membership) -> str:
    return reverse(name, kwargs={"membership_id": membership.pk}) if takes_id else reverse(name)


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
