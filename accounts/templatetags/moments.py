"""Moments as people say them: "just now", "3 minutes ago", "2 weeks ago"."""

from datetime import datetime, timedelta

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

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
