"""Invitation links (invitations.services.links): tokens, expiry, accepting, status, resend,
revoke and copy, at the service level.

DOMAIN.md section 5. The world is tests/invitations/helpers.py's.
"""

import base64
import hashlib
from datetime import timedelta

import pytest

from accounts.errors import SuperAdminsOnlyBySuperAdmins
from accounts.models import (
    AuditEvent,
    AuditVerb,
    InvitationState,
    MembershipStatus,
    Notification,
    SeatType,
)
from accounts.notifications import NotificationKind
from invitations.errors import InvitationForSomeoneElse, InvitationInvalid
from invitations.models import Delivery, Invitation
from invitations.services.links import (
    invitation_accept,
    invitation_link_copy,
    invitation_resend,
    invitation_revoke,
)
from seats.catalogue import seat_default_permissions
from seats.errors import NotEnoughSeats
from seats.permissions.choice import AccessChoice, AccessMode
from seats.pools.selectors import seat_pool_summaries
from seats.users.services.lifecycle import member_deactivate
from tests.factories import MembershipFactory, UserFactory
from tests.invitations.helpers import (
    LINK,
    NOW,
    TICK,
    copied_token,
    emailed_token,
    invitation_emails,
    invite,
    invite_and_email,
    invite_one,
    refreshed,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


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


def test_accepting_makes_the_membership_active_and_sets_the_new_persons_password_and_name(
    admin, django_capture_on_commit_callbacks
):
    membership, token = invite_and_email(django_capture_on_commit_callbacks, admin)

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

    assert revoked.links == 2
    for token in (emailed, copied):
        with pytest.raises(InvitationInvalid):
            invitation_accept(token=token, user=membership.user, now=NOW)
    assert refreshed(membership).status == MembershipStatus.INVITED
    event = AuditEvent.objects.get(verb=AuditVerb.INVITATION_REVOKED)
    assert (event.target, event.actor, event.after["links_revoked"]) == (
        membership,
        admin.user,
        2,
    )


# --- Revoking releases the invitee's paid seat ---------------------------------------------------


def core_seats_available(account) -> int:
    (pool,) = [p for p in seat_pool_summaries(account=account) if p.seat_type == SeatType.CORE]
    return pool.available


def test_revoking_releases_the_invitees_paid_seat_and_says_so_in_the_audit_log(admin):
    membership = invite_one(admin)
    before = core_seats_available(admin.account)

    revocation = invitation_revoke(
        account=admin.account,
        membership_id=membership.pk,
        actor=admin.user,
        actor_membership=admin,
        now=NOW,
    )

    assert revocation.seat_released == SeatType.CORE
    assert core_seats_available(admin.account) == before + 1
    membership = refreshed(membership)
    assert (membership.status, membership.seat_type) == (
        MembershipStatus.INVITED,
        SeatType.VIEW_ONLY,
    )
    assert membership.permissions == seat_default_permissions(SeatType.VIEW_ONLY)
    event = AuditEvent.objects.get(verb=AuditVerb.INVITATION_REVOKED)
    assert (event.before["seat_type"], event.after["seat_type"]) == ("core", "view_only")


def test_revoking_a_view_only_invitee_releases_nothing(admin):
    membership = invite_one(admin, seat_type=SeatType.VIEW_ONLY)

    revocation = invitation_revoke(
        account=admin.account, membership_id=membership.pk, actor=admin.user, now=NOW
    )

    assert revocation.seat_released is None
    event = AuditEvent.objects.get(verb=AuditVerb.INVITATION_REVOKED)
    assert (event.before, "seat_type" in event.after) == (None, False)


def test_revoking_an_invited_super_admin_drops_super_admin_with_the_seat(admin):
    membership = invite_one(admin, access=AccessChoice(mode=AccessMode.SUPER_ADMIN))

    invitation_revoke(
        account=admin.account,
        membership_id=membership.pk,
        actor=admin.user,
        actor_membership=admin,
        now=NOW,
    )

    membership = refreshed(membership)
    assert (membership.seat_type, membership.is_super_admin) == (SeatType.VIEW_ONLY, False)


def test_only_a_super_admin_revokes_an_invited_super_admin(admin, users_admin):
    membership = invite_one(admin, access=AccessChoice(mode=AccessMode.SUPER_ADMIN))

    with pytest.raises(SuperAdminsOnlyBySuperAdmins):
        invitation_revoke(
            account=admin.account,
            membership_id=membership.pk,
            actor=users_admin.user,
            actor_membership=users_admin,
            now=NOW,
        )

    membership = refreshed(membership)
    assert (membership.seat_type, membership.is_super_admin) == (SeatType.CORE, True)
    assert membership.invite_revoked_at is None


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
