"""Invitations: issuing links. The full "Create user" flow and acceptance build on this."""

from datetime import datetime

from django.conf import settings

from accounts.models import Membership, User
from invitations.models import Invitation
from invitations.tokens import token_hash, token_new


def invitation_issue(
    *, membership: Membership, created_by: User | None, now: datetime
) -> tuple[Invitation, str]:
    """A new link for an invited member, with its own expiry. Runs in the caller's transaction.

    Returns the row and the token; the token is not stored and cannot be recovered later.
    """
    token = token_new()
    invitation = Invitation(
        membership=membership,
        email=membership.user.email,
        token_hash=token_hash(token),
        expires_at=now + settings.INVITATION_EXPIRY,
        created_by=created_by,
        created_at=now,
    )
    invitation.save()
    return invitation, token
