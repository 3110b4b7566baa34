"""Sending a templated email: subject, text and HTML from templates/emails/<name>.*"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string


def email_render(*, template: str, context: dict) -> tuple[str, str, str]:
    context = {"site_url": settings.SITE_URL, **context}
    subject = render_to_string(f"emails/{template}_subject.txt", context)
    subject = " ".join(subject.split())
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    return subject, text, html


def email_send(
    *, to: str, template: str, context: dict, connection: BaseEmailBackend | None = None
) -> None:
    """Render and send one email now. Called from Celery tasks, never from a request.

    `connection`: an open connection to send many emails over one session (else one each).
    """
    subject, text, html = email_render(template=template, context=context)
    message = EmailMultiAlternatives(
        subject, text, settings.DEFAULT_FROM_EMAIL, [to], connection=connection
    )
    message.attach_alternative(html, "text/html")
    message.send()
