"""The invitation emails that never went out (invitations.selectors.invitations_unsent).

The world is tests/invitations/helpers.py's.
"""

from datetime import timedelta

import pytest

from invitations.models import Invitation
from invitations.selectors import invitations_unsent
from invitations.services.links import invitation_accept, invitation_revoke
from tests.invitations.helpers import NOW, TICK, copied_token, invite_and_email, invite_one

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


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
