"""The JSON API's authorisation matrix: every operation × every scope, × no key, a wrong or
revoked key, × another account's ids. (The session pages' matrix is tests/security/; the API
takes no session, see test_v1.test_a_session_alone_is_not_a_credential.)"""

import itertools
from dataclasses import dataclass

import pytest
from django.test import Client

from accounts.models import Membership
from api.models import ApiKey, ApiScope
from api.services import api_key_revoke
from tests.api.conftest import bearer, subscribed_account, token_for
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # "{user}" stands for a user of the key's account
    scope: ApiScope
    ok: int


OPERATIONS = [
    Operation("GET", "/api/v1/users", ApiScope.USERS_READ, 200),
    Operation("GET", "/api/v1/users/{user}", ApiScope.USERS_READ, 200),
    Operation("POST", "/api/v1/users", ApiScope.USERS_WRITE, 201),
    Operation("GET", "/api/v1/seats", ApiScope.BILLING_READ, 200),
]


def test_every_operation_of_the_schema_is_in_the_matrix(client):
    schema = client.get("/api/v1/openapi.json").json()
    in_schema = {
        (method.upper(), path.replace("{user_id}", "{user}"))
        for path, methods in schema["paths"].items()
        for method in methods
    }
    assert in_schema == {(o.method, o.path) for o in OPERATIONS}


_counter = itertools.count()


def call(client: Client, operation: Operation, user: Membership):
    path = operation.path.replace("{user}", str(user.pk))
    if operation.method == "GET":
        return client.get(path)
    n = next(_counter)
    return client.post(
        path,
        {"users": [{"email": f"matrix{n}@example.com"}], "seat_type": "core"},
        content_type="application/json",
        headers={"Idempotency-Key": f"matrix-{n}"},
    )


CELLS = [(o, s) for o in OPERATIONS for s in ApiScope]


@pytest.mark.parametrize(
    ("operation", "scope"), CELLS, ids=[f"{o.method} {o.path}|{s.value}" for o, s in CELLS]
)
def test_a_key_with_one_scope_may_do_what_needs_it_and_gets_403_elsewhere(admin, operation, scope):
    client = Client(headers=bearer(token_for(admin, scopes=[scope])))
    users_before = Membership.objects.count()

    response = call(client, operation, admin)

    expected = operation.ok if scope == operation.scope else 403
    assert response.status_code == expected, response.content
    assert response["Content-Type"].startswith(
        "application/json" if expected < 400 else "application/problem+json"
    )
    if expected == 403:
        assert Membership.objects.count() == users_before


def _revoked(admin) -> str:
    token = token_for(admin)
    api_key_revoke(key=ApiKey.objects.latest("pk"), actor_membership=admin)
    return token


CREDENTIALS = {
    "no key": lambda admin: None,
    "not a token": lambda admin: "hello",
    "a wrong secret": lambda admin: token_for(admin)[:-4] + "AAAA",
    "a revoked key": _revoked,
}


@pytest.mark.parametrize("operation", OPERATIONS, ids=[f"{o.method} {o.path}" for o in OPERATIONS])
@pytest.mark.parametrize("credential", CREDENTIALS)
def test_without_a_live_key_every_operation_is_a_401_and_writes_nothing(
    admin, operation, credential
):
    token = CREDENTIALS[credential](admin)
    client = Client(headers=bearer(token)) if token else Client()
    users_before = Membership.objects.count()

    response = call(client, operation, admin)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert Membership.objects.count() == users_before


ID_OPERATIONS = [o for o in OPERATIONS if "{user}" in o.path]


@pytest.mark.parametrize("operation", ID_OPERATIONS, ids=[o.path for o in ID_OPERATIONS])
def test_another_accounts_ids_are_a_404(admin, operation):
    other = MembershipFactory(account=subscribed_account("Globex"))
    client = Client(headers=bearer(token_for(admin)))

    response = call(client, operation, other)

    assert response.status_code == 404
