"""Issue #18: a notification reads in its recipient's language, whoever acted. The member's own
choice (Profile), else their account's default; the language of the admin's page never leaks
into it (accounts.services.NoticeText, written inside accounts.languages.written_for).

The French words checked are a few key words of the catalogue, not its sentences (it may be
edited): "siège", "autorisations", "préférences de notification".
"""

from datetime import UTC, datetime

import pytest
from django.utils import translation

from accounts.models import Membership, Notification, SeatType
from accounts.notifications import NotificationKind
from accounts.services import Notice, members_notify
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services.subscriptions import subscription_start
from seats.catalogue import seat_default_permissions
from seats.permissions.choice import AccessChoice, AccessMode
from seats.permissions.services import member_access_set
from seats.users.services.seat import member_seat_change, members_bulk_seat_change
from tests.factories import AccountFactory, MembershipFactory, PermissionSetFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)
WITH_TEAMS = {**seat_default_permissions(SeatType.CORE), "account.teams": "on"}


def subscribed(name: str = "Acme", default_language: str = "en"):
    account = AccountFactory(name=name, default_language=default_language)
    # Marketing Hub Professional: 3 Core seats included.
    subscription_start(
        account=account,
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL},
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
        extra_seats={"core": 3},
    )
    return account


def admin_of(account, language: str) -> Membership:
    return MembershipFactory(
        account=account, super_admin=True, user__language=language, user__email=f"ada@{language}.x"
    )


def viewer(account, email: str, language: str = "") -> Membership:
    return MembershipFactory(
        account=account, view_only=True, user__email=email, user__language=language
    )


def notice_of(membership: Membership) -> str:
    [notification] = Notification.objects.filter(membership=membership)
    return notification.text


def email_to(mailoutbox, membership: Membership):
    [message] = [m for m in mailoutbox if m.to == [membership.user.email]]
    return message


def test_an_english_admins_seat_change_reaches_a_french_member_in_french(
    mailoutbox, django_capture_on_commit_callbacks
):
    account = subscribed()
    admin = admin_of(account, "en")
    marie = viewer(account, "marie@acme.example", language="fr")

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        member_seat_change(
            membership=marie, seat_type=SeatType.CORE, actor_membership=admin, now=NOW
        )

    text = notice_of(marie)
    assert "siège" in text.lower() and "Acme" in text
    assert "Your seat" not in text and "Core seat" not in text
    message = email_to(mailoutbox, marie)
    assert text in message.body
    assert "préférences de notification" in message.body
    assert "notification preferences" not in message.body
    [(html, _mimetype)] = message.alternatives
    assert "préférences de notification" in html


def test_an_english_admins_permission_change_reaches_a_french_member_in_french(
    mailoutbox, django_capture_on_commit_callbacks
):
    account = subscribed()
    admin = admin_of(account, "en")
    marie = MembershipFactory(account=account, user__language="fr")
    team_leads = PermissionSetFactory(account=account, name="Team leads", permissions=WITH_TEAMS)

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        member_access_set(
            membership=marie,
            choice=AccessChoice(mode=AccessMode.TEMPLATE, template=f"set:{team_leads.pk}"),
            actor_membership=admin,
            now=NOW,
        )

    text = notice_of(marie)
    # The changes themselves are in French too (the history's words, and the count).
    assert "autorisations" in text and "Team leads" in text
    assert "permission" not in text.replace("autorisation", "")
    assert text in email_to(mailoutbox, marie).body


def test_a_french_admins_change_reaches_a_member_who_chose_english_in_english(
    mailoutbox, django_capture_on_commit_callbacks
):
    account = subscribed(default_language="fr")
    admin = admin_of(account, "fr")
    bob = viewer(account, "bob@acme.example", language="en")

    with translation.override("fr"), django_capture_on_commit_callbacks(execute=True):
        member_seat_change(membership=bob, seat_type=SeatType.CORE, actor_membership=admin, now=NOW)

    assert notice_of(bob) == "Your seat in Acme is now: Core seat."
    message = email_to(mailoutbox, bob)
    assert "notification preferences in Acme" in message.body
    assert "préférences" not in message.body


def test_a_member_who_chose_nothing_reads_the_accounts_default_language():
    account = subscribed(default_language="fr")
    admin = admin_of(account, "en")
    newcomer = viewer(account, "new@acme.example")

    with translation.override("en"):
        member_seat_change(
            membership=newcomer, seat_type=SeatType.CORE, actor_membership=admin, now=NOW
        )

    assert "siège" in notice_of(newcomer).lower()


def test_a_bulk_seat_change_tells_each_member_in_their_own_language(
    mailoutbox, django_capture_on_commit_callbacks
):
    account = subscribed()
    admin = admin_of(account, "en")
    marie = viewer(account, "marie@acme.example", language="fr")
    bob = viewer(account, "bob@acme.example", language="en")
    zoe = viewer(account, "zoe@acme.example", language="fr")

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        members_bulk_seat_change(
            account=account,
            membership_ids=[marie.pk, bob.pk, zoe.pk],
            seat_type=SeatType.CORE,
            actor_membership=admin,
        )

    assert notice_of(bob) == "Your seat in Acme is now: Core seat."
    assert notice_of(marie) == notice_of(zoe)
    assert "siège" in notice_of(marie).lower()
    for member in (marie, bob, zoe):
        assert notice_of(member) in email_to(mailoutbox, member).body


def test_members_notify_writes_each_notice_for_its_own_recipient(
    mailoutbox, django_capture_on_commit_callbacks
):
    # The late-binding trap: texts built in a comprehension, each naming its own member and
    # each read in its member's language, in one INSERT and one email task.
    account = subscribed()
    people = [
        viewer(account, "marie@acme.example", language="fr"),
        viewer(account, "bob@acme.example", language="en"),
        viewer(account, "zoe@acme.example", language="fr"),
    ]

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        members_notify(
            notices=[
                Notice(
                    membership=m,
                    kind=NotificationKind.ACCESS_CHANGED,
                    text=lambda m=m: f"{m.user.email}: {SeatType.CORE.label}",
                )
                for m in people
            ],
            now=NOW,
        )

    assert [notice_of(m) for m in people] == [
        "marie@acme.example: Siège principal",
        "bob@acme.example: Core seat",
        "zoe@acme.example: Siège principal",
    ]
    assert sorted(m.to[0] for m in mailoutbox) == sorted(m.user.email for m in people)


def test_a_notice_too_long_in_the_members_language_is_told_in_short_in_that_language(
    monkeypatch,
):
    # As if a notification held exactly the English sentence: the French one, longer, is told
    # in short (in French), and the English one whole.
    account = subscribed()
    admin = admin_of(account, "en")
    bob = MembershipFactory(account=account, user__language="en", user__email="bob@acme.example")
    marie = MembershipFactory(account=account, user__language="fr", user__email="m@acme.example")
    team_leads = PermissionSetFactory(account=account, name="Team leads", permissions=WITH_TEAMS)
    choice = AccessChoice(mode=AccessMode.TEMPLATE, template=f"set:{team_leads.pk}")
    member_access_set(membership=bob, choice=choice, actor_membership=admin, now=NOW)
    english = notice_of(bob)
    assert "Team leads" in english
    monkeypatch.setattr("seats.permissions.services.NOTICE_LENGTH", len(english))

    with translation.override("en"):
        member_access_set(membership=marie, choice=choice, actor_membership=admin, now=NOW)

    french = notice_of(marie)
    assert len(french) <= len(english)
    assert "autorisations" in french and "Team leads" not in french
