"""Permissions room (seats/permissions/services.py), DOMAIN.md section 3: the one permission write
(every path that changes what a member may do saves it the same way and leaves the same audit
trail, issue 12), and one member's permissions set directly (the seat's ceiling, granting only
what the actor holds)."""

import html
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from accounts.models import (
    Access,
    Account,
    AuditEvent,
    AuditVerb,
    Membership,
    MembershipStatus,
    Notification,
    SeatType,
)
from accounts.policy import ON, AccountPermission
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services.subscriptions import subscription_start
from seats.catalogue import permissions_clamp, permissions_fit_seat, seat_default_permissions
from seats.errors import PermissionsAboveSeat, PermissionsNotHeld
from seats.permission_sets.builtin import builtin_permission_set_get
from seats.permission_sets.services import (
    permission_set_apply,
    permission_set_delete,
    permission_set_update,
)
from seats.permissions.choice import AccessChoice, AccessMode, ResolvedAccess, access_resolve
from seats.permissions.services import (
    member_access_set,
    members_access_write,
)
from seats.presets.services import preset_apply
from seats.users.services.seat import member_seat_change
from tests.factories import (
    AccountFactory,
    MembershipFactory,
    PermissionSetFactory,
    PresetFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)
MARKETING_PRO = {HubCode.MARKETING: TierCode.PROFESSIONAL}
CORE_DEFAULTS = seat_default_permissions(SeatType.CORE)
# A set one step above the Core defaults: "Teams" on.
WITH_TEAMS = {**CORE_DEFAULTS, AccountPermission.TEAMS: ON}
ACCESS_KEYS = {"access", "permission_set", "permission_template", "is_super_admin", "permissions"}


@pytest.fixture
def account():
    account = AccountFactory(name="Acme")
    subscription_start(
        account=account,
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL},
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
    )
    return account


@pytest.fixture
def admin(account):
    return MembershipFactory(account=account, super_admin=True, user__email="ada@acme.example")


@pytest.fixture
def member(account):
    return MembershipFactory(account=account, user__email="bo@acme.example")


def edit_permissions(account, admin, member):
    member_access_set(
        membership=member,
        choice=AccessChoice(mode=AccessMode.SCRATCH, permissions=WITH_TEAMS),
        actor_membership=admin,
        now=NOW,
    )


def apply_a_set(account, admin, member):
    permission_set = PermissionSetFactory(
        account=account, name="Team leads", permissions=WITH_TEAMS
    )
    permission_set_apply(
        permission_set=permission_set, membership_ids=[member.pk], actor_membership=admin, now=NOW
    )


def apply_a_preset(account, admin, member):
    permission_set = PermissionSetFactory(
        account=account, name="Team leads", permissions=WITH_TEAMS
    )
    preset = PresetFactory(account=account, name="Leads", permission_set=permission_set)
    preset_apply(preset=preset, membership_ids=[member.pk], actor_membership=admin, now=NOW)


def edit_the_members_set(account, admin, member):
    permission_set = PermissionSetFactory(
        account=account, name="Team leads", permissions=CORE_DEFAULTS
    )
    permission_set_apply(
        permission_set=permission_set, membership_ids=[member.pk], actor_membership=admin, now=NOW
    )
    AuditEvent.objects.all().delete()
    permission_set_update(
        permission_set=permission_set,
        name="Team leads",
        description="",
        permissions=WITH_TEAMS,
        actor_membership=admin,
        now=NOW,
    )


def delete_the_members_set(account, admin, member):
    permission_set = PermissionSetFactory(
        account=account, name="Team leads", permissions=WITH_TEAMS
    )
    permission_set_apply(
        permission_set=permission_set, membership_ids=[member.pk], actor_membership=admin, now=NOW
    )
    AuditEvent.objects.all().delete()
    permission_set_delete(permission_set=permission_set, actor=admin.user, now=NOW)


def move_to_a_view_only_seat(account, admin, member):
    member_seat_change(
        membership=member, seat_type=SeatType.VIEW_ONLY, actor_membership=admin, now=NOW
    )


PATHS = [
    edit_permissions,
    apply_a_set,
    apply_a_preset,
    edit_the_members_set,
    delete_the_members_set,
    move_to_a_view_only_seat,
]


