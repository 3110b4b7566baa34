"""Creating users in a batch and their invitation links, at the service level.

DOMAIN.md sections 4 and 5. Accounts are set up the way production sets them up: a subscription
to Marketing Hub and Sales Hub Professional (3 Core seats included) with 1 Core seat bought, so
the Core pool holds 4 seats; the account's super admin takes one, leaving 3 free.
"""

import base64
import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import (
    Access,
    Account,
    AuditEvent,
    AuditVerb,
    InvitationState,
    Membership,
    MembershipStatus,
    Notification,
    SeatType,
    User,
)
from accounts.notifications import NotificationKind
from accounts.policy import ON, AccountPermission
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services import subscription_start
from invitations.errors import BatchRefused, InvitationForSomeoneElse, InvitationInvalid
from invitations.models import Delivery, Invitation
from invitations.parsing import ParsedPerson
from invitations.selectors import invitations_unsent
from invitations.services.links import (
    invitation_accept,
    invitation_link_copy,
    invitation_resend,
    invitation_revoke,
)
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
from seats.users.services.lifecycle import member_deactivate
from tests.factories import (
    PASSWORD,
    AccountFactory,
    MembershipFactory,
    PartnerDomainFactory,
    PermissionSetFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)
MARKETING_AND_SALES_PRO = {
    HubCode.MARKETING: TierCode.PROFESSIONAL,
    HubCode.SALES: TierCode.PROFESSIONAL,
}
MARKETING_PRO = {HubCode.MARKETING: TierCode.PROFESSIONAL}
DEFAULTS = AccessChoice(mode=AccessMode.DEFAULTS)
CORE_DEFAULTS = seat_default_permissions(SeatType.CORE)
LINK = re.compile(r"(https?://\S+?/invite/([A-Za-z0-9_-]+)/)")
TICK = timedelta(microseconds=1)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def subscribed_account(hubs=MARKETING_AND_SALES_PRO) -> Account:
    account = AccountFactory(name="Initech")
    subscription_start(
        account=account,
        hubs=hubs,
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
        extra_seats={"core": 1},
    )
    return account


@pytest.fixture
def account() -> Account:
    return subscribed_account()


@pytest.fixture
def admin(account) -> Membership:
    return MembershipFactory(
        account=account, super_admin=True, user__email="admin@example.com", user__first_name="Ada"
    )


@pytest.fixture
def users_admin(account) -> Membership:
    """Holds "Add and edit users" and the Core seat's defaults, but is not a super admin."""
    return MembershipFactory(
        account=account,
        user__email="users.admin@example.com",
        permissions={**CORE_DEFAULTS, AccountPermission.USERS.value: ON},
    )


def invite(actor: Membership, *emails: str, **kwargs):
    arguments = {
        "seat_type": SeatType.CORE,
        "access": DEFAULTS,
        "send_email": True,
        "now": NOW,
        **kwargs,
    }
    return members_invite(
        account=actor.account,
        actor_membership=actor,
        people=[ParsedPerson(email) for email in emails],
        **arguments,
    )


def invite_one(actor: Membership, email: str = "new@example.com", **kwargs) -> Membership:
    [membership] = invite(actor, email, **kwargs).memberships
    return membership


def rows() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "invitations": Invitation.objects.count(),
        "audit events": AuditEvent.objects.count(),
    }


def invitation_emails() -> list:
    """The invitation emails sent so far (billing admins may be emailed about seats too)."""
    return [message for message in mail.outbox if LINK.search(message.body)]


def links_in(message) -> list[tuple[str, str]]:
    return LINK.findall(message.body)


def emailed_token(message) -> str:
    [(_url, token)] = links_in(message)
    return token


def copied_token(membership: Membership, actor: Membership, now=NOW) -> str:
    url = invitation_link_copy(
        account=membership.account, membership_id=membership.pk, actor=actor.user, now=now
    )
    return LINK.fullmatch(url).group(2)


def invite_and_email(capture, actor: Membership, email: str = "new@example.com", **kwargs):
    """Invite one person and run the send task after commit; return (membership, token)."""
    with capture(execute=True):
        membership = invite_one(actor, email, **kwargs)
    [message] = [m for m in invitation_emails() if m.to == [email]]
    return membership, emailed_token(message)


def refreshed(membership: Membership) -> Membership:
    return Membership.objects.get(pk=membership.pk)


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


# --- Invitations ---------------------------------------------------------------------------------


