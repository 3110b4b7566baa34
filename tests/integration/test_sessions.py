"""Sessions across web processes, on real ones: a session lives in PostgreSQL and is read with
the person signed in to it (accounts.sessions), so signing in through one gunicorn process opens
the pages of every other, and signing out through any of them closes the session for all at
once: a copy of the cookie opens nothing anywhere afterwards."""

import re

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.urls import reverse

from tests.factories import PASSWORD, MembershipFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# The pages as served without collectstatic (the manifest storage wants it run first).
PAGES = {"STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage"}

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def page(browser: requests.Session, port: int, name: str) -> requests.Response:
    return browser.get(f"http://127.0.0.1:{port}{reverse(name)}", allow_redirects=False)


def submit(browser: requests.Session, port: int, name: str, form_page: str, **data):
    """Posts data to `name` as its form would, with the CSRF token of the page `form_page`."""
    token = CSRF.search(page(browser, port, form_page).text)[1]
    return browser.post(
        f"http://127.0.0.1:{port}{reverse(name)}",
        data={"csrfmiddlewaretoken": token, **data},
        allow_redirects=False,
    )


def test_a_session_opened_on_one_process_is_closed_on_every_process_by_signing_out(web):
    member = MembershipFactory(super_admin=True, account__name="Acme Rockets")
    # Hashed as the web processes check it (the tests' own hasher is a fast one they don't know).
    hasher = PBKDF2PasswordHasher()
    member.user.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    member.user.save(update_fields=["password"])
    one, other = web(**PAGES), web(**PAGES)
    browser = requests.Session()

    signed_in = submit(
        browser,
        one.port,
        "accounts:login",
        "accounts:login",
        username=member.user.email,
        password=PASSWORD,
    )
    assert signed_in.status_code == 302
    stolen = browser.cookies["sessionid"]
    on_the_other = page(browser, other.port, "seats:users")
    assert on_the_other.status_code == 200
    assert "Acme Rockets" in on_the_other.text

    signed_out = submit(browser, other.port, "accounts:logout", "seats:users")
    assert signed_out.status_code == 302
    copy = requests.Session()
    copy.cookies.set("sessionid", stolen)

    for port in (one.port, other.port):
        answer = page(copy, port, "seats:users")
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith(reverse("accounts:login"))
