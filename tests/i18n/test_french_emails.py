"""Emails in French, as a real mail server receives them (aiosmtpd on loopback, Django's SMTP
backend): the invitation of an account whose default language is French, the password reset of
a person whose Profile says French; and switching the Profile's language changes the next page
and the next email, nothing else (issue #18)."""

from datetime import UTC, datetime

import pytest
from django.test import override_settings
from django.urls import reverse

from accounts.models import AuditEvent, Membership, SeatType, User
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services.subscriptions import subscription_start
from invitations.parsing import ParsedPerson
from invitations.services.members import members_invite
from seats.permissions.choice import AccessChoice, AccessMode
from tests.factories import AccountFactory, MembershipFactory
from tests.i18n.english import english_found, visible_text
from tests.integration.conftest import SmtpServer, free_port

pytestmark = pytest.mark.django_db

# The link of an invitation sent now expires a week later: on December 17, 2026.
NOW = datetime(2026, 12, 10, 9, 30, tzinfo=UTC)


@pytest.fixture
def smtp_server():
    """An SMTP server on loopback that Django's SMTP backend sends this test's emails to."""
    server = SmtpServer(free_port())
    server.start()
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=server.port,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
    ):
        yield server
    server.stop()


def parts(message) -> tuple[str, str, str]:
    """An email's subject, text and HTML as the mail server received them."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return str(message["Subject"]).strip(), text, html


def assert_french(message, *, names: list[str]) -> tuple[str, str, str]:
    subject, text, html = parts(message)
    shown, lang = visible_text(html)
    for part, words in [("subject", subject), ("text", text), ("HTML", shown)]:
        found = english_found(words, allowed=names)
        assert not found, f"English in the {part} of {subject!r}: {found}"
    assert lang == "fr", f'the HTML of {subject!r} says <html lang="{lang}">'
    return subject, text, html


def test_an_invitation_from_a_french_account_arrives_in_french(
    smtp_server, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(NOW, tick=False)
    account = AccountFactory(name="Initech", default_language="fr")
    subscription_start(
        account=account,
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL},
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
        extra_seats={SeatType.CORE: 1},
    )
    admin = MembershipFactory(
        account=account,
        super_admin=True,
        user__first_name="Sam",
        user__last_name="Rivera",
        user__language="en",  # the inviter reads English: the invitee's email is not theirs
    )

    with django_capture_on_commit_callbacks(execute=True):
        members_invite(
            account=account,
            actor_membership=admin,
            people=[ParsedPerson("bob@example.com")],
            seat_type=SeatType.CORE,
            access=AccessChoice(mode=AccessMode.DEFAULTS),
            send_email=True,
        )

    [message] = smtp_server.inbox.wait_for(1)
    assert message["To"] == "bob@example.com"
    subject, text, html = assert_french(message, names=["Initech", "Sam Rivera", "Sam", "Rivera"])
    assert subject == "Sam Rivera vous invite à rejoindre Initech sur seatmgr"
    assert "17 déc. 2026" in text
    assert "17 déc. 2026" in html
    assert "/invite/" in text


def test_a_password_reset_for_a_person_whose_profile_says_french_arrives_in_french(
    client, smtp_server, django_capture_on_commit_callbacks
):
    MembershipFactory(user__email="ada@example.com", user__language="fr")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": "ada@example.com"})

    [message] = smtp_server.inbox.wait_for(1)
    subject, text, _html = assert_french(message, names=[])
    assert subject == "Choisissez un nouveau mot de passe seatmgr"
    assert "/password-reset/" in text


def what_the_account_holds(member: Membership) -> dict:
    """Everything of the account a language switch must leave as it is."""
    return {
        "people": sorted(User.objects.values_list("email", "first_name", "last_name")),
        "members": sorted(
            Membership.objects.filter(account=member.account).values_list(
                "user__email", "first_name", "last_name", "seat_type", "status", "access"
            )
        ),
        "events": list(
            AuditEvent.objects.filter(account=member.account).values_list(
                "pk", "verb", "before", "after"
            )
        ),
    }


def test_switching_the_profile_language_changes_the_next_page_and_email_and_nothing_else(
    client, smtp_server, django_capture_on_commit_callbacks
):
    member = MembershipFactory(
        super_admin=True,
        user__email="ada@example.com",
        user__first_name="Ada",
        user__last_name="Lovelace",
        user__language="en",
    )
    MembershipFactory(account=member.account, user__first_name="Bob", seat_type=SeatType.CORE)
    client.force_login(member.user)
    users_page = reverse("seats:users")
    assert 'lang="en"' in client.get(users_page).content.decode()
    before = what_the_account_holds(member)

    saved = client.post(
        reverse("accounts:profile"),
        {"first_name": "Ada", "last_name": "Lovelace", "language": "fr", "time_zone": ""},
    )
    assert saved.status_code == 302

    page = client.get(users_page).content.decode()
    text, lang = visible_text(page)
    assert lang == "fr"
    assert "Créer un utilisateur" in text
    assert not english_found(text, allowed=["Ada", "Lovelace", "Ada Lovelace", "Bob"])
    client.logout()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": "ada@example.com"})
    [message] = smtp_server.inbox.wait_for(1)
    assert_french(message, names=[])
    assert what_the_account_holds(member) == before
