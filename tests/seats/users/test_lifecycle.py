"""Users room, seats/users/services/lifecycle.py and its actions on a user's page: a member's life
after joining: deactivate, reactivate, remove, super admin, reset password.

DOMAIN.md sections 3 and 6. Acme is on Marketing Hub Professional (3 Core seats included); its
owner is its only super admin unless a test adds another. The services are called directly;
a few rules are also checked over HTTP where the page is the promise (no access at once, no
password field, refusals shown as messages).
"""

import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse

from accounts.errors import SuperAdminsOnlyBySuperAdmins
from accounts.models import (
    Account,
    AuditEvent,
    AuditVerb,
    InvitationState,
    Membership,
    MembershipStatus,
    SeatType,
    User,
)
from accounts.policy import ON, AccountPermission
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services.subscriptions import subscription_start
from seats.catalogue import seat_default_permissions
from seats.errors import (
    LastSuperAdmin,
    MemberNotDeactivated,
    SeatNotReleasable,
    SeatTypeUnavailable,
    SuperAdminNeedsPaidSeat,
    SuperAdminNotWhileDeactivated,
    SuperAdminOnly,
)
from seats.models import SeatPool
from seats.permissions.choice import AccessChoice, AccessMode
from seats.permissions.services import member_access_set
from seats.pools.selectors import seat_pool_summaries
from seats.users.services.lifecycle import (
    member_deactivate,
    member_reactivate,
    member_remove,
    member_seat_release,
    member_super_admin_set,
)
from seats.users.services.seat import member_seat_change
from tests.factories import (
    PASSWORD,
    AccountFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)
MARKETING_PRO = {HubCode.MARKETING: TierCode.PROFESSIONAL}
MARKETING_AND_SALES_PRO = {**MARKETING_PRO, HubCode.SALES: TierCode.PROFESSIONAL}
USERS_MANAGER = {**seat_default_permissions(SeatType.CORE), AccountPermission.USERS: ON}


def subscribed_account(hubs=MARKETING_PRO, *, extra_seats=None) -> Account:
    account = AccountFactory(name="Acme")
    subscription_start(
        account=account,
        hubs=hubs,
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
        extra_seats=extra_seats,
    )
    return account


@pytest.fixture
def account() -> Account:
    return subscribed_account()


@pytest.fixture
def owner(account) -> Membership:
    """The account's only super admin, on a Core seat."""
    return MembershipFactory(account=account, super_admin=True, user__email="owner@acme.example")


@pytest.fixture
def member(account, owner) -> Membership:
    return MembershipFactory(
        account=account,
        user__email="member@acme.example",
        user__first_name="Mary",
        user__last_name="Member",
        joined_at=NOW - timedelta(days=90),
    )


@pytest.fixture
def manager(account, owner) -> Membership:
    """Holds "Add and edit users" but is not a super admin."""
    return MembershipFactory(
        account=account, user__email="manager@acme.example", permissions=USERS_MANAGER
    )


def available(account: Account, seat_type: str = SeatType.CORE) -> int:
    (pool,) = [p for p in seat_pool_summaries(account=account) if p.seat_type == seat_type]
    return pool.available


def emails_to(membership: Membership) -> list:
    return [m for m in mail.outbox if m.to == [membership.user.email]]


def reload(membership: Membership) -> Membership:
    return Membership.objects.get(pk=membership.pk)


def deactivate(membership: Membership, by: Membership, *, release=False, note="") -> Membership:
    return member_deactivate(
        membership=membership,
        release_seat=release,
        note=note,
        actor=by.user,
        actor_membership=by,
        now=NOW,
    )


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


# --- Deactivate ----------------------------------------------------------------------------------


def test_deactivating_and_releasing_a_paid_seat_frees_it_in_the_pool(account, owner, member):
    assert available(account) == 1

    deactivate(member, owner, release=True)

    assert available(account) == 2
    assert reload(member).seat_type == SeatType.VIEW_ONLY


def test_deactivating_and_keeping_the_seat_holds_it_in_the_pool(account, owner, member):
    deactivate(member, owner, release=False)

    assert available(account) == 1
    assert (reload(member).status, reload(member).seat_type) == (
        MembershipStatus.DEACTIVATED,
        SeatType.CORE,
    )


