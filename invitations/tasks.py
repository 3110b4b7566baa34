"""Background work for invitations, and how it is queued. Tasks take ids, re-read and re-check,
then act.

Imports run one way: services queue work through this module (invitation_emails_dispatch),
the tasks call the sender (invitations.emails) and the reads (invitations.selectors); neither
imports the services back.
"""

from collections.abc import Sequence

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.utils import timezone

from accounts.background import task_after_commit
from accounts.tasks import MAIL_RETRY
from invitations.emails import invitation_emails_send, mailbox_code_email_send
from invitations.selectors import invitations_unsent

# Invitation emails go out this many to a task: Celery's dispatch and the SMTP session are paid
# once per chunk rather than once per email, and a chunk is still short enough (a few seconds on
# a working mail server) that a task holds a worker only briefly.
EMAILS_PER_TASK = 50


def invitation_id_chunks(invitation_ids: Sequence[int]) -> list[list[int]]:
    """The ids in the chunks that one send task each takes."""
    return [
        list(invitation_ids[start : start + EMAILS_PER_TASK])
        for start in range(0, len(invitation_ids), EMAILS_PER_TASK)
    ]


@shared_task(bind=True, acks_late=True, max_retries=MAIL_RETRY["max_retries"])
def invitations_send_task(self, invitation_ids: list[int]) -> int:
    """Email a chunk of invitations over one SMTP session, each once (invitations.emails).

    When the mail server fails, what was sent stays sent and the task is retried with backoff
    for the rest only. A duplicate delivery of the task finds the sent rows sent and skips them.
    """
    outcome = invitation_emails_send(invitation_ids=invitation_ids)
    if outcome.error is not None:
        countdown = get_exponential_backoff_interval(
            factor=MAIL_RETRY["retry_backoff"],
            retries=self.request.retries,
            maximum=MAIL_RETRY["retry_backoff_max"],
            full_jitter=MAIL_RETRY["retry_jitter"],
        )
        raise self.retry(args=[outcome.unsent], exc=outcome.error, countdown=countdown)
    return len(outcome.sent)


def invitation_emails_dispatch(*, invitation_ids: Sequence[int]) -> None:
    """Queue the emails of these invitations, EMAILS_PER_TASK to a task, once the current
    transaction commits (at once outside a transaction)."""
    for chunk in invitation_id_chunks(invitation_ids):
        task_after_commit(invitations_send_task, chunk)


@shared_task(acks_late=True, **MAIL_RETRY)
def invitation_send_task(invitation_id: int) -> bool:
    """Email one invitation, once; retried with backoff if the mail server fails.

    Kept for messages queued one invitation each (before chunks existed) and for single
    sends; new work goes through invitation_emails_dispatch.
    """
    outcome = invitation_emails_send(invitation_ids=[invitation_id])
    if outcome.error is not None:
        raise outcome.error
    return bool(outcome.sent)


@shared_task
def invitations_unsent_sweep_task() -> int:
    """Dispatch again every emailed invitation whose email never went out.

    Safe to run twice or late: the send task re-checks each row under its lock.
    """
    ids = invitations_unsent(now=timezone.now())
    for chunk in invitation_id_chunks(ids):
        invitations_send_task.delay(chunk)
    return len(ids)


@shared_task(acks_late=True, **MAIL_RETRY)
def mailbox_code_send_task(code_id: int) -> bool:
    """Make and email the code of one MailboxCode row, once (invitations.emails)."""
    return mailbox_code_email_send(code_id=code_id)
