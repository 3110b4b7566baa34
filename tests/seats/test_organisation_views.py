"""The Teams, Presets, Permission sets and Audit log pages over HTTP (DOMAIN.md sections 3, 6, 9).

Every page and action is refused to whoever lacks the permission that gates it, and an id from
another account is a 404. Bad input is a message at the field, with nothing written.
"""

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from accounts.exports import csv_cell
from accounts.models import (
    Access,
    AuditEvent,
    AuditVerb,
    Membership,
    PermissionSet,
    Preset,
    SeatType,
    Team,
)
from accounts.policy import ON, AccountPermission
from seats.catalogue import seat_default_permissions
from seats.permission_sets.builtin import builtin_permission_set_get
from seats.permissions.forms import FIELD_PREFIX
from tests.factories import (
    AccountFactory,
    AuditEventFactory,
    MembershipFactory,
    PermissionSetFactory,
    PresetFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db

CORE_DEFAULTS = seat_default_permissions(SeatType.CORE)
SIGN_IN = reverse("accounts:login")


@dataclass
class World:
    """Acme, run by Ada (super admin): teams Sales (Bo's main team) and Support, a permission
    set Bo is on, a preset. Globex, another account, has the same kinds of rows."""

    admin: Membership
    bo: Membership
    sales: Team
    support: Team
    permission_set: PermissionSet
    preset: Preset
    other_admin: Membership
    other_team: Team
    other_set: PermissionSet
    other_preset: Preset
    other_member: Membership


@pytest.fixture
def world() -> World:
    acme = AccountFactory(name="Acme")
    admin = MembershipFactory(account=acme, super_admin=True, user__email="ada@acme.example")
    sales = TeamFactory(account=acme, name="Sales")
    support = TeamFactory(account=acme, name="Support")
    on_set = PermissionSetFactory(account=acme, name="Field marketing")
    bo = MembershipFactory(
        account=acme,
        user__email="bo@acme.example",
        main_team=sales,
        access=Access.PERMISSION_SET,
        permission_set=on_set,
        permissions=dict(on_set.permissions),
    )
    preset = PresetFactory(account=acme, name="Starter", main_team=support)
    globex = AccountFactory(name="Globex")
    return World(
        admin=admin,
        bo=bo,
        sales=sales,
        support=support,
        permission_set=on_set,
        preset=preset,
        other_admin=MembershipFactory(account=globex, super_admin=True),
        other_team=TeamFactory(account=globex, name="Globex team"),
        other_set=PermissionSetFactory(account=globex),
        other_preset=PresetFactory(account=globex),
        other_member=MembershipFactory(account=globex),
    )


@dataclass(frozen=True)
class Action:
    """One page or action: its URL name, method, ids and form data, and what gates it."""

    name: str
    method: str
    gate: str
    ids: callable = lambda w: {}
    data: callable = lambda w: {}
    other_ids: callable = None  # the same ids taken from Globex, for the 404 check


TEAMS = AccountPermission.TEAMS.value
PRESETS = AccountPermission.PRESETS.value
USERS = AccountPermission.USERS.value
SUPER = "super_admin"

ACTIONS = [
    Action("accounts:teams", "get", TEAMS),
    Action("accounts:teams", "post", TEAMS, data=lambda w: {"name": "New team"}),
    Action(
        "accounts:team",
        "get",
        TEAMS,
        ids=lambda w: {"team_id": w.sales.pk},
        other_ids=lambda w: {"team_id": w.other_team.pk},
    ),
    Action(
        "accounts:team_rename",
        "post",
        TEAMS,
        ids=lambda w: {"team_id": w.sales.pk},
        data=lambda w: {"name": "Revenue"},
        other_ids=lambda w: {"team_id": w.other_team.pk},
    ),
    Action(
        "accounts:team_parent",
        "post",
        TEAMS,
        ids=lambda w: {"team_id": w.sales.pk},
        data=lambda w: {"parent": w.support.pk},
        other_ids=lambda w: {"team_id": w.other_team.pk},
    ),
    Action(
        "accounts:team_delete",
        "get",
        TEAMS,
        ids=lambda w: {"team_id": w.sales.pk},
        other_ids=lambda w: {"team_id": w.other_team.pk},
    ),
    Action(
        "accounts:team_delete",
        "post",
        TEAMS,
        ids=lambda w: {"team_id": w.sales.pk},
        data=lambda w: {"members": "remove"},
        other_ids=lambda w: {"team_id": w.other_team.pk},
    ),
    Action(
        "accounts:team_member_add",
        "post",
        TEAMS,
        ids=lambda w: {"team_id": w.support.pk},
        data=lambda w: {"member": w.bo.pk, "role": "extra"},
        other_ids=lambda w: {"team_id": w.other_team.pk},
    ),
    Action(
        "accounts:team_member_remove",
        "post",
        TEAMS,
        ids=lambda w: {"team_id": w.sales.pk, "membership_id": w.bo.pk},
        other_ids=lambda w: {"team_id": w.other_team.pk, "membership_id": w.other_member.pk},
    ),
    Action("seats:presets", "get", PRESETS),
    Action("seats:preset_create", "get", PRESETS),
    Action(
        "seats:preset_create",
        "post",
        PRESETS,
        data=lambda w: {"name": "New", "default_language": "en"},
    ),
    Action(
        "seats:preset",
        "get",
        PRESETS,
        ids=lambda w: {"preset_id": w.preset.pk},
        other_ids=lambda w: {"preset_id": w.other_preset.pk},
    ),
    Action(
        "seats:preset",
        "post",
        PRESETS,
        ids=lambda w: {"preset_id": w.preset.pk},
        data=lambda w: {"name": "Renamed", "default_language": "en"},
        other_ids=lambda w: {"preset_id": w.other_preset.pk},
    ),
    Action(
        "seats:preset_delete",
        "get",
        PRESETS,
        ids=lambda w: {"preset_id": w.preset.pk},
        other_ids=lambda w: {"preset_id": w.other_preset.pk},
    ),
    Action(
        "seats:preset_delete",
        "post",
        PRESETS,
        ids=lambda w: {"preset_id": w.preset.pk},
        other_ids=lambda w: {"preset_id": w.other_preset.pk},
    ),
    Action(
        "seats:preset_apply",
        "get",
        PRESETS,
        ids=lambda w: {"preset_id": w.preset.pk},
        other_ids=lambda w: {"preset_id": w.other_preset.pk},
    ),
    Action(
        "seats:preset_apply",
        "post",
        PRESETS,
        ids=lambda w: {"preset_id": w.preset.pk},
        data=lambda w: {"members": [w.bo.pk]},
        other_ids=lambda w: {"preset_id": w.other_preset.pk},
    ),
    Action("seats:permission_sets", "get", USERS),
    Action("seats:permission_set_create", "get", USERS),
    Action("seats:permission_set_create", "post", USERS, data=lambda w: {"name": "New set"}),
    Action("seats:permission_set_builtin", "get", USERS, ids=lambda w: {"code": "marketer"}),
    Action("seats:permission_set_copy", "post", USERS, ids=lambda w: {"code": "marketer"}),
    Action(
        "seats:permission_set",
        "get",
        USERS,
        ids=lambda w: {"set_id": w.permission_set.pk},
        other_ids=lambda w: {"set_id": w.other_set.pk},
    ),
    Action(
        "seats:permission_set",
        "post",
        USERS,
        ids=lambda w: {"set_id": w.permission_set.pk},
        data=lambda w: {"name": "Renamed", "confirmed": "True"},
        other_ids=lambda w: {"set_id": w.other_set.pk},
    ),
    Action(
        "seats:permission_set_users",
        "get",
        USERS,
        ids=lambda w: {"set_id": w.permission_set.pk},
        other_ids=lambda w: {"set_id": w.other_set.pk},
    ),
    Action(
        "seats:permission_set_users",
        "post",
        USERS,
        ids=lambda w: {"set_id": w.permission_set.pk},
        data=lambda w: {"members": [w.admin.pk]},
        other_ids=lambda w: {"set_id": w.other_set.pk},
    ),
    Action(
        "seats:permission_set_delete",
        "get",
        USERS,
        ids=lambda w: {"set_id": w.permission_set.pk},
        other_ids=lambda w: {"set_id": w.other_set.pk},
    ),
    Action(
        "seats:permission_set_delete",
        "post",
        USERS,
        ids=lambda w: {"set_id": w.permission_set.pk},
        other_ids=lambda w: {"set_id": w.other_set.pk},
    ),
    Action("seats:audit_log", "get", SUPER),
    Action("seats:audit_log_export", "get", SUPER),
]
MUTATING = [a for a in ACTIONS if a.method == "post"]
WITH_IDS = [a for a in ACTIONS if a.other_ids is not None]


def action_id(action: Action) -> str:
    return f"{action.method.upper()} {action.name}"


def request(client, action: Action, world: World, ids=None):
    url = reverse(action.name, kwargs=(ids or action.ids)(world))
    if action.method == "get":
        return client.get(url)
    return client.post(url, action.data(world))


def snapshot():
    """Everything these pages can change, to show that a refused request changed nothing."""
    return (
        list(Team.objects.order_by("pk").values_list("pk", "name", "parent_id")),
        list(PermissionSet.objects.order_by("pk").values_list("pk", "name", "permissions")),
        list(Preset.objects.order_by("pk").values_list("pk", "name", "permission_set_id")),
        list(
            Membership.objects.order_by("pk").values_list(
                "pk", "main_team_id", "access", "permission_set_id", "permissions"
            )
        ),
        sorted(Membership.extra_teams.through.objects.values_list("membership_id", "team_id")),
        AuditEvent.objects.count(),
    )


def holder_of_everything_but(world: World, gate: str) -> Membership:
    """A Core member holding every Account permission except `gate`, and not a super admin."""
    account_permissions = {p.value: ON for p in AccountPermission if p.value != gate}
    return MembershipFactory(
        account=world.admin.account, permissions={**CORE_DEFAULTS, **account_permissions}
    )


def login(client, membership: Membership):
    client.force_login(membership.user)
    return client


# --- Who may open what -------------------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS, ids=action_id)
def test_anonymous_visitors_are_sent_to_sign_in(client, world, action):
    before = snapshot()
    response = request(client, action, world)
    assert response.status_code == 302
    assert response.url.startswith(SIGN_IN)
    assert snapshot() == before


@pytest.mark.parametrize("action", ACTIONS, ids=action_id)
def test_a_member_without_the_gating_permission_is_refused_and_nothing_changes(
    client, world, action
):
    login(client, holder_of_everything_but(world, action.gate))
    before = snapshot()
    assert request(client, action, world).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("action", ACTIONS, ids=action_id)
def test_a_view_only_member_is_refused_and_nothing_changes(client, world, action):
    login(client, MembershipFactory(account=world.admin.account, view_only=True))
    before = snapshot()
    assert request(client, action, world).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("action", WITH_IDS, ids=action_id)
def test_another_accounts_ids_are_not_found(client, world, action):
    login(client, world.admin)
    before = snapshot()
    assert request(client, action, world, ids=action.other_ids).status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("action", ACTIONS, ids=action_id)
def test_the_super_admin_may_use_every_page_and_action(client, world, action):
    login(client, world.admin)
    assert request(client, action, world).status_code in (200, 302)


@pytest.mark.parametrize(
    ("name", "gate"),
    [
        ("accounts:teams", AccountPermission.TEAMS),
        ("seats:presets", AccountPermission.PRESETS),
        ("seats:permission_sets", AccountPermission.USERS),
    ],
)
def test_the_gating_permission_alone_opens_its_tab(client, world, name, gate):
    member = MembershipFactory(
        account=world.admin.account, permissions={**CORE_DEFAULTS, gate.value: ON}
    )
    login(client, member)
    assert client.get(reverse(name)).status_code == 200


def test_applying_a_preset_also_needs_add_and_edit_users(client, world):
    presets_only = MembershipFactory(
        account=world.admin.account,
        permissions={**CORE_DEFAULTS, AccountPermission.PRESETS.value: ON},
    )
    login(client, presets_only)
    url = reverse("seats:preset_apply", kwargs={"preset_id": world.preset.pk})
    assert client.get(url).status_code == 403
    assert client.post(url, {"members": [world.bo.pk]}).status_code == 403
    world.bo.refresh_from_db()
    assert world.bo.preset is None


def test_the_audit_log_is_for_super_admins_only_even_with_every_permission(client, world):
    login(client, holder_of_everything_but(world, SUPER))
    assert client.get(reverse("seats:audit_log")).status_code == 403


# --- Teams -------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, world):
    return login(client, world.admin)


def field_errors(response, form="form"):
    return response.context[form].errors


def test_create_team_with_a_parent_lists_it_under_that_parent(admin_client, world):
    response = admin_client.post(
        reverse("accounts:teams"), {"name": "EMEA Sales", "parent": world.sales.pk}, follow=True
    )
    assert Team.objects.get(name="EMEA Sales").parent == world.sales
    paths = [row.path for row in response.context["rows"]]
    assert paths.index("Sales › EMEA Sales") == paths.index("Sales") + 1
    assert "Team “EMEA Sales” created." in response.content.decode()


def test_a_team_name_taken_in_another_case_is_refused_at_the_field(admin_client, world):
    before = snapshot()
    response = admin_client.post(reverse("accounts:teams"), {"name": "  sALES "})
    assert response.status_code == 200
    assert field_errors(response)["name"] == [
        "There is already a team called “sALES”. Choose another name."
    ]
    assert snapshot() == before


def test_a_team_needs_a_name_at_the_field(admin_client, world):
    response = admin_client.post(reverse("accounts:teams"), {"name": ""})
    assert "name" in field_errors(response)


def test_a_parent_team_of_another_account_is_refused_at_the_field(admin_client, world):
    before = snapshot()
    response = admin_client.post(
        reverse("accounts:teams"), {"name": "New", "parent": world.other_team.pk}
    )
    assert response.status_code == 200
    assert "parent" in field_errors(response)
    assert snapshot() == before


def test_putting_a_team_under_its_own_sub_team_is_refused_with_a_clear_message(admin_client, world):
    emea = TeamFactory(account=world.admin.account, name="EMEA", parent=world.sales)
    before = snapshot()
    response = admin_client.post(
        reverse("accounts:team_parent", kwargs={"team_id": world.sales.pk}), {"parent": emea.pk}
    )
    assert response.status_code == 200
    [message] = field_errors(response, "parent_form")["parent"]
    assert "“Sales” can't go under “EMEA”" in message
    assert snapshot() == before


def test_the_parent_choices_leave_out_the_team_and_its_sub_teams(admin_client, world):
    TeamFactory(account=world.admin.account, name="EMEA", parent=world.sales)
    response = admin_client.get(reverse("accounts:team", kwargs={"team_id": world.sales.pk}))
    choices = [
        label for _value, label in response.context["parent_form"]["parent"].field.widget.choices
    ]
    assert "Support" in choices
    assert not any("Sales" in str(label) for label in choices)


def test_renaming_to_a_taken_name_is_refused_at_the_field(admin_client, world):
    response = admin_client.post(
        reverse("accounts:team_rename", kwargs={"team_id": world.support.pk}), {"name": "sales"}
    )
    assert "There is already a team called" in field_errors(response, "rename_form")["name"][0]


def test_the_team_page_lists_members_with_their_role(admin_client, world):
    world.admin.extra_teams.add(world.sales)
    response = admin_client.get(reverse("accounts:team", kwargs={"team_id": world.sales.pk}))
    roles = {
        m.user.email: ("main" if m.main_team_id == world.sales.pk else "extra")
        for m in response.context["page"].object_list
    }
    assert roles == {"ada@acme.example": "extra", "bo@acme.example": "main"}


def test_adding_a_member_as_extra_team(admin_client, world):
    admin_client.post(
        reverse("accounts:team_member_add", kwargs={"team_id": world.support.pk}),
        {"member": world.bo.pk, "role": "extra"},
    )
    assert list(world.bo.extra_teams.all()) == [world.support]


def test_adding_another_accounts_member_is_refused_at_the_field(admin_client, world):
    before = snapshot()
    response = admin_client.post(
        reverse("accounts:team_member_add", kwargs={"team_id": world.support.pk}),
        {"member": world.other_member.pk, "role": "main"},
    )
    assert response.status_code == 200
    assert "member" in field_errors(response, "add_form")
    assert snapshot() == before


def test_removing_someone_who_is_not_in_the_team_is_not_found(admin_client, world):
    url = reverse(
        "accounts:team_member_remove",
        kwargs={"team_id": world.support.pk, "membership_id": world.bo.pk},
    )
    assert admin_client.post(url).status_code == 404


def test_deleting_a_team_with_members_asks_what_happens_to_them(admin_client, world):
    response = admin_client.get(reverse("accounts:team_delete", kwargs={"team_id": world.sales.pk}))
    page = response.content.decode()
    assert "What happens to its members?" in page
    assert "Move them to another team" in page


def test_moving_members_needs_a_team_to_move_them_to(admin_client, world):
    before = snapshot()
    response = admin_client.post(
        reverse("accounts:team_delete", kwargs={"team_id": world.sales.pk}), {"members": "move"}
    )
    assert field_errors(response)["move_to"] == ["Choose the team to move the members to."]
    assert snapshot() == before


def test_deleting_a_team_moves_its_members(admin_client, world):
    admin_client.post(
        reverse("accounts:team_delete", kwargs={"team_id": world.sales.pk}),
        {"members": "move", "move_to": world.support.pk},
    )
    world.bo.refresh_from_db()
    assert world.bo.main_team == world.support
    assert not Team.objects.filter(pk=world.sales.pk).exists()


def test_members_cannot_move_to_another_accounts_team(admin_client, world):
    before = snapshot()
    response = admin_client.post(
        reverse("accounts:team_delete", kwargs={"team_id": world.sales.pk}),
        {"members": "move", "move_to": world.other_team.pk},
    )
    assert "move_to" in field_errors(response)
    assert snapshot() == before


def test_the_teams_tab_has_an_empty_state(client):
    login(client, MembershipFactory(super_admin=True))
    assert "No teams yet." in client.get(reverse("accounts:teams")).content.decode()


# --- Permission sets ---------------------------------------------------------------------------


def grid(permissions):
    """Form data for the permission grid."""
    data = {}
    for code, level in permissions.items():
        if level == ON:
            data[FIELD_PREFIX + code] = "on"
        elif level != "off":
            data[FIELD_PREFIX + code] = level
    return data


def test_the_list_shows_built_in_sets_and_which_seat_each_needs(admin_client, world):
    page = admin_client.get(reverse("seats:permission_sets")).content.decode()
    assert "Sales rep" in page
    assert "Needs a Sales seat" in page
    assert "Needs a Service seat" in page
    assert "Field marketing" in page


def test_creating_a_set_from_the_grid(admin_client, world):
    response = admin_client.post(
        reverse("seats:permission_set_create"),
        {
            "name": "Reps",
            "description": "",
            **grid(builtin_permission_set_get("sales_rep").permissions),
        },
        follow=True,
    )
    created = PermissionSet.objects.get(name="Reps")
    assert created.permissions == dict(builtin_permission_set_get("sales_rep").permissions)
    assert "Needs a Sales seat" in response.content.decode()


def test_a_set_name_taken_in_another_case_is_refused_at_the_field(admin_client, world):
    before = snapshot()
    response = admin_client.post(
        reverse("seats:permission_set_create"), {"name": "FIELD MARKETING"}
    )
    assert response.status_code == 200
    assert "There is already a permission set called" in field_errors(response)["name"][0]
    assert snapshot() == before


def test_a_forged_level_is_refused_at_its_field(admin_client, world):
    before = snapshot()
    response = admin_client.post(
        reverse("seats:permission_set_create"),
        {"name": "Forged", FIELD_PREFIX + "crm.contacts.view": "root"},
    )
    assert response.status_code == 200
    assert FIELD_PREFIX + "crm.contacts.view" in field_errors(response)
    assert snapshot() == before


def test_a_users_admin_cannot_create_a_set_above_their_permissions(client, world):
    users_admin = MembershipFactory(
        account=world.admin.account,
        permissions={**CORE_DEFAULTS, AccountPermission.USERS.value: ON},
    )
    login(client, users_admin)
    before = snapshot()
    response = client.post(
        reverse("seats:permission_set_create"),
        {"name": "Billing", FIELD_PREFIX + AccountPermission.BILLING.value: "on"},
    )
    assert response.status_code == 200
    assert "You can't grant permissions you don't have yourself: Edit billing." in (
        response.context["form"].non_field_errors()
    )
    assert snapshot() == before


def test_editing_a_set_with_users_says_how_many_change_before_saving(admin_client, world):
    url = reverse("seats:permission_set", kwargs={"set_id": world.permission_set.pk})
    new = {**world.permission_set.permissions, "crm.deals.edit": "team"}
    before = snapshot()
    response = admin_client.post(url, {"name": "Field marketing", **grid(new)})
    assert "This change applies to 1 user." in response.content.decode()
    assert "Deals: Edit" in response.content.decode()
    assert snapshot() == before
    admin_client.post(url, {"name": "Field marketing", "confirmed": "True", **grid(new)})
    world.bo.refresh_from_db()
    assert world.bo.permissions["crm.deals.edit"] == "team"


def test_editing_a_set_no_user_can_hold_is_refused_naming_them(admin_client, world):
    url = reverse("seats:permission_set", kwargs={"set_id": world.permission_set.pk})
    before = snapshot()
    sales_rep = builtin_permission_set_get("sales_rep").permissions
    response = admin_client.post(url, {"name": "Field marketing", **grid(sales_rep)})
    [error] = response.context["form"].non_field_errors()
    assert "needs a Sales seat" in error
    assert "bo@acme.example" in error
    assert snapshot() == before


def test_applying_a_set_to_users_on_the_sets_page(admin_client, world):
    cy = MembershipFactory(account=world.admin.account, user__email="cy@acme.example")
    dee = MembershipFactory(account=world.admin.account, user__email="dee@acme.example")
    url = reverse("seats:permission_set_users", kwargs={"set_id": world.permission_set.pk})
    response = admin_client.post(url, {"members": [cy.pk, dee.pk]}, follow=True)
    emails = {m.user.email for m in response.context["page"].object_list}
    assert emails == {"bo@acme.example", "cy@acme.example", "dee@acme.example"}


def test_applying_a_set_to_no_one_asks_to_choose(admin_client, world):
    url = reverse("seats:permission_set_users", kwargs={"set_id": world.permission_set.pk})
    response = admin_client.post(url, {})
    assert field_errors(response)["members"] == ["Choose at least one user."]


def test_applying_a_set_to_a_view_only_user_is_refused_naming_them(admin_client, world):
    viewer = MembershipFactory(
        account=world.admin.account, view_only=True, user__email="vi@acme.example"
    )
    url = reverse("seats:permission_set_users", kwargs={"set_id": world.permission_set.pk})
    before = snapshot()
    response = admin_client.post(url, {"members": [viewer.pk]})
    [error] = field_errors(response)["members"]
    assert "vi@acme.example" in error
    assert snapshot() == before


def test_copying_a_built_in_set_opens_the_copy(admin_client, world):
    response = admin_client.post(
        reverse("seats:permission_set_copy", kwargs={"code": "service_agent"})
    )
    copy = PermissionSet.objects.get(name="Copy of Service agent")
    assert response.url == reverse("seats:permission_set", kwargs={"set_id": copy.pk})


def test_an_unknown_built_in_set_is_not_found(admin_client, world):
    url = reverse("seats:permission_set_builtin", kwargs={"code": "wizard"})
    assert admin_client.get(url).status_code == 404


def test_deleting_a_set_asks_first_and_keeps_its_users_permissions(admin_client, world):
    url = reverse("seats:permission_set_delete", kwargs={"set_id": world.permission_set.pk})
    assert "1 user has this set." in admin_client.get(url).content.decode()
    admin_client.post(url)
    world.bo.refresh_from_db()
    assert (world.bo.access, world.bo.permission_set) == (Access.CUSTOM, None)


# --- Presets -----------------------------------------------------------------------------------


def test_creating_a_preset(admin_client, world):
    admin_client.post(
        reverse("seats:preset_create"),
        {
            "name": "New rep",
            "permission_set": world.permission_set.pk,
            "main_team": world.sales.pk,
            "extra_teams": [world.support.pk],
            "default_language": "en",
            "default_landing_page": "deals",
        },
    )
    preset = Preset.objects.get(name="New rep")
    assert (preset.permission_set, preset.main_team) == (world.permission_set, world.sales)
    assert list(preset.extra_teams.all()) == [world.support]


def test_a_preset_name_taken_in_another_case_is_refused_at_the_field(admin_client, world):
    before = snapshot()
    response = admin_client.post(
        reverse("seats:preset_create"), {"name": "STARTER", "default_language": "en"}
    )
    assert "There is already a preset called" in field_errors(response)["name"][0]
    assert snapshot() == before


def test_a_preset_cannot_bundle_another_accounts_set_or_team(admin_client, world):
    before = snapshot()
    response = admin_client.post(
        reverse("seats:preset_create"),
        {
            "name": "Sneaky",
            "permission_set": world.other_set.pk,
            "main_team": world.other_team.pk,
            "extra_teams": [world.other_team.pk],
            "default_language": "en",
        },
    )
    assert {"permission_set", "main_team", "extra_teams"} <= set(field_errors(response))
    assert snapshot() == before


def test_applying_a_preset_to_users_in_bulk(admin_client, world):
    cy = MembershipFactory(account=world.admin.account)
    url = reverse("seats:preset_apply", kwargs={"preset_id": world.preset.pk})
    admin_client.post(url, {"members": [world.bo.pk, cy.pk]})
    for member in (world.bo, cy):
        member.refresh_from_db()
        assert (member.preset, member.main_team) == (world.preset, world.support)


def test_the_apply_page_searches_users(admin_client, world):
    url = reverse("seats:preset_apply", kwargs={"preset_id": world.preset.pk})
    response = admin_client.get(url, {"q": "bo@"})
    assert [m.user.email for m in response.context["page"].object_list] == ["bo@acme.example"]


def test_applying_a_preset_whose_set_a_seat_cannot_hold_names_the_user(admin_client, world):
    world.preset.permission_set = world.permission_set
    world.preset.save()
    viewer = MembershipFactory(
        account=world.admin.account, view_only=True, user__email="vi@acme.example"
    )
    before = snapshot()
    response = admin_client.post(
        reverse("seats:preset_apply", kwargs={"preset_id": world.preset.pk}),
        {"members": [viewer.pk]},
    )
    assert "vi@acme.example" in field_errors(response)["members"][0]
    assert snapshot() == before


def test_deleting_a_preset_asks_first(admin_client, world):
    url = reverse("seats:preset_delete", kwargs={"preset_id": world.preset.pk})
    assert "Delete “Starter”?" in admin_client.get(url).content.decode()
    admin_client.post(url)
    assert not Preset.objects.filter(pk=world.preset.pk).exists()


# --- Audit log ---------------------------------------------------------------------------------


def event(world, verb, *, actor=None, email="", at=(2027, 3, 1), **fields):
    return AuditEventFactory(
        account=world.admin.account,
        actor=actor or world.admin.user,
        verb=verb,
        target_email=email,
        created_at=datetime(*at, 12, 0, tzinfo=UTC),
        **fields,
    )


@pytest.fixture
def log(world):
    """Four events in Acme, one in Globex."""
    AuditEvent.objects.all().delete()
    event(world, AuditVerb.TEAM_CREATED, at=(2027, 3, 1), after={"team": "Sales"})
    event(world, AuditVerb.PERMISSIONS_CHANGED, email="bo@acme.example", at=(2027, 3, 2))
    event(
        world,
        AuditVerb.PERMISSIONS_CHANGED,
        actor=world.bo.user,
        email="cy@acme.example",
        at=(2027, 3, 3),
    )
    event(world, AuditVerb.TEAMS_CHANGED, email="bo@acme.example", at=(2027, 3, 4))
    AuditEventFactory(account=world.other_admin.account, verb=AuditVerb.TEAM_CREATED)


def listed(response):
    return [(row.event.verb, row.subject) for row in response.context["rows"]]


def test_the_audit_log_lists_the_accounts_events_newest_first(admin_client, log):
    response = admin_client.get(reverse("seats:audit_log"))
    assert listed(response) == [
        (AuditVerb.TEAMS_CHANGED, "bo@acme.example"),
        (AuditVerb.PERMISSIONS_CHANGED, "cy@acme.example"),
        (AuditVerb.PERMISSIONS_CHANGED, "bo@acme.example"),
        (AuditVerb.TEAM_CREATED, "Sales"),
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"verb": AuditVerb.PERMISSIONS_CHANGED}, ["cy@acme.example", "bo@acme.example"]),
        ({"target": "BO@acme"}, ["bo@acme.example", "bo@acme.example"]),
        (
            {"date_from": "2027-03-02", "date_to": "2027-03-03"},
            ["cy@acme.example", "bo@acme.example"],
        ),
        ({"date_to": "2027-03-01"}, ["Sales"]),
    ],
)
def test_the_audit_log_filters(admin_client, log, query, expected):
    response = admin_client.get(reverse("seats:audit_log"), query)
    assert [subject for _verb, subject in listed(response)] == expected