def test_deactivating_records_the_note(owner, member):
    deactivate(member, owner, note="  On a sabbatical until June  ")

    member = reload(member)
    assert (member.deactivation_note, member.deactivated_at) == ("On a sabbatical until June", NOW)


def test_deactivating_is_audited_with_who_before_after_and_the_note(owner, member):
    deactivate(member, owner, note="Left the company")

    event = AuditEvent.objects.get(verb=AuditVerb.MEMBER_DEACTIVATED, target=member)
    assert (event.actor, event.created_at, event.target_email) == (
        owner.user,
        NOW,
        "member@acme.example",
    )
    assert event.before == {"status": "active", "seat_type": "core"}
    assert event.after == {"status": "deactivated", "seat_type": "core", "note": "Left the company"}


def test_deactivating_emails_the_member_that_their_access_ended(
    owner, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        deactivate(member, owner)

    (email,) = emails_to(member)
    assert email.subject == "seatmgr · Acme"
    assert "Your access to Acme was deactivated." in email.body


def test_a_deactivated_member_is_refused_at_their_next_request_even_with_a_session(
    client, account, owner
):
    manager = MembershipFactory(account=account, permissions=USERS_MANAGER)
    client.force_login(manager.user)
    assert client.get(reverse("seats:users")).status_code == 200

    deactivate(manager, owner)

    for url in (reverse("seats:users"), reverse("accounts:profile")):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Your access to Acme has been deactivated" in response.content.decode()


def test_deactivating_over_http_keeps_the_seat_and_shows_the_note(client, account, owner, member):
    client.force_login(owner.user)

    response = client.post(
        reverse("seats:user_action", args=[member.pk, "deactivate"]),
        {"seat": "keep", "note": "Parental leave"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("seats:user", args=[member.pk])
    assert "Deactivated — Parental leave" in response.content.decode()
    assert (reload(member).status, reload(member).seat_type) == ("deactivated", SeatType.CORE)
    assert available(account) == 1


# The service with no acting membership: what it leaves on the member's row and in the audit log.


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


# --- The last active super admin -----------------------------------------------------------------


def test_the_last_active_super_admin_cannot_be_deactivated(owner):
    with pytest.raises(LastSuperAdmin):
        deactivate(owner, owner)

    assert reload(owner).status == MembershipStatus.ACTIVE
    assert not AuditEvent.objects.filter(verb=AuditVerb.MEMBER_DEACTIVATED).exists()


def test_the_last_active_super_admin_cannot_be_removed_from_super_admin(owner):
    with pytest.raises(LastSuperAdmin):
        member_super_admin_set(membership=owner, is_super_admin=False, actor_membership=owner)

    assert reload(owner).is_super_admin


def test_the_last_active_super_admin_cannot_be_removed_while_active(owner):
    with pytest.raises(MemberNotDeactivated):
        member_remove(membership=owner, actor_membership=owner)

    assert Membership.objects.filter(pk=owner.pk).exists()


def test_a_deactivated_super_admin_does_not_count_as_another_active_one(account, owner):
    MembershipFactory(account=account, super_admin=True, deactivated=True)

    with pytest.raises(LastSuperAdmin):
        member_super_admin_set(membership=owner, is_super_admin=False, actor_membership=owner)


def test_with_a_second_active_super_admin_either_can_step_down_or_be_deactivated(account, owner):
    deputy = MembershipFactory(account=account, super_admin=True)

    member_super_admin_set(membership=deputy, is_super_admin=False, actor_membership=owner)
    member_super_admin_set(membership=deputy, is_super_admin=True, actor_membership=owner)
    deactivate(owner, deputy)

    assert (reload(owner).status, reload(deputy).is_super_admin) == ("deactivated", True)


def test_refusing_the_last_super_admin_over_http_says_why(client, owner):
    client.force_login(owner.user)

    response = client.post(
        reverse("seats:user_action", args=[owner.pk, "remove_super_admin"]), follow=True
    )

    assert response.status_code == 200
    assert "last active super admin" in response.content.decode()
    assert reload(owner).is_super_admin


# --- "Release seat": a paid seat nobody uses ------------------------------------------------------


def revoked_invitee(account, email="gone@acme.example", **fields) -> Membership:
    """Invited on a paid seat, their invitation revoked before revoking released seats."""
    return MembershipFactory(
        account=account, invited=True, user__email=email, invite_revoked_at=NOW, **fields
    )


def test_releasing_a_revoked_invitees_seat_frees_it_and_audits_it(account, owner):
    invitee = revoked_invitee(account)
    assert available(account) == 1

    released = member_seat_release(membership=invitee, actor_membership=owner, now=NOW)

    assert released == SeatType.CORE
    assert available(account) == 2
    invitee = reload(invitee)
    assert (invitee.status, invitee.seat_type) == (MembershipStatus.INVITED, SeatType.VIEW_ONLY)
    assert invitee.permissions == seat_default_permissions(SeatType.VIEW_ONLY)
    event = AuditEvent.objects.get(verb=AuditVerb.SEAT_CHANGED, target=invitee)
    assert (event.actor, event.before["seat_type"], event.after["seat_type"]) == (
        owner.user,
        "core",
        "view_only",
    )


def test_releasing_a_deactivated_members_kept_seat_frees_it(account, owner, member):
    deactivate(member, owner, release=False)

    member_seat_release(membership=member, actor_membership=owner, now=NOW)

    assert available(account) == 2
    assert (reload(member).status, reload(member).seat_type) == ("deactivated", "view_only")


def test_an_active_members_seat_is_not_released_this_way(account, owner, member):
    with pytest.raises(SeatNotReleasable):
        member_seat_release(membership=member, actor_membership=owner, now=NOW)

    assert reload(member).seat_type == SeatType.CORE


def test_a_pending_invitees_seat_is_not_released_this_way(account, owner):
    invitee = MembershipFactory(account=account, invited=True)

    with pytest.raises(SeatNotReleasable):
        member_seat_release(membership=invitee, actor_membership=owner, now=NOW)

    assert reload(invitee).seat_type == SeatType.CORE


def test_only_a_super_admin_releases_a_super_admins_seat(account, owner, manager):
    invitee = revoked_invitee(account, super_admin=True)

    with pytest.raises(SuperAdminsOnlyBySuperAdmins):
        member_seat_release(membership=invitee, actor_membership=manager, now=NOW)

    assert (reload(invitee).seat_type, reload(invitee).is_super_admin) == (SeatType.CORE, True)


def test_a_revoked_invitees_page_offers_to_release_their_seat(client, account, owner):
    invitee = revoked_invitee(account)
    client.force_login(owner.user)
    page = html.unescape(client.get(reverse("seats:user", args=[invitee.pk])).content.decode())
    assert "This user's invitation was revoked, but they still hold a paid Core seat." in page

    response = client.post(
        reverse("seats:user_action", args=[invitee.pk, "release_seat"]), follow=True
    )

    body = html.unescape(response.content.decode())
    assert f"{invitee.user.full_name}'s Core seat was released." in body
    assert "still hold a paid" not in body
    assert reload(invitee).seat_type == SeatType.VIEW_ONLY


def test_an_active_members_page_offers_no_release_seat(client, owner, member):
    client.force_login(owner.user)

    page = client.get(reverse("seats:user", args=[member.pk])).content.decode()

    assert "Release seat" not in page


# --- A deactivated user is never made a super admin ----------------------------------------------


def test_a_deactivated_member_cannot_be_made_super_admin(owner, member):
    deactivate(member, owner)

    with pytest.raises(SuperAdminNotWhileDeactivated):
        member_super_admin_set(membership=member, is_super_admin=True, actor_membership=owner)

    assert not reload(member).is_super_admin
    assert not AuditEvent.objects.filter(verb=AuditVerb.SUPER_ADMIN_CHANGED).exists()


def test_a_deactivated_member_cannot_be_made_super_admin_through_edit_permissions(owner, member):
    deactivate(member, owner)

    with pytest.raises(SuperAdminNotWhileDeactivated):
        member_access_set(
            membership=member,
            choice=AccessChoice(mode=AccessMode.SUPER_ADMIN),
            actor_membership=owner,
        )

    assert not reload(member).is_super_admin


def test_a_deactivated_members_page_offers_no_make_super_admin(client, owner, member):
    client.force_login(owner.user)
    page = reverse("seats:user", args=[member.pk])
    assert "Make super admin" in client.get(page).content.decode()

    deactivate(member, owner)

    assert "Make super admin" not in client.get(page).content.decode()
    access = client.get(reverse("seats:user_access", args=[member.pk])).content.decode()
    assert 'value="super_admin"' not in access


def test_making_a_deactivated_member_super_admin_over_http_says_why(client, owner, member):
    deactivate(member, owner)
    client.force_login(owner.user)

    response = client.post(
        reverse("seats:user_action", args=[member.pk, "make_super_admin"]), follow=True
    )

    assert response.status_code == 200
    assert "A deactivated user can't be made a super admin. Reactivate them first." in (
        html.unescape(response.content.decode())
    )
    assert not reload(member).is_super_admin


# --- Only super admins touch super admins --------------------------------------------------------


def test_a_users_manager_cannot_deactivate_a_super_admin(owner, manager):
    MembershipFactory(account=owner.account, super_admin=True)  # not the last one

    with pytest.raises(SuperAdminsOnlyBySuperAdmins):
        deactivate(owner, manager)

    assert reload(owner).status == MembershipStatus.ACTIVE


def test_a_users_manager_cannot_reactivate_a_super_admin(account, owner, manager):
    gone = MembershipFactory(account=account, super_admin=True, deactivated=True)

    with pytest.raises(SuperAdminsOnlyBySuperAdmins):
        member_reactivate(membership=gone, actor_membership=manager)

    assert reload(gone).status == MembershipStatus.DEACTIVATED


def test_a_users_manager_cannot_remove_a_super_admin(account, owner, manager):
    gone = MembershipFactory(account=account, super_admin=True, deactivated=True)

    with pytest.raises(SuperAdminsOnlyBySuperAdmins):
        member_remove(membership=gone, actor_membership=manager)

    assert Membership.objects.filter(pk=gone.pk).exists()


def test_a_users_manager_cannot_make_anyone_super_admin(member, manager):
    with pytest.raises(SuperAdminOnly):
        member_super_admin_set(membership=member, is_super_admin=True, actor_membership=manager)

    assert not reload(member).is_super_admin
    assert not AuditEvent.objects.filter(verb=AuditVerb.SUPER_ADMIN_CHANGED).exists()


def test_a_users_manager_cannot_make_themselves_super_admin(manager):
    with pytest.raises(SuperAdminOnly):
        member_super_admin_set(membership=manager, is_super_admin=True, actor_membership=manager)


def test_a_users_manager_can_deactivate_and_reactivate_an_ordinary_member(member, manager):
    deactivate(member, manager)
    member_reactivate(membership=member, actor_membership=manager)

    assert reload(member).status == MembershipStatus.ACTIVE


def test_a_users_manager_is_told_over_http_that_only_a_super_admin_can(client, owner, manager):
    MembershipFactory(account=owner.account, super_admin=True)
    client.force_login(manager.user)

    response = client.post(
        reverse("seats:user_action", args=[owner.pk, "deactivate"]),
        {"seat": "keep", "note": ""},
        follow=True,
    )

    assert response.status_code == 200
    assert "Only a super admin can change a super admin." in response.content.decode()
    assert reload(owner).status == MembershipStatus.ACTIVE


# --- A super admin is never on a View-only seat --------------------------------------------------


def test_a_view_only_member_cannot_be_made_super_admin(account, owner):
    viewer = MembershipFactory(account=account, view_only=True)

    with pytest.raises(SuperAdminNeedsPaidSeat):
        member_super_admin_set(membership=viewer, is_super_admin=True, actor_membership=owner)

    assert not reload(viewer).is_super_admin


def test_a_super_admin_cannot_be_moved_to_a_view_only_seat(account, owner):
    deputy = MembershipFactory(account=account, super_admin=True)

    with pytest.raises(SuperAdminNeedsPaidSeat):
        member_seat_change(membership=deputy, seat_type=SeatType.VIEW_ONLY, actor_membership=owner)

    assert reload(deputy).seat_type == SeatType.CORE


def test_making_a_super_admin_is_audited_and_the_member_told(
    owner, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        member_super_admin_set(
            membership=member, is_super_admin=True, actor_membership=owner, now=NOW
        )

    event = AuditEvent.objects.get(verb=AuditVerb.SUPER_ADMIN_CHANGED, target=member)
    assert (event.actor, event.before, event.after) == (
        owner.user,
        {"is_super_admin": False},
        {"is_super_admin": True},
    )
    (email,) = emails_to(member)
    assert "You are now a super admin of Acme." in email.body


# --- Reactivate ----------------------------------------------------------------------------------


def test_reactivating_puts_them_back_on_the_seat_they_kept(account, owner, member):
    deactivate(member, owner, note="Sabbatical")

    member_reactivate(membership=member, actor_membership=owner, now=NOW + timedelta(days=30))

    member = reload(member)
    assert (member.status, member.seat_type) == (MembershipStatus.ACTIVE, SeatType.CORE)
    assert (member.deactivated_at, member.deactivation_note) == (None, "")
    assert available(account) == 1


def test_reactivating_is_audited_and_the_member_told(
    owner, member, django_capture_on_commit_callbacks
):
    deactivate(member, owner)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        member_reactivate(membership=member, actor_membership=owner, now=NOW)

    event = AuditEvent.objects.get(verb=AuditVerb.MEMBER_REACTIVATED, target=member)
    assert (event.actor, event.after) == (owner.user, {"status": "active", "seat_type": "core"})
    (email,) = emails_to(member)
    assert "Your access to Acme was reactivated." in email.body


def test_a_reactivated_member_can_use_the_account_again(client, account, owner):
    manager = MembershipFactory(account=account, permissions=USERS_MANAGER)
    client.force_login(manager.user)
    deactivate(manager, owner)
    assert client.get(reverse("seats:users")).status_code == 403

    member_reactivate(membership=manager, actor_membership=owner)

    assert client.get(reverse("seats:users")).status_code == 200


def test_reactivating_is_refused_when_their_seat_type_is_no_longer_enabled():
    account = subscribed_account(MARKETING_AND_SALES_PRO, extra_seats={SeatType.SALES: 1})
    owner = MembershipFactory(account=account, super_admin=True)
    seller = MembershipFactory(account=account, seat_type=SeatType.SALES)
    deactivate(seller, owner)
    SeatPool.objects.filter(account=account, seat_type=SeatType.SALES).update(enabled=False)

    with pytest.raises(SeatTypeUnavailable):
        member_reactivate(membership=seller, actor_membership=owner)

    assert reload(seller).status == MembershipStatus.DEACTIVATED
    assert not AuditEvent.objects.filter(verb=AuditVerb.MEMBER_REACTIVATED).exists()


def test_reactivating_someone_who_never_accepted_their_invitation_does_not_accept_it(owner):
    invitee = MembershipFactory(
        account=owner.account, invited=True, invite_expires_at=NOW + timedelta(days=7)
    )
    deactivate(invitee, owner)

    member_reactivate(membership=invitee, actor_membership=owner, now=NOW + timedelta(days=1))

    # They never chose a password nor joined: back to invited, so that "Resend invite" and
    # their link work again, and the Users list does not say "Accepted".
    invitee = reload(invitee)
    assert (invitee.status, invitee.joined_at) == (MembershipStatus.INVITED, None)
    assert invitee.invitation_state_at(NOW + timedelta(days=1)) != InvitationState.ACCEPTED


# --- Remove --------------------------------------------------------------------------------------


def test_removing_is_refused_until_the_member_is_deactivated(owner, member):
    with pytest.raises(MemberNotDeactivated):
        member_remove(membership=member, actor_membership=owner)

    assert Membership.objects.filter(pk=member.pk).exists()


def test_removing_deletes_the_membership_but_keeps_its_audit_events(owner, member):
    deactivate(member, owner, note="Left")

    member_remove(membership=member, actor_membership=owner, now=NOW)

    assert not Membership.objects.filter(pk=member.pk).exists()
    assert User.objects.filter(email="member@acme.example").exists()
    history = AuditEvent.objects.filter(target_email="member@acme.example").order_by("id")
    assert [(e.verb, e.target_id, e.actor) for e in history] == [
        (AuditVerb.MEMBER_DEACTIVATED, None, owner.user),
        (AuditVerb.MEMBER_REMOVED, None, owner.user),
    ]


def test_removing_a_member_who_kept_a_paid_seat_frees_it(account, owner, member):
    deactivate(member, owner, release=False)
    assert available(account) == 1

    member_remove(membership=member, actor_membership=owner)

    assert available(account) == 2


def test_removing_over_http_returns_to_the_list_without_them(client, owner, member):
    deactivate(member, owner)
    client.force_login(owner.user)

    response = client.post(reverse("seats:user_action", args=[member.pk, "remove"]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("seats:users")
    assert "Mary Member was removed from the account." in response.content.decode()
    assert client.get(reverse("seats:user", args=[member.pk])).status_code == 404


# --- Reset password ------------------------------------------------------------------------------


def test_reset_password_emails_the_user_one_reset_link(
    client, owner, member, django_capture_on_commit_callbacks
):
    client.force_login(owner.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("seats:user_action", args=[member.pk, "reset_password"]))

    assert response.url == reverse("seats:user", args=[member.pk])
    assert len(mail.outbox) == 1
    (email,) = emails_to(member)
    assert email.subject == "Choose a new seatmgr password"
    assert "/password-reset/" in email.body
    assert reload(member).user.check_password(PASSWORD)


@pytest.mark.parametrize("who", ["invited", "deactivated", "without a password"])
def test_reset_password_is_refused_with_a_message_for_a_member_who_cannot_use_it(
    client, account, owner, who, django_capture_on_commit_callbacks
):
    traits = {"invited": {"invited": True}, "deactivated": {"deactivated": True}}.get(who, {})
    member = MembershipFactory(account=account, user__email="nia@acme.example", **traits)
    if who == "without a password":
        member.user.set_unusable_password()
        member.user.save()
    client.force_login(owner.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("seats:user_action", args=[member.pk, "reset_password"]), follow=True
        )

    assert response.redirect_chain[-1][0] == reverse("seats:user", args=[member.pk])
    assert (
        "nia@acme.example hasn't set a password yet or can't use the account: resend their "
        "invite instead." in html.unescape(response.content.decode())
    )
    assert emails_to(member) == []


def test_a_users_manager_cannot_reset_a_super_admins_password(
    client, owner, manager, django_capture_on_commit_callbacks
):
    client.force_login(manager.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("seats:user_action", args=[owner.pk, "reset_password"]), follow=True
        )

    assert response.redirect_chain[-1][0] == reverse("seats:user", args=[owner.pk])
    assert "Only a super admin can change a super admin." in html.unescape(
        response.content.decode()
    )
    assert emails_to(owner) == []


def test_reset_password_sends_three_emails_per_member_per_hour_then_says_to_wait(
    client, owner, member, django_capture_on_commit_callbacks
):
    client.force_login(owner.user)
    url = reverse("seats:user_action", args=[member.pk, "reset_password"])

    for _attempt in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, follow=True)

    assert len(emails_to(member)) == 3
    assert (
        "Too many password reset emails were sent to member@acme.example: try again in an hour."
        in html.unescape(response.content.decode())
    )


def test_the_reset_password_limit_is_per_member(
    client, account, owner, member, django_capture_on_commit_callbacks
):
    other = MembershipFactory(account=account, user__email="other@acme.example")
    client.force_login(owner.user)
    for _attempt in range(4):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("seats:user_action", args=[member.pk, "reset_password"]))

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("seats:user_action", args=[other.pk, "reset_password"]))

    assert (len(emails_to(member)), len(emails_to(other))) == (3, 1)


# --- Teams on a user's page ----------------------------------------------------------------------


def test_a_users_manager_cannot_change_a_super_admins_teams(client, account, owner, manager):
    team = TeamFactory(account=account, name="Ops")
    client.force_login(manager.user)

    response = client.post(
        reverse("seats:user_teams", args=[owner.pk]),
        {"main_team": team.pk, "extra_teams": [team.pk]},
    )

    assert response.status_code == 200
    assert "Only a super admin can change a super admin." in html.unescape(
        response.content.decode()
    )
    owner = reload(owner)
    assert owner.main_team_id is None
    assert list(owner.extra_teams.all()) == []


def test_a_super_admin_can_change_another_super_admins_teams(client, account, owner):
    deputy = MembershipFactory(account=account, super_admin=True, user__email="deputy@acme.example")
    team = TeamFactory(account=account, name="Ops")
    client.force_login(owner.user)

    response = client.post(reverse("seats:user_teams", args=[deputy.pk]), {"main_team": team.pk})

    assert response.status_code == 302
    assert reload(deputy).main_team_id == team.pk


def test_no_admin_can_set_a_users_password(client, owner, member):
    client.force_login(owner.user)

    for url in (
        reverse("seats:user", args=[member.pk]),
        reverse("seats:user_action", args=[member.pk, "reset_password"]),
    ):
        page = client.get(url).content.decode().lower()
        assert 'type="password"' not in page, url
        assert 'name="password' not in page and 'name="new_password' not in page, url

    client.post(
        reverse("seats:user", args=[member.pk]),
        {"seat_type": SeatType.CORE, "password": "chosen-by-admin-1", "new_password1": "x"},
    )
    assert reload(member).user.check_password(PASSWORD)


# --- Permissions history -------------------------------------------------------------------------


def test_the_permissions_history_lists_changes_newest_first_with_who_did_them(
    client, account, owner, member
):
    deputy = MembershipFactory(account=account, super_admin=True, user__email="deputy@acme.example")
    member_super_admin_set(membership=member, is_super_admin=True, actor_membership=owner, now=NOW)
    member_super_admin_set(
        membership=member,
        is_super_admin=False,
        actor_membership=deputy,
        now=NOW + timedelta(minutes=5),
    )
    MembershipFactory(account=account)  # someone else's history is not listed
    client.force_login(owner.user)

    page = client.get(reverse("seats:user_history", args=[member.pk])).content.decode()

    rows = re.findall(r"<tr>\s*<td>.*?</tr>", page, re.S)
    assert len(rows) == 2
    assert "deputy@acme.example" in rows[0] and "owner@acme.example" in rows[1]
    assert all("Super admin changed" in row for row in rows)


def test_the_permissions_history_exports_as_csv(client, owner, member):
    member_super_admin_set(membership=member, is_super_admin=True, actor_membership=owner, now=NOW)
    client.force_login(owner.user)

    response = client.get(reverse("seats:user_history", args=[member.pk]), {"format": "csv"})

    text = b"".join(response.streaming_content).decode().removeprefix("\ufeff")
    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        ["Time (UTC)", "Actor", "Action", "Action code", "Target", "Changes"],
        [
            "2027-03-15 09:00:00",
            "owner@acme.example",
            "Super admin changed",
            "super_admin.changed",
            "member@acme.example",
            "Super admin: No → Yes",
        ],
    ]


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("make_super_admin", "Mary Member is now a super admin."),
        ("remove_super_admin", "Mary Member is no longer a super admin."),
    ],
)
def test_a_super_admin_change_says_what_changed_for_whom(client, owner, member, action, message):
    if action == "remove_super_admin":
        member_super_admin_set(membership=member, is_super_admin=True, actor_membership=owner)
    client.force_login(owner.user)

    response = client.post(reverse("seats:user_action", args=[member.pk, action]), follow=True)

    page = response.content.decode()
    assert message in page
    assert "Saved." not in page


# --- From the Users list's row menu: back to the list, never to another site -------------------


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/settings/users/", "//evil.example/", "javascript:alert(1)"],
)
def test_an_action_ignores_a_next_outside_this_site(client, owner, member, next_url):
    client.force_login(owner.user)
    url = reverse("seats:user_action", args=[member.pk, "deactivate"])

    page = client.get(url, {"next": next_url})
    response = client.post(url, {"seat": "keep", "note": "", "next": next_url})

    assert next_url not in page.content.decode()
    assert response.status_code == 302
    assert response.url == reverse("seats:user", args=[member.pk])
    assert reload(member).status == MembershipStatus.DEACTIVATED


def test_an_action_opened_from_the_users_list_returns_to_it_filters_kept(client, owner, member):
    client.force_login(owner.user)
    back = reverse("seats:users") + "?status=active&sort=seat"
    url = reverse("seats:user_action", args=[member.pk, "reset_password"])

    page = client.get(url, {"next": back})
    response = client.post(url, {"next": back})

    assert html.escape(back) in page.content.decode()  # its Cancel goes back there too
    assert (response.status_code, response.url) == (302, back)
