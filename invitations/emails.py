"""Sending invitation emails: a chunk of invitations over one SMTP session, each email once.

Each invitation is sent in a short transaction of its own: its row is locked, re-checked, given
its token and marked sent, and the email leaves before that transaction commits. So an email is
sent once however often its task runs (a retry, a redelivery, a sweep): whoever comes second
waits for the lock and finds the row sent. The token is made here, at sending time: it exists
only in the email, and nothing secret travels through the broker.
"""

import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.emails import email_send
from accounts.models import MembershipStatus
from accounts.tasks import MAIL_RETRY
from invitations.models import Invitation
from invitations.services import invitation_url, invitations_unsent_q
from invitations.tokens import token_hash, token_new

logger = logging.getLogger(__name__)

# What a failing or unreachable mail server raises: worth trying again later.
MAIL_ERRORS: tuple[type[Exception], ...] = MAIL_RETRY["autoretry_for"]


@dataclass
class EmailsOutcome:
    """What became of a chunk: the ids emailed now, and the ids left unsent by a mail-server
    failure (`error`), for a retry. Ids neither sent nor unsent needed no email (already sent,
    no longer usable, missing) or failed on their own and were logged."""

    sent: list[int] = field(default_factory=list)
    unsent: list[int] = field(default_factory=list)
    error: Exception | None = None


def invitation_emails_send(*, invitation_ids: Sequence[int]) -> EmailsOutcome:
    """Email these invitations over one connection to the mail server, each at most once.

    The connection opens with the first email that needs sending and serves the whole chunk.
    When the mail server fails, the emails sent so far stay sent and the rest are returned as
    `unsent`, the failed one last: if the server refuses that one address for good, it does not
    hold up the others on the retry. Any other error is the row's own: it is logged, the row
    stays unsent (the sweep of unsent invitations tries it again) and the chunk goes on.
    """
    # What the emails say (account, inviter, invitee) and the membership's status, read once
    # for the chunk. Whether each may still be sent is decided again under its row lock, just
    # before it is sent: sent, accepted, revoked or expired since is seen there; a member
    # deactivated since the chunk began may still get the email, but its link won't open.
    found = Invitation.objects.select_related(
        "membership__account", "membership__user", "created_by"
    ).in_bulk(invitation_ids)
    outcome = EmailsOutcome()
    # Still sendable: built once for the chunk (the filter costs more to build than to run),
    # with the chunk's start as "now" for expiry; each email's UPDATE applies it to its row.
    unsent = Invitation.objects.filter(invitations_unsent_q(now=timezone.now()))
    connection = get_connection()
    try:
        for index, invitation_id in enumerate(invitation_ids):
            invitation = found.get(invitation_id)
            if invitation is None:
                logger.info("invitation %s not sent: it no longer exists", invitation_id)
                continue
            try:
                if _invitation_email_send(
                    invitation=invitation, unsent=unsent, connection=connection
                ):
                    outcome.sent.append(invitation_id)
            except MAIL_ERRORS as error:
                outcome.unsent = [*invitation_ids[index + 1 :], invitation_id]
                outcome.error = error
                break
            except Exception:
                logger.exception(
                    "invitation %s not emailed; the sweep will try again", invitation_id
                )
    finally:
        # Every email that counts was accepted already; a failing goodbye changes nothing.
        with contextlib.suppress(*MAIL_ERRORS):
            connection.close()
    return outcome


def _invitation_email_send(
    *, invitation: Invitation, unsent: QuerySet[Invitation], connection: BaseEmailBackend
) -> bool:
    now = timezone.now()
    if invitation.membership.status != MembershipStatus.INVITED:
        logger.info("invitation %s not sent: the member is no longer invited", invitation.pk)
        return False
    token = token_new()
    with transaction.atomic():
        # Marking it sent locks the row and checks it again as it is then: a concurrent send,
        # acceptance or revocation of this invitation has committed, or waits until this
        # transaction has. Nothing marked: nothing to send.
        marked = unsent.filter(pk=invitation.pk).update(token_hash=token_hash(token), sent_at=now)
        if not marked:
            logger.info("invitation %s not sent: already sent or no longer usable", invitation.pk)
            return False
        membership = invitation.membership
        connection.open()  # the first email of the chunk connects; the others reuse it
        email_send(
            to=invitation.email,
            template="invitation",
            context={
                "account": membership.account,
                "inviter": invitation.created_by,
                "invitee": membership.user,
                "url": invitation_url(token),
                "expires_at": invitation.expires_at,
            },
            connection=connection,
        )
    return True
