"""Moments as people say them: "just now", "3 minutes ago", "2 weeks ago"; and days, times and
moments in the viewer's language and time zone (CLDR through Babel, accounts.text):
{{ d|day }} "Dec 23, 2026" / "23 déc. 2026", {{ t|clock }} "2:05 PM" / "14:05",
{{ t|moment }} both, {{ t|moment:"zone" }} with the zone's name ("… 14:05 Europe/Paris")."""

from datetime import datetime, timedelta

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from accounts import text

register = template.Library()


@register.filter
def ago(moment: datetime | None) -> str:
    """How long ago, to the largest unit: "3 weeks ago", not "3 weeks, 4 days ago" (a column
    of these is scanned, not read); the last minute as naturaltime says it ("now",
    "20 seconds ago")."""
    if moment is None:
        return ""
    now = timezone.now()
    if now - moment < timedelta(minutes=1):
        return naturaltime(moment)
    return _("%(time)s ago") % {"time": timesince(moment, now, depth=1)}


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
