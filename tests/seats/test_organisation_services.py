"""Teams, permission sets and presets: the rules of DOMAIN.md sections 3 and 6.

Teams nest without cycles and have unique names; deleting one asks what happens to its members.
A member on a permission set holds exactly its permissions, so editing the set edits theirs; a
set never lands on a seat that can't hold it. Presets bundle a set and teams for many users.
"""

import pytest

from accounts.errors import TeamCycle, TeamMoveToItself, TeamNameRequired, TeamNameTaken
from accounts.models import (
    Access,
    AuditEvent,
    AuditVerb,
    PermissionSet,
    Preset,
    SeatType,
    Team,
)
from accounts.policy import ON, AccountPermission
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
from seats.catalogue import seat_default_permissions
from seats.errors import (
    LandingPageUnknown,
    NoUsersChosen,
    PermissionSetNameTaken,
    PermissionsNotHeld,
    PresetNameTaken,
    SeatsCantHoldSet,
    SuperAdminsOnlyBySuperAdmins,
)
from seats.permission_sets.builtin import builtin_permission_set_get
from seats.permission_sets.services import (
    permission_set_apply,
    permission_set_copy,
    permission_set_create,
    permission_set_delete,
    permission_set_update,
    permission_set_update_check,
)
from seats.presets.services import (
    PresetFields,
    preset_apply,
    preset_create,
    preset_delete,
    preset_update,
)
from tests.factories import (
    AccountFactory,
    MembershipFactory,
    PresetFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db

CORE_DEFAULTS = seat_default_permissions(SeatType.CORE)
SALES_REP = dict(builtin_permission_set_get("sales_rep").permissions)


@pytest.fixture
def account():
    return AccountFactory(name="Acme")


@pytest.fixture
def admin(account):
    return MembershipFactory(account=account, super_admin=True, user__email="ada@acme.example")


@pytest.fixture
def users_admin(account):
    """Holds "Add and edit users" and "Presets" on top of a Core seat's defaults; not a super
    admin."""
    return MembershipFactory(
        account=account,
        user__email="uma@acme.example",
        permissions={
            **CORE_DEFAULTS,
            AccountPermission.USERS.value: ON,
            AccountPermission.PRESETS.value: ON,
        },
    )


def team(account, name, parent=None):
    return TeamFactory(account=account, name=name, parent=parent)


def events(verb):
    return list(AuditEvent.objects.filter(verb=verb).order_by("id"))


def teams_of(membership):
    membership.refresh_from_db()
    return (
        membership.main_team.name if membership.main_team else None,
        sorted(t.name for t in membership.extra_teams.all()),
    )


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


# --- Permission sets ---------------------------------------------------------------------------


def marketing_set(account, actor_membership, name="Field marketing"):
    return permission_set_create(
        account=account,
        name=name,
        description="Events and forms",
        permissions={"crm.contacts.edit": "everything", "marketing.forms": "edit"},
        actor_membership=actor_membership,
    )


def test_a_new_set_holds_the_complete_permission_list_and_is_audited(account, admin):
    created = marketing_set(account, admin)
    assert created.permissions["crm.contacts.edit"] == "everything"
    assert created.permissions["crm.deals.edit"] == "none"
    assert len(created.permissions) == len(CORE_DEFAULTS)
    [event] = events(AuditVerb.PERMISSION_SET_CREATED)
    assert (event.actor, event.after["permission_set"]) == (admin.user, "Field marketing")


def test_set_names_are_unique_in_the_account_whatever_their_case(account, admin):
    marketing_set(account, admin)
    with pytest.raises(PermissionSetNameTaken, match="called “FIELD MARKETING”"):
        marketing_set(account, admin, name="FIELD MARKETING")
    assert PermissionSet.objects.count() == 1


def test_a_users_admin_cannot_create_a_set_above_their_own_permissions(account, users_admin):
    with pytest.raises(PermissionsNotHeld, match="Edit billing"):
        permission_set_create(
            account=account,
            name="Billing",
            description="",
            permissions={AccountPermission.BILLING.value: ON},
            actor_membership=users_admin,
        )
    assert not PermissionSet.objects.exists()


def test_a_users_admin_creates_a_set_within_their_own_permissions(account, users_admin):
    assert marketing_set(account, users_admin).name == "Field marketing"


@pytest.fixture
def set_with_two_members(account, admin):
    """A set held by two Core members."""
    on_set = marketing_set(account, admin)
    members = [
        MembershipFactory(
            account=account,
            user__email=f"{name}@acme.example",
            permissions=dict(on_set.permissions),
            access=Access.PERMISSION_SET,
            permission_set=on_set,
        )
        for name in ("bo", "cy")
    ]
    AuditEvent.objects.all().delete()
    return on_set, members


def test_editing_a_set_updates_every_member_on_it_and_records_each(admin, set_with_two_members):
    on_set, members = set_with_two_members
    new = {**on_set.permissions, "crm.deals.edit": "team"}
    update = permission_set_update(
        permission_set=on_set,
        name="Field marketing",
        description="",
        permissions=new,
        actor_membership=admin,
    )
    assert update.users_updated == 2
    for member in members:
        member.refresh_from_db()
        assert member.permissions["crm.deals.edit"] == "team"
        assert member.access == Access.PERMISSION_SET
    changed = events(AuditVerb.PERMISSIONS_CHANGED)
    assert {e.target_email for e in changed} == {"bo@acme.example", "cy@acme.example"}
    assert changed[0].before["permissions"]["crm.deals.edit"] == "none"
    [set_event] = events(AuditVerb.PERMISSION_SET_CHANGED)
    assert set_event.after["users_updated"] == 2


def test_editing_a_set_is_refused_naming_members_whose_seat_cannot_hold_it(
    account, admin, set_with_two_members
):
    on_set, members = set_with_two_members
    with pytest.raises(SeatsCantHoldSet, match=r"needs a Sales seat.*bo@acme.example, cy@"):
        permission_set_update(
            permission_set=on_set,
            name="Field marketing",
            description="",
            permissions=SALES_REP,
            actor_membership=admin,
        )
    on_set.refresh_from_db()
    assert on_set.permissions["sales.sequences"] == "off"
    members[0].refresh_from_db()
    assert members[0].permissions["sales.sequences"] == "off"
    assert not AuditEvent.objects.exists()


def test_the_update_check_refuses_what_the_update_would(admin, set_with_two_members):
    on_set, _members = set_with_two_members
    with pytest.raises(SeatsCantHoldSet):
        permission_set_update_check(
            permission_set=on_set, name="x", permissions=SALES_REP, actor_membership=admin
        )


def test_applying_a_set_puts_the_chosen_members_on_it(account, admin):
    on_set = marketing_set(account, admin)
    bo, cy = (MembershipFactory(account=account) for _ in range(2))
    permission_set_apply(
        permission_set=on_set, membership_ids=[bo.pk, cy.pk], actor_membership=admin
    )
    for member in (bo, cy):
        member.refresh_from_db()
        assert (member.access, member.permission_set, member.permissions) == (
            Access.PERMISSION_SET,
            on_set,
            on_set.permissions,
        )
    assert len(events(AuditVerb.PERMISSIONS_CHANGED)) == 2


def test_applying_a_set_is_refused_listing_members_whose_seat_cannot_hold_it(account, admin):
    sales_set = permission_set_create(
        account=account, name="Reps", description="", permissions=SALES_REP, actor_membership=admin
    )
    rep = MembershipFactory(account=account, seat_type=SeatType.SALES, user__email="rep@a.example")
    core = MembershipFactory(account=account, user__email="core@a.example")
    viewer = MembershipFactory(account=account, view_only=True, user__email="viewer@a.example")
    with pytest.raises(SeatsCantHoldSet) as refused:
        permission_set_apply(
            permission_set=sales_set,
            membership_ids=[rep.pk, core.pk, viewer.pk],
            actor_membership=admin,
        )
    assert "core@a.example, viewer@a.example" in str(refused.value)
    assert "rep@a.example" not in str(refused.value)
    rep.refresh_from_db()
    assert rep.access == Access.SEAT_DEFAULTS
    assert not events(AuditVerb.PERMISSIONS_CHANGED)


def test_applying_a_set_to_no_one_is_refused(account, admin):
    with pytest.raises(NoUsersChosen):
        permission_set_apply(
            permission_set=marketing_set(account, admin),
            membership_ids=[MembershipFactory().pk],  # another account's member
            actor_membership=admin,
        )


def test_a_users_admin_cannot_apply_a_set_to_a_super_admin(account, admin, users_admin):
    on_set = marketing_set(account, users_admin)
    with pytest.raises(SuperAdminsOnlyBySuperAdmins):
        permission_set_apply(
            permission_set=on_set, membership_ids=[admin.pk], actor_membership=users_admin
        )


def test_copying_a_builtin_set_gives_the_account_an_editable_set(account, admin):
    first = permission_set_copy(
        account=account, source=builtin_permission_set_get("marketer"), actor_membership=admin
    )
    second = permission_set_copy(
        account=account, source=builtin_permission_set_get("marketer"), actor_membership=admin
    )
    assert (first.name, second.name) == ("Copy of Marketer", "Copy of Marketer (2)")
    assert first.permissions == dict(builtin_permission_set_get("marketer").permissions)
    assert len(events(AuditVerb.PERMISSION_SET_CREATED)) == 2


def test_a_users_admin_cannot_copy_a_builtin_set_above_their_permissions(account, users_admin):
    with pytest.raises(PermissionsNotHeld):
        permission_set_copy(
            account=account,
            source=builtin_permission_set_get("admin"),
            actor_membership=users_admin,
        )


def test_deleting_a_set_turns_its_members_to_custom_access_keeping_their_permissions(
    admin, set_with_two_members
):
    on_set, members = set_with_two_members
    permissions = dict(on_set.permissions)
    assert permission_set_delete(permission_set=on_set, actor=admin.user) == 2
    for member in members:
        member.refresh_from_db()
        assert (member.access, member.permission_set, member.permissions) == (
            Access.CUSTOM,
            None,
            permissions,
        )
    assert len(events(AuditVerb.PERMISSIONS_CHANGED)) == 2
    [deleted] = events(AuditVerb.PERMISSION_SET_DELETED)
    assert (deleted.before["permission_set"], deleted.before["users"]) == ("Field marketing", 2)


def test_deleting_a_set_bundled_in_a_preset_leaves_the_preset_without_a_set(account, admin):
    on_set = marketing_set(account, admin)
    preset = PresetFactory(account=account, permission_set=on_set)
    permission_set_delete(permission_set=on_set, actor=admin.user)
    preset.refresh_from_db()
    assert preset.permission_set is None


# --- Presets -----------------------------------------------------------------------------------


def fields(**changes):
    values = {
        "name": "New sales rep",
        "permission_set": None,
        "main_team": None,
        "extra_teams": [],
        "default_language": "en",
        "default_landing_page": "deals",
    }
    return PresetFields(**{**values, **changes})


def test_a_preset_bundles_a_set_teams_a_language_and_a_landing_page(account, admin):
    on_set = marketing_set(account, admin)
    sales, emea = team(account, "Sales"), team(account, "EMEA")
    preset = preset_create(
        account=account,
        fields=fields(permission_set=on_set, main_team=sales, extra_teams=[emea, sales]),
        actor_membership=admin,
    )
    assert (preset.permission_set, preset.main_team, preset.default_landing_page) == (
        on_set,
        sales,
        "deals",
    )
    assert list(preset.extra_teams.all()) == [emea]
    [event] = events(AuditVerb.PRESET_CREATED)
    assert event.after["extra_teams"] == ["EMEA"]


def test_preset_names_are_unique_in_the_account_whatever_their_case(account, admin):
    preset_create(account=account, fields=fields(), actor_membership=admin)
    with pytest.raises(PresetNameTaken):
        preset_create(account=account, fields=fields(name="NEW SALES REP"), actor_membership=admin)


def test_a_preset_only_bundles_its_accounts_teams(account, admin):
    with pytest.raises(ValueError):
        preset_create(
            account=account, fields=fields(main_team=TeamFactory()), actor_membership=admin
        )


def test_a_preset_lands_on_a_known_page(account, admin):
    with pytest.raises(LandingPageUnknown):
        preset_create(
            account=account, fields=fields(default_landing_page="/evil"), actor_membership=admin
        )


def test_editing_a_preset_records_before_and_after(account, admin):
    preset = preset_create(account=account, fields=fields(), actor_membership=admin)
    preset_update(
        preset=preset, fields=fields(default_landing_page="reports"), actor_membership=admin
    )
    [event] = events(AuditVerb.PRESET_CHANGED)
    assert (event.before["default_landing_page"], event.after["default_landing_page"]) == (
        "deals",
        "reports",
    )


def test_deleting_a_preset_leaves_its_users_their_teams(account, admin):
    sales = team(account, "Sales")
    preset = preset_create(account=account, fields=fields(main_team=sales), actor_membership=admin)
    member = MembershipFactory(account=account, main_team=sales, preset=preset)
    preset_delete(preset=preset, actor=admin.user)
    assert not Preset.objects.exists()
    member.refresh_from_db()
    assert (member.main_team, member.preset) == (sales, None)
    assert events(AuditVerb.PRESET_DELETED)[0].before["preset"] == "New sales rep"


def test_applying_a_preset_gives_users_its_teams_and_its_set(account, admin):
    on_set = marketing_set(account, admin)
    sales, emea = team(account, "Sales"), team(account, "EMEA")
    preset = preset_create(
        account=account,
        fields=fields(permission_set=on_set, main_team=sales, extra_teams=[emea]),
        actor_membership=admin,
    )
    bo, cy = (MembershipFactory(account=account) for _ in range(2))
    preset_apply(preset=preset, membership_ids=[bo.pk, cy.pk], actor_membership=admin)
    for member in (bo, cy):
        assert teams_of(member) == ("Sales", ["EMEA"])
        assert (member.permission_set, member.preset) == (on_set, preset)


def test_applying_a_preset_is_refused_naming_users_whose_seat_cannot_hold_its_set(account, admin):
    sales_set = permission_set_create(
        account=account, name="Reps", description="", permissions=SALES_REP, actor_membership=admin
    )
    preset = preset_create(
        account=account,
        fields=fields(permission_set=sales_set, main_team=team(account, "Sales")),
        actor_membership=admin,
    )
    core = MembershipFactory(account=account, user__email="core@a.example")
    with pytest.raises(SeatsCantHoldSet, match=r"core@a\.example"):
        preset_apply(preset=preset, membership_ids=[core.pk], actor_membership=admin)
    assert teams_of(core) == (None, [])
