"""Templated emails: plain text stays plain, HTML is escaped (accounts.emails)."""

import pytest
from django.core import mail

from accounts.emails import email_render, email_send
from accounts.models import Notification
from accounts.notifications import NotificationKind
from accounts.services import notify
from accounts.text import sentence
from tests.factories import AccountFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def membership():
    return MembershipFactory(account=AccountFactory(name="Smith & Wesson <UK>"))


def test_the_subject_and_text_show_names_as_written_and_the_html_escapes_them(membership):
    subject, text, html = email_render(
        template="notification",
        context={
            "membership": membership,
            "text": 'Smith & Wesson "UK" has 1 seat left.',
            "url": "",
        },
    )

    assert subject == "seatmgr · Smith & Wesson <UK>"
    assert 'Smith & Wesson "UK" has 1 seat left.' in text
    assert "notification preferences in Smith & Wesson <UK>:" in text
    assert "&amp;" not in text and "&lt;" not in text
    assert "<p>Smith &amp; Wesson &quot;UK&quot; has 1 seat left.</p>" in html
    assert "preferences in Smith &amp; Wesson &lt;UK&gt;:" in html


def test_a_sent_email_carries_both_parts(membership):
    email_send(
        to="ops@example.com",
        template="notification",
        context={"membership": membership, "text": "R&D joined.", "url": "/users/"},
    )

    [message] = mail.outbox
    assert message.to == ["ops@example.com"]
    assert message.subject == "seatmgr · Smith & Wesson <UK>"
    assert "R&D joined." in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "R&amp;D joined." in html


def test_an_account_name_ending_in_a_full_stop_gets_no_second_one():
    membership = MembershipFactory(account=AccountFactory(name="Demo Co."))
    notify(
        membership=membership,
        kind=NotificationKind.ACCESS_CHANGED,
        text=lambda: "You are now a super admin of Demo Co..",
    )
    [notification] = Notification.objects.filter(membership=membership)
    assert notification.text == "You are now a super admin of Demo Co."
    _subject, text, html = email_render(
        template="notification",
        context={"membership": membership, "text": notification.text, "url": ""},
    )
    for body in (text, html):
        assert ".." not in body
        assert "preferences in Demo Co.: change them" in body
    _subject, text, html = email_render(
        template="invitation",
        context={
            "account": membership.account,
            "inviter": None,
            "url": "https://x.example/j/1",
            "expires_at": membership.created_at,
        },
    )
    assert ".." not in text and ".</strong>." not in html


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Welcome to Demo Co..", "Welcome to Demo Co."),
        ("Demo Co.. Next sentence.", "Demo Co. Next sentence."),
        ("Wait...", "Wait..."),
        ("Acme.", "Acme."),
    ],
)
def test_sentence_drops_only_a_doubled_full_stop(text, expected):
    assert sentence(text) == expected
