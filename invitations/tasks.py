"""Background work for invitations. Tasks take ids, re-read and re-check, then act."""

import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from accounts.emails import email_send
from accounts.tasks import MAIL_RETRY
from invitations.models import Invitation
from invitations.services import invitation_url, invitation_usable, invitations_unsent
from invitations.tokens import token_hash, token_new

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, **MAIL_RETRY)
def invitation_send_task(invitation_id: int) -> bool:
    """Email one invitation, once.

    The row is locked while the email goes out and marked sent in the same transaction, so a
    duplicate delivery of this task (a retry, a sweep) finds it sent and does nothing. The token
    is made here: it exists only in the email. If the mail server fails, the transaction rolls
    back and the task is retried with backoff.
    """
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
        )
    return True


@shared_task
def invitations_unsent_sweep_task() -> int:
    """Dispatch again every emailed invitation whose email never went out.

    Safe to run twice or late: the send task re-checks each row under its lock.
    """
    ids = invitations_unsent(now=timezone.now())
    for invitation_id in ids:
        invitation_send_task.delay(invitation_id)
    return len(ids)
