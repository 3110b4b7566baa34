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
from django.utils import timezone

from accounts.emails import email_send
from accounts.tasks import MAIL_RETRY
from invitations.models import Invitation
from invitations.services import invitation_url, invitation_usable
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
    outcome = EmailsOutcome()
    connection = get_connection()
    try:
        for index, invitation_id in enumerate(invitation_ids):
            try:
                if _invitation_email_send(invitation_id=invitation_id, connection=connection):
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


def _invitation_email_send(*, invitation_id: int, connection: BaseEmailBackend) -> bool:
    now = timezone.now()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("membership__account", "membership__user", "created_by")
            .filter(pk=invitation_id)
            .first()
        )
        if (
            invitation is None
            or invitation.sent_at is not None
            or not invitation_usable(invitation, now)
        ):
            logger.info(
                "invitation %s not sent: missing, already sent or no longer usable", invitation_id
            )
            return False
        token = token_new()
        invitation.token_hash = token_hash(token)
        invitation.sent_at = now
        invitation.save(update_fields=["token_hash", "sent_at"])
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
