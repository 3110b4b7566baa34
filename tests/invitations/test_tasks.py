"""Invitation emails in the background: the send task and the sweep of unsent ones.

DOMAIN.md section 5: sent after the database commit, retried on mail-server failure, never sent
twice for one request. Celery runs eagerly here; pytest-django's locmem backend is the mail server.
"""

import hashlib
import re
import smtplib
from datetime import UTC, datetime, timedelta

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import transaction

from accounts.models import Account, Membership, MembershipStatus, SeatType
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services.subscriptions import subscription_start
from invitations import emails as sending
from invitations.emails import invitation_mark_sent
from invitations.models import Invitation
from invitations.parsing import ParsedPerson
from invitations.selectors import invitations_unsent, invitations_unsent_q
from invitations.services.links import invitation_accept, invitation_link_copy, invitation_revoke
from invitations.services.members import members_invite
from invitations.tasks import (
    invitation_id_chunks,
    invitation_send_task,
    invitations_send_task,
    invitations_unsent_sweep_task,
)
from seats.permissions.choice import AccessChoice, AccessMode
from seats.users.services.lifecycle import member_deactivate
from tests.factories import AccountFactory, InvitationFactory, MembershipFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)
LINK = re.compile(r"(https?://\S+?/invite/([A-Za-z0-9_-]+)/)")
SWEEP_DELAY = timedelta(minutes=2, seconds=1)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def account() -> Account:
    """Marketing and Sales Hub Professional with one Core seat bought: 4 Core seats."""
    account = AccountFactory(name="Initech")
    subscription_start(
        account=account,
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL, HubCode.SALES: TierCode.PROFESSIONAL},
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
        extra_seats={"core": 1},
    )
    return account


@pytest.fixture
def admin(account) -> Membership:
    return MembershipFactory(
        account=account,
        super_admin=True,
        user__email="admin@example.com",
        user__first_name="Ada",
        user__last_name="Admin",
    )


def invite(admin: Membership, *emails: str) -> list[Membership]:
    return members_invite(
        account=admin.account,
        actor_membership=admin,
        people=[ParsedPerson(email) for email in emails],
        seat_type=SeatType.CORE,
        access=AccessChoice(mode=AccessMode.DEFAULTS),
        send_email=True,
    ).memberships


def invite_without_sending(capture, admin: Membership, *emails: str) -> list[Invitation]:
    """Invite, dropping the after-commit dispatch: as if the broker was down at commit."""
    with capture(execute=False):
        memberships = invite(admin, *emails)
    return list(Invitation.objects.filter(membership__in=memberships).order_by("email"))


def invitation_emails() -> list:
    """The invitation emails sent so far (billing admins may be emailed about seats too)."""
    return [message for message in mail.outbox if LINK.search(message.body)]


def recipients() -> list[str]:
    return sorted(message.to[0] for message in invitation_emails())


def token_of(message) -> str:
    [(_url, token)] = LINK.findall(message.body)
    return token


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


@pytest.fixture
def smtp_down(monkeypatch):
    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)


# --- The send task -------------------------------------------------------------------------------


