"""Teams room (accounts/teams/services.py, selectors.py), DOMAIN.md section 6: teams nest without
cycles and have unique names; deleting one asks what happens to its members.
"""

import pytest

from accounts.errors import TeamCycle, TeamMoveToItself, TeamNameRequired, TeamNameTaken
from accounts.models import AuditVerb, Team
from accounts.teams.selectors import team_rows
from accounts.teams.services import (
    TeamRole,
    team_create,
    team_delete,
    team_member_add,
    team_member_remove,
    team_name_check,
    team_parent_set,
    team_rename,
)
from tests.factories import AccountFactory, MembershipFactory, PresetFactory, TeamFactory

# Fixtures, imported by name for pytest to find here (`as`: re-exported, not unused).
from tests.services_world import account as account
from tests.services_world import admin as admin
from tests.services_world import events, team, teams_of

pytestmark = pytest.mark.django_db


# --- Teams: names ------------------------------------------------------------------------------


def test_renaming_a_team_records_its_old_and_new_name(account, admin):
    sales = team(account, "Sales")
    team_rename(team=sales, name="  Revenue ", actor=admin.user)
    sales.refresh_from_db()
    assert sales.name == "Revenue"
    [event] = events(AuditVerb.TEAM_RENAMED)
    assert (event.actor, event.before, event.after) == (
        admin.user,
        {"team": "Sales"},
        {"team": "Revenue"},
    )


def test_a_team_name_is_taken_whatever_its_case(account, admin):
    team(account, "Sales")
    support = team(account, "Support")
    with pytest.raises(TeamNameTaken, match="There is already a team called “SALES”"):
        team_rename(team=support, name="SALES", actor=admin.user)
    support.refresh_from_db()
    assert support.name == "Support"
    assert not events(AuditVerb.TEAM_RENAMED)


def test_another_account_may_use_the_same_team_name(account, admin):
    team(AccountFactory(), "Sales")
    support = team(account, "Support")
    team_rename(team=support, name="Sales", actor=admin.user)
    assert Team.objects.filter(name="Sales").count() == 2


def test_a_team_needs_a_name(account, admin):
    with pytest.raises(TeamNameRequired):
        team_rename(team=team(account, "Sales"), name="   ", actor=admin.user)


def test_changing_only_the_case_of_a_name_is_a_rename(account, admin):
    sales = team(account, "sales")
    team_rename(team=sales, name="Sales", actor=admin.user)
    sales.refresh_from_db()
    assert sales.name == "Sales"


# --- Teams: nesting ----------------------------------------------------------------------------


def test_a_team_moves_under_another_team(account, admin):
    sales, emea = team(account, "Sales"), team(account, "EMEA")
    team_parent_set(team=emea, parent=sales, actor=admin.user)
    emea.refresh_from_db()
    assert emea.parent == sales
    [event] = events(AuditVerb.TEAM_MOVED)
    assert (event.before["parent"], event.after["parent"]) == (None, "Sales")


def test_a_team_cannot_go_under_itself(account, admin):
    sales = team(account, "Sales")
    with pytest.raises(TeamCycle, match="“Sales” can't go under “Sales”"):
        team_parent_set(team=sales, parent=sales, actor=admin.user)


def test_a_team_cannot_go_under_one_of_its_descendants(account, admin):
    sales = team(account, "Sales")
    emea = team(account, "EMEA", parent=sales)
    france = team(account, "France", parent=emea)
    with pytest.raises(TeamCycle, match="one of its sub-teams"):
        team_parent_set(team=sales, parent=france, actor=admin.user)
    sales.refresh_from_db()
    assert sales.parent is None
    assert not events(AuditVerb.TEAM_MOVED)


def test_a_team_moves_back_to_the_top_level(account, admin):
    emea = team(account, "EMEA", parent=team(account, "Sales"))
    team_parent_set(team=emea, parent=None, actor=admin.user)
    emea.refresh_from_db()
    assert emea.parent is None


def test_a_team_cannot_go_under_a_team_of_another_account(account, admin):
    with pytest.raises(ValueError):
        team_parent_set(team=team(account, "Sales"), parent=TeamFactory(), actor=admin.user)


def test_the_team_list_shows_each_team_under_its_parent_with_member_counts(account):
    sales = team(account, "Sales")
    emea = team(account, "EMEA", parent=sales)
    team(account, "Apac", parent=sales)
    team(account, "Support")
    MembershipFactory(account=account, main_team=sales)
    MembershipFactory(account=account, main_team=emea).extra_teams.add(sales)
    rows = team_rows(account=account)
    assert [(r.path, r.depth, r.main_count, r.extra_count) for r in rows] == [
        ("Sales", 0, 1, 1),
        ("Sales › Apac", 1, 0, 0),
        ("Sales › EMEA", 1, 1, 0),
        ("Support", 0, 0, 0),
    ]


# --- Teams: deleting ---------------------------------------------------------------------------


@pytest.fixture
def emea_with_members(account):
    """EMEA (under Sales, with a child France) holds Mo as main team and Xi as extra team."""
    sales = team(account, "Sales")
    emea = team(account, "EMEA", parent=sales)
    team(account, "France", parent=emea)
    support = team(account, "Support")
    mo = MembershipFactory(account=account, main_team=emea, user__email="mo@acme.example")
    xi = MembershipFactory(account=account, main_team=support, user__email="xi@acme.example")
    xi.extra_teams.add(emea)
    return emea, mo, xi


