"""Issue #18: an invitation (and the code that confirms a mailbox) is written in the invitee's
language: their own choice, else the inviting account's default; its expiry in their time zone.
Never in the language of the admin who invited, nor of the worker that renders it.

The French words checked are a few key words of the catalogue, not its sentences.
"""

import re
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.utils import translation

from accounts.models import Account, Membership
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services.subscriptions import subscription_start
from invitations.parsing import ParsedPerson
from invitations.services.codes import mailbox_code_request
from invitations.services.members import members_invite
from seats.permissions.choice import AccessChoice, AccessMode
from tests.factories import AccountFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

# Invitations expire after 7 days: on Dec 23, 2026 at 10:00 UTC.
NOW = datetime(2026, 12, 16, 10, 0, tzinfo=UTC)
LINK = re.compile(r"https?://\S+?/invite/([A-Za-z0-9_-]+)/")


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)


def account_speaking(language: str) -> Account:
    account = AccountFactory(name="Initech", default_language=language)
    subscription_start(
        account=account,
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL},
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
        extra_seats={"core": 3},
    )
    return account


def english_admin(account: Account) -> Membership:
    return MembershipFactory(
        account=account,
        super_admin=True,
        user__email="ada@initech.example",
        user__first_name="Ada",
        user__last_name="Admin",
        user__language="en",
    )


def invite(capture, admin: Membership, *emails: str) -> dict:
    """Invite from the admin's English page; each invitee's email: (subject, text, HTML)."""
    with translation.override("en"), capture(execute=True):
        members_invite(
            account=admin.account,
            actor_membership=admin,
            people=[ParsedPerson(email) for email in emails],
            seat_type="core",
            access=AccessChoice(mode=AccessMode.DEFAULTS),
            send_email=True,
            now=NOW,
        )
    return {
        message.to[0]: (message.subject, message.body, message.alternatives[0][0])
        for message in mail.outbox
        if LINK.search(message.body)
    }


def test_an_invitation_from_an_account_speaking_french_is_french(
    django_capture_on_commit_callbacks,
):
    admin = english_admin(account_speaking("fr"))

    emails = invite(django_capture_on_commit_callbacks, admin, "new@example.com")

    subject, text, html = emails["new@example.com"]
    assert "Ada Admin" in subject and "vous invite" in subject
    for body in (text, html):
        assert "Initech" in body and "invité" in body
        assert "23 déc. 2026" in body
        assert "invited" not in body and "Dec 23" not in body


def test_an_invitee_who_chose_english_gets_english_from_a_french_account(
    django_capture_on_commit_callbacks,
):
    admin = english_admin(account_speaking("fr"))
    UserFactory(email="bob@example.com", language="en")

    emails = invite(django_capture_on_commit_callbacks, admin, "bob@example.com")

    subject, text, html = emails["bob@example.com"]
    assert subject == "Ada Admin invited you to Initech on seatmgr"
    assert "Dec 23, 2026" in text and "Dec 23, 2026" in html


def test_one_chunk_writes_each_invitation_in_its_invitees_language(
    django_capture_on_commit_callbacks,
):
    # The chunk renders the templates once per account, inviter and expiry: and per language
    # and time zone, else the first invitee's would serve them all.
    admin = english_admin(account_speaking("fr"))
    UserFactory(email="bob@example.com", language="en")
    UserFactory(email="zoe@example.com", time_zone="Europe/Paris")

    emails = invite(
        django_capture_on_commit_callbacks,
        admin,
        "new@example.com",
        "bob@example.com",
        "zoe@example.com",
    )

    assert "vous invite" in emails["new@example.com"][0]
    assert "invited you" in emails["bob@example.com"][0]
    _subject, zoe_text, _html = emails["zoe@example.com"]
    assert "23 déc. 2026, 11:00 Europe/Paris" in zoe_text
    assert "10:00 UTC" in emails["new@example.com"][1]
    tokens = {LINK.search(text).group(1) for _subject, text, _html in emails.values()}
    assert len(tokens) == 3


def test_the_code_that_confirms_a_mailbox_is_in_the_invitees_language(
    django_capture_on_commit_callbacks,
):
    admin = english_admin(account_speaking("fr"))
    emails = invite(django_capture_on_commit_callbacks, admin, "new@example.com")
    token = LINK.search(emails["new@example.com"][1]).group(1)

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        mailbox_code_request(token=token, now=NOW)

    [message] = [m for m in mail.outbox if not LINK.search(m.body)]
    assert message.to == ["new@example.com"]
    assert "code" in message.subject and "rejoindre" in message.subject
    assert "Votre code" in message.body and "Your code" not in message.body
