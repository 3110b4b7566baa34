"""Moments as people say them: "just now", "3 minutes ago", "2 weeks ago"; and days, times and
moments in the viewer's language and time zone (CLDR through Babel, accounts.text):
{{ d|day }} "Dec 23, 2026" / "23 déc. 2026", {{ t|clock }} "2:05 PM" / "14:05",
{{ t|moment }} both, {{ t|moment:"zone" }} with the zone's name ("… 14:05 Europe/Paris")."""

from datetime import datetime, timedelta
from functools import lru_cache

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import timezone, translation
from django.utils.html import avoid_wrapping
from django.utils.timesince import TIME_STRINGS
from django.utils.translation import gettext as _

from accounts import text

register = template.Library()


@register.filter
def ago(moment: datetime | None) -> str:
    """How long ago, to the largest unit: "3 weeks ago", not "3 weeks, 4 days ago" (a column
    of these is scanned, not read); the last minute as naturaltime says it ("now",
    "20 seconds ago")."""
    return ago_in(moment, translation.get_language())


def ago_in(moment: datetime | None, language: str | None) -> str:
    """`ago` in `language`: a list of moments (the Users tab's rows) looks the active language
    up once, not once a row. The last minute is said in the active one."""
    if moment is None:
        return ""
    now = timezone.now()
    if now - moment < timedelta(minutes=1):
        return naturaltime(moment)
    if timezone.is_aware(moment):
        # As timesince compares them: on the moment's own clock.
        now = now.astimezone(moment.tzinfo)
    # timesince(depth=1), which the Users tab asks for each of its 50 rows, without building
    # its pivot moment and with the words looked up once per language: the months whole
    # calendar months apart, then the largest unit of the rest by plain division.
    months = (now.year - moment.year) * 12 + now.month - moment.month
    if moment.day > now.day or (moment.day == now.day and moment.time() > now.time()):
        months -= 1
    years, months = divmod(months, 12)
    if years:
        return _said(language, "year", years)
    if months:
        return _said(language, "month", months)
    since = now - moment
    seconds = since.days * 86400 + since.seconds
    # At least a minute (under one is said above): the minute always fits.
    unit, size = next(step for step in _SHORT_UNITS if seconds >= step[1])
    return _said(language, unit, seconds // size)


_SHORT_UNITS = (("week", 7 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60))


@lru_cache(maxsize=1024)
def _said(language: str | None, unit: str, count: int) -> str:
    """ "3 weeks ago" in `language` (the cache's key)."""
    with translation.override(language):
        return _("%(time)s ago") % {"time": avoid_wrapping(TIME_STRINGS[unit] % {"num": count})}


@register.filter
def day(moment: datetime | None) -> str:
    return "" if moment is None else text.day(moment)


@register.filter
def clock(moment: datetime | None) -> str:
    return "" if moment is None else text.clock(moment)


@register.filter
def moment(value: datetime | None, arg: str = "") -> str:
    if value is None:
        return ""
    written = text.moment_text(value)
    return f"{written} {timezone.get_current_timezone_name()}" if arg == "zone" else written
