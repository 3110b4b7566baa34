"""A small fixed-window rate limiter on the shared cache (Redis in production), and the one
client address that it, django-axes (AXES_CLIENT_IP_CALLABLE) and the reset limits key on.

Used where guessing or hammering matters and django-axes does not reach: invitation links.
"""

import hashlib
import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_ip(request) -> str:
    """The address of the client, as the nearest untrusted hop.

    REMOTE_ADDR is the connecting address. Only when it is in settings.TRUSTED_PROXIES
    (addresses or networks; empty trusts nobody) is X-Forwarded-For read, from the right: each
    proxy appends the address it received from, so the first entry that is not a trusted proxy
    is the client, and whatever stands left of it is the client's own word and ignored. A
    malformed entry ends the walk at the last trusted hop.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))

    def is_trusted(address) -> bool:
        return address is not None and any(address in network for network in trusted)

    if not trusted or not is_trusted(_address(remote)):
        return remote
    client = remote
    for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _address(entry)
        if address is None:
            break
        client = str(address)
        if not is_trusted(address):
            break
    return client


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
