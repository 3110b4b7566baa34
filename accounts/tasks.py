"""Background work of the accounts floor. Tasks take ids, re-read rows, then act."""

import logging
from smtplib import SMTPException

from celery import shared_task
from django.contrib.auth.tokens import default_token_generator
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.emails import email_send
from accounts.languages import written_for
from accounts.models import Account, Membership, MembershipStatus, Session, User
from accounts.selectors import password_reset_allowed

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
    user = User.objects.filter(pk=user_id).first()
    if user is None or not password_reset_allowed(user):
        logger.info("password reset for user %s skipped: inactive or no password", user_id)
        return False
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    # In the person's language (Profile), else their account's default (accounts.languages).
    with written_for(user=user, account=_account_last_used(user)):
        email_send(
            to=user.email,
            template="password_reset",
            context={"user": user, "reset_path": path},
        )
    return True


def _account_last_used(user: User) -> Account | None:
    """The account whose default language speaks for a person who chose none: the one they
    used last of those they are active in."""
    membership = (
        Membership.objects.select_related("account")
        .filter(user=user, status=MembershipStatus.ACTIVE)
        .order_by(F("last_active_at").desc(nulls_last=True), "pk")
        .first()
    )
    return membership.account if membership else None


def _notified_members(membership_ids: list[int]) -> dict[int, Membership]:
    """The members who may still be emailed a notification: active, or just deactivated (they
    are told so); anyone else (removed, back to invited) is not."""
    return {
        membership.pk: membership
        for membership in Membership.objects.select_related("user", "account").filter(
            pk__in=membership_ids,
            status__in=[MembershipStatus.ACTIVE, MembershipStatus.DEACTIVATED],
        )
    }


def _notification_email_send(membership: Membership, text: str, url: str) -> None:
    """`text` is already in the member's language (accounts.services.notice_written); the rest
    of the email is written in it here."""
    with written_for(user=membership.user, account=membership.account):
        email_send(
            to=membership.user.email,
            template="notification",
            context={"membership": membership, "text": text, "url": url},
        )


@shared_task(**MAIL_RETRY)
def notification_email_task(membership_id: int, text: str, url: str) -> bool:
    """Email a notification to a member (active, or just deactivated: they are told so)."""
    membership = _notified_members([membership_id]).get(membership_id)
    if membership is None:
        return False
    _notification_email_send(membership, text, url)
    return True


@shared_task
def notification_emails_task(notices: list[list]) -> int:
    """Email many notifications ([membership id, text, url] each) queued by one transaction.

    The members are re-read (one query) and checked as `notification_email_task` checks them.
    If the mail server fails, that notice and the ones after it are handed to
    `notification_email_task`, one task each with its own retries: a retry never sends again
    what already left. Returns how many were sent here.
    """
    members = _notified_members([membership_id for membership_id, _text, _url in notices])
    sent = 0
    for index, (membership_id, text, url) in enumerate(notices):
        membership = members.get(membership_id)
        if membership is None:
            continue
        try:
            _notification_email_send(membership, text, url)
        except MAIL_RETRY["autoretry_for"]:
            logger.warning(
                "mail server failed; %s notification(s) left to retry", len(notices) - index
            )
            for rest in notices[index:]:
                notification_email_task.delay(*rest)
            return sent
        sent += 1
    return sent


@shared_task(ignore_result=True)
def sessions_expired_delete_task() -> int:
    """Deletes the sessions whose time is up (beat, daily): an expired session already opens
    nothing (accounts.signed_in reads only unexpired ones); this keeps the table to the open ones.
    Returns how many were deleted."""
    deleted, _by_model = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
