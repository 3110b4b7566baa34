"""The product's own error pages, also with DEBUG on as `make run` sets it: a missing page is
"Page not found" (not Django's list of every URL), a crash "Something went wrong" (not a
traceback), an expired form "This form has expired". SEATMGR_DEBUG_ERROR_PAGES=1 brings Django's
technical pages back for a developer who asks for them."""

from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

# What Django's technical 404 page says; it then lists every URL pattern of the site.
TECHNICAL_404 = "Using the URLconf defined in"
TECHNICAL_500 = "Traceback"


@pytest.fixture
def embedded_default(settings):
    """`make run`: DEBUG=1, SEATMGR_DEBUG_ERROR_PAGES unset."""
    settings.DEBUG = True
    settings.SEATMGR_DEBUG_ERROR_PAGES = False
    return settings


@pytest.fixture
def member():
    return MembershipFactory(super_admin=True, user__email="ada@acme.example")


def test_the_embedded_default_does_not_ask_for_technical_pages():
    from django.conf import settings

    assert settings.SEATMGR_DEBUG_ERROR_PAGES is False


def test_an_unknown_address_shows_the_products_404_with_debug_on(client, embedded_default):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body
    assert TECHNICAL_404 not in body
    assert "settings/users/" not in body


def test_an_unknown_address_signed_in_shows_the_products_404_with_its_headers(
    client, embedded_default, member
):
    client.force_login(member.user)

    response = client.get("/settings/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert TECHNICAL_404 not in response.content.decode()
    # The page went through the other middleware: no caching of what a signed-in person sees.
    assert "no-store" in response["Cache-Control"]


def test_another_accounts_user_is_the_products_404_with_debug_on(client, embedded_default, member):
    stranger = MembershipFactory()
    client.force_login(member.user)

    response = client.get(reverse("seats:user", args=[stranger.pk]))

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "No Membership matches" not in response.content.decode()


def test_a_crash_shows_the_products_500_with_debug_on(embedded_default, member):
    client = Client(raise_request_exception=False)
    client.force_login(member.user)

    with mock.patch("accounts.views.landing_url", side_effect=RuntimeError("boom")):
        response = client.get(reverse("accounts:home"))

    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body
    assert TECHNICAL_500 not in body
    assert "boom" not in body


def test_the_technical_pages_come_back_when_asked_for(embedded_default, member):
    embedded_default.SEATMGR_DEBUG_ERROR_PAGES = True
    client = Client(raise_request_exception=False)

    assert TECHNICAL_404 in client.get("/no-such-page/").content.decode()

    client.force_login(member.user)
    with mock.patch("accounts.views.landing_url", side_effect=RuntimeError("boom")):
        response = client.get(reverse("accounts:home"))
    assert response.status_code == 500
    assert TECHNICAL_500 in response.content.decode()


def test_with_debug_off_the_products_pages_show_as_before(client, settings):
    settings.DEBUG = False

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_a_form_posted_without_its_token_shows_the_products_page(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)

    response = client.post(reverse("accounts:teams"), {"name": "Ops"})

    assert response.status_code == 403
    body = response.content.decode()
    assert "This form has expired" in body
    assert "Nothing was saved." in body