@pytest.mark.parametrize("change", PATHS, ids=[path.__name__ for path in PATHS])
def test_every_path_that_changes_a_members_access_leaves_one_audit_shape(
    change, account, admin, member
):
    change(account, admin, member)

    [event] = AuditEvent.objects.filter(
        target=member, verb__in=[AuditVerb.PERMISSIONS_CHANGED, AuditVerb.SEAT_CHANGED]
    )
    assert set(event.before) >= ACCESS_KEYS and set(event.after) >= ACCESS_KEYS
    assert (event.actor, event.created_at) == (admin.user, NOW)
    # Only the levels that moved are recorded, on both sides, for the same codes.
    assert event.before["permissions"].keys() == event.after["permissions"].keys()
    member.refresh_from_db()
    for code, level in event.after["permissions"].items():
        assert member.permissions[code] == level
    for code, level in event.before["permissions"].items():
        assert level != event.after["permissions"][code]


def test_a_set_edit_names_the_set_before_and_after_on_each_member(account, admin, member):
    edit_the_members_set(account, admin, member)

    [event] = AuditEvent.objects.filter(target=member, verb=AuditVerb.PERMISSIONS_CHANGED)
    assert event.before["permission_set"] == event.after["permission_set"] == "Team leads"
    assert event.before["permissions"] == {AccountPermission.TEAMS: "off"}
    assert event.after["permissions"] == {AccountPermission.TEAMS: ON}


def test_renaming_a_set_is_no_change_of_its_members_access(account, admin, member):
    permission_set = PermissionSetFactory(
        account=account, name="Team leads", permissions=WITH_TEAMS
    )
    permission_set_apply(
        permission_set=permission_set, membership_ids=[member.pk], actor_membership=admin, now=NOW
    )

    update = permission_set_update(
        permission_set=permission_set,
        name="Leads",
        description="",
        permissions=WITH_TEAMS,
        actor_membership=admin,
        now=NOW,
    )

    assert update.users_updated == 0
    assert AuditEvent.objects.filter(target=member).count() == 1  # the apply, not the rename


def test_a_seat_change_is_audited_even_when_no_permission_moves(account, admin, member):
    member_seat_change(
        membership=member, seat_type=SeatType.VIEW_ONLY, actor_membership=admin, now=NOW
    )
    AuditEvent.objects.all().delete()

    # Back to a Core seat on its defaults, then from a View-only seat with the same levels.
    member_seat_change(membership=member, seat_type=SeatType.CORE, actor_membership=admin, now=NOW)

    [event] = AuditEvent.objects.filter(target=member, verb=AuditVerb.SEAT_CHANGED)
    assert (event.before["seat_type"], event.after["seat_type"]) == ("view_only", "core")


def test_no_path_can_save_permissions_the_seat_cannot_hold(account, member):
    viewer = MembershipFactory(account=account, view_only=True, user__email="vi@acme.example")
    above = ResolvedAccess(is_super_admin=False, permissions=WITH_TEAMS, access=Access.CUSTOM)

    with pytest.raises(PermissionsAboveSeat):
        members_access_write(memberships=[viewer], access=above, actor=None, now=NOW)

    viewer.refresh_from_db()
    assert viewer.permissions == seat_default_permissions(SeatType.VIEW_ONLY)
    assert not AuditEvent.objects.filter(target=viewer).exists()


def test_many_members_are_written_in_a_constant_number_of_queries(
    account, admin, django_assert_max_num_queries
):
    members = [
        MembershipFactory(account=account, user__email=f"m{i}@acme.example") for i in range(20)
    ]
    given = ResolvedAccess(is_super_admin=False, permissions=WITH_TEAMS, access=Access.CUSTOM)
    locked = list(
        Membership.objects.select_related("user", "permission_set").filter(
            pk__in=[m.pk for m in members]
        )
    )

    # One UPDATE of the members and one INSERT of their events, whatever their number.
    with django_assert_max_num_queries(2):
        changed = members_access_write(memberships=locked, access=given, actor=None, now=NOW)

    assert len(changed) == 20
    assert AuditEvent.objects.filter(verb=AuditVerb.PERMISSIONS_CHANGED).count() == 20


# --- One member's permissions, set directly ("Start from scratch") -------------------------------


def give(membership, permissions, *, by=None, now=None) -> Membership:
    """ "Edit permissions" → "Start from scratch" with these levels; `by` None is system work."""
    return member_access_set(
        membership=membership,
        choice=AccessChoice(mode=AccessMode.SCRATCH, permissions=permissions),
        actor_membership=by,
        now=now,
    )


def subscribed_account() -> Account:
    """An account on Marketing Hub Professional: 3 Core seats included."""
    account = AccountFactory()
    subscription_start(
        account=account,
        hubs=MARKETING_PRO,
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
    )
    return account


