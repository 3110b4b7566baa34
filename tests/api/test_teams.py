"""/api/v1/teams, permission sets and presets: the Teams tab's changes through a key (listed as
the page lists them, refused as the page refuses them, in the Audit log under the key's name),
and the sets and presets a user can be given."""

import itertools

import pytest
from django.test import Client

from accounts.models import Access, AuditEvent, AuditVerb, Membership, SeatType, Team
from accounts.policy import ON, AccountPermission
from accounts.teams.selectors import team_rows
from seats.catalogue import seat_default_permissions
from tests.api.conftest import bearer, subscribed_account, token_for
from tests.factories import (
    MembershipFactory,
    PermissionSetFactory,
    PresetFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def post_team(api: Client, **body):
    key = f"team-{next(_keys)}"
    return api.post(
        "/api/v1/teams", body, content_type="application/json", headers={"Idempotency-Key": key}
    )


_keys = itertools.count()


def patch_team(api: Client, team: Team, **body):
    return api.patch(f"/api/v1/teams/{team.pk}", body, content_type="application/json")


# --- GET /teams -------------------------------------------------------------------------------


def test_teams_are_listed_as_the_teams_tab_lists_them(api, admin):
    sales = TeamFactory(account=admin.account, name="Sales")
    emea = TeamFactory(account=admin.account, name="EMEA", parent=sales)
    TeamFactory(account=admin.account, name="Admin")
    TeamFactory(name="Globex team")  # another account
    MembershipFactory(account=admin.account, main_team=emea)
    MembershipFactory(account=admin.account).extra_teams.add(emea)

    teams = api.get("/api/v1/teams").json()["teams"]

    assert [(t["name"], t["path"], t["depth"]) for t in teams] == [
        ("Admin", "Admin", 0),
        ("Sales", "Sales", 0),
        ("EMEA", "Sales › EMEA", 1),
    ]
    assert teams[2] | {"id": None} == {
        "id": None,
        "name": "EMEA",
        "parent_id": sales.pk,
        "path": "Sales › EMEA",
        "depth": 1,
        "main_members": 1,
        "extra_members": 1,
    }
    assert [t["id"] for t in teams] == [r.team.pk for r in team_rows(account=admin.account)]


# --- POST /teams ------------------------------------------------------------------------------


def test_a_created_team_is_on_the_teams_tab_under_its_parent_and_in_the_audit_log_as_the_keys(
    api, admin
):
    sales = TeamFactory(account=admin.account, name="Sales")

    response = post_team(api, name="  EMEA ", parent_id=sales.pk)

    assert response.status_code == 201
    created = response.json()
    assert created["name"] == "EMEA"
    assert created["parent_id"] == sales.pk
    assert created["path"] == "Sales › EMEA"
    assert created in api.get("/api/v1/teams").json()["teams"]
    assert [r.path for r in team_rows(account=admin.account)] == ["Sales", "Sales › EMEA"]
    event = AuditEvent.objects.get(account=admin.account, verb=AuditVerb.TEAM_CREATED)
    assert (event.actor, event.api_key_name) == (admin.user, "HRIS sync")
    assert event.after == {"name": "EMEA", "parent": "Sales"}


def test_a_name_another_team_has_in_any_case_is_a_422_at_the_name(api, admin):
    TeamFactory(account=admin.account, name="Sales")

    response = post_team(api, name="sales")

    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["type"] == "urn:seatmgr:problem:team_name_taken"
    assert problem["errors"] == [
        {"field": "name", "detail": "There is already a team called “sales”. Choose another name."}
    ]
    assert Team.objects.filter(account=admin.account).count() == 1


def test_a_blank_name_is_refused_at_the_name(api, admin):
    response = post_team(api, name="   ")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "name"
    assert not Team.objects.filter(account=admin.account).exists()


def test_a_parent_of_another_account_is_a_422_at_parent_id_and_creates_nothing(api, admin):
    elsewhere = TeamFactory(account=subscribed_account("Globex"))

    response = post_team(api, name="EMEA", parent_id=elsewhere.pk)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.parent_id"
    assert not Team.objects.filter(account=admin.account).exists()


# --- PATCH /teams/{id} ------------------------------------------------------------------------


def test_a_team_is_renamed_and_moved_in_one_call(api, admin):
    sales = TeamFactory(account=admin.account, name="Sales")
    team = TeamFactory(account=admin.account, name="Emea")

    response = patch_team(api, team, name="EMEA", parent_id=sales.pk)

    assert response.status_code == 200
    assert response.json()["path"] == "Sales › EMEA"
    team.refresh_from_db()
    assert (team.name, team.parent) == ("EMEA", sales)
    events = AuditEvent.objects.filter(account=admin.account, verb__startswith="team.")
    assert {(e.verb, e.api_key_name) for e in events} == {
        (AuditVerb.TEAM_RENAMED, "HRIS sync"),
        (AuditVerb.TEAM_MOVED, "HRIS sync"),
    }


def test_a_null_parent_moves_a_team_to_the_top_and_a_left_out_one_leaves_it(api, admin):
    sales = TeamFactory(account=admin.account, name="Sales")
    team = TeamFactory(account=admin.account, name="EMEA", parent=sales)

    patch_team(api, team, name="Europe")
    team.refresh_from_db()
    assert team.parent == sales

    response = patch_team(api, team, parent_id=None)

    assert response.json()["parent_id"] is None
    team.refresh_from_db()
    assert (team.name, team.parent) == ("Europe", None)


def test_a_team_under_its_own_sub_team_is_refused_and_nothing_changes(api, admin):
    sales = TeamFactory(account=admin.account, name="Sales")
    emea = TeamFactory(account=admin.account, name="EMEA", parent=sales)
    france = TeamFactory(account=admin.account, name="France", parent=emea)

    under_grandchild = patch_team(api, sales, name="Sales team", parent_id=france.pk)
    under_itself = patch_team(api, sales, parent_id=sales.pk)

    for response in (under_grandchild, under_itself):
        assert response.status_code == 422
        assert response.json()["type"] == "urn:seatmgr:problem:team_cycle"
        assert response.json()["errors"][0]["field"] == "parent"
    sales.refresh_from_db()
    assert (sales.name, sales.parent) == ("Sales", None)


def test_a_name_taken_refuses_the_move_sent_with_it_too(api, admin):
    TeamFactory(account=admin.account, name="Sales")
    top = TeamFactory(account=admin.account, name="Marketing")
    team = TeamFactory(account=admin.account, name="EMEA")

    response = patch_team(api, team, name="SALES", parent_id=top.pk)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "name"
    team.refresh_from_db()
    assert (team.name, team.parent) == ("EMEA", None)


# --- DELETE /teams/{id} -----------------------------------------------------------------------


def test_a_deleted_teams_members_move_to_the_team_named_in_the_same_role(api, admin):
    old = TeamFactory(account=admin.account, name="Old")
    new = TeamFactory(account=admin.account, name="New")
    child = TeamFactory(account=admin.account, name="Child", parent=old)
    main = MembershipFactory(account=admin.account, main_team=old)
    extra = MembershipFactory(account=admin.account)
    extra.extra_teams.add(old)

    response = api.delete(f"/api/v1/teams/{old.pk}?move_members_to={new.pk}")

    assert response.status_code == 204
    assert response.content == b""
    assert not Team.objects.filter(pk=old.pk).exists()
    main.refresh_from_db()
    assert main.main_team == new
    assert list(extra.extra_teams.all()) == [new]
    child.refresh_from_db()
    assert child.parent is None
    deleted = AuditEvent.objects.get(verb=AuditVerb.TEAM_DELETED)
    assert deleted.after["members_moved_to"] == "New"
    assert deleted.api_key_name == "HRIS sync"


def test_without_a_team_to_move_to_the_members_just_lose_the_deleted_team(api, admin):
    old = TeamFactory(account=admin.account, name="Old")
    member = MembershipFactory(account=admin.account, main_team=old)

    response = api.delete(f"/api/v1/teams/{old.pk}")

    assert response.status_code == 204
    member.refresh_from_db()
    assert member.main_team is None


def test_moving_the_members_to_the_deleted_team_itself_is_refused(api, admin):
    old = TeamFactory(account=admin.account, name="Old")

    response = api.delete(f"/api/v1/teams/{old.pk}?move_members_to={old.pk}")

    assert response.status_code == 422
    assert response.json()["type"] == "urn:seatmgr:problem:team_move_to_itself"
    assert response.json()["errors"][0]["field"] == "move_members_to"
    assert Team.objects.filter(pk=old.pk).exists()


def test_moving_the_members_to_another_accounts_team_is_refused(api, admin):
    old = TeamFactory(account=admin.account, name="Old")
    member = MembershipFactory(account=admin.account, main_team=old)
    elsewhere = TeamFactory(account=subscribed_account("Globex"))

    response = api.delete(f"/api/v1/teams/{old.pk}?move_members_to={elsewhere.pk}")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.move_members_to"
    member.refresh_from_db()
    assert member.main_team == old


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_another_accounts_team_is_a_404_and_stays_as_it_was(api, method):
    elsewhere = TeamFactory(account=subscribed_account("Globex"), name="Globex team")

    response = getattr(api, method)(
        f"/api/v1/teams/{elsewhere.pk}", {"name": "Mine now"}, content_type="application/json"
    )

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    elsewhere.refresh_from_db()
    assert elsewhere.name == "Globex team"


def test_a_teams_admin_signed_in_changes_teams_under_their_own_name(account, admin):
    member = MembershipFactory(
        account=account,
        permissions=seat_default_permissions(SeatType.CORE) | {AccountPermission.TEAMS: ON},
    )
    client = Client()
    client.force_login(member.user)

    response = post_team(client, name="Support")

    assert response.status_code == 201
    event = AuditEvent.objects.get(verb=AuditVerb.TEAM_CREATED)
    assert (event.actor, event.api_key_name) == (member.user, "")


# --- GET /permission-sets and /presets --------------------------------------------------------


def test_permission_sets_are_listed_with_the_template_create_user_takes(api, admin):
    own = PermissionSetFactory(account=admin.account, name="Support lead")
    PermissionSetFactory(name="Globex set")  # another account
    MembershipFactory(account=admin.account, access=Access.PERMISSION_SET, permission_set=own)

    sets = api.get("/api/v1/permission-sets").json()["permission_sets"]

    builtins = [s for s in sets if s["builtin"]]
    assert builtins and all(s["template"] == f"builtin:{s['code']}" for s in builtins)
    assert [s for s in sets if not s["builtin"]] == [
        {
            "id": own.pk,
            "code": None,
            "template": f"set:{own.pk}",
            "builtin": False,
            "name": "Support lead",
            "description": "",
            "seat_type": "core",
            "users": 1,
            "presets": 0,
            "permissions": seat_default_permissions(SeatType.CORE),
        }
    ]


def test_a_listed_set_is_what_post_users_takes_as_its_template(api, admin):
    own = PermissionSetFactory(account=admin.account, name="Support lead")
    template = next(
        s["template"]
        for s in api.get("/api/v1/permission-sets").json()["permission_sets"]
        if s["id"] == own.pk
    )

    response = api.post(
        "/api/v1/users",
        {
            "users": [{"email": "new@example.com"}],
            "seat_type": "core",
            "access": {"mode": "template", "template": template},
        },
        content_type="application/json",
        headers={"Idempotency-Key": "set-1"},
    )

    assert response.status_code == 201, response.content
    assert Membership.objects.get(user__email="new@example.com").permission_set == own


def test_presets_are_listed_with_their_set_and_teams(api, admin):
    own = PermissionSetFactory(account=admin.account, name="Support lead")
    sales = TeamFactory(account=admin.account, name="Sales")
    emea = TeamFactory(account=admin.account, name="EMEA")
    preset = PresetFactory(
        account=admin.account, name="New rep", permission_set=own, main_team=sales
    )
    preset.extra_teams.add(emea)
    MembershipFactory(account=admin.account, preset=preset)
    PresetFactory(name="Globex preset")  # another account

    presets = api.get("/api/v1/presets").json()["presets"]

    assert presets == [
        {
            "id": preset.pk,
            "name": "New rep",
            "permission_set": {"id": own.pk, "name": "Support lead"},
            "permission_template": "",
            "main_team": {"id": sales.pk, "name": "Sales"},
            "extra_teams": [{"id": emea.pk, "name": "EMEA"}],
            "default_language": "en",
            "default_landing_page": "",
            "users": 1,
        }
    ]


def test_a_key_reads_only_its_own_accounts_teams_sets_and_presets(admin):
    other_admin = MembershipFactory(account=subscribed_account("Globex"), super_admin=True)
    TeamFactory(account=other_admin.account)
    PresetFactory(account=other_admin.account)
    PermissionSetFactory(account=other_admin.account)
    api = Client(headers=bearer(token_for(admin)))

    assert api.get("/api/v1/teams").json() == {"teams": []}
    assert api.get("/api/v1/presets").json() == {"presets": []}
    sets = api.get("/api/v1/permission-sets").json()["permission_sets"]
    assert all(s["builtin"] for s in sets)


def test_a_retried_post_creates_the_team_once_and_gets_the_first_answer(api, admin):
    first = api.post(
        "/api/v1/teams",
        {"name": "Ops"},
        content_type="application/json",
        headers={"Idempotency-Key": "ops-1"},
    )
    again = api.post(
        "/api/v1/teams",
        {"name": "Ops"},
        content_type="application/json",
        headers={"Idempotency-Key": "ops-1"},
    )
    other_body = api.post(
        "/api/v1/teams",
        {"name": "Ops 2"},
        content_type="application/json",
        headers={"Idempotency-Key": "ops-1"},
    )

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Team.objects.filter(account=admin.account, name="Ops").count() == 1
    assert other_body.status_code == 422
    assert not Team.objects.filter(name="Ops 2").exists()


def test_a_post_without_an_idempotency_key_is_a_422(api, admin):
    response = api.post("/api/v1/teams", {"name": "Ops"}, content_type="application/json")

    assert response.status_code == 422
    assert not Team.objects.filter(name="Ops").exists()
