"""Proof of the authorisation matrix (tests/security/authorization_matrix.py) over every URL.

Each cell is one test named "<url name>|<role>": a GET, and for pages that take a form a POST
with a plausible body. A refused POST must leave every row of the database as it was; whatever
the super admin of another account posts, nothing of Acme changes. Ids of another account's
objects are a 404 whatever the verb.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Membership
from accounts.selectors import SESSION_ACCOUNT_KEY
from tests.factories import PASSWORD
from tests.security.authorization_matrix import (
    ALLOWED,
    ENDPOINTS,
    MATRIX,
    OTHER_ACCOUNT_SUPER_ADMIN,
    OUTCOMES,
    ROLES,
    SIGNED_IN_ROLES,
    SUPER_ADMIN,
    USERS_HOLDER,
)
from tests.security.probe import (
    assert_outcome,
    client_for,
    described,
    prepare,
    request,
    url_for,
)
from tests.security.world import snapshot, snapshot_difference

pytestmark = pytest.mark.django_db


# --- (a) The matrix covers every URL, and only URLs -------------------------------------------


def _url_names(resolver: URLResolver, namespace: str = ""):
    """(namespace, pattern) for every URL the resolver knows; nested namespaces joined by ":"."""
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _url_names(entry, ":".join(filter(None, (namespace, entry.namespace))))
        elif isinstance(entry, URLPattern):
            yield namespace, entry


# Left to themselves: Django admin (staff only), the JSON API (an API key or a session: its own
# matrix of operations × scopes × roles is tests/api/test_authorization.py), SCIM's endpoints (a
# "scim" key, no session: tests/scim/test_authorization.py; its settings page is a page, here)
# and the operations endpoints (no session: tests/ops).
NOT_SESSION_PAGES = ("admin", "api_v1", "ops")
SCIM_PAGES = ("settings", "settings_save", "key_create", "key_revoke", "rule_add", "rule_remove")


def _session_page(namespace: str, pattern: URLPattern) -> bool:
    top = namespace.split(":")[0]
    return top not in NOT_SESSION_PAGES and (top != "scim" or pattern.name in SCIM_PAGES)


def _resolver_names() -> set[str]:
    return {
        f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
        for namespace, pattern in _url_names(get_resolver())
        if _session_page(namespace, pattern)
    }


def test_every_url_outside_django_admin_is_in_the_matrix():
    assert sorted(_resolver_names() - MATRIX.keys()) == []


def test_the_matrix_names_no_url_that_does_not_exist():
    assert sorted(MATRIX.keys() - _resolver_names()) == []


def test_every_url_has_a_name():
    unnamed = [
        str(p.pattern)
        for namespace, p in _url_names(get_resolver())
        if _session_page(namespace, p) and not p.name
    ]
    assert unnamed == []


@pytest.mark.parametrize("name", MATRIX)
def test_every_row_gives_each_role_one_outcome(name):
    row = MATRIX[name]
    assert set(row) == set(ROLES)
    assert set(row.values()) <= set(OUTCOMES)


def test_every_url_taking_an_object_id_is_checked_against_other_accounts():
    """An "<int:..._id>" in a URL names an object of the account: the cross-account test runs."""
    unmarked = [
        name
        for name, endpoint in ENDPOINTS.items()
        if any(key.endswith("_id") for key in _kwarg_names(name)) and not endpoint.account_objects
    ]
    assert unmarked == []


def _kwarg_names(name: str) -> set[str]:
    namespace, _sep, url_name = name.rpartition(":")
    for entry_namespace, pattern in _url_names(get_resolver()):
        if entry_namespace == namespace and pattern.name == url_name:
            return set(pattern.pattern.converters)
    return set()


# --- (b) Every cell ----------------------------------------------------------------------------

CELLS = [(name, role) for name in ENDPOINTS for role in ROLES]
POST_CELLS = [(name, role) for name, role in CELLS if "POST" in ENDPOINTS[name].methods]


def _ids(cells) -> list[str]:
    return ["|".join(cell) for cell in cells]


@pytest.mark.parametrize(("name", "role"), CELLS, ids=_ids(CELLS))
def test_a_get_gets_what_the_matrix_says(world, name, role):
    endpoint = ENDPOINTS[name]
    client = client_for(world, role)
    prepare(client, endpoint, world.this)
    url = url_for(name, endpoint, world.this)

    response = request(client, "GET", url)

    redirect_to = endpoint.redirect_path("GET", role, world.this)
    assert_outcome(response, endpoint.expected_get[role], path=url, redirect_to=redirect_to)


@pytest.mark.parametrize(("name", "role"), POST_CELLS, ids=_ids(POST_CELLS))
def test_a_post_gets_what_the_matrix_says_and_a_refused_one_writes_nothing(world, name, role):
    endpoint = ENDPOINTS[name]
    expected = MATRIX[name][role]
    client = client_for(world, role)
    prepare(client, endpoint, world.this)
    url = url_for(name, endpoint, world.this)
    everything_before = snapshot()
    acme_before = snapshot(world.this.account)

    response = request(client, "POST", url, endpoint.data(world.this))

    redirect_to = endpoint.redirect_path("POST", role, world.this)
    assert_outcome(response, expected, path=url, redirect_to=redirect_to)
    if expected != ALLOWED:
        assert snapshot_difference(everything_before, snapshot()) == {}
    if role == OTHER_ACCOUNT_SUPER_ADMIN:
        assert snapshot_difference(acme_before, snapshot(world.this.account)) == {}


# "Deactivate user" is the matrix's own cell; the Actions menu's other entries follow its row.
OTHER_ACTIONS = [
    "reactivate",
    "remove",
    "make_super_admin",
    "remove_super_admin",
    "reset_password",
    "release_seat",
]
ACTION_CELLS = [(action, role) for action in OTHER_ACTIONS for role in ROLES]


@pytest.mark.parametrize(("action", "role"), ACTION_CELLS, ids=_ids(ACTION_CELLS))
def test_every_user_action_follows_the_user_action_row(world, action, role):
    expected = MATRIX["seats:user_action"][role]
    client = client_for(world, role)
    target = world.this.super_admin if action == "remove_super_admin" else world.this.target
    url = reverse("seats:user_action", kwargs={"membership_id": target.pk, "action": action})
    before = snapshot()

    assert_outcome(request(client, "GET", url), expected, path=url)
    assert_outcome(request(client, "POST", url), expected, path=url)

    if expected != ALLOWED:
        assert snapshot_difference(before, snapshot()) == {}


def _super_admins() -> set[int]:
    return set(Membership.objects.filter(is_super_admin=True).values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("seats:user_action", {}),
        ("seats:user_access", {"mode": "super_admin", "confirmed": "1"}),
    ],
    ids=["user_action", "user_access"],
)
def test_holding_add_and_edit_users_does_not_let_one_make_a_super_admin(world, name, data):
    client = client_for(world, USERS_HOLDER)
    kwargs = {"membership_id": world.this.target.pk}
    if name == "seats:user_action":
        kwargs["action"] = "make_super_admin"
    before = _super_admins()

    response = request(client, "POST", reverse(name, kwargs=kwargs), data)

    assert response.status_code in (200, 302), described(response)
    assert _super_admins() == before


# --- (c) Another account's objects are a 404 --------------------------------------------------

VERBS = ("GET", "POST", "PUT", "PATCH", "DELETE")
FOREIGN_CASES = [
    (name, verb)
    for name, endpoint in ENDPOINTS.items()
    if endpoint.account_objects
    for verb in VERBS
]


@pytest.mark.parametrize(("name", "verb"), FOREIGN_CASES, ids=_ids(FOREIGN_CASES))
def test_another_accounts_object_is_not_found(world, name, verb):
    """Acme's super admin, given Globex's ids: 404 whatever the verb, and nothing written."""
    endpoint = ENDPOINTS[name]
    client = client_for(world, SUPER_ADMIN)
    url = url_for(name, endpoint, world.other)
    before = snapshot()

    if verb == "POST":
        response = request(client, "POST", url, endpoint.data(world.other))
    else:
        response = client.generic(verb, url)

    # A method no page uses (PUT, PATCH, DELETE), a GET of a require_POST URL and a POST to a
    # read-only page (require_safe) are a 405 before anything is looked up: the same answer for
    # Acme's ids, Globex's or none, so it tells nothing about the object.
    refused_method = verb not in ("GET", "POST") or verb not in endpoint.methods
    expected = 405 if refused_method else 404
    changed = snapshot_difference(before, snapshot())
    assert (response.status_code, changed) == (expected, {}), described(response)


# Acme's pages, with a Globex id in the form instead of the URL: refused at the field (or the
# page's 404), never written.
FOREIGN_BODIES = {
    "teams-parent": (
        "accounts:teams",
        lambda w: {},
        lambda w: {"name": "X", "parent": w.other.team.pk},
    ),
    "team_parent": (
        "accounts:team_parent",
        lambda w: {"team_id": w.this.team.pk},
        lambda w: {"parent": w.other.team.pk},
    ),
    "team_delete-move_to": (
        "accounts:team_delete",
        lambda w: {"team_id": w.this.team.pk},
        lambda w: {"members": "move", "move_to": w.other.team.pk},
    ),
    "team_member_add": (
        "accounts:team_member_add",
        lambda w: {"team_id": w.this.team.pk},
        lambda w: {"member": w.other.target.pk, "role": "main"},
    ),
    "team_member_remove": (
        "accounts:team_member_remove",
        lambda w: {"team_id": w.this.team.pk, "membership_id": w.other.target.pk},
        lambda w: {},
    ),
    "user_teams": (
        "seats:user_teams",
        lambda w: {"membership_id": w.this.target.pk},
        lambda w: {"main_team": w.other.team.pk, "extra_teams": [w.other.parent_team.pk]},
    ),
    "user_access-set": (
        "seats:user_access",
        lambda w: {"membership_id": w.this.target.pk},
        lambda w: {
            "mode": "template",
            "template": f"set:{w.other.permission_set.pk}",
            "confirmed": "1",
        },
    ),
    "preset_create": (
        "seats:preset_create",
        lambda w: {},
        lambda w: {
            "name": "X",
            "default_language": "en",
            "permission_set": w.other.permission_set.pk,
            "main_team": w.other.team.pk,
        },
    ),
    "preset": (
        "seats:preset",
        lambda w: {"preset_id": w.this.preset.pk},
        lambda w: {
            "name": "X",
            "default_language": "en",
            "permission_set": w.other.permission_set.pk,
            "extra_teams": [w.other.team.pk],
        },
    ),
    "preset_apply": (
        "seats:preset_apply",
        lambda w: {"preset_id": w.this.preset.pk},
        lambda w: {"members": [w.other.target.pk]},
    ),
    "permission_set_users": (
        "seats:permission_set_users",
        lambda w: {"set_id": w.this.permission_set.pk},
        lambda w: {"members": [w.other.target.pk]},
    ),
    "users_bulk-one_of_each": (
        "seats:users_bulk",
        lambda w: {},
        lambda w: {"members": [w.this.target.pk, w.other.target.pk], "action": "deactivate"},
    ),
    "users_bulk-team": (
        "seats:users_bulk",
        lambda w: {},
        lambda w: {"members": [w.this.target.pk], "action": "team", "team": w.other.team.pk},
    ),
    "users_bulk-permission_set": (
        "seats:users_bulk",
        lambda w: {},
        lambda w: {
            "members": [w.this.target.pk],
            "action": "permission_set",
            "permission_set": w.other.permission_set.pk,
        },
    ),
    "created_users": (
        "invitations:created_users",
        lambda w: {},
        lambda w: {"main_team": w.other.team.pk, "preset": w.other.preset.pk},
    ),
}


@pytest.mark.parametrize("case", FOREIGN_BODIES)
def test_another_accounts_id_in_the_form_changes_nothing(world, case):
    name, kwargs, data = FOREIGN_BODIES[case]
    client = client_for(world, SUPER_ADMIN)
    if name == "invitations:created_users":
        prepare(client, ENDPOINTS[name], world.this)
    before = snapshot()

    response = request(client, "POST", reverse(name, kwargs=kwargs(world)), data(world))

    assert response.status_code in (200, 404), described(response)
    assert snapshot_difference(before, snapshot()) == {}


def test_a_list_of_another_accounts_new_users_in_the_session_changes_nothing(world):
    """ "Users added" with Globex members in the session (a stale or forged list)."""
    client = client_for(world, SUPER_ADMIN)
    prepare(client, ENDPOINTS["invitations:created_users"], world.other)
    before = snapshot()

    response = request(
        client,
        "POST",
        reverse("invitations:created_users"),
        {"main_team": world.this.team.pk},
    )

    assert response.status_code in (200, 302), described(response)
    assert snapshot_difference(before, snapshot()) == {}


def test_a_forged_current_account_in_the_session_shows_only_ones_own_account(world):
    """Globex's super admin names Acme as the current account in their session: still Globex."""
    client = client_for(world, OTHER_ACCOUNT_SUPER_ADMIN)
    session = client.session
    session[SESSION_ACCOUNT_KEY] = world.this.account.pk
    session.save()

    response = client.get(reverse("seats:users_export"))

    exported = b"".join(response.streaming_content).decode()
    assert response.status_code == 200
    assert world.other.target.user.email in exported
    assert "acme.example" not in exported


@pytest.mark.parametrize("role", SIGNED_IN_ROLES)
def test_someone_else_signed_in_cannot_join_with_an_invitation_link(world, role):
    """The join page, signed in as anyone but the invitee: "signed in as someone else"."""
    client = client_for(world, role)
    prepare(client, ENDPOINTS["invitations:accept"], world.this)
    before = snapshot()

    response = request(client, "POST", reverse("invitations:accept"), {"password": PASSWORD})

    assert response.status_code == 200, described(response)
    assert snapshot_difference(before, snapshot()) == {}
