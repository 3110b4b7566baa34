"""Confirming the mailbox behind a copied invitation link, with a one-time code emailed to it.

A copied link ("Copy invite link") is in the hands of the admin who copied it as much as in the
invitee's: opening it proves nothing about who reads the invited address. People are global, so
such a link must not let anyone choose a person's password (or learn that they have one) before
the address is confirmed: the page emails a six-digit code to it (mailbox_code_request) and goes
on once the code is typed back (mailbox_code_confirm). An emailed link needs no code: its token
was made by the worker that sent it and exists only in that email.

A code is random, stored as a keyed hash only (invitations.tokens), works for
MAILBOX_CODE_LIFETIME, once, for MAILBOX_CODE_TRIES wrong tries; an address gets at most
MAILBOX_CODES_PER_WINDOW codes a MAILBOX_CODE_WINDOW, whichever account's link asks.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.background import task_after_commit
from accounts.models import User
from invitations.errors import (
    InvitationInvalid,
    MailboxCodeExpired,
    MailboxCodeTooManyTries,
    MailboxCodeTooOften,
    MailboxCodeUsed,
    MailboxCodeWrong,
    MailboxError,
)
from invitations.models import Invitation, MailboxCode
from invitations.services.links import invitation_find
from invitations.tasks import mailbox_code_send_task
from invitations.tokens import MAILBOX_CODE_DIGITS, mailbox_code_matches

MAILBOX_CODE_LIFETIME = timedelta(minutes=10)
MAILBOX_CODE_TRIES = 5
MAILBOX_CODES_PER_WINDOW = 3
MAILBOX_CODE_WINDOW = timedelta(minutes=15)


def _pending(token: str, now: datetime) -> Invitation:
    invitation = invitation_find(token=token, now=now)
    if invitation is None:
        raise InvitationInvalid()
    return invitation


@transaction.atomic(durable=True)
def mailbox_code_request(*, token: str, now: datetime | None = None) -> MailboxCode:
    """Email a new code to the address of the invitation this token opens (after commit).

    Refused with MailboxCodeTooOften past MAILBOX_CODES_PER_WINDOW codes to that address in the
    window, counted over every account's invitations (under the person's row lock, so
    concurrent requests count each other); InvitationInvalid when the link can't be used.
    """
    now = now or timezone.now()
    invitation = _pending(token, now)
    User.objects.select_for_update().filter(pk=invitation.membership.user_id).first()
    recent = MailboxCode.objects.filter(
        invitation__email=invitation.email, created_at__gt=now - MAILBOX_CODE_WINDOW
    ).count()
    if recent >= MAILBOX_CODES_PER_WINDOW:
        raise MailboxCodeTooOften(minutes=int(MAILBOX_CODE_WINDOW.total_seconds() // 60))
    code = MailboxCode.objects.create(
        invitation=invitation, created_at=now, expires_at=now + MAILBOX_CODE_LIFETIME
    )
    task_after_commit(mailbox_code_send_task, code.pk)
    return code


def mailbox_code_normalise(typed: str) -> str:
    """What people type for "123 456" or "123-456": the digits."""
    return "".join(ch for ch in typed if not ch.isspace() and ch != "-")


def mailbox_code_confirm(*, token: str, code: str, now: datetime | None = None) -> int:
    """Check a typed code against the latest code emailed for this invitation; on a match the
    code is used up and its id returned (the proof invitation_accept asks for).

    Raises MailboxCodeWrong (and counts the try), MailboxCodeExpired, MailboxCodeUsed,
    MailboxCodeTooManyTries; InvitationInvalid when the link can't be used.
    """
    now = now or timezone.now()
    typed = mailbox_code_normalise(code)
    error: MailboxError | None = None
    with transaction.atomic(durable=True):
        invitation = _pending(token, now)
        latest = (
            MailboxCode.objects.select_for_update()
            .filter(invitation=invitation, sent_at__isnull=False)
            .order_by("-created_at", "-id")
            .first()
        )
        if latest is None:
            error = MailboxCodeWrong()
        elif latest.used_at is not None:
            error = MailboxCodeUsed()
        elif latest.failed_attempts >= MAILBOX_CODE_TRIES:
            error = MailboxCodeTooManyTries()
        elif latest.expires_at <= now:
            error = MailboxCodeExpired()
        elif len(typed) != MAILBOX_CODE_DIGITS or not mailbox_code_matches(
            code_id=latest.pk, code=typed, stored_hash=latest.code_hash
        ):
            # The wrong try is counted (and committed) before the error is raised.
            latest.failed_attempts += 1
            latest.save(update_fields=["failed_attempts"])
            error = MailboxCodeWrong()
        else:
            latest.used_at = now
            latest.save(update_fields=["used_at"])
    if error is not None:
        raise error
    return latest.pk