def test_the_email_leaves_only_after_the_batch_is_committed(
    admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        [membership] = invite(admin, "bob@example.com")
        assert invitation_emails() == []

    for callback in callbacks:
        callback()

    assert recipients() == ["bob@example.com"]
    assert Invitation.objects.get(membership=membership).sent_at == NOW


def test_the_email_has_a_text_and_an_html_part_with_a_link_built_from_the_site_url(
    admin, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://seats.example.com"

    with django_capture_on_commit_callbacks(execute=True):
        invite(admin, "bob@example.com")

    [message] = invitation_emails()
    assert message.to == ["bob@example.com"]
    assert message.subject == "Ada Admin invited you to Initech on seatmgr"
    [(url, token)] = LINK.findall(message.body)
    assert url == f"https://seats.example.com/invite/{token}/"
    assert f'href="{url}"' in html_of(message)
    assert "Initech" in message.body and "Initech" in html_of(message)


def test_sending_stores_only_the_hash_of_the_token_in_the_email(
    admin, django_capture_on_commit_callbacks
):
    [invitation] = invite_without_sending(
        django_capture_on_commit_callbacks, admin, "b@example.com"
    )
    assert invitation.token_hash is None

    assert invitation_send_task(invitation.pk) is True

    invitation.refresh_from_db()
    token = token_of(invitation_emails()[0])
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert invitation.sent_at == NOW


def test_the_task_run_twice_for_one_invitation_sends_one_email(
    admin, django_capture_on_commit_callbacks
):
    [invitation] = invite_without_sending(
        django_capture_on_commit_callbacks, admin, "b@example.com"
    )

    first = invitation_send_task(invitation.pk)
    second = invitation_send_task(invitation.pk)

    assert (first, second) == (True, False)
    assert recipients() == ["b@example.com"]


def test_the_task_delivered_twice_by_the_broker_sends_one_email(
    admin, django_capture_on_commit_callbacks
):
    [invitation] = invite_without_sending(
        django_capture_on_commit_callbacks, admin, "b@example.com"
    )

    invitation_send_task.delay(invitation.pk)
    invitation_send_task.delay(invitation.pk)

    assert recipients() == ["b@example.com"]


def test_the_link_in_a_sent_email_can_be_accepted(admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [membership] = invite(admin, "bob@example.com")

    invitation_accept(token=token_of(invitation_emails()[0]), user=membership.user)

    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE


def test_a_failing_mail_server_leaves_the_invitation_unsent_and_raises_for_a_retry(
    admin, smtp_down, django_capture_on_commit_callbacks
):
    [invitation] = invite_without_sending(
        django_capture_on_commit_callbacks, admin, "b@example.com"
    )

    with pytest.raises(smtplib.SMTPServerDisconnected):
        invitation_send_task(invitation.pk)

    invitation.refresh_from_db()
    assert (invitation.sent_at, invitation.token_hash) == (None, None)
    assert mail.outbox == []


def test_a_failed_attempt_is_retried_and_the_retry_sends_the_email_once(
    admin, monkeypatch, django_capture_on_commit_callbacks
):
    send = EmailBackend.send_messages
    attempts = []

    def fail_once(self, messages):
        attempts.append(messages)
        if len(attempts) == 1:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", fail_once)
    [invitation] = invite_without_sending(
        django_capture_on_commit_callbacks, admin, "b@example.com"
    )

    with pytest.raises(Retry):
        invitation_send_task.delay(invitation.pk)
    invitation_send_task.delay(invitation.pk)  # what the worker runs when the retry is due

    assert len(attempts) == 2
    assert recipients() == ["b@example.com"]
    invitation.refresh_from_db()
    assert (
        invitation.token_hash
        == hashlib.sha256(token_of(invitation_emails()[0]).encode()).hexdigest()
    )


def test_a_revoked_invitation_is_not_emailed(admin, django_capture_on_commit_callbacks):
    [invitation] = invite_without_sending(
        django_capture_on_commit_callbacks, admin, "b@example.com"
    )
    invitation_revoke(account=admin.account, membership_id=invitation.membership_id, actor=None)

    assert invitation_send_task(invitation.pk) is False

    assert invitation_emails() == []


def test_an_expired_invitation_is_not_emailed(admin, clock, django_capture_on_commit_callbacks):
    [invitation] = invite_without_sending(
        django_capture_on_commit_callbacks, admin, "b@example.com"
    )
    clock.shift(timedelta(days=7))

    assert invitation_send_task(invitation.pk) is False

    assert invitation_emails() == []


def test_no_email_for_a_member_who_already_joined_through_a_copied_link(
    admin, django_capture_on_commit_callbacks
):
    [invitation] = invite_without_sending(
        django_capture_on_commit_callbacks, admin, "b@example.com"
    )
    membership = invitation.membership
    url = invitation_link_copy(account=admin.account, membership_id=membership.pk, actor=None)
    invitation_accept(token=LINK.fullmatch(url).group(2), user=membership.user)

    assert invitation_send_task(invitation.pk) is False

    assert invitation_emails() == []


def test_no_email_for_a_member_deactivated_before_it_left(
    admin, django_capture_on_commit_callbacks
):
    [invitation] = invite_without_sending(
        django_capture_on_commit_callbacks, admin, "b@example.com"
    )
    member_deactivate(membership=invitation.membership, release_seat=True, actor=None)

    assert invitation_send_task(invitation.pk) is False

    assert invitation_emails() == []


def test_a_missing_invitation_is_not_emailed():
    assert invitation_send_task(987654) is False

    assert mail.outbox == []


# --- Chunks of invitations ----------------------------------------------------------------------


def test_invitation_ids_are_chunked_fifty_to_a_task():
    chunks = invitation_id_chunks(list(range(1, 121)))

    assert [len(chunk) for chunk in chunks] == [50, 50, 20]
    assert [i for chunk in chunks for i in chunk] == list(range(1, 121))


def test_a_chunk_emails_each_invitation_once(admin, django_capture_on_commit_callbacks):
    invitations = invite_without_sending(
        django_capture_on_commit_callbacks, admin, "a@example.com", "b@example.com"
    )
    ids = [i.pk for i in invitations]

    assert invitations_send_task.delay(ids).get() == 2
    assert invitations_send_task.delay(ids).get() == 0

    assert recipients() == ["a@example.com", "b@example.com"]
    for invitation in invitations:
        invitation.refresh_from_db()
        assert invitation.sent_at == NOW


def test_a_mail_server_failing_mid_chunk_keeps_what_was_sent_and_retries_only_the_rest(
    admin, monkeypatch, django_capture_on_commit_callbacks
):
    a, b, c = invite_without_sending(
        django_capture_on_commit_callbacks, admin, "a@example.com", "b@example.com", "c@example.com"
    )
    send = EmailBackend.send_messages

    def fail_for_b(self, messages):
        if messages[0].to == ["b@example.com"]:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", fail_for_b)

    with pytest.raises(Retry) as retry:
        invitations_send_task.delay([a.pk, b.pk, c.pk])

    assert recipients() == ["a@example.com"]
    # The rest, the failed one last: an address refused for good must not hold up the others.
    assert retry.value.sig.args == ([c.pk, b.pk],)
    b.refresh_from_db()
    assert (b.sent_at, b.token_hash) == (None, None)
    monkeypatch.setattr(EmailBackend, "send_messages", send)
    invitations_send_task.delay(*retry.value.sig.args)  # what the worker runs when it is due
    assert recipients() == ["a@example.com", "b@example.com", "c@example.com"]


def test_an_address_the_mail_server_refuses_for_good_does_not_hold_up_the_rest_of_its_chunk(
    admin, monkeypatch, django_capture_on_commit_callbacks
):
    a, b, c = invite_without_sending(
        django_capture_on_commit_callbacks, admin, "a@example.com", "b@example.com", "c@example.com"
    )
    send = EmailBackend.send_messages

    def refuse_a(self, messages):
        if messages[0].to == ["a@example.com"]:
            raise smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"No such mailbox")})
        return send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse_a)

    with pytest.raises(Retry) as first:
        invitations_send_task.delay([a.pk, b.pk, c.pk])
    with pytest.raises(Retry) as second:
        invitations_send_task.delay(*first.value.sig.args)

    assert recipients() == ["b@example.com", "c@example.com"]
    assert second.value.sig.args == ([a.pk],)