def test_the_audit_log_filters_by_actor(admin_client, world, log):
    response = admin_client.get(reverse("seats:audit_log"), {"actor": world.bo.user.pk})
    assert listed(response) == [(AuditVerb.PERMISSIONS_CHANGED, "cy@acme.example")]


@pytest.mark.parametrize(
    "query",
    [
        {"date_from": "yesterday"},
        {"actor": "999999"},
        {"verb": "nope"},
        {"date_from": "2027-03-04", "date_to": "2027-03-01"},
        {"page": "x"},
    ],
)
def test_a_bad_filter_is_shown_at_its_field_never_a_500(admin_client, log, query):
    response = admin_client.get(reverse("seats:audit_log"), query)
    assert response.status_code == 200
    assert response.context["form"].errors or "page" in query


def export(client, query=None):
    response = client.get(reverse("seats:audit_log_export"), query or {})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.streaming
    # utf-8-sig: the export starts with a BOM so that spreadsheet programs read accents right.
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_export_csv_streams_the_filtered_list(admin_client, log):
    rows = export(admin_client, {"verb": AuditVerb.PERMISSIONS_CHANGED})
    assert rows[0][:5] == ["Time (UTC)", "Actor", "Action", "Action code", "Target"]
    assert [(r[2], r[4]) for r in rows[1:]] == [
        ("Permissions changed", "cy@acme.example"),
        ("Permissions changed", "bo@acme.example"),
    ]


