"""Templated emails: plain text stays plain, HTML is escaped (accounts.emails)."""

import pytest
from django.core import mail

from accounts.emails import email_render, email_send
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
    assert "notification preferences in Smith & Wesson <UK>." in text
    assert "&amp;" not in text and "&lt;" not in text
    assert "<p>Smith &amp; Wesson &quot;UK&quot; has 1 seat left.</p>" in html
    assert "preferences in Smith &amp; Wesson &lt;UK&gt;." in html


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
