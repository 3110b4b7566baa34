"""Sending invitation emails: a chunk of invitations over one SMTP session, each email once.

Each invitation is sent in a short transaction of its own: its row is locked, re-checked, given
its token and marked sent, and the email leaves before that transaction commits. So an email is
sent once however often its task runs (a retry, a redelivery, a sweep): whoever comes second
waits for the lock and finds the row sent. The token is made here, at sending time: it exists
only in the email, and nothing secret travels through the broker.

A chunk's invitations nearly always share their account, inviter and expiry (members_invite
makes them together), so the templates are rendered once for each such triple with a stand-in
token, and each email gets its own token put in its place (InvitationEmails).
"""

import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone

from accounts.emails import email_message, email_render, email_send
from accounts.languages import written_for
from accounts.models import MembershipStatus
from accounts.tasks import MAIL_RETRY
from invitations.models import Invitation, MailboxCode
from invitations.tokens import (
    invitation_url,
    mailbox_code_hash,
    mailbox_code_new,
    token_hash,
    token_new,
)

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
    # What the emails say (account, inviter) and the membership's status, read once
    # for the chunk. Whether each may still be sent is decided again under its row lock, just
    # before it is sent: sent, accepted, revoked or expired since is seen there; a member
    # deactivated since the chunk began may still get the email, but its link won't open.
    found = Invitation.objects.select_related(
        "membership__account", "membership__user", "created_by"
    ).in_bulk(invitation_ids)
    outcome = EmailsOutcome()
    emails = InvitationEmails()
    connection = get_connection()
    try:
        for index, invitation_id in enumerate(invitation_ids):
            invitation = found.get(invitation_id)
            if invitation is None:
                logger.info("invitation %s not sent: it no longer exists", invitation_id)
                continue
            try:
                if _invitation_email_send(
                    invitation=invitation, emails=emails, connection=connection
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


# Marks one invitation sent if it still may be: invitations.selectors.invitations_unsent_q as
# SQL, on one row. Sent once per email, this is the email worker's hottest statement: the ORM
# took twice as long to build it as PostgreSQL to run it. tests/invitations/test_tasks.py holds
# it to the Q object.
MARK_SENT_SQL = (
    "UPDATE invitations_invitation SET token_hash = %(hash)s, sent_at = %(now)s "
    "WHERE id = %(id)s AND sent_at IS NULL AND accepted_at IS NULL AND revoked_at IS NULL "
    "AND expires_at > %(now)s"
)


def invitation_mark_sent(*, invitation_id: int, token_hash: str, now) -> bool:
    """Mark the invitation sent with this token's hash, if it is still unsent and usable
    (invitations.selectors.invitations_unsent_q); True when it was. Locks the row until the
    transaction ends."""
    with db_connection.cursor() as cursor:
        cursor.execute(MARK_SENT_SQL, {"hash": token_hash, "now": now, "id": invitation_id})
        return cursor.rowcount == 1


class InvitationEmails:
    """The invitation email (subject, text, HTML) of each invitation, rendered from
    templates/emails/invitation.* once per account, inviter and expiry.

    The templates see the account, the inviter, the link and its expiry, and nothing else:
    what is per invitation is the link's token only. They are rendered with a stand-in token,
    random and URL-safe like a real one (so escaping leaves it as it is), which each email's
    own token then replaces. tests/invitations/test_emails.py holds the result to a full
    render of every email.
    """

    def __init__(self) -> None:
        self._rendered: dict[tuple, tuple[str, str, str, str]] = {}

    def render(self, *, invitation: Invitation, token: str) -> tuple[str, str, str]:
        invitee, account = invitation.membership.user, invitation.membership.account
        # In the invitee's language and time zone: their own choice, else the inviting
        # account's default language (accounts.languages).
        with written_for(user=invitee, account=account) as language:
            key = (
                account.pk,
                invitation.created_by_id,
                invitation.expires_at,
                language,
                timezone.get_current_timezone_name(),
            )
            rendered = self._rendered.get(key)
            if rendered is None:
                stand_in = token_new()
                subject, text, html = email_render(
                    template="invitation",
                    context=invitation_email_context(invitation=invitation, token=stand_in),
                )
                rendered = self._rendered[key] = (stand_in, subject, text, html)
        stand_in, subject, text, html = rendered
        return subject, text.replace(stand_in, token), html.replace(stand_in, token)


def invitation_email_context(*, invitation: Invitation, token: str) -> dict:
    """What templates/emails/invitation.* are rendered with."""
    return {
        "account": invitation.membership.account,
        "inviter": invitation.created_by,
        "url": invitation_url(token),
        "expires_at": invitation.expires_at,
    }


def _invitation_email_send(
    *, invitation: Invitation, emails: InvitationEmails, connection: BaseEmailBackend
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
        marked = invitation_mark_sent(
            invitation_id=invitation.pk, token_hash=token_hash(token), now=now
        )
        if not marked:
            logger.info("invitation %s not sent: already sent or no longer usable", invitation.pk)
            return False
        subject, text, html = emails.render(invitation=invitation, token=token)
        connection.open()  # the first email of the chunk connects; the others reuse it
        email_message(
            to=invitation.email, subject=subject, text=text, html=html, connection=connection
        ).send()
    return True


def mailbox_code_email_send(*, code_id: int) -> bool:
    """Make the code of this MailboxCode row and email it to the invitation's address, once.

    The code is made here, at sending time, as an invitation's token is: it exists only in the
    email and travels through no broker. The row is marked under its lock, so a task run twice
    sends one email; a code no longer usable (expired, used) is not sent.
    """
    now = timezone.now()
    code = mailbox_code_new()
    with transaction.atomic():
        row = (
            MailboxCode.objects.select_for_update()
            .select_related("invitation__membership__account", "invitation__membership__user")
            .filter(pk=code_id, sent_at__isnull=True, used_at__isnull=True, expires_at__gt=now)
            .first()
        )
        if row is None:
            logger.info("mailbox code %s not sent: already sent or no longer usable", code_id)
            return False
        row.code_hash = mailbox_code_hash(code_id=row.pk, code=code)
        row.sent_at = now
        row.save(update_fields=["code_hash", "sent_at"])
        membership = row.invitation.membership
        with written_for(user=membership.user, account=membership.account):
            email_send(
                to=row.invitation.email,
                template="mailbox_code",
                context={
                    "account": membership.account,
                    "code": code,
                    "minutes": int((row.expires_at - row.created_at).total_seconds() // 60),
                },
            )
    return True
