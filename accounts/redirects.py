"""Where a page goes back to: a `next` parameter, taken only when it stays on this site."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, fallback: str = "") -> str:
    """The request's `next` (form field, else query parameter) when it is a path or URL of this
    site (Django's url_has_allowed_host_and_scheme: no other host, no scheme but http(s), https
    only on a secure request); else `fallback`. Never an open redirect."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
