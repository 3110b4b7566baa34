"""The reset email travels the real way: request → Redis → Celery worker → SMTP server."""

import re
import time

import pytest
from django.urls import reverse

from tests.factories import MembershipFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def reset_path(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"/password-reset/\S+/\S+/", body).group(0)


def test_a_reset_email_reaches_the_mail_server_and_its_link_works(
    client, smtp_server, celery_worker_for
):
    celery_worker_for(smtp_server)
    member = MembershipFactory(user__email="ada@example.com")

    client.post(reverse("accounts:password_reset"), {"email": "ada@example.com"})

    [message] = smtp_server.inbox.wait_for(1)
    assert message["To"] == "ada@example.com"
    assert message.get_body(preferencelist=("html",)) is not None
    form = client.get(reset_path(message), follow=True)
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "worker-made-link-77", "new_password2": "worker-made-link-77"},
    )
    member.user.refresh_from_db()
    assert member.user.check_password("worker-made-link-77")


def test_a_mail_server_that_is_down_gets_the_email_once_when_it_is_back(
    client, smtp_port_closed, celery_worker_for
):
    celery_worker_for(smtp_port_closed)
    MembershipFactory(user__email="ada@example.com")

    client.post(reverse("accounts:password_reset"), {"email": "ada@example.com"})
    time.sleep(2)  # the first attempt is refused and scheduled for a retry
    smtp_port_closed.start()

    smtp_port_closed.inbox.wait_for(1, timeout=45)
    time.sleep(3)
    assert len(smtp_port_closed.inbox.messages) == 1


def test_a_worker_writes_the_reset_email_in_the_persons_language_not_its_own(
    client, smtp_server, celery_worker_for
):
    # The worker speaks LANGUAGE_CODE (English); Marie chose French, and asks from an English
    # page: the email is French all the same (issue #18).
    celery_worker_for(smtp_server)
    MembershipFactory(
        user__email="marie@example.com", user__first_name="Marie", user__language="fr"
    )

    client.post(
        reverse("accounts:password_reset"),
        {"email": "marie@example.com"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    [message] = smtp_server.inbox.wait_for(1)
    assert "mot de passe" in message["Subject"]
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Bonjour Marie" in body
    assert reset_path(message) in message.get_body(preferencelist=("html",)).get_content()
