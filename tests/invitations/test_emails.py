"""What an invitation email says when its chunk renders the templates once (InvitationEmails).

A chunk from the sweep mixes accounts, inviters and expiry times; each email must still be
exactly what a render of its own invitation with its own token gives, with a link of its own.
"""

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from accounts.emails import email_render
from accounts.models import Account, Membership
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services.subscriptions import subscription_start
from invitations.emails import invitation_email_context, invitation_emails_send
from invitations.models import Invitation
from invitations.services.links import invitation_accept
from tests.factories import AccountFactory, MembershipFactory
from tests.invitations.test_tasks import invite_without_sending

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)
LINK = re.compile(r"https?://\S+?/invite/([A-Za-z0-9_-]+)/")


def account_with_seats(name: str) -> Account:
    account = AccountFactory(name=name)
    subscription_start(
        account=account,
        hubs={HubCode.SALES: TierCode.PROFESSIONAL},
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
        extra_seats={"core": 10},
    )
    return account


def super_admin(account: Account, first_name: str) -> Membership:
    return MembershipFactory(
        account=account, super_admin=True, user__first_name=first_name, user__last_name="Admin"
    )


@pytest.fixture
def mixed_chunk(time_machine, django_capture_on_commit_callbacks) -> list[Invitation]:
    """Six invitations: two accounts, two inviters in one of them, two expiry times."""
    time_machine.move_to(NOW, tick=False)
    initech, globex = account_with_seats("Initech"), account_with_seats("Globex & Sons <Ltd>")
    ada, bill = super_admin(initech, "Ada"), super_admin(initech, "Bill")
    hank = super_admin(globex, "Hank")
    # As if the broker was down: the chunk is sent by the tests below.
    capture = django_capture_on_commit_callbacks
    invitations = [
        *invite_without_sending(capture, ada, "a1@example.com", "a2@example.com"),
        *invite_without_sending(capture, bill, "b1@example.com"),
        *invite_without_sending(capture, hank, "h1@example.com", "h2@example.com"),
    ]
    time_machine.move_to(NOW + timedelta(hours=1), tick=False)
    invitations += invite_without_sending(capture, ada, "a3@example.com")
    return invitations


def test_each_email_of_a_mixed_chunk_is_its_own_invitation_rendered_with_its_own_token(
    mixed_chunk,
):
    outcome = invitation_emails_send(invitation_ids=[i.pk for i in mixed_chunk])

    assert len(outcome.sent) == 6
    by_address = {message.to[0]: message for message in mail.outbox}
    assert sorted(by_address) == sorted(i.email for i in mixed_chunk)
    tokens = set()
    for invitation in mixed_chunk:
        message = by_address[invitation.email]
        [token] = LINK.findall(message.body)
        invitation.refresh_from_db()
        assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
        subject, text, html = email_render(
            template="invitation",
            context=invitation_email_context(invitation=invitation, token=token),
        )
        [(sent_html, _mimetype)] = message.alternatives
        assert (message.subject, message.body, sent_html) == (subject, text, html)
        tokens.add(token)
    assert len(tokens) == 6


def test_the_emails_name_their_own_account_and_inviter(mixed_chunk):
    invitation_emails_send(invitation_ids=[i.pk for i in mixed_chunk])

    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert subjects["a1@example.com"] == "Ada Admin invited you to Initech on seatmgr"
    assert subjects["b1@example.com"] == "Bill Admin invited you to Initech on seatmgr"
    assert subjects["h2@example.com"] == "Hank Admin invited you to Globex & Sons <Ltd> on seatmgr"
    [globex_html] = [
        html for m in mail.outbox if m.to == ["h1@example.com"] for html, _type in m.alternatives
    ]
    assert "<strong>Globex &amp; Sons &lt;Ltd&gt;</strong>" in globex_html


def test_each_link_of_a_chunk_opens_its_own_invitation_only(mixed_chunk):
    invitation_emails_send(invitation_ids=[i.pk for i in mixed_chunk])

    for message in mail.outbox:
        [token] = LINK.findall(message.body)
        invitation = Invitation.objects.select_related("membership__user").get(
            token_hash=hashlib.sha256(token.encode()).hexdigest()
        )
        assert invitation.email == message.to[0]
        invitation_accept(token=token, user=invitation.membership.user)
    assert Invitation.objects.filter(accepted_at__isnull=False).count() == 6
