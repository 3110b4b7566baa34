"""Requesting a matrix cell and reading its answer as one of the matrix's outcomes."""

from urllib.parse import parse_qs, urlencode, urlsplit

from django.test import Client
from django.urls import reverse

from invitations.views.accept import SESSION_CODE_KEY
from invitations.views.create_user import CREATED_KEY, WIZARD_KEY
from tests.invitations.views.helpers import mailbox_proof
from tests.security.authorization_matrix import (
    ALLOWED,
    ANONYMOUS,
    BAD_REQUEST,
    FORBIDDEN,
    LOGIN,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    Endpoint,
)
from tests.security.world import AccountWorld, World


def client_for(world: World, role: str, *, enforce_csrf_checks: bool = False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    if role != ANONYMOUS:
        client.force_login(world.members[role].user)
    return client


def url_for(name: str, endpoint: Endpoint, objects: AccountWorld) -> str:
    url = reverse(name, kwargs=endpoint.kwargs(objects))
    query = urlencode(endpoint.query(objects), doseq=True)
    return f"{url}?{query}" if query else url


def _session_set(client: Client, **values) -> None:
    session = client.session
    session.update(values)
    session.save()


def _invitation_opened(client: Client, objects: AccountWorld) -> None:
    client.get(reverse("invitations:open", kwargs={"token": objects.invite_token}))
    if "_auth_user_id" not in client.session:
        # A copied link: signed out, the invitee first confirms the address with the code
        # emailed to it (invitations.services.codes), then sees the join form.
        proof = mailbox_proof(objects.invite_token, objects.invited.user.email)
        _session_set(client, **{SESSION_CODE_KEY: proof})


def _create_user_started(client: Client, objects: AccountWorld) -> None:
    """ "Create user" up to its last step: one new person, a Core seat, the seat's defaults."""
    access = {"seat_type": "core", "mode": "defaults", "template": "", "permissions": {}}
    state = {
        "account_id": objects.account.pk,
        "people": [["new.person@acme.example", "New", "Person"]],
        "access": {**access, "send_email": False},
    }
    _session_set(client, **{WIZARD_KEY: state})


def _users_created(client: Client, objects: AccountWorld) -> None:
    _session_set(client, **{CREATED_KEY: [objects.target.pk]})


PREPARE = {
    "invitation_opened": _invitation_opened,
    "create_user_started": _create_user_started,
    "users_created": _users_created,
}


def prepare(client: Client, endpoint: Endpoint, objects: AccountWorld) -> None:
    if endpoint.prepare is not None:
        PREPARE[endpoint.prepare](client, objects)


def request(client: Client, method: str, url: str, data: dict | None = None):
    """GET or POST, reading a streamed body to its end (an error inside it is a failure too)."""
    response = client.get(url) if method == "GET" else client.post(url, data or {})
    if response.streaming:
        b"".join(response.streaming_content)
    return response


def described(response) -> str:
    location = response.get("Location")
    return f"{response.status_code}" + (f" -> {location}" if location else "")


def is_sign_in_redirect(response, path: str) -> bool:
    if response.status_code != 302:
        return False
    location = urlsplit(response["Location"])
    return location.path == reverse("accounts:login") and parse_qs(location.query).get("next") == [
        path
    ]


def assert_outcome(response, expected: str, *, path: str, redirect_to: str | None = None):
    """`response` is what the matrix's `expected` says for the requested full `path`;
    `redirect_to` is the exact path an allowed answer must redirect to, when that matters."""
    answer = described(response)
    if expected == LOGIN:
        assert is_sign_in_redirect(response, path), f"expected sign-in redirect, got {answer}"
    elif expected == FORBIDDEN:
        assert response.status_code == 403, f"expected 403, got {answer}"
    elif expected == NOT_FOUND:
        assert response.status_code == 404, f"expected 404, got {answer}"
    elif expected == METHOD_NOT_ALLOWED:
        assert response.status_code == 405, f"expected 405, got {answer}"
    elif expected == BAD_REQUEST:
        assert response.status_code == 400, f"expected 400, got {answer}"
    elif redirect_to is not None:
        assert expected == ALLOWED, expected
        assert response.status_code == 302, f"expected a redirect to {redirect_to}, got {answer}"
        assert urlsplit(response["Location"]).path == redirect_to, (
            f"expected a redirect to {redirect_to}, got {answer}"
        )
    else:
        assert expected == ALLOWED, expected
        assert response.status_code in (200, 302), f"expected allowed, got {answer}"
        if response.status_code == 302:
            # Not sent to sign in, nor to the account chooser (no current account).
            refusals = {reverse("accounts:login"), reverse("accounts:choose_account")}
            assert urlsplit(response["Location"]).path not in refusals, (
                f"expected allowed, got {answer}"
            )
