"""Invitation tokens: random, shown once, stored only as a hash; the link that carries one; and
the one-time codes that confirm a mailbox behind a copied link."""

import hashlib
import secrets

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac


def token_new() -> str:
    # 32 bytes = 256 bits of randomness, URL-safe.
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """SHA-256 of the token. A lookup by hash needs no constant-time compare: the hash of an
    attacker's guess reveals nothing about stored tokens (cf. Django's own token lookups)."""
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_url(token: str) -> str:
    """The link that opens the invitation with this token, on the configured site."""
    return settings.SITE_URL + reverse("invitations:open", kwargs={"token": token})


# Mailbox codes (invitations.models.MailboxCode): six digits, typed from an email.
MAILBOX_CODE_DIGITS = 6


def mailbox_code_new() -> str:
    return f"{secrets.randbelow(10**MAILBOX_CODE_DIGITS):0{MAILBOX_CODE_DIGITS}d}"


def mailbox_code_hash(*, code_id: int, code: str) -> str:
    """HMAC-SHA256 of the code under SECRET_KEY, bound to its row: a million codes are quickly
    tried against a plain hash, not against a keyed one without the key."""
    return salted_hmac(
        "seatmgr.invitations.mailbox_code", f"{code_id}:{code}", algorithm="sha256"
    ).hexdigest()


def mailbox_code_matches(*, code_id: int, code: str, stored_hash: str) -> bool:
    return bool(stored_hash) and constant_time_compare(
        stored_hash, mailbox_code_hash(code_id=code_id, code=code)
    )
