"""The JSON API's authorisation matrix: every operation × every scope, × no key, a wrong or
revoked key, × every role of a signed-in member, × another account's ids. (The pages' matrix is
tests/security/.) The operations are tests/api/operations, checked against the live schema."""

import pytest
from django.test import Client

from accounts.models import AuditEvent, Membership, SeatType
from accounts.policy import ON, AccountPermission
from api.models import ApiKey, ApiScope
from api.services import api_key_revoke
from api.v1.base import SCOPE_RIGHTS
from seats.catalogue import seat_default_permissions
from tests.api.conftest import bearer, subscribed_account, token_for
from tests.api.operations import call, operations
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

OPERATIONS = operations()


def writes(account) -> tuple[int, int]:
    """What a refused call must not have changed: the account's members and its audit log."""
    return (
        Membership.objects.filter(account=account).count(),
        AuditEvent.objects.filter(account=account).count(),
    )


def test_every_operation_of_the_schema_is_in_the_matrix(client):
    schema = client.get("/api/v1/openapi.json").json()
    in_schema = {
        (method.upper(), path, operation["x-required-scope"])
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }
    # The matrix names ids by what they are ({user}), the schema by its parameter ({user_id}).
    in_matrix = {(o.method, o.path.replace("}", "_id}"), o.scope.value) for o in OPERATIONS}
    assert in_schema == in_matrix


CELLS = [(o, s) for o in OPERATIONS for s in ApiScope]


@pytest.mark.parametrize(("operation", "scope"), CELLS, ids=[f"{o.label}|{s}" for o, s in CELLS])
def test_a_key_with_one_scope_may_do_what_needs_it_and_gets_403_elsewhere(admin, operation, scope):
    client = Client(headers=bearer(token_for(admin, scopes=[scope])))
    ids = operation.ids(admin)
    before = writes(admin.account)

    response = call(client, operation, admin, ids=ids)

    expected = operation.ok if scope == operation.scope else 403
    assert response.status_code == expected, response.content
    content_type = response.get("Content-Type", "")
    if expected == 204:
        assert not response.content
    else:
        assert content_type.startswith(
            "application/json" if expected < 400 else "application/problem+json"
        )
    if expected == 403:
        assert writes(admin.account) == before


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


@pytest.mark.parametrize("operation", OPERATIONS, ids=[o.label for o in OPERATIONS])
@pytest.mark.parametrize("credential", CREDENTIALS)
def test_without_a_live_key_every_operation_is_a_401_and_writes_nothing(
    admin, operation, credential
):
    token = CREDENTIALS[credential](admin)
    client = Client(headers=bearer(token)) if token else Client()
    ids = operation.ids(admin)
    before = writes(admin.account)

    response = call(client, operation, admin, ids=ids)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert writes(admin.account) == before


# A signed-in member's rights, by role (on a Core seat with its defaults, plus the role's
# Account toggle): what the same page would let them do.
ROLES: dict[str, AccountPermission | None] = {
    "super admin": None,
    "users admin": AccountPermission.USERS,
    "teams admin": AccountPermission.TEAMS,
    "billing admin": AccountPermission.BILLING,
    "member": None,
}


def member_in_role(account, role: str) -> Membership:
    if role == "super admin":
        return MembershipFactory(account=account, super_admin=True)
    toggle = ROLES[role]
    permissions = seat_default_permissions(SeatType.CORE)
    if toggle is not None:
        permissions[toggle.value] = ON
    return MembershipFactory(account=account, permissions=permissions)


def role_may(role: str, scope: ApiScope) -> bool:
    return role == "super admin" or SCOPE_RIGHTS[scope] == ROLES[role]


ROLE_CELLS = [(o, r) for o in OPERATIONS for r in ROLES]


@pytest.mark.parametrize(
    ("operation", "role"), ROLE_CELLS, ids=[f"{o.label}|{r}" for o, r in ROLE_CELLS]
)
def test_a_signed_in_member_may_do_what_their_role_allows_and_gets_403_elsewhere(
    account, admin, operation, role
):
    member = member_in_role(account, role)
    client = Client()
    client.force_login(member.user)
    ids = operation.ids(admin)
    before = writes(account)

    response = call(client, operation, admin, ids=ids)

    expected = operation.ok if role_may(role, operation.scope) else 403
    assert response.status_code == expected, response.content
    if expected == 403:
        assert response.json()["type"] == "urn:seatmgr:problem:scope_missing"
        assert writes(account) == before


ID_OPERATIONS = [o for o in OPERATIONS if o.names_objects]


@pytest.mark.parametrize("operation", ID_OPERATIONS, ids=[o.label for o in ID_OPERATIONS])
def test_another_accounts_ids_are_a_404_and_change_nothing_there(admin, operation):
    other_admin = MembershipFactory(account=subscribed_account("Globex"), super_admin=True)
    ids = operation.ids(other_admin)
    before = writes(other_admin.account)
    client = Client(headers=bearer(token_for(admin)))

    response = call(client, operation, admin, ids=ids)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert writes(other_admin.account) == before
