"""Teams room (accounts/teams/views.py, forms.py), the Teams tab over HTTP (DOMAIN.md section 6):
every page and action is refused to whoever lacks "Add and edit teams", and an id from another
account is a 404; bad input is a message at the field, with nothing written.
"""

import pytest
from django.urls import reverse

from accounts.models import SeatType, Team
from accounts.policy import AccountPermission
from seats.catalogue import seat_default_permissions
from tests.factories import MembershipFactory, TeamFactory
from tests.pages_world import (
    Action,
    field_errors,
    login,
    snapshot,
)

# Fixtures, imported by name for pytest to find here (`as`: re-exported, not unused).
from tests.pages_world import admin_client as admin_client
from tests.pages_world import world as world

pytestmark = pytest.mark.django_db

CORE_DEFAULTS = seat_default_permissions(SeatType.CORE)
TEAMS = AccountPermission.TEAMS.value

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
]


# --- Who may open what -------------------------------------------------------------------------


# --- Teams -------------------------------------------------------------------------------------


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


# --- Query counts: constant whatever the length ------------------------------------------------


def many_teams(world, n, start):
    for i in range(start, start + n):
        team = TeamFactory(account=world.admin.account, name=f"Team {i:02}", parent=world.sales)
        member = MembershipFactory(account=world.admin.account, main_team=team)
        member.extra_teams.add(world.support)


# Each page's budget: 8 queries of every signed-in page (session, user, membership, last
# active, notifications, switcher, session save), the Users & Teams tabs' count of open seat
# requests, plus the page's own reads.
PAGES = [
    ("accounts:teams", many_teams, 12),
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
