"""Create user checks each step when it is submitted (issue 14, point 5): an address already in
the account at "Who", a Partner seat outside the partners' domains at "Assign a seat", the seat
preselected only where seats are free, a template limited to the seat (saying what it left out),
and "Buy more seats" leading to "Add seats" for the missing seats and back to the draft.

The world is tests/invitations/conftest.py's: Initech with 3 free Core seats; Ada its super admin.
"""

import html
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Access, Membership, SeatType, User
from invitations.services.salesforce import salesforce_connection_save
from invitations.views.create_user import WIZARD_KEY
from seats.catalogue import permissions_fit_seat
from seats.permission_sets.builtin import builtin_permission_set_get
from seats.permissions.choice import AccessMode
from tests.factories import MembershipFactory, PartnerDomainFactory

pytestmark = pytest.mark.django_db

WHO = reverse("invitations:create_user")
ACCESS = reverse("invitations:create_user_access")
REVIEW = reverse("invitations:create_user_review")


def typed(client, emails: str):
    return client.post(WHO, {"source": "typed", "emails": emails})


def assign(client, **fields):
    return client.post(
        ACCESS,
        {"seat_type": SeatType.CORE, "mode": AccessMode.DEFAULTS, "template": "", **fields},
    )


# --- "Who": an address already in the account --------------------------------------------------


def test_an_address_already_in_the_account_is_refused_where_it_is_typed(admin_client, admin):
    MembershipFactory(account=admin.account, user__email="grace@example.com", view_only=True)

    response = typed(admin_client, "new@example.com, Grace@Example.com")

    assert response.status_code == 200
    assert response.context["typed"].errors["emails"] == [
        "Already users of this account: grace@example.com. Remove them to continue."
    ]
    assert WIZARD_KEY not in admin_client.session  # not on to "Assign a seat"
    assert admin_client.get(ACCESS).url == WHO


def test_an_address_already_in_the_account_is_refused_when_the_csv_is_read(admin_client, admin):
    csv = SimpleUploadedFile(
        "people.csv", b"Email\nnew@example.com\nadmin@example.com\n", content_type="text/csv"
    )

    response = admin_client.post(WHO, {"source": "csv", "csv_file": csv})

    assert response.status_code == 200
    assert [(p.value, p.message) for p in response.context["problems"]] == [
        ("admin@example.com", "Already a user in this account.")
    ]
    assert admin_client.get(ACCESS).url == WHO


# --- "Assign a seat": partner domains, the preselected seat ------------------------------------


def test_a_partner_seat_outside_the_partner_domains_is_refused_at_the_seat(admin_client, admin):
    PartnerDomainFactory(domain="partner.example").partner.accounts.add(admin.account)
    typed(admin_client, "pat@partner.example, someone@elsewhere.example")

    response = assign(admin_client, seat_type=SeatType.PARTNER)

    assert response.status_code == 200
    [error] = response.context["form"].errors["seat_type"]
    assert "Not on a partner's domain: someone@elsewhere.example." in error
    assert admin_client.get(REVIEW).url == WHO  # nothing chosen
    assert not User.objects.filter(email="pat@partner.example").exists()


def test_a_partner_seat_on_the_partner_domain_goes_on_to_review(admin_client, admin):
    PartnerDomainFactory(domain="partner.example").partner.accounts.add(admin.account)
    typed(admin_client, "pat@partner.example")

    assert assign(admin_client, seat_type=SeatType.PARTNER).url == REVIEW


def test_assign_a_seat_starts_on_core_when_there_are_seats_for_everyone(admin_client, admin):
    typed(admin_client, "a@example.com b@example.com c@example.com")

    form = admin_client.get(ACCESS).context["form"]

    assert form["seat_type"].value() == SeatType.CORE


def test_assign_a_seat_starts_on_view_only_when_core_seats_are_short(admin_client, admin):
    typed(admin_client, " ".join(f"p{i}@example.com" for i in range(4)))  # 3 Core seats free

    page = admin_client.get(ACCESS)

    assert page.context["form"]["seat_type"].value() == SeatType.VIEW_ONLY
    assert "Core seat (3 available)" in page.content.decode()  # still offered, not chosen


# --- A template limited to the seat ------------------------------------------------------------


def test_a_template_on_a_view_only_seat_is_limited_and_says_what_it_left_out(admin_client, admin):
    typed(admin_client, "viewer@example.com")
    marketer = builtin_permission_set_get("marketer").permissions

    response = assign(
        admin_client,
        seat_type=SeatType.VIEW_ONLY,
        mode=AccessMode.TEMPLATE,
        template="builtin:marketer",
    )
    assert response.url == REVIEW
    review = admin_client.get(REVIEW)
    left_out = review.context["resolved"].left_out
    page = html.unescape(review.content.decode())

    assert left_out  # the Marketer template holds more than a View-only seat allows
    assert f"A View-only seat doesn't allow {len(left_out)} of the template's permissions" in page
    for change in left_out:
        assert f"{change.label}:" in page
        assert marketer[change.code] == change.before
    admin_client.post(REVIEW)
    member = Membership.objects.get(user__email="viewer@example.com")
    assert member.seat_type == SeatType.VIEW_ONLY
    assert permissions_fit_seat(member.permissions, SeatType.VIEW_ONLY)
    assert member.access == Access.CUSTOM  # no longer the template itself


def test_a_template_that_fits_the_seat_leaves_nothing_out(admin_client, admin):
    typed(admin_client, "core@example.com")
    assign(admin_client, mode=AccessMode.TEMPLATE, template="builtin:marketer")

    review = admin_client.get(REVIEW)

    assert review.context["resolved"].left_out == ()
    assert 'data-testid="left-out"' not in review.content.decode()


# --- "Buy more seats": Add seats for the missing type and count, then back to the draft --------


def test_buy_more_seats_links_to_add_seats_for_the_missing_ones_and_back_to_the_draft(
    admin_client, admin
):
    typed(admin_client, " ".join(f"p{i}@example.com" for i in range(5)))  # 2 Core seats short
    response = assign(admin_client, mode=AccessMode.TEMPLATE, template="builtin:marketer")
    page = response.content.decode()

    assert "You need 2 more Core seats." in page
    href = html.unescape(page.split('href="')[-1].split('">Buy more seats')[0])
    link = urlsplit(href)
    assert link.path == reverse("billing:seats_add", args=[SeatType.CORE])
    assert parse_qs(link.query) == {"quantity": ["2"], "next": [ACCESS]}
    # The draft is kept: back on "Assign a seat", the seat and the template chosen are there.
    draft = admin_client.get(ACCESS).context["form"]
    assert (draft["seat_type"].value(), draft["mode"].value(), draft["template"].value()) == (
        SeatType.CORE,
        AccessMode.TEMPLATE,
        "builtin:marketer",
    )


def test_a_salesforce_user_already_in_the_account_is_refused_where_they_are_picked(
    admin_client, admin, fake_salesforce
):
    salesforce_connection_save(
        account=admin.account,
        instance_url=fake_salesforce.url,
        access_token=fake_salesforce.token,
        actor=admin.user,
    )
    MembershipFactory(account=admin.account, user__email="grace.hopper@example.com")
    pick = reverse("invitations:create_user_salesforce")
    admin_client.get(pick)  # lists the Salesforce users

    response = admin_client.post(
        pick, {"emails": ["alan.turing@example.com", "grace.hopper@example.com"]}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["emails"] == [
        "Already users of this account: grace.hopper@example.com. Remove them to continue."
    ]
    assert admin_client.get(ACCESS).url == WHO
