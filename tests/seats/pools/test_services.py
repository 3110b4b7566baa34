"""A member's permissions, deactivation, and the seat pools' ledger.

DOMAIN.md sections 2 and 3. Pools are set up the way production sets them up: by starting a
subscription (Marketing Hub Professional includes 3 Core seats) or by syncing the pools.
Adding members, and the pool rules it obeys (a released seat frees one, a kept one does not),
are tested through the path "Create user" takes, in tests/invitations/test_members.py.
"""

from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import (
    Access,
    Account,
    AuditEvent,
    AuditVerb,
    Membership,
    MembershipStatus,
    SeatType,
)
from accounts.policy import ON, AccountPermission
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services import subscription_start
from seats.catalogue import seat_default_permissions
from seats.errors import (
    PermissionsAboveSeat,
    PermissionsNotHeld,
)
from seats.models import LedgerReason, SeatLedgerEntry, SeatPool
from seats.permissions.services import member_permissions_set
from seats.pools.services import seat_pool_add_purchased, seat_pools_sync
from seats.users.services.lifecycle import member_deactivate
from tests.factories import (
    AccountFactory,
    MembershipFactory,
    PermissionSetFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)
MARKETING_PRO = {HubCode.MARKETING: TierCode.PROFESSIONAL}
MARKETING_AND_SALES_PRO = {**MARKETING_PRO, HubCode.SALES: TierCode.PROFESSIONAL}
CORE_DEFAULTS = seat_default_permissions(SeatType.CORE)


