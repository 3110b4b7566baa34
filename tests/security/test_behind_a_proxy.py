"""Behind a reverse proxy every request comes from the proxy's address: the client is the one
that the proxy names in X-Forwarded-For, believed only from an address in TRUSTED_PROXIES.
Sign-in lockout (django-axes) and the invitation and reset limiters key on that client."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from accounts.ratelimit import client_ip
from invitations.tokens import token_new
from tests.factories import PASSWORD, MembershipFactory

pytestmark = pytest.mark.django_db

PROXY = "192.0.2.10"
CLIENT_X, CLIENT_Y = "203.0.113.7", "198.51.100.9"
behind_the_proxy = override_settings(TRUSTED_PROXIES=[PROXY])


def via_proxy(client_address: str) -> dict:
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": client_address}


def sign_in(client, email, password, **meta):
    return client.post(reverse("accounts:login"), {"username": email, "password": password}, **meta)


@behind_the_proxy
def test_failures_for_made_up_addresses_from_one_client_do_not_lock_out_another():
    MembershipFactory(user__email="ada@example.com")
    attacker = Client()
    for number in range(5):
        sign_in(attacker, f"made-up-{number}@example.com", "wrong", **via_proxy(CLIENT_X))

    user = Client()
    response = sign_in(user, "ada@example.com", PASSWORD, **via_proxy(CLIENT_Y))

    assert response.status_code == 302
    assert "_auth_user_id" in user.session


@behind_the_proxy
def test_failures_for_made_up_addresses_do_not_lock_out_a_real_address_from_that_client():
    MembershipFactory(user__email="ada@example.com")
    client = Client()
    for number in range(5):
        sign_in(client, f"made-up-{number}@example.com", "wrong", **via_proxy(CLIENT_X))

    response = sign_in(client, "ada@example.com", PASSWORD, **via_proxy(CLIENT_X))

    assert response.status_code == 302
    assert "_auth_user_id" in client.session


@behind_the_proxy
def test_five_failures_for_an_address_from_one_client_still_lock_that_client_out():
    MembershipFactory(user__email="ada@example.com")
    client = Client()
    for _ in range(5):
        sign_in(client, "ada@example.com", "wrong", **via_proxy(CLIENT_X))

    response = sign_in(client, "ada@example.com", PASSWORD, **via_proxy(CLIENT_X))

    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@behind_the_proxy
def test_the_invitation_limiter_counts_each_client_behind_the_proxy():
    client = Client()
    bogus = reverse("invitations:open", kwargs={"token": token_new()})
    for _ in range(31):
        client.get(bogus, **via_proxy(CLIENT_X))

    assert client.get(bogus, **via_proxy(CLIENT_X)).status_code == 429
    assert client.get(bogus, **via_proxy(CLIENT_Y)).status_code == 404


def test_without_trusted_proxies_a_forged_forwarded_for_is_ignored(rf):
    request = rf.get("/", **via_proxy(CLIENT_X))
    assert client_ip(request) == PROXY


@behind_the_proxy
def test_a_forwarded_for_from_an_address_that_is_not_a_trusted_proxy_is_ignored(rf):
    request = rf.get("/", REMOTE_ADDR=CLIENT_Y, HTTP_X_FORWARDED_FOR=CLIENT_X)
    assert client_ip(request) == CLIENT_Y


@behind_the_proxy
def test_the_client_is_the_address_the_trusted_proxy_saw_not_what_the_client_prepended(rf):
    # The proxy appends the address it received from; anything left of it is the client's word.
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"1.2.3.4, {CLIENT_X}")
    assert client_ip(request) == CLIENT_X


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8", "192.0.2.0/24"])
def test_trusted_proxies_take_networks_and_skip_every_trusted_hop(rf):
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{CLIENT_X}, 10.1.2.3")
    assert client_ip(request) == CLIENT_X


@behind_the_proxy
def test_a_malformed_forwarded_for_falls_back_to_the_proxy(rf):
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="not-an-address")
    assert client_ip(request) == PROXY


def test_a_malformed_trusted_proxies_setting_stops_start_up():
    environment = {**os.environ, "TRUSTED_PROXIES": "192.0.2.10,192.0.2.0/33"}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    started = subprocess.run(
        [sys.executable, "-c", "import seatmgr.settings"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert started.returncode != 0
    assert "192.0.2.0/33" in started.stderr
