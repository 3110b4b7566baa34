"""Creating users in a batch ("Create user", invitations.services.members), at the service level.

DOMAIN.md section 4. The world is tests/invitations/helpers.py's: 3 free Core seats.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import (
    Access,
    AuditEvent,
    AuditVerb,
    Membership,
    MembershipStatus,
    SeatType,
    User,
)
from accounts.policy import ON, AccountPermission
from billing.periods import BillingInterval
from billing.services.subscriptions import subscription_start
from invitations.errors import BatchRefused, BatchTooLarge
from invitations.models import Invitation
from invitations.parsing import MAX_FILE_PEOPLE, ParsedPerson
from invitations.services.members import members_invite
from seats.catalogue import seat_ceiling, seat_default_permissions
from seats.errors import (
    NotEnoughSeats,
    PermissionsNotHeld,
    SeatTypeUnavailable,
    SuperAdminNeedsPaidSeat,
    SuperAdminOnly,
)
from seats.permission_sets.builtin import builtin_permission_set_get
from seats.permissions.choice import AccessChoice, AccessMode
from seats.pools.services import seat_pools_sync
from seats.users.services.lifecycle import member_deactivate
from tests.factories import (
    PASSWORD,
    AccountFactory,
    MembershipFactory,
    PartnerDomainFactory,
    PermissionSetFactory,
    UserFactory,
)
from tests.invitations.helpers import (
    CORE_DEFAULTS,
    DEFAULTS,
    MARKETING_AND_SALES_PRO,
    MARKETING_PRO,
    NOW,
    invite,
    invite_one,
    rows,
    subscribed_account,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


# --- A batch is created whole --------------------------------------------------------------------


def test_a_batch_creates_invited_members_on_the_chosen_seat(admin):
    result = invite(admin, "bob@example.com", "carol@example.com")

    created = Membership.objects.filter(account=admin.account, status=MembershipStatus.INVITED)
    assert sorted(created.values_list("user__email", "seat_type")) == [
        ("bob@example.com", SeatType.CORE),
        ("carol@example.com", SeatType.CORE),
    ]
    assert result.created_users == 2
    assert {m.created_by for m in created} == {admin.user}


def test_new_people_have_no_usable_password_until_they_accept(admin):
    membership = invite_one(admin, "bob@example.com")

    assert not membership.user.has_usable_password()


def test_every_member_created_writes_an_audit_event(admin):
    result = invite(admin, "bob@example.com", "carol@example.com")

    events = AuditEvent.objects.filter(account=admin.account, verb=AuditVerb.MEMBER_ADDED)
    assert sorted(events.values_list("target_email", "actor__email")) == [
        ("bob@example.com", "admin@example.com"),
        ("carol@example.com", "admin@example.com"),
    ]
    assert {e.target_id for e in events} == {m.pk for m in result.memberships}
    assert all(e.after["seat_type"] == SeatType.CORE for e in events)


def test_a_batch_costs_as_many_queries_for_30_people_as_for_3():
    account = AccountFactory()
    subscription_start(
        account=account,
        hubs=MARKETING_PRO,
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
        extra_seats={"core": 40},
    )
    admin = MembershipFactory(account=account, super_admin=True)
    UserFactory(email="known.3@example.com")
    UserFactory(email="known.30@example.com")

    def queries_to_invite(size: int) -> list[str]:
        people = [
            f"known.{size}@example.com",
            *(f"p{i}.{size}@example.com" for i in range(1, size)),
        ]
        with CaptureQueriesContext(connection) as captured:
            invite(admin, *people)
        return [query["sql"] for query in captured.captured_queries]

    few, many = queries_to_invite(3), queries_to_invite(30)

    assert len(many) == len(few), "\n".join(many)
    assert Membership.objects.filter(account=account, status=MembershipStatus.INVITED).count() == 33
    assert Invitation.objects.filter(membership__account=account).count() == 33


def test_a_person_who_already_has_a_password_joins_without_a_new_user(admin):
    existing = UserFactory(email="known@example.com")
    users_before = User.objects.count()

    result = invite(admin, "known@example.com", "new@example.com")

    assert result.created_users == 1
    assert User.objects.count() == users_before + 1
    assert Membership.objects.get(account=admin.account, user=existing).status == "invited"
    existing.refresh_from_db()
    assert existing.check_password(PASSWORD)


def test_an_address_already_in_the_account_refuses_the_whole_batch(admin):
    MembershipFactory(account=admin.account, user__email="member@example.com")
    before = rows()

    with pytest.raises(BatchRefused) as refused:
        invite(admin, "new@example.com", "member@example.com")

    assert refused.value.problems == [("member@example.com", "Already a user in this account.")]
    assert rows() == before


def test_an_invited_member_invited_again_refuses_the_whole_batch(admin):
    invite_one(admin, "bob@example.com")
    before = rows()

    with pytest.raises(BatchRefused) as refused:
        invite(admin, "bob@example.com", "carol@example.com")

    assert [email for email, _why in refused.value.problems] == ["bob@example.com"]
    assert rows() == before


def test_an_invalid_address_refuses_the_whole_batch_with_a_report_for_it(admin):
    # People normally come through invitations.parsing, which rejects such an address; the
    # service must still refuse it (Salesforce imports, for one, only normalise addresses).
    before = rows()

    with pytest.raises(BatchRefused) as refused:
        invite(admin, "good@example.com", "not-an-address")

    assert [email for email, _why in refused.value.problems] == ["not-an-address"]
    assert rows() == before


def test_an_address_at_an_ip_address_refuses_the_whole_batch_with_a_report_for_it(admin):
    # A Salesforce import reaches the service without invitations.parsing's check.
    before = rows()

    with pytest.raises(BatchRefused) as refused:
        invite(admin, "good@example.com", "ip@[127.0.0.1]")

    assert [email for email, _why in refused.value.problems] == ["ip@[127.0.0.1]"]
    assert rows() == before


def test_a_batch_of_more_than_100_people_is_refused_whole_and_nothing_is_written(admin):
    # However the people were chosen (typed, a file, Salesforce), one batch holds at most 100.
    before = rows()
    emails = [f"user{n}@example.com" for n in range(MAX_FILE_PEOPLE + 1)]

    with pytest.raises(BatchTooLarge) as refused:
        invite(admin, *emails)

    assert str(refused.value) == (
        "This batch has 101 users; at most 100 can be added at once. Split it into smaller batches."
    )
    assert rows() == before


def test_an_address_twice_in_one_batch_refuses_the_whole_batch_with_a_report_for_it(admin):
    before = rows()

    with pytest.raises(BatchRefused) as refused:
        invite(admin, "bob@example.com", "carol@example.com", "bob@example.com")

    assert [email for email, _why in refused.value.problems] == ["bob@example.com"]
    assert rows() == before


def test_a_members_address_in_other_letter_case_is_reported_as_already_a_user(admin):
    MembershipFactory(account=admin.account, user__email="member@example.com")
    before = rows()

    with pytest.raises(BatchRefused) as refused:
        invite(admin, "new@example.com", "Member@Example.com")

    [(_email, why)] = refused.value.problems
    assert why == "Already a user in this account."
    assert rows() == before


def test_a_partner_seat_for_an_address_off_the_partners_domains_refuses_the_whole_batch(admin):
    domain = PartnerDomainFactory(domain="agency.example")
    domain.partner.accounts.add(admin.account)
    before = rows()

    with pytest.raises(BatchRefused) as refused:
        invite(admin, "eve@agency.example", "mallory@elsewhere.example", seat_type=SeatType.PARTNER)

    assert [email for email, _why in refused.value.problems] == ["mallory@elsewhere.example"]
    assert "Partner seat" in refused.value.problems[0][1]
    assert rows() == before


def test_partner_seats_go_to_addresses_on_a_linked_partners_domain(admin):
    domain = PartnerDomainFactory(domain="agency.example")
    domain.partner.accounts.add(admin.account)

    membership = invite_one(admin, "eve@agency.example", seat_type=SeatType.PARTNER)

    assert membership.seat_type == SeatType.PARTNER


def test_a_batch_needing_more_seats_than_are_free_is_refused_saying_how_many_are_missing(admin):
    before = rows()

    with pytest.raises(NotEnoughSeats) as short:
        invite(admin, *(f"person{i}@example.com" for i in range(5)))

    assert str(short.value) == "You need 2 more Core seats."
    assert rows() == before


def test_one_missing_seat_is_said_in_the_singular(admin):
    with pytest.raises(NotEnoughSeats) as short:
        invite(admin, *(f"person{i}@example.com" for i in range(4)))

    assert str(short.value) == "You need 1 more Core seat."


def test_a_batch_taking_exactly_the_free_seats_is_created(admin):
    result = invite(admin, *(f"person{i}@example.com" for i in range(3)))

    assert len(result.memberships) == 3


def test_view_only_seats_need_no_free_paid_seat(admin):
    result = invite(admin, *(f"person{i}@example.com" for i in range(5)), seat_type="view_only")

    assert {m.seat_type for m in result.memberships} == {SeatType.VIEW_ONLY}


def test_a_sales_seat_without_sales_hub_professional_is_refused():
    admin = MembershipFactory(account=subscribed_account(MARKETING_PRO), super_admin=True)
    before = rows()

    with pytest.raises(SeatTypeUnavailable):
        invite(admin, "rep@example.com", seat_type=SeatType.SALES)

    assert rows() == before


# --- Who can be added: the seat pools' rules (moved from tests/seats/test_services.py, which ran
# them through seats' member_add, a path no page used) --------------------------------------------


def fill_core_pool(admin: Membership) -> list[Membership]:
    """Invite people onto every free Core seat (3 in this world)."""
    return invite(admin, *(f"member{i}@example.com" for i in range(3))).memberships


def test_a_new_person_is_created_under_their_normalised_address_with_their_name_and_no_password(
    admin,
):
    [membership] = members_invite(
        account=admin.account,
        actor_membership=admin,
        people=[ParsedPerson("New.Person@Example.com", "Nia", "Park")],
        seat_type=SeatType.CORE,
        access=DEFAULTS,
        send_email=False,
        now=NOW,
    ).memberships

    user = User.objects.get(email="new.person@example.com")
    assert membership.user == user
    assert (user.first_name, user.last_name) == ("Nia", "Park")
    assert not user.has_usable_password()


def test_a_person_from_another_account_keeps_the_name_they_set(admin):
    user = UserFactory(email="known@example.com", first_name="Kim", last_name="Lee")
    MembershipFactory(user=user)

    [membership] = members_invite(
        account=admin.account,
        actor_membership=admin,
        people=[ParsedPerson("KNOWN@example.com", "Other", "Name")],
        seat_type=SeatType.CORE,
        access=DEFAULTS,
        send_email=False,
        now=NOW,
    ).memberships

    assert membership.user == user
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Kim", "Lee")
    assert user.has_usable_password()


def test_a_new_member_on_a_sales_seat_gets_the_sales_seats_default_permissions():
    account = AccountFactory()
    subscription_start(
        account=account,
        hubs=MARKETING_AND_SALES_PRO,
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
        extra_seats={SeatType.CORE: 1, SeatType.SALES: 1},
    )
    admin = MembershipFactory(account=account, super_admin=True)

    membership = invite_one(admin, "rep@example.com", seat_type=SeatType.SALES)

    membership.refresh_from_db()
    assert membership.seat_type == SeatType.SALES
    assert membership.permissions == seat_default_permissions(SeatType.SALES)
    assert membership.access == Access.SEAT_DEFAULTS
    assert membership.status == MembershipStatus.INVITED


def test_adding_a_member_is_audited_with_who_when_and_what_they_were_given(admin):
    membership = invite_one(admin, "new@example.com")

    event = AuditEvent.objects.get(verb=AuditVerb.MEMBER_ADDED, target=membership)
    assert (event.actor, event.target_email, event.created_at) == (
        admin.user,
        "new@example.com",
        NOW,
    )
    assert event.after == {
        "seat_type": "core",
        "is_super_admin": False,
        "access": "seat_defaults",
        "permission_set": None,
        "permission_template": "",
        "invite_email": True,
    }


def test_adding_beyond_the_pool_says_how_many_seats_are_missing_with_a_stable_code(admin):
    fill_core_pool(admin)

    with pytest.raises(NotEnoughSeats) as refused:
        invite(admin, "fourth@example.com")

    assert str(refused.value) == "You need 1 more Core seat."
    assert refused.value.code == "not_enough_seats"


def test_a_sales_seat_is_refused_when_the_sales_pool_is_no_longer_enabled(admin):
    seat_pools_sync(account=admin.account, included={"core": 3}, enabled={"core"}, actor=None)

    with pytest.raises(SeatTypeUnavailable):
        invite(admin, "rep@example.com", seat_type=SeatType.SALES)


def test_a_partner_seat_is_refused_on_the_domain_of_a_partner_not_linked_to_the_account(admin):
    PartnerDomainFactory(domain="agency.example").partner.accounts.add(admin.account)
    PartnerDomainFactory(domain="stranger.example")
    before = rows()

    with pytest.raises(BatchRefused) as refused:
        invite(admin, "pat@stranger.example", seat_type=SeatType.PARTNER)

    assert [email for email, _why in refused.value.problems] == ["pat@stranger.example"]
    assert rows() == before


def test_a_partner_seat_is_given_on_a_linked_partners_domain_in_any_letter_case(admin):
    PartnerDomainFactory(domain="agency.example").partner.accounts.add(admin.account)

    membership = invite_one(admin, "Pat@Agency.example", seat_type=SeatType.PARTNER)

    assert (membership.user.email, membership.seat_type) == ("pat@agency.example", "partner")


def test_an_existing_member_is_reported_as_already_a_user_even_when_the_pool_is_full(admin):
    # Adding someone who is already there needs no seat: "You need 1 more Core seat" would
    # send the admin off to buy a seat for nothing (DOMAIN.md 4: existing members are reported).
    fill_core_pool(admin)

    with pytest.raises(BatchRefused) as refused:
        invite(admin, "member0@example.com")

    assert refused.value.problems == [("member0@example.com", "Already a user in this account.")]


def test_view_only_seats_are_unlimited_even_with_every_paid_seat_taken(admin):
    fill_core_pool(admin)

    for i in range(10):
        invite(admin, f"viewer{i}@example.com", seat_type=SeatType.VIEW_ONLY)

    assert (
        Membership.objects.filter(account=admin.account, seat_type=SeatType.VIEW_ONLY).count() == 10
    )


def test_a_deactivated_member_keeping_a_core_seat_still_takes_it_from_the_pool(admin):
    first, *_others = fill_core_pool(admin)
    member_deactivate(membership=first, release_seat=False, actor=None)

    with pytest.raises(NotEnoughSeats):
        invite(admin, "fourth@example.com")


def test_releasing_a_seat_frees_it_for_someone_else(admin):
    first, *_others = fill_core_pool(admin)

    member_deactivate(membership=first, release_seat=True, actor=None)

    assert invite_one(admin, "fourth@example.com").seat_type == SeatType.CORE


def test_a_view_only_seat_never_comes_with_super_admin(admin):
    before = rows()

    with pytest.raises(SuperAdminNeedsPaidSeat):
        invite(
            admin,
            "viewer@example.com",
            seat_type=SeatType.VIEW_ONLY,
            access=AccessChoice(mode=AccessMode.SUPER_ADMIN),
        )

    assert rows() == before


def test_a_super_admin_can_make_a_new_user_super_admin(admin):
    membership = invite_one(admin, access=AccessChoice(mode=AccessMode.SUPER_ADMIN))

    assert membership.is_super_admin
    assert membership.permissions == seat_ceiling(SeatType.CORE)


def test_only_a_super_admin_can_make_someone_a_super_admin(users_admin):
    before = rows()

    with pytest.raises(SuperAdminOnly):
        invite(users_admin, "boss@example.com", access=AccessChoice(mode=AccessMode.SUPER_ADMIN))

    assert rows() == before


def test_a_users_admin_cannot_grant_a_permission_they_lack(users_admin):
    billing = {**CORE_DEFAULTS, AccountPermission.BILLING.value: ON}
    before = rows()

    with pytest.raises(PermissionsNotHeld) as refused:
        invite(
            users_admin,
            "new@example.com",
            access=AccessChoice(mode=AccessMode.SCRATCH, permissions=billing),
        )

    assert (
        str(refused.value) == "You can't grant permissions you don't have yourself: Edit billing."
    )
    assert rows() == before


def test_a_users_admin_can_grant_the_permissions_they_hold(users_admin):
    held = {**CORE_DEFAULTS, AccountPermission.USERS.value: ON}

    membership = invite_one(
        users_admin, access=AccessChoice(mode=AccessMode.SCRATCH, permissions=held)
    )

    assert membership.permissions == held
    assert membership.access == Access.CUSTOM


def test_seat_defaults_give_the_seats_default_permissions(admin):
    membership = invite_one(admin)

    assert membership.permissions == CORE_DEFAULTS
    assert membership.access == Access.SEAT_DEFAULTS


def test_a_built_in_template_kept_as_is_gives_template_access(admin):
    marketer = builtin_permission_set_get("marketer")

    membership = invite_one(
        admin, access=AccessChoice(mode=AccessMode.TEMPLATE, template="builtin:marketer")
    )

    assert membership.access == Access.TEMPLATE
    assert membership.permission_template == "marketer"
    assert membership.permissions == dict(marketer.permissions)


def test_an_account_permission_set_kept_as_is_gives_permission_set_access(admin):
    permission_set = PermissionSetFactory(account=admin.account)

    membership = invite_one(
        admin,
        access=AccessChoice(mode=AccessMode.TEMPLATE, template=f"set:{permission_set.pk}"),
    )

    assert membership.access == Access.PERMISSION_SET
    assert membership.permission_set == permission_set


def test_a_template_adjusted_before_creating_gives_custom_access(admin):
    adjusted = {**builtin_permission_set_get("marketer").permissions, "crm.import": "off"}
    assert adjusted != dict(builtin_permission_set_get("marketer").permissions)

    membership = invite_one(
        admin,
        access=AccessChoice(
            mode=AccessMode.TEMPLATE, template="builtin:marketer", permissions=adjusted
        ),
    )

    assert membership.access == Access.CUSTOM
    assert membership.permission_template == ""
    assert membership.permissions == adjusted
