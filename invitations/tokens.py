"""Invitation tokens: random, shown once, stored only as a hash; and the link that carries one."""

import hashlib
import secrets

from django.conf import settings
from django.urls import reverse


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
