"""Issue #18: each email reads in its recipient's language, whatever language is active where it
is rendered (a worker's LANGUAGE_CODE, or the request of an eager task).

Password reset: the person's own choice, else the default language of the account they were
last active in. "Talk to sales" goes to the sales team, in LANGUAGE_CODE. The French words
checked are a few key words of the catalogue, not its sentences.
"""

from datetime import UTC, datetime

import pytest
from django.utils import translation

from accounts.services import password_reset_request
from billing.services.sales import sales_request_create
from tests.factories import AccountFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def reset_email(mailoutbox, django_capture_on_commit_callbacks, email: str, *, active: str):
    with translation.override(active), django_capture_on_commit_callbacks(execute=True):
        password_reset_request(email=email)
    [message] = mailoutbox
    [(html, _mimetype)] = message.alternatives
    return message.subject, message.body, html


def test_a_password_reset_for_a_french_profile_is_french(
    mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(email="marie@example.com", first_name="Marie", language="fr")

    subject, text, html = reset_email(
        mailoutbox, django_capture_on_commit_callbacks, "marie@example.com", active="en"
    )

    assert "mot de passe" in subject
    assert "Bonjour Marie" in text and "mot de passe" in text
    assert "Bonjour Marie" in html
    assert "Someone asked" not in text and "Hello" not in text


def test_a_password_reset_for_someone_who_chose_english_is_english(
    mailoutbox, django_capture_on_commit_callbacks
):
    bob = UserFactory(email="bob@example.com", first_name="Bob", language="en")
    MembershipFactory(user=bob, account=AccountFactory(default_language="fr"))

    subject, text, _html = reset_email(
        mailoutbox, django_capture_on_commit_callbacks, "bob@example.com", active="fr"
    )

    assert subject == "Choose a new seatmgr password"
    assert "Hello Bob" in text


def test_a_password_reset_for_someone_who_chose_nothing_follows_the_account_they_used_last(
    mailoutbox, django_capture_on_commit_callbacks
):
    sam = UserFactory(email="sam@example.com", first_name="Sam")
    MembershipFactory(
        user=sam,
        account=AccountFactory(default_language="en"),
        last_active_at=datetime(2027, 1, 1, tzinfo=UTC),
    )
    MembershipFactory(
        user=sam,
        account=AccountFactory(default_language="fr"),
        last_active_at=datetime(2027, 3, 1, tzinfo=UTC),
    )
    # Used later still, but Sam was deactivated there: it does not count.
    MembershipFactory(
        user=sam,
        account=AccountFactory(default_language="en"),
        last_active_at=datetime(2027, 6, 1, tzinfo=UTC),
        deactivated=True,
    )

    subject, text, _html = reset_email(
        mailoutbox, django_capture_on_commit_callbacks, "sam@example.com", active="en"
    )

    assert "mot de passe" in subject and "Bonjour Sam" in text


def test_a_password_reset_for_someone_without_an_account_is_in_the_sites_language(
    mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(email="lone@example.com", first_name="Lone")

    subject, _text, _html = reset_email(
        mailoutbox, django_capture_on_commit_callbacks, "lone@example.com", active="fr"
    )

    assert subject == "Choose a new seatmgr password"


def test_the_sales_team_is_written_to_in_the_sites_language_whoever_asked(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.SALES_EMAIL = "deals@example.com"
    admin = MembershipFactory(
        super_admin=True,
        account__name="Initech",
        account__default_language="fr",
        user__language="fr",
    )

    with translation.override("fr"), django_capture_on_commit_callbacks(execute=True):
        sales_request_create(
            account=admin.account, actor=admin.user, message="50 Sales seats", phone="+1 555"
        )

    [email] = mailoutbox
    assert email.subject == "Talk to sales: Initech"
    assert "Phone: +1 555" in email.body
