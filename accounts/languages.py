"""Which language and time zone a person sees, and which language an email is written in.

Pages: the person's own choice (Profile) once signed in; before that — or while they have not
chosen — the language picked with the switcher on the sign-in and invitation pages (a cookie),
else their browser's (Accept-Language) when seatmgr speaks it, else the account's default
language (Settings → Account defaults), else LANGUAGE_CODE.

Emails and notifications: the recipient's own choice, else their account's default language (an
invitee's: the inviting account's, until they choose).

Time: the person's time zone (Profile), else the site's (TIME_ZONE).
"""

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import trans_real

from accounts.models import Account, User


def _supported(code: str | None) -> str | None:
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def browser_language_chosen(request) -> str | None:
    """The language picked with the signed-out pages' switcher, if any."""
    return _supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))


def browser_language(request) -> str | None:
    """The language the visitor's browser asks for (the switcher's cookie first), if seatmgr
    speaks it; None when it asks for nothing seatmgr has."""
    chosen = browser_language_chosen(request)
    if chosen:
        return chosen
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, _quality in trans_real.parse_accept_lang_header(header):
        if code == "*":
            break
        if trans_real.language_code_re.search(code):
            found = _supported(code)
            if found:
                return found
    return None


def page_language(request, *, account: Account | None = None) -> str:
    """The language of the page this request gets (the module's rule)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        own = _supported(user.language)
        if own:
            return own
    return (
        browser_language(request)
        or _supported(account.default_language if account else None)
        or settings.LANGUAGE_CODE
    )


def recipient_language(*, user: User | None, account: Account | None) -> str:
    """The language of an email or a notification for this person in this account."""
    return (
        _supported(user.language if user else None)
        or _supported(account.default_language if account else None)
        or settings.LANGUAGE_CODE
    )


def time_zone_of(user: User | None) -> zoneinfo.ZoneInfo:
    name = getattr(user, "time_zone", "") or settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


@contextmanager
def written_for(*, user: User | None, account: Account | None) -> Iterator[str]:
    """Words, dates and amounts inside are the recipient's: their language and time zone."""
    language = recipient_language(user=user, account=account)
    with translation.override(language), timezone.override(time_zone_of(user)):
        yield language


@cache
def time_zone_names() -> tuple[str, ...]:
    """Every IANA zone a person may choose ("Europe/Paris"), sorted; no legacy aliases."""
    names = sorted(
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/"))
    )
    return (*names, "UTC")