def test_export_csv_neutralises_cells_a_spreadsheet_would_run(admin_client, world):
    AuditEvent.objects.all().delete()
    event(world, AuditVerb.TEAM_CREATED, after={"team": '=HYPERLINK("http://evil.example")'})
    [_header, row] = export(admin_client)
    assert row[4] == '\'=HYPERLINK("http://evil.example")'


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised(start):
    assert csv_cell(f"{start}1+1") == f"'{start}1+1"


def test_plain_cells_are_left_alone():
    assert csv_cell("ada@acme.example") == "ada@acme.example"
    assert csv_cell(None) == ""


def test_the_audit_log_has_an_empty_state(client):
    login(client, MembershipFactory(super_admin=True))
    page = client.get(reverse("seats:audit_log")).content.decode()
    assert "Nothing has happened in this account yet." in page


# --- Query counts: constant whatever the length ------------------------------------------------


def many_teams(world, n, start):
    for i in range(start, start + n):
        team = TeamFactory(account=world.admin.account, name=f"Team {i:02}", parent=world.sales)
        member = MembershipFactory(account=world.admin.account, main_team=team)
        member.extra_teams.add(world.support)


def many_events(world, n, start):
    for i in range(start, start + n):
        event(
            world,
            AuditVerb.PERMISSIONS_CHANGED,
            email=f"p{i}@acme.example",
            before={"permissions": {"crm.deals.edit": "none"}},
            after={"permissions": {"crm.deals.edit": "team"}},
        )