def subscribed_account(hubs=MARKETING_PRO, *, extra_seats=None) -> Account:
    account = AccountFactory()
    subscription_start(
        account=account,
        hubs=hubs,
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
        extra_seats=extra_seats,
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


def core_pool(account: Account) -> SeatPool:
    return SeatPool.objects.get(account=account, seat_type=SeatType.CORE)


# --- member_permissions_set ----------------------------------------------------------------------


def test_permissions_above_the_seat_are_refused_naming_them():
    account = subscribed_account()
    viewer = add(account, "viewer@example.com", SeatType.VIEW_ONLY)
    wanted = {
        **seat_default_permissions(SeatType.VIEW_ONLY),
        "crm.contacts.edit": "everything",
        "crm.deals.delete": "owned",
    }

    with pytest.raises(PermissionsAboveSeat) as refused:
        member_permissions_set(
            membership=viewer, permissions=wanted, access=Access.CUSTOM, actor=None
        )

    assert str(refused.value) == (
        "A View-only seat can't hold these permissions: Contacts: Edit, Deals: Delete."
    )
    viewer.refresh_from_db()
    assert viewer.permissions == seat_default_permissions(SeatType.VIEW_ONLY)


def test_sales_tools_on_a_core_seat_are_refused():
    account = subscribed_account()
    member = add(account, "member@example.com")

    with pytest.raises(PermissionsAboveSeat) as refused:
        member_permissions_set(
            membership=member,
            permissions={**CORE_DEFAULTS, "sales.sequences": ON},
            access=Access.CUSTOM,
            actor=None,
        )

    assert str(refused.value) == "A Core seat can't hold these permissions: Sequences."


def _user_admin(account: Account) -> Membership:
    """An active member holding "Add and edit users" but not super admin."""
    admin = add(account, "useradmin@example.com", status=MembershipStatus.ACTIVE)
    return member_permissions_set(
        membership=admin,
        permissions={**CORE_DEFAULTS, AccountPermission.USERS: ON},
        access=Access.CUSTOM,
        actor=None,
    )


def test_a_member_who_is_not_super_admin_cannot_grant_what_they_lack():
    account = subscribed_account()
    admin = _user_admin(account)
    member = add(account, "member@example.com")

    with pytest.raises(PermissionsNotHeld) as refused:
        member_permissions_set(
            membership=member,
            permissions={**CORE_DEFAULTS, AccountPermission.BILLING: ON},
            access=Access.CUSTOM,
            actor=admin.user,
            actor_membership=admin,
        )

    assert str(refused.value) == (
        "You can't grant permissions you don't have yourself: Edit billing."
    )
    member.refresh_from_db()
    assert member.permissions == CORE_DEFAULTS


def test_a_member_who_is_not_super_admin_can_grant_what_they_hold():
    account = subscribed_account()
    admin = _user_admin(account)
    member = add(account, "member@example.com")

    member_permissions_set(
        membership=member,
        permissions={**CORE_DEFAULTS, AccountPermission.USERS: ON},
        access=Access.CUSTOM,
        actor=admin.user,
        actor_membership=admin,
    )

    member.refresh_from_db()
    assert member.permissions[AccountPermission.USERS] == ON


def test_a_super_admin_can_grant_what_their_own_permissions_do_not_list():
    account = subscribed_account()
    boss = add(account, "boss@example.com", is_super_admin=True, status=MembershipStatus.ACTIVE)
    assert boss.permissions[AccountPermission.BILLING] != ON
    member = add(account, "member@example.com")

    member_permissions_set(
        membership=member,
        permissions={**CORE_DEFAULTS, AccountPermission.BILLING: ON},
        access=Access.CUSTOM,
        actor=boss.user,
        actor_membership=boss,
    )

    member.refresh_from_db()
    assert member.permissions[AccountPermission.BILLING] == ON


def test_each_permission_change_is_audited_with_before_and_after():
    account = subscribed_account()
    member = add(account, "member@example.com")
    actor = UserFactory()
    wanted = {**CORE_DEFAULTS, AccountPermission.TEAMS: ON}

    member_permissions_set(
        membership=member,
        permissions=wanted,
        access=Access.TEMPLATE,
        permission_template="admin",
        actor=actor,
        now=NOW,
    )

    event = AuditEvent.objects.get(verb=AuditVerb.PERMISSIONS_CHANGED, target=member)
    assert (event.actor, event.created_at) == (actor, NOW)
    # The one audit shape of a permission change: the access fields, and the levels that moved.
    assert event.before == {
        "access": "seat_defaults",
        "permission_set": None,
        "permission_template": "",
        "is_super_admin": False,
        "permissions": {AccountPermission.TEAMS: CORE_DEFAULTS[AccountPermission.TEAMS]},
    }
    assert event.after == {
        "access": "template",
        "permission_set": None,
        "permission_template": "admin",
        "is_super_admin": False,
        "permissions": {AccountPermission.TEAMS: ON},
    }


def test_a_refused_permission_change_is_not_audited():
    account = subscribed_account()
    member = add(account, "member@example.com")

    with pytest.raises(PermissionsAboveSeat):
        member_permissions_set(
            membership=member,
            permissions={"sales.sequences": ON},
            access=Access.CUSTOM,
            actor=None,
        )

    assert not AuditEvent.objects.filter(verb=AuditVerb.PERMISSIONS_CHANGED).exists()


def test_a_member_on_a_permission_set_can_be_given_custom_permissions():
    # "Start with a template ... then adjust it": adjusting leaves the set behind, and the
    # database allows a permission set only while access is "permission_set".
    account = subscribed_account()
    permission_set = PermissionSetFactory(account=account)
    member = MembershipFactory(
        account=account, access=Access.PERMISSION_SET, permission_set=permission_set
    )

    member_permissions_set(
        membership=member,
        permissions={**CORE_DEFAULTS, "crm.contacts.delete": "none"},
        access=Access.CUSTOM,
        actor=None,
    )

    member.refresh_from_db()
    assert (member.access, member.permission_set) == (Access.CUSTOM, None)
    assert member.permissions["crm.contacts.delete"] == "none"


# --- member_deactivate ---------------------------------------------------------------------------


def test_deactivating_and_releasing_the_seat_leaves_the_member_on_view_only():
    account = subscribed_account()
    boss = add(account, "boss@example.com", is_super_admin=True, status=MembershipStatus.ACTIVE)
    add(account, "deputy@example.com", is_super_admin=True, status=MembershipStatus.ACTIVE)

    member_deactivate(membership=boss, release_seat=True, actor=None, note=" Left ", now=NOW)

    boss.refresh_from_db()
    assert (boss.status, boss.deactivated_at, boss.deactivation_note) == (
        MembershipStatus.DEACTIVATED,
        NOW,
        "Left",
    )
    assert (boss.seat_type, boss.is_super_admin) == (SeatType.VIEW_ONLY, False)
    assert boss.permissions == seat_default_permissions(SeatType.VIEW_ONLY)


def test_deactivating_and_keeping_the_seat_holds_it_for_the_member():
    account = subscribed_account()
    boss = add(account, "boss@example.com", is_super_admin=True, status=MembershipStatus.ACTIVE)
    add(account, "deputy@example.com", is_super_admin=True, status=MembershipStatus.ACTIVE)

    member_deactivate(membership=boss, release_seat=False, actor=None, now=NOW)

    boss.refresh_from_db()
    assert (boss.status, boss.deactivated_at) == (MembershipStatus.DEACTIVATED, NOW)
    assert (boss.seat_type, boss.is_super_admin) == (SeatType.CORE, True)


def test_deactivating_is_audited_with_before_and_after():
    account = subscribed_account()
    member = add(account, "member@example.com", status=MembershipStatus.ACTIVE)
    actor = UserFactory()

    member_deactivate(membership=member, release_seat=True, actor=actor, note="Left", now=NOW)

    event = AuditEvent.objects.get(verb=AuditVerb.MEMBER_DEACTIVATED, target=member)
    assert (event.actor, event.created_at) == (actor, NOW)
    assert event.before == {"status": "active", "seat_type": "core"}
    assert event.after == {"status": "deactivated", "seat_type": "view_only", "note": "Left"}


# --- seat_pools_sync and the ledger --------------------------------------------------------------


def _ledger(pool: SeatPool) -> list[tuple[str, int, int, int]]:
    return [
        (entry.reason, entry.included, entry.purchased, entry.purchased_at_renewal)
        for entry in SeatLedgerEntry.objects.filter(pool=pool).order_by("id")
    ]


def test_syncing_creates_the_enabled_pools_each_with_a_ledger_row():
    account = AccountFactory()

    seat_pools_sync(
        account=account, included={"core": 3}, enabled={"core", "sales"}, actor=None, now=NOW
    )

    pools = {pool.seat_type: pool for pool in SeatPool.objects.filter(account=account)}
    assert set(pools) == {SeatType.CORE, SeatType.SALES}
    assert (pools["core"].included, pools["core"].enabled) == (3, True)
    assert (pools["sales"].included, pools["sales"].enabled) == (0, True)
    assert _ledger(pools["core"]) == [(LedgerReason.CREATED, 3, 0, 0)]
    assert _ledger(pools["sales"]) == [(LedgerReason.CREATED, 0, 0, 0)]


def test_a_change_of_included_seats_appends_a_ledger_row():
    account = AccountFactory()
    seat_pools_sync(account=account, included={"core": 3}, enabled={"core"}, actor=None)

    seat_pools_sync(account=account, included={"core": 6}, enabled={"core"}, actor=None)

    assert _ledger(core_pool(account)) == [
        (LedgerReason.CREATED, 3, 0, 0),
        (LedgerReason.INCLUDED_CHANGED, 6, 0, 0),
    ]


def test_syncing_the_same_subscription_twice_appends_nothing():
    account = AccountFactory()
    seat_pools_sync(account=account, included={"core": 3}, enabled={"core"}, actor=None)

    seat_pools_sync(account=account, included={"core": 3}, enabled={"core"}, actor=None)

    assert SeatPool.objects.filter(account=account).count() == 1
    assert SeatLedgerEntry.objects.filter(pool__account=account).count() == 1


def test_a_pool_whose_seat_type_is_no_longer_enabled_keeps_its_seats():
    account = subscribed_account(MARKETING_AND_SALES_PRO, extra_seats={SeatType.SALES: 2})

    seat_pools_sync(account=account, included={"core": 3}, enabled={"core"}, actor=None)

    sales = SeatPool.objects.get(account=account, seat_type=SeatType.SALES)
    assert (sales.enabled, sales.purchased, sales.purchased_at_renewal) == (False, 2, 2)


def test_replaying_a_pools_ledger_gives_its_current_counts():
    account = AccountFactory()
    seat_pools_sync(account=account, included={"core": 3}, enabled={"core"}, actor=None)
    seat_pool_add_purchased(pool=core_pool(account), quantity=2, actor=None)
    seat_pools_sync(account=account, included={"core": 6}, enabled={"core"}, actor=None)
    seat_pool_add_purchased(pool=core_pool(account), quantity=1, actor=None, now=NOW)
    pool = core_pool(account)

    replayed = {}
    for entry in SeatLedgerEntry.objects.filter(pool=pool).order_by("id"):
        replayed = {
            "included": entry.included,
            "purchased": entry.purchased,
            "purchased_at_renewal": entry.purchased_at_renewal,
        }

    assert replayed == {"included": 6, "purchased": 3, "purchased_at_renewal": 3}
    assert replayed == {
        "included": pool.included,
        "purchased": pool.purchased,
        "purchased_at_renewal": pool.purchased_at_renewal,
    }


def test_the_ledger_records_who_changed_the_pool_and_when():
    account = AccountFactory()
    actor = UserFactory()
    later = NOW + timedelta(days=3)

    seat_pools_sync(account=account, included={"core": 3}, enabled={"core"}, actor=actor, now=NOW)
    seat_pool_add_purchased(pool=core_pool(account), quantity=1, actor=actor, now=later)

    entries = SeatLedgerEntry.objects.filter(pool__account=account).order_by("id")
    assert [(e.reason, e.actor, e.created_at) for e in entries] == [
        (LedgerReason.CREATED, actor, NOW),
        (LedgerReason.PURCHASE, actor, later),
    ]
