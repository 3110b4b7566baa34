"""Notification emails sent many to a task (accounts.tasks.notification_emails_task).

One transaction that tells many members (a renewal batch) queues one task for all its emails.
The task re-reads the members and emails those who may still be told; when the mail server
fails, that email and the ones after it go to tasks of their own with retries, so that no email
is sent twice and none is lost.
"""

from smtplib import SMTPException
from typing import ClassVar

import pytest
from django.core.mail.backends.locmem import EmailBackend

from accounts.tasks import notification_emails_task
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


class FlakyBackend(EmailBackend):
    """The test outbox, except that the first message to an address in `fail_once` fails as
    a mail server that hung up would."""

    fail_once: ClassVar[set[str]] = set()

    def send_messages(self, messages):
        for message in messages:
            if message.to[0] in self.fail_once:
                self.fail_once.discard(message.to[0])
                raise SMTPException("421 service not available")
        return super().send_messages(messages)


def test_each_member_who_may_still_be_told_gets_their_email_once(mailoutbox):
    active, deactivated = MembershipFactory(), MembershipFactory(deactivated=True)
    invited = MembershipFactory(invited=True)

    sent = notification_emails_task(
        [
            [active.pk, "Invoice INV-000001 was paid.", "/settings/seats/"],
            [deactivated.pk, "Invoice INV-000002 was paid.", ""],
            [invited.pk, "Invoice INV-000003 was paid.", ""],
            [0, "Nobody has this id.", ""],
        ]
    )

    assert sent == 2
    assert [(m.to, m.body.splitlines()[0]) for m in mailoutbox] == [
        ([active.user.email], "Invoice INV-000001 was paid."),
        ([deactivated.user.email], "Invoice INV-000002 was paid."),
    ]


def test_a_mail_server_failure_hands_the_rest_to_their_own_tasks_sending_each_once(
    settings, mailoutbox
):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    members = [MembershipFactory() for _ in range(3)]
    FlakyBackend.fail_once = {members[1].user.email}

    sent = notification_emails_task([[m.pk, f"Notice {i}", ""] for i, m in enumerate(members)])

    assert sent == 1  # the first; the other two went to tasks of their own (run eagerly here)
    assert sorted((m.to[0], m.body.splitlines()[0]) for m in mailoutbox) == sorted(
        (member.user.email, f"Notice {i}") for i, member in enumerate(members)
    )
