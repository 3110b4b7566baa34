"""Permission sets room (seats/permission_sets/services.py), DOMAIN.md section 3: a member on a
permission set holds exactly its permissions, so editing the set edits theirs; a set never lands on
a seat that can't hold it.
"""

import pytest

from accounts.errors import SuperAdminsOnlyBySuperAdmins
from accounts.models import Access, AuditEvent, AuditVerb, PermissionSet, SeatType
from accounts.policy import ON, AccountPermission
from seats.catalogue import seat_default_permissions
from seats.errors import NoUsersChosen, PermissionSetNameTaken, PermissionsNotHeld, SeatsCantHoldSet
from seats.permission_sets.builtin import builtin_permission_set_get
from seats.permission_sets.services import (
    copy_name,
    permission_set_apply,
    permission_set_create,
    permission_set_delete,
    permission_set_update,
    permission_set_update_check,
)
from tests.factories import MembershipFactory, PresetFactory
from tests.services_world import SALES_REP, events, marketing_set

# Fixtures, imported by name for pytest to find here (`as`: re-exported, not unused).
from tests.services_world import account as account
from tests.services_world import admin as admin

pytestmark = pytest.mark.django_db

CORE_DEFAULTS = seat_default_permissions(SeatType.CORE)


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


def test_a_copys_proposed_name_is_the_first_free_copy_of_name(account, admin):
    assert copy_name(account=account, name="Marketer") == "Copy of Marketer"
    permission_set_create(
        account=account,
        name="copy of marketer",
        description="",
        permissions=builtin_permission_set_get("marketer").permissions,
        actor_membership=admin,
    )

    assert copy_name(account=account, name="Marketer") == "Copy of Marketer (2)"


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