def add(
    account: Account,
    email: str,
    seat_type=SeatType.CORE,
    *,
    is_super_admin: bool = False,
    status: MembershipStatus = MembershipStatus.INVITED,
) -> Membership:
    """A member as "Create user" leaves one: invited (unless `status` says otherwise), with the
    seat's default permissions. Made by the factory: the rules for adding people are
    members_invite's (tests/invitations/test_members.py), not what these tests are about."""
    return MembershipFactory(
        account=account,
        user__email=email,
        seat_type=seat_type,
        is_super_admin=is_super_admin,
        status=status,
    )


def test_permissions_above_the_seat_are_refused_naming_them():
    account = subscribed_account()
    viewer = add(account, "viewer@example.com", SeatType.VIEW_ONLY)
    wanted = {
        **seat_default_permissions(SeatType.VIEW_ONLY),
        "crm.contacts.edit": "everything",
        "crm.deals.delete": "owned",
    }

    with pytest.raises(PermissionsAboveSeat) as refused:
        give(viewer, wanted)

    assert str(refused.value) == (
        "A View-only seat can't hold these permissions: Contacts: Edit, Deals: Delete."
    )
    viewer.refresh_from_db()
    assert viewer.permissions == seat_default_permissions(SeatType.VIEW_ONLY)


def test_sales_tools_on_a_core_seat_are_refused():
    account = subscribed_account()
    member = add(account, "member@example.com")

    with pytest.raises(PermissionsAboveSeat) as refused:
        give(member, {**CORE_DEFAULTS, "sales.sequences": ON})

    assert str(refused.value) == "A Core seat can't hold these permissions: Sequences."


def _user_admin(account: Account) -> Membership:
    """An active member holding "Add and edit users" but not super admin."""
    admin = add(account, "useradmin@example.com", status=MembershipStatus.ACTIVE)
    return give(admin, {**CORE_DEFAULTS, AccountPermission.USERS: ON})


def test_a_member_who_is_not_super_admin_cannot_grant_what_they_lack():
    account = subscribed_account()
    admin = _user_admin(account)
    member = add(account, "member@example.com")

    with pytest.raises(PermissionsNotHeld) as refused:
        give(member, {**CORE_DEFAULTS, AccountPermission.BILLING: ON}, by=admin)

    assert str(refused.value) == (
        "You can't grant permissions you don't have yourself: Edit billing."
    )
    member.refresh_from_db()
    assert member.permissions == CORE_DEFAULTS


def test_a_member_who_is_not_super_admin_can_grant_what_they_hold():
    account = subscribed_account()
    admin = _user_admin(account)
    member = add(account, "member@example.com")

    give(member, {**CORE_DEFAULTS, AccountPermission.USERS: ON}, by=admin)

    member.refresh_from_db()
    assert member.permissions[AccountPermission.USERS] == ON


def test_a_super_admin_can_grant_what_their_own_permissions_do_not_list():
    account = subscribed_account()
    boss = add(account, "boss@example.com", is_super_admin=True, status=MembershipStatus.ACTIVE)
    assert boss.permissions[AccountPermission.BILLING] != ON
    member = add(account, "member@example.com")

    give(member, {**CORE_DEFAULTS, AccountPermission.BILLING: ON}, by=boss)

    member.refresh_from_db()
    assert member.permissions[AccountPermission.BILLING] == ON


def test_each_permission_change_is_audited_with_before_and_after():
    account = subscribed_account()
    member = add(account, "member@example.com")
    boss = add(account, "boss@example.com", is_super_admin=True, status=MembershipStatus.ACTIVE)
    wanted = {**CORE_DEFAULTS, AccountPermission.TEAMS: ON}

    give(member, wanted, by=boss, now=NOW)

    event = AuditEvent.objects.get(verb=AuditVerb.PERMISSIONS_CHANGED, target=member)
    assert (event.actor, event.created_at) == (boss.user, NOW)
    # The one audit shape of a permission change: the access fields, and the levels that moved.
    assert event.before == {
        "access": "seat_defaults",
        "permission_set": None,
        "permission_template": "",
        "is_super_admin": False,
        "permissions": {AccountPermission.TEAMS: CORE_DEFAULTS[AccountPermission.TEAMS]},
    }
    assert event.after == {
        "access": "custom",
        "permission_set": None,
        "permission_template": "",
        "is_super_admin": False,
        "permissions": {AccountPermission.TEAMS: ON},
    }


def test_a_refused_permission_change_is_not_audited():
    account = subscribed_account()
    member = add(account, "member@example.com")

    with pytest.raises(PermissionsAboveSeat):
        give(member, {"sales.sequences": ON})

    assert not AuditEvent.objects.filter(verb=AuditVerb.PERMISSIONS_CHANGED).exists()


