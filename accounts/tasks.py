"""Background work of the accounts floor. Tasks take ids, re-read rows, then act."""

import logging
from smtplib import SMTPException

from celery import shared_task
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.emails import email_send
from accounts.models import User

logger = logging.getLogger(__name__)

# Transient mail-server failures are retried with exponential backoff (about 2 hours in all).
MAIL_RETRY = {
    "autoretry_for": (SMTPException, ConnectionError, TimeoutError),
    "retry_backoff": 5,
    "retry_backoff_max": 1800,
    "retry_jitter": True,
    "max_retries": 10,
}


@shared_task(**MAIL_RETRY)
def password_reset_email_task(user_id: int) -> bool:
    """Email a password-reset link. The token is made here, from the row as it is now."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.has_usable_password():
        logger.info("password reset for user %s skipped: inactive or no password", user_id)
        return False
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    email_send(
        to=user.email,
        template="password_reset",
        context={"user": user, "reset_path": path},
    )
    return True


@shared_task(**MAIL_RETRY)
def notification_email_task(membership_id: int, text: str, url: str) -> bool:
    """Email a notification to a member (active, or just deactivated: they are told so)."""
    from accounts.models import Membership, MembershipStatus

    membership = (
        Membership.objects.select_related("user", "account")
        .filter(
            pk=membership_id,
            status__in=[MembershipStatus.ACTIVE, MembershipStatus.DEACTIVATED],
        )
        .first()
    )
    if membership is None:
        return False
    email_send(
        to=membership.user.email,
        template="notification",
        context={"membership": membership, "text": text, "url": url},
    )
    return True