def test_deleting_a_team_moves_its_members_to_another_team_in_the_same_role(
    account, admin, emea_with_members
):
    emea, mo, xi = emea_with_members
    apac = team(account, "Apac")
    team_delete(team=emea, actor=admin.user, move_members_to=apac)
    assert not Team.objects.filter(name="EMEA").exists()
    assert teams_of(mo) == ("Apac", [])
    assert teams_of(xi) == ("Support", ["Apac"])


def test_deleting_a_team_can_just_remove_it_from_its_members(account, admin, emea_with_members):
    emea, mo, xi = emea_with_members
    team_delete(team=emea, actor=admin.user, move_members_to=None)
    assert teams_of(mo) == (None, [])
    assert teams_of(xi) == ("Support", [])


def test_a_member_never_holds_the_new_team_twice(account, admin, emea_with_members):
    emea, _mo, xi = emea_with_members
    team_delete(team=emea, actor=admin.user, move_members_to=Team.objects.get(name="Support"))
    assert teams_of(xi) == ("Support", [])


def test_deleting_a_team_moves_its_child_teams_up_to_its_parent(account, admin, emea_with_members):
    emea, _mo, _xi = emea_with_members
    team_delete(team=emea, actor=admin.user)
    assert Team.objects.get(name="France").parent == Team.objects.get(name="Sales")


def test_deleting_a_team_records_each_members_change_and_the_deletion(
    account, admin, emea_with_members
):
    emea, _mo, _xi = emea_with_members
    team_delete(team=emea, actor=admin.user, move_members_to=None)
    changes = {e.target_email: (e.before, e.after) for e in events(AuditVerb.TEAMS_CHANGED)}
    assert changes == {
        "mo@acme.example": (
            {"main_team": "EMEA", "extra_teams": []},
            {"main_team": None, "extra_teams": []},
        ),
        "xi@acme.example": (
            {"main_team": "Support", "extra_teams": ["EMEA"]},
            {"main_team": "Support", "extra_teams": []},
        ),
    }
    [deleted] = events(AuditVerb.TEAM_DELETED)
    assert deleted.before == {
        "team": "EMEA",
        "parent": "Sales",
        "members": 2,
        "child_teams": ["France"],
    }


def test_presets_that_used_a_deleted_team_use_the_team_its_members_moved_to(
    account, admin, emea_with_members
):
    emea, _mo, _xi = emea_with_members
    apac = team(account, "Apac")
    as_main = PresetFactory(account=account, main_team=emea)
    as_extra = PresetFactory(account=account)
    as_extra.extra_teams.add(emea)
    team_delete(team=emea, actor=admin.user, move_members_to=apac)
    as_main.refresh_from_db()
    assert as_main.main_team == apac
    assert list(as_extra.extra_teams.all()) == [apac]


def test_members_cannot_move_to_the_team_being_deleted(account, admin, emea_with_members):
    emea, mo, _xi = emea_with_members
    with pytest.raises(TeamMoveToItself):
        team_delete(team=emea, actor=admin.user, move_members_to=emea)
    assert teams_of(mo) == ("EMEA", [])


# --- Teams: members ----------------------------------------------------------------------------


def test_adding_a_member_as_main_team_replaces_their_main_team(account, admin):
    sales, support = team(account, "Sales"), team(account, "Support")
    member = MembershipFactory(account=account, main_team=support)
    team_member_add(team=sales, membership=member, role=TeamRole.MAIN, actor=admin.user)
    assert teams_of(member) == ("Sales", [])
    [event] = events(AuditVerb.TEAMS_CHANGED)
    assert (event.target, event.before["main_team"], event.after["main_team"]) == (
        member,
        "Support",
        "Sales",
    )


def test_adding_a_member_as_extra_team_keeps_their_main_team(account, admin):
    sales, support = team(account, "Sales"), team(account, "Support")
    member = MembershipFactory(account=account, main_team=support)
    team_member_add(team=sales, membership=member, role=TeamRole.EXTRA, actor=admin.user)
    assert teams_of(member) == ("Support", ["Sales"])


def test_an_extra_team_that_becomes_the_main_team_is_no_longer_extra(account, admin):
    sales = team(account, "Sales")
    member = MembershipFactory(account=account)
    member.extra_teams.add(sales)
    team_member_add(team=sales, membership=member, role=TeamRole.MAIN, actor=admin.user)
    assert teams_of(member) == ("Sales", [])


def test_removing_a_member_from_a_team_whatever_their_role(account, admin):
    sales, support = team(account, "Sales"), team(account, "Support")
    member = MembershipFactory(account=account, main_team=sales)
    member.extra_teams.add(support)
    team_member_remove(team=sales, membership=member, actor=admin.user)
    team_member_remove(team=support, membership=member, actor=admin.user)
    assert teams_of(member) == (None, [])
    assert len(events(AuditVerb.TEAMS_CHANGED)) == 2


def test_a_member_of_another_account_cannot_join_a_team(account, admin):
    with pytest.raises(ValueError):
        team_member_add(
            team=team(account, "Sales"),
            membership=MembershipFactory(),
            role=TeamRole.MAIN,
            actor=admin.user,
        )


def test_a_team_name_is_unique_when_created_too(account, admin):
    team_create(account=account, name="Sales", actor=admin.user)
    with pytest.raises(TeamNameTaken):
        team_name_check(account=account, name=" sAlEs ")
