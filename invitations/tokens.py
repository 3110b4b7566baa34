"""Invitation tokens: random, shown once, stored only as a hash."""

import hashlib
import secrets


def token_new() -> str:
    # 32 bytes = 256 bits of randomness, URL-safe.
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """SHA-256 of the token. A lookup by hash needs no constant-time compare: the hash of an
    attacker's guess reveals nothing about stored tokens (cf. Django's own token lookups)."""
    return hashlib.sha256(token.encode()).hexdigest()
