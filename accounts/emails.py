"""Sending a templated email: subject, text and HTML from templates/emails/<name>.*

The subject and the text part are plain text: rendered without HTML escaping, so that
"Globex & Sons" reads as it is written there (and as escaped HTML in the HTML part).
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.template import Context
from django.template.loader import get_template, render_to_string


def email_render(*, template: str, context: dict) -> tuple[str, str, str]:
    context = {"site_url": settings.SITE_URL, **context}
    subject = _plain_text(f"emails/{template}_subject.txt", context)
    subject = " ".join(subject.split())
    text = _plain_text(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    return subject, text, html


def _plain_text(name: str, context: dict) -> str:
    # The engine's own Template under the backend's wrapper: its Context can turn escaping off.
    return get_template(name).template.render(Context(context, autoescape=False))


def email_send(
    *, to: str, template: str, context: dict, connection: BaseEmailBackend | None = None
) -> None:
    """Render and send one email now. Called from Celery tasks, never from a request.

    `connection`: an open connection to send many emails over one session (else one each).
    """
    subject, text, html = email_render(template=template, context=context)
    email_message(to=to, subject=subject, text=text, html=html, connection=connection).send()


def email_message(
    *, to: str, subject: str, text: str, html: str, connection: BaseEmailBackend | None = None
) -> EmailMultiAlternatives:
    """The email as sent: plain text with an HTML alternative, from DEFAULT_FROM_EMAIL."""
    message = EmailMultiAlternatives(
        subject, text, settings.DEFAULT_FROM_EMAIL, [to], connection=connection
    )
    message.attach_alternative(html, "text/html")
    return message
