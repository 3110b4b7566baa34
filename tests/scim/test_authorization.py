"""Who may call /scim/v2/: only a live key of scope "scim", for its own account. Every endpoint
and method refuses the others: a 401 without a live key (none, a wrong secret, a revoked key, a
browser's session), a 403 for a live key of another scope; another account's ids are not found
(404, nothing changed there)."""

import json

import pytest
from django.test import Client

from accounts.models import AuditEvent, Membership, MembershipStatus, Team
from accounts.teams.services import team_create
from api.models import ApiScope
from api.services import api_key_create, api_key_revoke
from tests.api.conftest import subscribed_account, token_for
from tests.factories import MembershipFactory
from tests.scim.conftest import SCIM, ScimClient, patch_body, scim_token, user_body

GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


@pytest.fixture
def ids(admin) -> dict[str, str]:
    """A user and a team of Initech, for the endpoints that take an id."""
    member = MembershipFactory(account=admin.account, user__email="ivy@initech.example")
    team = team_create(account=admin.account, name="Ops", actor=admin.user)
    return {"user": str(member.pk), "group": str(team.pk)}


def calls(ids: dict[str, str]) -> list[tuple[str, str, dict | None]]:
    """Every endpoint with every method it answers."""
    user, group = f"Users/{ids['user']}", f"Groups/{ids['group']}"
    rename = patch_body({"op": "replace", "path": "displayName", "value": "Renamed"})
    return [
        ("get", "", None),
        ("get", "ServiceProviderConfig", None),
        ("get", "ResourceTypes", None),
        ("get", "ResourceTypes/User", None),
        ("get", "Schemas", None),
        ("get", "Schemas/urn:ietf:params:scim:schemas:core:2.0:User", None),
        ("get", "Users", None),
        ("post", "Users", user_body("new@initech.example")),
        ("get", user, None),
        ("put", user, user_body("ivy@initech.example")),
        ("patch", user, patch_body({"op": "replace", "value": {"active": False}})),
        ("delete", user, None),
        ("get", "Groups", None),
        ("post", "Groups", {"schemas": [GROUP_SCHEMA], "displayName": "New"}),
        ("get", group, None),
        ("put", group, {"schemas": [GROUP_SCHEMA], "displayName": "Put"}),
        ("patch", group, rename),
        ("delete", group, None),
    ]


def send(client: Client, method: str, path: str, body):
    if method == "get":
        return client.get(f"/scim/v2/{path}")
    data = json.dumps(body) if body is not None else ""
    return getattr(client, method)(f"/scim/v2/{path}", data, content_type=SCIM)


def wrong_secret(admin) -> str:
    token = scim_token(admin)
    return token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")


def revoked(admin) -> str:
    created = api_key_create(actor_membership=admin, name="Old", scopes=["scim"], expires_on=None)
    api_key_revoke(key=created.key, actor_membership=admin)
    return created.token


def every_scope_but_scim(admin) -> str:
    return token_for(admin, scopes=[s.value for s in ApiScope if s != ApiScope.SCIM])


# Who is refused, and how: no live key is a 401 (with WWW-Authenticate); a live key of the
# account without the scope "scim" is known but not allowed, a 403.
REFUSED = {
    "no key": (lambda admin: None, 401),
    "wrong secret": (wrong_secret, 401),
    "revoked key": (revoked, 401),
    "every scope but scim": (every_scope_but_scim, 403),
}


@pytest.mark.parametrize("who", REFUSED)
def test_every_endpoint_refuses_anyone_without_a_live_scim_key(admin, ids, who):
    make_token, status = REFUSED[who]
    client = ScimClient(make_token(admin)).client
    members, teams = Membership.objects.count(), Team.objects.count()
    events = AuditEvent.objects.count()

    for method, path, body in calls(ids):
        answer = send(client, method, path, body)
        assert answer.status_code == status, (method, path, answer.content)
        assert answer["Content-Type"].startswith(SCIM)
        assert answer.json()["status"] == str(status)
        if status == 401:
            assert answer["WWW-Authenticate"].startswith("Bearer")

    assert (Membership.objects.count(), Team.objects.count()) == (members, teams)
    assert AuditEvent.objects.count() == events
    assert Membership.objects.get(pk=ids["user"]).status != MembershipStatus.DEACTIVATED


def test_a_scim_key_is_let_in_everywhere(admin, ids):
    client = ScimClient(scim_token(admin)).client

    for method, path, body in calls(ids):
        answer = send(client, method, path, body)
        assert answer.status_code != 401, (method, path, answer.content)
        assert answer.status_code < 500, (method, path, answer.content)


def test_a_signed_in_session_alone_is_not_enough(admin, ids):
    browser = Client()
    browser.force_login(admin.user)

    for method, path, body in calls(ids):
        answer = send(browser, method, path, body)
        assert answer.status_code == 401, (method, path, answer.content)

    assert Team.objects.filter(pk=ids["group"], name="Ops").exists()


def test_another_accounts_ids_are_not_found_and_nothing_changes_there(admin):
    globex = subscribed_account("Globex")
    boss = MembershipFactory(account=globex, super_admin=True)
    theirs = MembershipFactory(account=globex, user__email="gil@globex.example", first_name="Gil")
    team = team_create(account=globex, name="Globex Ops", actor=boss.user)
    client = ScimClient(scim_token(admin)).client
    status = theirs.status
    events = AuditEvent.objects.filter(account=globex).count()

    for method, path, body in calls({"user": str(theirs.pk), "group": str(team.pk)}):
        if "/" not in path or path.split("/")[0] not in {"Users", "Groups"}:
            continue
        answer = send(client, method, path, body)
        assert answer.status_code == 404, (method, path, answer.content)
        assert answer.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]

    theirs.refresh_from_db()
    assert (theirs.account, theirs.first_name, theirs.status) == (globex, "Gil", status)
    assert Team.objects.get(pk=team.pk).name == "Globex Ops"
    assert AuditEvent.objects.filter(account=globex).count() == events
    # Nor are they listed, or found by a filter.
    listed = client.get("/scim/v2/Users", {"filter": 'userName eq "gil@globex.example"'})
    assert listed.json()["totalResults"] == 0
    assert "Globex Ops" not in str(client.get("/scim/v2/Groups").json())
