"""Adding members on a seat, their permissions, deactivation, and the seat pools' ledger.

DOMAIN.md sections 2 and 3. Pools are set up the way production sets them up: by starting a
subscription (Marketing Hub Professional includes 3 Core seats) or by syncing the pools.
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
    User,
)
from accounts.policy import ON, AccountPermission
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services import subscription_start
from seats.catalogue import seat_default_permissions
from seats.errors import (
    AlreadyMember,
    NotEnoughSeats,
    PartnerDomainRequired,
    PermissionsAboveSeat,
    PermissionsNotHeld,
    SeatTypeUnavailable,
    SuperAdminNeedsPaidSeat,
)
from seats.models import LedgerReason, SeatLedgerEntry, SeatPool
from seats.permissions.services import member_permissions_set
from seats.pools.services import seat_pool_add_purchased, seat_pools_sync
from seats.users.services.lifecycle import member_deactivate
from seats.users.services.seat import member_add
from tests.factories import (
    AccountFactory,
    MembershipFactory,
    PartnerDomainFactory,
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


def add(account: Account, email: str, seat_type=SeatType.CORE, **kwargs) -> Membership:
    return member_add(account=account, email=email, seat_type=seat_type, actor=None, **kwargs)


def fill_core_pool(account: Account) -> list[Membership]:
    """Assign every Core seat of a Marketing Pro account (3 included) to a new member."""
    return [add(account, f"member{i}@example.com") for i in range(3)]


def core_pool(account: Account) -> SeatPool:
    return SeatPool.objects.get(account=account, seat_type=SeatType.CORE)


# --- member_add ----------------------------------------------------------------------------------


def test_adding_a_new_person_creates_a_user_without_a_usable_password():
    account = subscribed_account()

    membership = add(account, "New.Person@Example.com", first_name="Nia", last_name="Park")

    user = User.objects.get(email="new.person@example.com")
    assert membership.user == user
    assert (user.first_name, user.last_name) == ("Nia", "Park")
    assert not user.has_usable_password()


def test_a_new_member_gets_the_seats_default_permissions():
    account = subscribed_account(MARKETING_AND_SALES_PRO, extra_seats={SeatType.SALES: 1})

    membership = add(account, "rep@example.com", SeatType.SALES)

    membership.refresh_from_db()
    assert membership.permissions == seat_default_permissions(SeatType.SALES)
    assert membership.access == Access.SEAT_DEFAULTS
    assert membership.status == MembershipStatus.INVITED


def test_adding_a_member_is_audited():
    account = subscribed_account()
    admin = add(account, "admin@example.com", is_super_admin=True)

    membership = member_add(
        account=account, email="new@example.com", seat_type=SeatType.CORE, actor=admin.user, now=NOW
    )

    event = AuditEvent.objects.get(verb=AuditVerb.MEMBER_ADDED, target=membership)
    assert (event.actor, event.target_email, event.created_at) == (
        admin.user,
        "new@example.com",
        NOW,
    )
    assert event.after == {"seat_type": "core", "is_super_admin": False, "status": "invited"}


def test_a_person_from_another_account_joins_without_a_new_user():
    user = UserFactory(email="known@example.com", first_name="Kim", last_name="Lee")
    MembershipFactory(user=user)
    account = subscribed_account()
    users_before = User.objects.count()

    membership = add(account, "KNOWN@example.com", first_name="Other", last_name="Name")

    assert membership.user == user
    assert User.objects.count() == users_before
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Kim", "Lee")
    assert user.has_usable_password()


def test_adding_beyond_the_pool_says_how_many_seats_are_missing():
    account = subscribed_account()
    fill_core_pool(account)

    with pytest.raises(NotEnoughSeats) as refused:
        add(account, "fourth@example.com")

    assert str(refused.value) == "You need 1 more Core seat."
    assert refused.value.code == "not_enough_seats"


def test_a_member_refused_for_lack_of_seats_leaves_nothing_written():
    account = subscribed_account()
    fill_core_pool(account)
    memberships, events = Membership.objects.count(), AuditEvent.objects.count()

    with pytest.raises(NotEnoughSeats):
        add(account, "fourth@example.com")

    assert not User.objects.filter(email="fourth@example.com").exists()
    assert Membership.objects.count() == memberships
    assert AuditEvent.objects.count() == events


def test_a_sales_seat_is_refused_when_the_account_has_no_sales_pool():
    account = subscribed_account(MARKETING_PRO)

    with pytest.raises(SeatTypeUnavailable):
        add(account, "rep@example.com", SeatType.SALES)

    assert not User.objects.filter(email="rep@example.com").exists()


def test_a_sales_seat_is_refused_when_the_sales_pool_is_no_longer_enabled():
    account = subscribed_account(MARKETING_AND_SALES_PRO)
    seat_pools_sync(account=account, included={"core": 3}, enabled={"core"}, actor=None)

    with pytest.raises(SeatTypeUnavailable):
        add(account, "rep@example.com", SeatType.SALES)


def test_a_sales_seat_is_given_while_the_account_owns_sales_hub_professional():
    account = subscribed_account(MARKETING_AND_SALES_PRO, extra_seats={SeatType.SALES: 1})

    membership = add(account, "rep@example.com", SeatType.SALES)

    assert membership.seat_type == SeatType.SALES


def _account_with_partner(domain: str) -> Account:
    account = AccountFactory()
    partner_domain = PartnerDomainFactory(domain=domain)
    partner_domain.partner.accounts.add(account)
    return account


def test_a_partner_seat_is_refused_outside_the_linked_partners_domains():
    account = _account_with_partner("agency.example")

    with pytest.raises(PartnerDomainRequired) as refused:
        add(account, "pat@elsewhere.example", SeatType.PARTNER)

    assert "pat@elsewhere.example" in str(refused.value)
    assert not Membership.objects.filter(account=account).exists()


def test_a_partner_seat_is_refused_on_the_domain_of_a_partner_not_linked_to_the_account():
    account = _account_with_partner("agency.example")
    PartnerDomainFactory(domain="stranger.example")

    with pytest.raises(PartnerDomainRequired):
        add(account, "pat@stranger.example", SeatType.PARTNER)


def test_a_partner_seat_is_given_on_a_linked_partners_domain():
    account = _account_with_partner("agency.example")

    membership = add(account, "Pat@Agency.example", SeatType.PARTNER)

    assert (membership.user.email, membership.seat_type) == ("pat@agency.example", "partner")


def test_a_super_admin_on_a_view_only_seat_is_refused():
    account = subscribed_account()

    with pytest.raises(SuperAdminNeedsPaidSeat):
        add(account, "boss@example.com", SeatType.VIEW_ONLY, is_super_admin=True)

    assert not User.objects.filter(email="boss@example.com").exists()


def test_an_existing_member_is_refused_as_already_a_member():
    account = subscribed_account()
    add(account, "member@example.com")

    with pytest.raises(AlreadyMember) as refused:
        add(account, "Member@Example.com", SeatType.VIEW_ONLY)

    assert str(refused.value) == "member@example.com is already a user in this account."
    assert Membership.objects.filter(account=account).count() == 1


def test_an_existing_member_is_refused_as_already_a_member_even_when_the_pool_is_full():
    # Adding someone who is already there needs no seat: "You need 1 more Core seat" would
    # send the admin off to buy a seat for nothing (DOMAIN.md 4: existing members are reported).
    account = subscribed_account()
    fill_core_pool(account)

    with pytest.raises(AlreadyMember):
        add(account, "member0@example.com")


def test_view_only_seats_are_unlimited():
    account = subscribed_account()
    fill_core_pool(account)

    for i in range(10):
        add(account, f"viewer{i}@example.com", SeatType.VIEW_ONLY)

    assert Membership.objects.filter(account=account, seat_type=SeatType.VIEW_ONLY).count() == 10


def test_a_deactivated_member_keeping_a_core_seat_still_takes_it_from_the_pool():
    account = subscribed_account()
    first, *_others = fill_core_pool(account)
    member_deactivate(membership=first, release_seat=False, actor=None)

    with pytest.raises(NotEnoughSeats):
        add(account, "fourth@example.com")


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


def test_releasing_a_seat_frees_it_for_someone_else():
    account = subscribed_account()
    first, *_others = fill_core_pool(account)

    member_deactivate(membership=first, release_seat=True, actor=None)

    assert add(account, "fourth@example.com").seat_type == SeatType.CORE


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