def test_an_invitation_that_fails_on_its_own_is_left_to_the_sweep_and_the_chunk_goes_on(
    admin, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    a, b, c = invite_without_sending(
        django_capture_on_commit_callbacks, admin, "a@example.com", "b@example.com", "c@example.com"
    )
    build = sending.email_message

    def broken_for_b(*, to, **parts):
        if to == "b@example.com":
            raise ValueError("a message that can't be built for this row")
        return build(to=to, **parts)

    monkeypatch.setattr(sending, "email_message", broken_for_b)

    assert invitations_send_task.delay([a.pk, b.pk, c.pk]).get() == 2

    assert recipients() == ["a@example.com", "c@example.com"]
    assert invitations_unsent(now=NOW + SWEEP_DELAY) == [b.pk]
    assert f"invitation {b.pk} not emailed" in caplog.text


# --- The sweep of unsent emails ------------------------------------------------------------------


def test_the_sweep_emails_invitations_whose_email_never_left(
    admin, clock, django_capture_on_commit_callbacks
):
    invite_without_sending(
        django_capture_on_commit_callbacks, admin, "a@example.com", "b@example.com"
    )
    clock.shift(SWEEP_DELAY)

    assert invitations_unsent_sweep_task() == 2

    assert recipients() == ["a@example.com", "b@example.com"]


def test_the_sweep_run_twice_sends_one_email_per_invitation(
    admin, clock, django_capture_on_commit_callbacks
):
    invite_without_sending(
        django_capture_on_commit_callbacks, admin, "a@example.com", "b@example.com"
    )
    clock.shift(SWEEP_DELAY)

    first = invitations_unsent_sweep_task()
    second = invitations_unsent_sweep_task()

    assert (first, second) == (2, 0)
    assert recipients() == ["a@example.com", "b@example.com"]


def test_the_sweep_run_twice_at_once_sends_one_email_per_invitation(
    admin, clock, django_capture_on_commit_callbacks
):
    # Both sweeps list the invitation before either sends: the send task decides, under its lock.
    [invitation] = invite_without_sending(
        django_capture_on_commit_callbacks, admin, "a@example.com"
    )
    clock.shift(SWEEP_DELAY)

    listed_by_both = [invitations_unsent(now=NOW + SWEEP_DELAY) for _sweep in range(2)]
    for ids in listed_by_both:
        for invitation_id in ids:
            invitation_send_task.delay(invitation_id)

    assert listed_by_both == [[invitation.pk], [invitation.pk]]
    assert recipients() == ["a@example.com"]


def test_the_sweep_leaves_invitations_created_in_the_last_two_minutes_to_their_own_task(
    admin, clock, django_capture_on_commit_callbacks
):
    invite_without_sending(django_capture_on_commit_callbacks, admin, "a@example.com")
    clock.shift(timedelta(minutes=1))

    assert invitations_unsent_sweep_task() == 0

    assert invitation_emails() == []


def test_the_sweep_skips_sent_revoked_and_accepted_invitations(
    admin, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(admin, "sent@example.com")
    mail.outbox.clear()
    joined, revoked = invite_without_sending(
        django_capture_on_commit_callbacks, admin, "joined@example.com", "revoked@example.com"
    )
    invitation_revoke(account=admin.account, membership_id=revoked.membership_id, actor=None)
    url = invitation_link_copy(
        account=admin.account, membership_id=joined.membership_id, actor=None
    )
    invitation_accept(token=LINK.fullmatch(url).group(2), user=joined.membership.user)
    clock.shift(SWEEP_DELAY)

    assert invitations_unsent_sweep_task() == 0

    assert invitation_emails() == []


def test_the_sweep_skips_expired_invitations(admin, clock, django_capture_on_commit_callbacks):
    invite_without_sending(django_capture_on_commit_callbacks, admin, "a@example.com")
    clock.shift(timedelta(days=7))

    assert invitations_unsent_sweep_task() == 0

    assert invitation_emails() == []


def test_a_swept_email_carries_a_link_that_works(admin, clock, django_capture_on_commit_callbacks):
    [invitation] = invite_without_sending(
        django_capture_on_commit_callbacks, admin, "a@example.com"
    )
    clock.shift(SWEEP_DELAY)
    invitations_unsent_sweep_task()

    invitation_accept(token=token_of(invitation_emails()[0]), user=invitation.membership.user)

    invitation.refresh_from_db()
    assert invitation.accepted_at is not None


# --- Marking an invitation sent ------------------------------------------------------------------


def test_marking_sent_takes_exactly_the_invitations_that_may_still_be_sent():
    """invitations.emails.MARK_SENT_SQL is invitations_unsent_q written out for speed: the two
    must agree on every state an invitation can be in."""
    day = timedelta(days=1)
    states = {
        "fresh": InvitationFactory(token_hash=None),
        "sent": InvitationFactory(sent_at=NOW - day),
        "accepted": InvitationFactory(token_hash=None, accepted_at=NOW - day),
        "revoked": InvitationFactory(token_hash=None, revoked_at=NOW - day),
        "expired": InvitationFactory(
            token_hash=None, created_at=NOW - 8 * day, expires_at=NOW - day
        ),
        "expiring now": InvitationFactory(
            token_hash=None, created_at=NOW - 7 * day, expires_at=NOW
        ),
    }
    sendable = set(
        Invitation.objects.filter(invitations_unsent_q(now=NOW)).values_list("pk", flat=True)
    )

    with transaction.atomic():
        marked = {
            name
            for name, invitation in states.items()
            if invitation_mark_sent(invitation_id=invitation.pk, token_hash="h" * 64, now=NOW)
        }

    assert marked == {"fresh"}
    assert {name for name, i in states.items() if i.pk in sendable} == marked
    assert Invitation.objects.get(pk=states["fresh"].pk).sent_at == NOW
    assert Invitation.objects.get(pk=states["sent"].pk).sent_at == NOW - day