def test_a_member_on_a_permission_set_can_be_given_custom_permissions():
    # "Start with a template ... then adjust it": adjusting leaves the set behind, and the
    # database allows a permission set only while access is "permission_set".
    account = subscribed_account()
    permission_set = PermissionSetFactory(account=account)
    member = MembershipFactory(
        account=account, access=Access.PERMISSION_SET, permission_set=permission_set
    )

    give(member, {**CORE_DEFAULTS, "crm.contacts.delete": "none"})

    member.refresh_from_db()
    assert (member.access, member.permission_set) == (Access.CUSTOM, None)
    assert member.permissions["crm.contacts.delete"] == "none"


def test_the_member_is_told_what_changed_in_the_history_words(account, admin, member):
    team_leads = PermissionSetFactory(account=account, name="Team leads", permissions=WITH_TEAMS)
    member_access_set(
        membership=member,
        choice=AccessChoice(mode=AccessMode.TEMPLATE, template=f"set:{team_leads.pk}"),
        actor_membership=admin,
        now=NOW,
    )
    [notice] = Notification.objects.filter(membership=member)
    assert notice.text == (
        "Your permissions in Acme were changed: Access: Seat defaults → Permission set; "
        "Permission set: — → Team leads; 1 permission changed."
    )


def test_a_change_too_long_for_a_notification_is_told_in_short_not_cut(
    account, admin, member, monkeypatch
):
    # A notification holds 500 characters; here, as if it held 120.
    monkeypatch.setattr("seats.permissions.services.NOTICE_LENGTH", 120)
    long_name = PermissionSetFactory(account=account, name="L" * 100, permissions=WITH_TEAMS)
    member_access_set(
        membership=member,
        choice=AccessChoice(mode=AccessMode.TEMPLATE, template=f"set:{long_name.pk}"),
        actor_membership=admin,
        now=NOW,
    )
    [notice] = Notification.objects.filter(membership=member)
    assert notice.text == "Your permissions in Acme were changed."


# --- A template limited to the seat (access_resolve) -------------------------------------------


def test_a_template_above_the_seat_is_limited_to_it_and_names_what_it_left_out():
    account = subscribed_account()
    marketer = builtin_permission_set_get("marketer").permissions

    resolved = access_resolve(
        account=account,
        seat_type=SeatType.VIEW_ONLY,
        choice=AccessChoice(mode=AccessMode.TEMPLATE, template="builtin:marketer"),
        actor_membership=None,
    )

    clamped, changes = permissions_clamp(marketer, SeatType.VIEW_ONLY)
    assert changes  # the Marketer template holds more than a View-only seat allows
    assert resolved.permissions == clamped
    assert resolved.left_out == tuple(changes)
    assert (resolved.access, resolved.permission_template) == (Access.CUSTOM, "")


def test_a_template_within_the_seat_stays_the_template_with_nothing_left_out():
    resolved = access_resolve(
        account=subscribed_account(),
        seat_type=SeatType.CORE,
        choice=AccessChoice(mode=AccessMode.TEMPLATE, template="builtin:marketer"),
        actor_membership=None,
    )

    assert (resolved.access, resolved.permission_template, resolved.left_out) == (
        Access.TEMPLATE,
        "marketer",
        (),
    )


def test_permissions_from_scratch_above_the_seat_are_still_refused():
    scratch = {**seat_default_permissions(SeatType.VIEW_ONLY), "crm.contacts.edit": "everything"}

    with pytest.raises(PermissionsAboveSeat):
        access_resolve(
            account=subscribed_account(),
            seat_type=SeatType.VIEW_ONLY,
            choice=AccessChoice(mode=AccessMode.SCRATCH, permissions=scratch),
            actor_membership=None,
        )


def test_edit_permissions_reviews_a_template_limited_to_the_seat_and_saves_that(client):
    account = subscribed_account()
    admin = add(account, "admin@example.com", is_super_admin=True, status=MembershipStatus.ACTIVE)
    viewer = add(account, "viewer@example.com", SeatType.VIEW_ONLY)
    client.force_login(admin.user)
    url = reverse("seats:user_access", args=[viewer.pk])
    form = {"mode": AccessMode.TEMPLATE, "template": "builtin:marketer"}

    review = client.post(url, form)
    saved = client.post(url, {**form, "confirmed": "1"})

    page = html.unescape(review.content.decode())
    assert "A View-only seat doesn't allow" in page
    assert "Contacts: Edit: Everything → None" in page
    assert saved.status_code == 302
    viewer.refresh_from_db()
    assert (viewer.access, permissions_fit_seat(viewer.permissions, SeatType.VIEW_ONLY)) == (
        Access.CUSTOM,
        True,
    )
