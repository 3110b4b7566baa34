"""A small fixed-window rate limiter on the shared cache (Redis in production).

Used where guessing or hammering matters and django-axes does not reach: invitation links.
"""

import hashlib

from django.core.cache import cache


def client_ip(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy rewrites
    # it, and a deployment behind one sets REMOTE_ADDR through its WSGI server.
    return request.META.get("REMOTE_ADDR", "")


def rate_limit_exceeded(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt for (scope, key); True once more than `limit` fall in the window."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"seatmgr:ratelimit:{scope}:{digest}"
    if cache.add(cache_key, 1, timeout=window_seconds):
        return limit < 1
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.set(cache_key, 1, timeout=window_seconds)
        count = 1
    return count > limit