def test_each_new_member_gets_one_emailed_invitation_after_commit(
    admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(admin, "bob@example.com", "carol@example.com")

    assert sorted(m.to[0] for m in invitation_emails()) == ["bob@example.com", "carol@example.com"]
    assert set(Invitation.objects.values_list("delivery", flat=True)) == {Delivery.EMAIL}


def test_no_email_and_no_invitation_when_the_invite_email_is_skipped(
    admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        membership = invite_one(admin, send_email=False)

    assert invitation_emails() == []
    assert not Invitation.objects.exists()
    assert membership.invitation_state_at(NOW) == InvitationState.NOT_SENT


def test_a_refused_batch_sends_no_email(admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(NotEnoughSeats):
        invite(admin, *(f"person{i}@example.com" for i in range(4)))

    assert invitation_emails() == []


def test_the_token_has_at_least_128_random_bits_and_only_its_sha256_hash_is_stored(
    admin, django_capture_on_commit_callbacks
):
    membership, token = invite_and_email(django_capture_on_commit_callbacks, admin)

    assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) >= 16
    invitation = Invitation.objects.get(membership=membership)
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = [str(value) for row in Invitation.objects.values_list() for value in row]
    assert not any(token in value for value in stored)


def test_a_copied_links_token_is_not_stored_either(admin):
    membership = invite_one(admin, send_email=False)

    token = copied_token(membership, admin)

    stored = [str(value) for row in Invitation.objects.values_list() for value in row]
    assert not any(token in value for value in stored)
    assert Invitation.objects.get().token_hash == hashlib.sha256(token.encode()).hexdigest()


def test_two_links_get_different_tokens(admin):
    membership = invite_one(admin, send_email=False)

    assert copied_token(membership, admin) != copied_token(membership, admin)


def test_an_invitation_expires_seven_days_after_it_is_created_by_default(admin):
    membership = invite_one(admin)

    assert Invitation.objects.get().expires_at == NOW + timedelta(days=7)
    assert refreshed(membership).invite_expires_at == NOW + timedelta(days=7)


def test_the_expiry_comes_from_the_invitation_expiry_setting(admin, settings):
    settings.INVITATION_EXPIRY = timedelta(days=2)

    membership = invite_one(admin)

    assert Invitation.objects.get().expires_at == NOW + timedelta(days=2)
    assert refreshed(membership).invitation_state_at(NOW + timedelta(days=2)) == "expired"


def test_a_link_works_until_just_before_its_expiry(admin, django_capture_on_commit_callbacks):
    membership, token = invite_and_email(django_capture_on_commit_callbacks, admin)

    invitation_accept(token=token, user=membership.user, now=NOW + timedelta(days=7) - TICK)

    assert refreshed(membership).status == MembershipStatus.ACTIVE


def test_a_link_stops_working_at_its_expiry(admin, django_capture_on_commit_callbacks):
    membership, token = invite_and_email(django_capture_on_commit_callbacks, admin)

    with pytest.raises(InvitationInvalid):
        invitation_accept(token=token, user=membership.user, now=NOW + timedelta(days=7))

    assert refreshed(membership).status == MembershipStatus.INVITED


def test_a_shorter_expiry_setting_ends_the_link_sooner(
    admin, settings, clock, django_capture_on_commit_callbacks
):
    settings.INVITATION_EXPIRY = timedelta(hours=1)
    membership, token = invite_and_email(django_capture_on_commit_callbacks, admin)
    clock.shift(timedelta(hours=1))

    with pytest.raises(InvitationInvalid):
        invitation_accept(token=token, user=membership.user)


def test_a_link_is_single_use(admin, django_capture_on_commit_callbacks):
    membership, token = invite_and_email(django_capture_on_commit_callbacks, admin)
    invitation_accept(token=token, user=membership.user, now=NOW)

    with pytest.raises(InvitationInvalid):
        invitation_accept(token=token, user=membership.user, now=NOW)

    assert Invitation.objects.get().accepted_at == NOW


def test_a_link_only_works_for_the_invited_person(admin, django_capture_on_commit_callbacks):
    membership, token = invite_and_email(django_capture_on_commit_callbacks, admin)

    with pytest.raises(InvitationForSomeoneElse):
        invitation_accept(token=token, user=UserFactory(), now=NOW)

    assert refreshed(membership).status == MembershipStatus.INVITED
    assert Invitation.objects.get().accepted_at is None


def test_an_unknown_token_is_invalid(admin):
    invite_one(admin)

    with pytest.raises(InvitationInvalid):
        invitation_accept(token="not-a-token", user=admin.user, now=NOW)


def test_accepting_makes_the_membership_active_and_sets_the_new_persons_password_and_name(admin):
    membership = invite_one(admin, send_email=False)
    token = copied_token(membership, admin)

    invitation_accept(
        token=token,
        user=membership.user,
        now=NOW,
        password="a-brand-new-password-9",
        first_name=" Bob ",
        last_name="Builder",
    )

    membership = refreshed(membership)
    assert membership.status == MembershipStatus.ACTIVE
    assert membership.user.check_password("a-brand-new-password-9")
    assert (membership.user.first_name, membership.user.last_name) == ("Bob", "Builder")
    event = AuditEvent.objects.get(verb=AuditVerb.MEMBER_ACTIVATED)
    assert (event.target, event.actor, event.after) == (
        membership,
        membership.user,
        {"status": "active"},
    )


def test_the_inviter_is_notified_in_the_app_when_the_invitation_is_accepted(admin):
    membership = invite_one(admin, send_email=False)
    membership.user.first_name, membership.user.last_name = "Bob", "Builder"
    membership.user.save()

    invitation_accept(token=copied_token(membership, admin), user=membership.user, now=NOW)

    [notification] = Notification.objects.filter(membership=admin)
    assert notification.kind == NotificationKind.INVITATION_ACCEPTED
    assert notification.text == "Bob Builder accepted your invitation to Initech."


def test_accepting_one_link_ends_the_members_other_links(admin):
    membership = invite_one(admin, send_email=False)
    first, second = copied_token(membership, admin), copied_token(membership, admin)

    invitation_accept(token=first, user=membership.user, now=NOW)

    with pytest.raises(InvitationInvalid):
        invitation_accept(token=second, user=membership.user, now=NOW)


# --- Invitation status ---------------------------------------------------------------------------


def test_an_emailed_invitation_is_pending_until_it_expires_then_expired(admin):
    membership = invite_one(admin)

    assert membership.invitation_state_at(NOW + timedelta(days=7) - TICK) == "pending"
    assert membership.invitation_state_at(NOW + timedelta(days=7)) == "expired"


def test_an_accepted_invitation_shows_accepted_even_after_its_expiry(admin):
    membership = invite_one(admin, send_email=False)
    invitation_accept(token=copied_token(membership, admin), user=membership.user, now=NOW)

    assert refreshed(membership).invitation_state_at(NOW + timedelta(days=30)) == "accepted"


def test_a_revoked_invitation_shows_revoked(admin):
    membership = invite_one(admin)

    invitation_revoke(account=admin.account, membership_id=membership.pk, actor=admin.user, now=NOW)

    assert refreshed(membership).invitation_state_at(NOW) == "revoked"


def test_a_member_added_without_an_invite_email_shows_not_sent_until_a_link_is_copied(admin):
    membership = invite_one(admin, send_email=False)
    assert membership.invitation_state_at(NOW) == InvitationState.NOT_SENT

    copied_token(membership, admin)

    assert refreshed(membership).invitation_state_at(NOW) == InvitationState.PENDING


def test_an_invited_member_deactivated_before_accepting_is_not_shown_as_accepted(admin):
    membership = invite_one(admin)

    membership = member_deactivate(membership=membership, release_seat=True, actor=None, now=NOW)

    assert membership.invitation_state_at(NOW) != InvitationState.ACCEPTED


# --- Resend, revoke, copy ------------------------------------------------------------------------


def test_resending_emails_a_fresh_link_with_a_fresh_expiry(
    admin, clock, django_capture_on_commit_callbacks
):
    membership, first = invite_and_email(django_capture_on_commit_callbacks, admin)
    clock.shift(timedelta(days=3))

    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitation_resend(
            account=admin.account, membership_id=membership.pk, actor=admin.user
        )

    assert len(invitation_emails()) == 2
    second = emailed_token(invitation_emails()[1])
    assert second != first
    assert invitation.expires_at == NOW + timedelta(days=10)
    assert refreshed(membership).invite_expires_at == NOW + timedelta(days=10)
    assert AuditEvent.objects.filter(verb=AuditVerb.INVITATION_SENT, target=membership).exists()


def test_a_link_sent_before_a_resend_keeps_working_until_its_own_expiry(
    admin, clock, django_capture_on_commit_callbacks
):
    membership, first = invite_and_email(django_capture_on_commit_callbacks, admin)
    clock.shift(timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        invitation_resend(account=admin.account, membership_id=membership.pk, actor=admin.user)

    invitation_accept(token=first, user=membership.user, now=NOW + timedelta(days=7) - TICK)

    assert refreshed(membership).status == MembershipStatus.ACTIVE


def test_a_link_sent_before_a_resend_stops_at_its_own_expiry_while_the_new_one_works(
    admin, clock, django_capture_on_commit_callbacks
):
    membership, first = invite_and_email(django_capture_on_commit_callbacks, admin)
    clock.shift(timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        invitation_resend(account=admin.account, membership_id=membership.pk, actor=admin.user)
    second = emailed_token(invitation_emails()[1])
    eight_days_later = NOW + timedelta(days=8)

    with pytest.raises(InvitationInvalid):
        invitation_accept(token=first, user=membership.user, now=eight_days_later)
    invitation_accept(token=second, user=membership.user, now=eight_days_later)

    assert refreshed(membership).status == MembershipStatus.ACTIVE


def test_resending_a_revoked_invitation_makes_it_pending_again(admin):
    membership = invite_one(admin)
    invitation_revoke(account=admin.account, membership_id=membership.pk, actor=admin.user, now=NOW)

    invitation_resend(account=admin.account, membership_id=membership.pk, actor=admin.user, now=NOW)

    assert refreshed(membership).invitation_state_at(NOW) == InvitationState.PENDING


def test_revoking_ends_every_link_of_the_member(admin, django_capture_on_commit_callbacks):
    membership, emailed = invite_and_email(django_capture_on_commit_callbacks, admin)
    copied = copied_token(membership, admin)

    revoked = invitation_revoke(
        account=admin.account, membership_id=membership.pk, actor=admin.user, now=NOW
    )

    assert revoked == 2
    for token in (emailed, copied):
        with pytest.raises(InvitationInvalid):
            invitation_accept(token=token, user=membership.user, now=NOW)
    assert refreshed(membership).status == MembershipStatus.INVITED
    event = AuditEvent.objects.get(verb=AuditVerb.INVITATION_REVOKED)
    assert (event.target, event.actor, event.after) == (
        membership,
        admin.user,
        {"links_revoked": 2},
    )


def test_an_invitation_revoked_before_its_email_left_is_never_emailed(
    admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        membership = invite_one(admin)
    invitation_revoke(account=admin.account, membership_id=membership.pk, actor=admin.user, now=NOW)

    for callback in callbacks:
        callback()

    assert invitation_emails() == []


def test_copying_a_link_returns_a_working_link_built_from_the_site_url_without_an_email(
    admin, settings
):
    settings.SITE_URL = "https://seats.example.com"
    membership = invite_one(admin, send_email=False)

    url = invitation_link_copy(
        account=admin.account, membership_id=membership.pk, actor=admin.user, now=NOW
    )

    assert url.startswith("https://seats.example.com/invite/")
    assert invitation_emails() == []
    invitation = Invitation.objects.get()
    assert (invitation.delivery, invitation.expires_at) == (Delivery.LINK, NOW + timedelta(days=7))
    invitation_accept(token=LINK.fullmatch(url).group(2), user=membership.user, now=NOW)
    assert refreshed(membership).status == MembershipStatus.ACTIVE
    assert AuditEvent.objects.filter(
        verb=AuditVerb.INVITATION_LINK_COPIED, target=membership
    ).exists()


def test_no_link_is_copied_for_a_member_who_already_joined(admin):
    with pytest.raises(InvitationInvalid):
        invitation_link_copy(account=admin.account, membership_id=admin.pk, actor=admin.user)

    assert not Invitation.objects.exists()


@pytest.mark.parametrize("action", [invitation_link_copy, invitation_resend, invitation_revoke])
def test_invitation_actions_refuse_a_member_of_another_account(admin, action):
    stranger = MembershipFactory(invited=True)

    with pytest.raises(InvitationInvalid):
        action(account=admin.account, membership_id=stranger.pk, actor=admin.user, now=NOW)

    assert not Invitation.objects.exists()
    assert stranger.invitation_state_at(NOW) == InvitationState.NOT_SENT


# --- Unsent emails -------------------------------------------------------------------------------


def test_emailed_invitations_never_sent_are_found_two_minutes_after_creation(admin):
    invitation_membership = invite_one(admin, "lost@example.com")
    lost = Invitation.objects.get(membership=invitation_membership)

    assert invitations_unsent(now=NOW + timedelta(minutes=2)) == []
    assert invitations_unsent(now=NOW + timedelta(minutes=2) + TICK) == [lost.pk]


def test_a_sent_invitation_is_not_unsent(admin, django_capture_on_commit_callbacks):
    invite_and_email(django_capture_on_commit_callbacks, admin)

    assert invitations_unsent(now=NOW + timedelta(minutes=3)) == []


def test_a_revoked_invitation_is_not_unsent(admin):
    membership = invite_one(admin)
    invitation_revoke(account=admin.account, membership_id=membership.pk, actor=admin.user, now=NOW)

    assert invitations_unsent(now=NOW + timedelta(minutes=3)) == []


def test_an_expired_invitation_is_not_unsent(admin):
    invite_one(admin)

    assert invitations_unsent(now=NOW + timedelta(days=7)) == []


def test_the_email_of_a_member_who_joined_through_a_copied_link_is_not_unsent(admin):
    membership = invite_one(admin)
    invitation_accept(token=copied_token(membership, admin), user=membership.user, now=NOW)

    assert invitations_unsent(now=NOW + timedelta(minutes=3)) == []


def test_a_copied_link_is_not_an_unsent_email(admin):
    copied_token(invite_one(admin, send_email=False), admin)

    assert invitations_unsent(now=NOW + timedelta(minutes=3)) == []
