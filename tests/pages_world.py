"""What the page tests of teams, permission sets, presets and the audit log share: the `world`
they run in (Acme and Globex), the signed-in `admin_client`, and the plumbing of their
who-may-open-what matrix (an `Action` per page or action, `request`, `snapshot`).

Used by tests/accounts/teams/test_views.py and tests/seats/{permission_sets,presets,audit_log}/
test_views.py, which import the fixtures by name (pytest finds a fixture in a module's
namespace); a conftest.py would have to be tests/conftest.py, global to every test.
"""

from dataclasses import dataclass

import pytest
from django.urls import reverse

from accounts.models import (
    Access,
    AuditEvent,
    Membership,
    PermissionSet,
    Preset,
    SeatType,
    Team,
)
from accounts.policy import ON, AccountPermission
from seats.catalogue import seat_default_permissions
from tests.factories import (
    AccountFactory,
    MembershipFactory,
    PermissionSetFactory,
    PresetFactory,
    TeamFactory,
)

CORE_DEFAULTS = seat_default_permissions(SeatType.CORE)


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


@pytest.fixture
def admin_client(client, world):
    return login(client, world.admin)


def field_errors(response, form="form"):
    return response.context[form].errors


def many_sets_and_presets(world, n, start):
    """`n` permission sets, each held by a member and bundled in a preset with both teams: rows
    for the Permission sets and Presets lists' query counts."""
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
