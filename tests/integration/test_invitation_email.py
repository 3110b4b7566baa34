"""Invitation emails travel the real way: commit → Redis → Celery worker → SMTP server."""

import re
import time
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from accounts.models import Membership, MembershipStatus, SeatType
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services.subscriptions import subscription_start
from invitations.models import Invitation
from invitations.parsing import ParsedPerson
from invitations.services.members import members_invite
from invitations.tasks import EMAILS_PER_TASK
from seats.permissions.choice import AccessChoice, AccessMode
from tests.factories import AccountFactory, MembershipFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"https?://\S+?(/invite/[A-Za-z0-9_-]+/)")


def invite_by_email(*emails: str) -> list[Membership]:
    account = AccountFactory(name="Initech")
    subscription_start(
        account=account,
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL},
        interval=BillingInterval.MONTHLY,
        now=datetime.now(UTC),
        actor=None,
        extra_seats={SeatType.CORE: len(emails)},
    )
    admin = MembershipFactory(account=account, super_admin=True, user__email="admin@example.com")
    return members_invite(
        account=account,
        actor_membership=admin,
        people=[ParsedPerson(email) for email in emails],
        seat_type=SeatType.CORE,
        access=AccessChoice(mode=AccessMode.DEFAULTS),
        send_email=True,
    ).memberships


def invitations_in(inbox) -> list:
    """The invitation emails the server received (billing admins may get others)."""
    return [m for m in inbox.messages if LINK.search(m.get_body(("plain",)).get_content())]


def wait_for_invitations(inbox, count: int, timeout: float) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(invitations_in(inbox)) >= count:
            return invitations_in(inbox)
        time.sleep(0.1)
    raise AssertionError(f"expected {count} invitation emails within {timeout}s")


def test_an_invitation_email_reaches_the_mail_server_and_its_link_lets_the_person_join(
    client, smtp_server, celery_worker_for
):
    celery_worker_for(smtp_server)

    [membership] = invite_by_email("bob@example.com")

    [message] = wait_for_invitations(smtp_server.inbox, 1, timeout=30)
    assert message["To"] == "bob@example.com"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    path = LINK.search(text).group(1)
    assert path in html
    assert client.get(path).url == reverse("invitations:accept")
    response = client.post(
        reverse("invitations:accept"),
        {
            "first_name": "Bob",
            "last_name": "Builder",
            "password1": "worker-made-link-77",
            "password2": "worker-made-link-77",
        },
    )
    assert response.url == reverse("accounts:home")
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE
    assert membership.user.check_password("worker-made-link-77")


def test_a_mail_server_that_is_down_gets_the_invitation_once_when_it_is_back(
    smtp_port_closed, celery_worker_for
):
    celery_worker_for(smtp_port_closed)

    [membership] = invite_by_email("bob@example.com")
    time.sleep(2)  # the first attempt is refused and scheduled for a retry
    assert Invitation.objects.get(membership=membership).sent_at is None
    smtp_port_closed.start()

    wait_for_invitations(smtp_port_closed.inbox, 1, timeout=35)
    time.sleep(4)  # long enough for a duplicate to arrive, if one were coming
    [message] = invitations_in(smtp_port_closed.inbox)
    assert message["To"] == "bob@example.com"
    invitation = Invitation.objects.get(membership=membership)
    assert invitation.sent_at is not None


def test_a_batch_of_more_than_one_chunk_arrives_once_per_address_a_session_per_chunk(
    smtp_server, celery_worker_for
):
    celery_worker_for(smtp_server)
    emails = [f"person{i}@example.com" for i in range(EMAILS_PER_TASK + 10)]

    invite_by_email(*emails)

    wait_for_invitations(smtp_server.inbox, len(emails), timeout=60)
    time.sleep(2)  # long enough for a duplicate to arrive, if one were coming
    messages = invitations_in(smtp_server.inbox)
    assert sorted(m["To"] for m in messages) == sorted(emails)
    # Two tasks (a chunk of 50, then 10), each over one SMTP session of its own.
    inbox = smtp_server.inbox
    sessions = {peer for m, peer in zip(inbox.messages, inbox.peers, strict=True) if m in messages}
    assert len(sessions) == 2
    assert not Invitation.objects.filter(email__in=emails, sent_at__isnull=True).exists()
