"""Cross-tenant identity on the pages (issue 13, point 3): a copied link asks for a code emailed
to the address before it shows or sets anything about the person; the Users pages of an account
show the name that account typed until the person joins it.

Initech (`admin`, `admin_client`) and Globex (`globex_admin`) both invite sam@example.com.
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import MembershipStatus
from invitations.models import MailboxCode
from invitations.parsing import ParsedPerson
from invitations.services.members import members_invite
from seats.permissions.choice import AccessChoice, AccessMode
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.invitations.helpers import subscribed_account
from tests.invitations.views.helpers import (
    ACCEPT,
    NEW_PASSWORD,
    code_request,
    confirm_mailbox,
    copied_link,
    mailbox_codes_to,
    new_person_form,
    status_of,
)

pytestmark = pytest.mark.django_db

EMAIL = "sam@example.com"


@pytest.fixture
def globex_admin():
    account = subscribed_account()
    account.name = "Globex"
    account.save()
    return MembershipFactory(account=account, super_admin=True, user__email="boss@globex.example")


def invite_named(actor, email=EMAIL, first="", last=""):
    [membership] = members_invite(
        account=actor.account,
        actor_membership=actor,
        people=[ParsedPerson(email, first, last)],
        seat_type="core",
        access=AccessChoice(mode=AccessMode.DEFAULTS),
        send_email=False,
    ).memberships
    return membership


def page_of(response) -> str:
    return response.content.decode()


# --- (a) A copied link shows and sets nothing before the mailbox is confirmed -----------------


def test_initechs_admin_opening_initechs_copied_link_cannot_set_the_password_globex_invited(
    client, admin, globex_admin
):
    invite_named(globex_admin, first="Bea", last="Globex")
    at_initech = invite_named(admin)

    page = page_of(client.get(copied_link(admin, at_initech), follow=True))
    client.post(ACCEPT, new_person_form(first_name="Chosen", last_name="ByInitech"))

    assert "Set password and join" not in page
    assert 'name="password1"' not in page
    assert "Bea" not in page and "Globex" not in page
    person = at_initech.user
    person.refresh_from_db()
    assert not person.has_usable_password()
    assert person.first_name != "Chosen"
    assert status_of(at_initech) == MembershipStatus.INVITED


def test_a_copied_link_asks_to_confirm_the_address_with_an_emailed_code(client, admin):
    page = page_of(client.get(copied_link(admin, invite_named(admin)), follow=True))

    assert "Join Initech" in page
    assert "confirm that this address is yours" in page
    assert "Email me a code" in page
    assert mail.outbox == []  # opening the page (a link preview, say) sends nothing


def test_an_address_with_a_sign_in_elsewhere_looks_exactly_like_a_new_one(client, admin):
    UserFactory(email="known@example.com", first_name="Known", last_name="Elsewhere")
    known = invite_named(admin, email="known@example.com")
    new = invite_named(admin, email="new@example.com")

    known_page = page_of(Client().get(copied_link(admin, known), follow=True))
    new_page = page_of(Client().get(copied_link(admin, new), follow=True))

    def without_address_and_csrf(page, email):
        page = page.replace(email, "ADDRESS")
        return [line for line in page.splitlines() if "csrfmiddlewaretoken" not in line]

    assert without_address_and_csrf(known_page, "known@example.com") == without_address_and_csrf(
        new_page, "new@example.com"
    )
    assert "Known" not in known_page and "sign-in" not in known_page


def test_after_the_code_the_new_person_sets_a_password_with_the_name_this_account_typed(
    client, admin, globex_admin
):
    invite_named(globex_admin, first="Bea", last="Globex")
    at_initech = invite_named(admin, first="Sam", last="Initech")
    client.get(copied_link(admin, at_initech))

    code_request(client)
    sent_page = page_of(client.get(ACCEPT))
    confirm_mailbox(client, EMAIL)
    join_page = page_of(client.get(ACCEPT))
    response = client.post(ACCEPT, new_person_form(first_name="Samantha", last_name="Own"))

    assert "We've emailed a 6-digit code to sam@example.com" in sent_page
    assert 'value="Sam"' in join_page and 'value="Initech"' in join_page
    assert "Bea" not in join_page
    assert response.url == reverse("accounts:home")
    assert status_of(at_initech) == MembershipStatus.ACTIVE
    at_initech.user.refresh_from_db()
    assert at_initech.user.check_password(NEW_PASSWORD)
    assert at_initech.user.full_name == "Samantha Own"


def test_a_person_with_a_password_signs_in_after_the_code_and_the_link_never_sets_one(
    client, admin
):
    person = UserFactory(email=EMAIL)
    membership = invite_named(admin)
    client.get(copied_link(admin, membership))
    confirm_mailbox(client, EMAIL)

    page = page_of(client.get(ACCEPT))
    client.post(ACCEPT, new_person_form())

    assert "Sign in and join" in page
    person.refresh_from_db()
    assert person.check_password(PASSWORD)
    assert client.post(ACCEPT, {"password": PASSWORD}).url == reverse("accounts:home")
    assert status_of(membership) == MembershipStatus.ACTIVE


def test_an_emailed_link_needs_no_code(client, admin, django_capture_on_commit_callbacks):
    from tests.invitations.views.helpers import LINK, invitation_emails, invite

    with django_capture_on_commit_callbacks(execute=True):
        [membership] = invite(admin, EMAIL)
    [message] = invitation_emails()
    client.get(LINK.search(message.body).group(1))

    page = page_of(client.get(ACCEPT))

    assert "Set a password for sam@example.com" in page
    assert "Email me a code" not in page
    client.post(ACCEPT, new_person_form())
    assert status_of(membership) == MembershipStatus.ACTIVE


def test_signed_in_as_the_invitee_a_copied_link_needs_no_code(client, admin):
    person = UserFactory(email=EMAIL)
    membership = invite_named(admin)
    client.force_login(person)
    client.get(copied_link(admin, membership))

    assert client.post(ACCEPT).url == reverse("accounts:home")
    assert status_of(membership) == MembershipStatus.ACTIVE


# --- (d) The code on the page ----------------------------------------------------------------


def _opened_with_code_sent(client, admin):
    membership = invite_named(admin)
    client.get(copied_link(admin, membership))
    code_request(client)
    return membership, mailbox_codes_to(EMAIL)[-1]


def test_a_code_used_in_one_browser_is_refused_in_another(client, admin):
    membership = invite_named(admin)
    path = copied_link(admin, membership)
    client.get(path)
    code_request(client)
    code = mailbox_codes_to(EMAIL)[-1]
    client.post(ACCEPT, {"code": code})
    other = Client()
    other.get(path)

    response = other.post(ACCEPT, {"code": code})

    assert response.context["form"].errors["code"] == [
        "That code has already been used. Send a new code to continue."
    ]
    other.post(ACCEPT, new_person_form())
    membership.user.refresh_from_db()
    assert not membership.user.has_usable_password()


def test_a_wrong_code_is_an_error_at_the_field(client, admin):
    membership, code = _opened_with_code_sent(client, admin)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    response = client.post(ACCEPT, {"code": wrong})

    assert response.status_code == 200
    assert response.context["form"].errors["code"] == [
        "That code is not right. Check the latest email we sent and try again."
    ]
    assert 'aria-invalid="true"' in page_of(response)
    assert status_of(membership) == MembershipStatus.INVITED


def test_an_empty_code_is_an_error_at_the_field(client, admin):
    _opened_with_code_sent(client, admin)

    response = client.post(ACCEPT, {"code": ""})

    assert response.context["form"].errors["code"] == ["This field is required."]


def test_an_expired_code_says_so_and_a_new_one_works(client, admin, clock):
    _membership, code = _opened_with_code_sent(client, admin)
    clock.shift(timedelta(minutes=11))

    response = client.post(ACCEPT, {"code": code})

    assert response.context["form"].errors["code"] == [
        "That code has expired. Send a new code and use the one in the new email."
    ]
    code_request(client)
    client.post(ACCEPT, {"code": mailbox_codes_to(EMAIL)[-1]})
    assert "Set password and join" in page_of(client.get(ACCEPT))


def test_a_fourth_code_within_fifteen_minutes_is_refused_at_the_field(client, admin):
    _opened_with_code_sent(client, admin)
    code_request(client)
    code_request(client)

    response = code_request(client)

    assert response.status_code == 200
    [error] = response.context["form"].errors["code"]
    assert error.startswith("We've already emailed several codes to this address.")
    assert len(mailbox_codes_to(EMAIL)) == 3
    assert MailboxCode.objects.count() == 3


# --- (b) Names on the inviting account's pages -----------------------------------------------


def test_initechs_users_pages_show_the_name_initech_typed_never_globexs(
    admin_client, admin, globex_admin
):
    invite_named(globex_admin, first="Bea", last="Globex")
    at_initech = invite_named(admin, first="Alex", last="Initech")

    users = page_of(admin_client.get(reverse("seats:users")))
    user = page_of(admin_client.get(reverse("seats:user", args=[at_initech.pk])))
    export = b"".join(admin_client.get(reverse("seats:users_export")).streaming_content).decode()
    search = page_of(admin_client.get(reverse("seats:users"), {"q": "Bea"}))

    for page in (users, user, export):
        assert "Alex Initech" in page
        assert "Bea" not in page
    assert EMAIL not in search


def test_initech_sees_only_the_address_when_it_typed_no_name(admin_client, admin, globex_admin):
    invite_named(globex_admin, first="Bea", last="Globex")
    at_initech = invite_named(admin)

    user = page_of(admin_client.get(reverse("seats:user", args=[at_initech.pk])))

    assert "Bea" not in user and EMAIL in user