def many_sets_and_presets(world, n, start):
    for i in range(start, start + n):
        on_set = PermissionSetFactory(account=world.admin.account, name=f"Set {i:02}")
        MembershipFactory(
            account=world.admin.account,
            access=Access.PERMISSION_SET,
            permission_set=on_set,
            permissions=dict(on_set.permissions),
        )
        preset = PresetFactory(
            account=world.admin.account,
            name=f"Preset {i:02}",
            permission_set=on_set,
            main_team=world.sales,
        )
        preset.extra_teams.add(world.support)


# Each page's budget: 8 queries of every signed-in page (session, user, membership, last
# active, notifications, switcher, session save) plus the page's own reads.
PAGES = [
    ("accounts:teams", many_teams, 11),
    ("seats:audit_log", many_events, 12),
    ("seats:permission_sets", many_sets_and_presets, 11),
    ("seats:presets", many_sets_and_presets, 11),
]


@pytest.mark.parametrize(("name", "make", "budget"), PAGES)
def test_a_list_costs_the_same_queries_with_5_and_with_40_rows(
    admin_client, world, django_assert_max_num_queries, name, make, budget
):
    make(world, 5, start=0)
    with django_assert_max_num_queries(budget) as with_five:
        assert admin_client.get(reverse(name)).status_code == 200
    make(world, 35, start=5)
    with django_assert_max_num_queries(len(with_five)):
        response = admin_client.get(reverse(name))
    assert response.status_code == 200


def test_the_audit_log_shows_only_the_permissions_that_moved(admin_client, world, log):
    AuditEvent.objects.all().delete()
    event(
        world,
        AuditVerb.PERMISSIONS_CHANGED,
        email="bo@acme.example",
        before={"permissions": {"crm.deals.edit": "none", "crm.deals.view": "owned"}},
        after={"permissions": {"crm.deals.edit": "team", "crm.deals.view": "owned"}},
    )
    event(
        world,
        AuditVerb.PERMISSION_SET_CREATED,
        after={"permission_set": "Reps", "permissions": {"crm.deals.edit": "team"}},
    )
    rows = admin_client.get(reverse("seats:audit_log")).context["rows"]
    lines = [[(c.label, c.before, c.after) for c in row.changes] for row in rows]
    assert lines == [
        [("Permission set", "—", "Reps"), ("Deals: Edit", "—", "Team only")],
        [("Deals: Edit", "None", "Team only")],
    ]
