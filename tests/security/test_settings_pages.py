"""Who may open the settings pages of Users & Teams: the Teams, Permission sets, Presets and
Audit log pages and every action on them, each checked server-side (STYLE.md item 12). The
actions are listed with their rooms' tests; the rules are the same for all, so they are proved
here once over all of them."""

import pytest
from django.urls import reverse

from accounts.models import SeatType
from accounts.policy import ON, AccountPermission
from seats.catalogue import seat_default_permissions
from tests.accounts.teams.test_views import ACTIONS as TEAM_ACTIONS
from tests.factories import MembershipFactory
from tests.pages_world import action_id, holder_of_everything_but, login, request, snapshot
from tests.pages_world import world as world  # a fixture, used by name
from tests.seats.audit_log.test_views import ACTIONS as AUDIT_LOG_ACTIONS
from tests.seats.permission_sets.test_views import ACTIONS as PERMISSION_SET_ACTIONS
from tests.seats.presets.test_views import ACTIONS as PRESET_ACTIONS

pytestmark = pytest.mark.django_db

SIGN_IN = reverse("accounts:login")
CORE_DEFAULTS = seat_default_permissions(SeatType.CORE)

ACTIONS = [*TEAM_ACTIONS, *PERMISSION_SET_ACTIONS, *PRESET_ACTIONS, *AUDIT_LOG_ACTIONS]
WITH_IDS = [a for a in ACTIONS if a.other_ids is not None]


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
        ("seats:permission_sets", AccountPermission.USERS),
        ("seats:presets", AccountPermission.PRESETS),
    ],
)
def test_the_gating_permission_alone_opens_its_tab(client, world, name, gate):
    member = MembershipFactory(
        account=world.admin.account, permissions={**CORE_DEFAULTS, gate.value: ON}
    )
    login(client, member)
    assert client.get(reverse(name)).status_code == 200
