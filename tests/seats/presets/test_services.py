"""Presets room (seats/presets/services.py), DOMAIN.md section 6: presets bundle a permission set,
teams, a language and a landing page, and apply them to many users at once.
"""

import pytest

from accounts.models import Access, AuditVerb, PermissionSet, Preset
from seats.errors import (
    LandingPageUnknown,
    PresetNameTaken,
    SeatsCantHoldSet,
    UnknownPermissionSet,
)
from seats.permission_sets.builtin import builtin_permission_set_get
from seats.permission_sets.services import permission_set_create
from seats.presets.services import (
    PresetFields,
    preset_apply,
    preset_create,
    preset_delete,
    preset_update,
)
from tests.factories import MembershipFactory, TeamFactory
from tests.services_world import SALES_REP, events, marketing_set, team, teams_of

# Fixtures, imported by name for pytest to find here (`as`: re-exported, not unused).
from tests.services_world import account as account
from tests.services_world import admin as admin

pytestmark = pytest.mark.django_db


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


# --- A preset can bundle a built-in set directly, without copying it ----------------------------


def test_a_preset_bundles_a_built_in_set_without_copying_it(account, admin):
    preset = preset_create(
        account=account, fields=fields(permission_template="marketer"), actor_membership=admin
    )

    assert (preset.permission_set, preset.permission_template) == (None, "marketer")
    assert not PermissionSet.objects.filter(account=account).exists()
    [event] = events(AuditVerb.PRESET_CREATED)
    assert event.after["permission_set"] == "Marketer"


def test_applying_a_built_in_preset_gives_users_that_built_in_set(account, admin):
    preset = preset_create(
        account=account, fields=fields(permission_template="marketer"), actor_membership=admin
    )
    bo = MembershipFactory(account=account)

    preset_apply(preset=preset, membership_ids=[bo.pk], actor_membership=admin)

    bo.refresh_from_db()
    assert (bo.access, bo.permission_template, bo.permission_set) == (
        Access.TEMPLATE,
        "marketer",
        None,
    )
    assert bo.permissions == dict(builtin_permission_set_get("marketer").permissions)


def test_a_built_in_preset_is_refused_for_users_whose_seat_cannot_hold_it(account, admin):
    preset = preset_create(
        account=account, fields=fields(permission_template="sales_rep"), actor_membership=admin
    )
    core = MembershipFactory(account=account, user__email="core@a.example")

    with pytest.raises(SeatsCantHoldSet, match=r"core@a\.example"):
        preset_apply(preset=preset, membership_ids=[core.pk], actor_membership=admin)

    core.refresh_from_db()
    assert core.access != Access.TEMPLATE


def test_a_preset_bundles_one_set_and_only_known_built_in_ones(account, admin):
    with pytest.raises(UnknownPermissionSet):
        preset_create(
            account=account, fields=fields(permission_template="wizard"), actor_membership=admin
        )
    with pytest.raises(ValueError):
        preset_create(
            account=account,
            fields=fields(
                permission_template="marketer", permission_set=marketing_set(account, admin)
            ),
            actor_membership=admin,
        )
    assert not Preset.objects.exists()


def test_switching_a_preset_from_a_built_in_set_to_one_of_the_accounts(account, admin):
    preset = preset_create(
        account=account, fields=fields(permission_template="marketer"), actor_membership=admin
    )
    own = marketing_set(account, admin)

    preset_update(preset=preset, fields=fields(permission_set=own), actor_membership=admin)

    preset.refresh_from_db()
    assert (preset.permission_set, preset.permission_template) == (own, "")
    [event] = events(AuditVerb.PRESET_CHANGED)
    assert (event.before["permission_set"], event.after["permission_set"]) == (
        "Marketer",
        own.name,
    )
