"""A user's page: what the reclaim policy did to them and how to undo it."""

from django import template
from django.utils import timezone

from accounts.models import Membership
from seats.reclaim.selectors import reclaim_restorable_get

register = template.Library()


@register.inclusion_tag("seats/reclaim/_reclaimed_note.html")
def reclaimed_note(member: Membership) -> dict:
    """ "Moved to a View-only seat by the reclaim policy": while the permissions can still come
    back, which seat to give again and by when."""
    return {"notice": reclaim_restorable_get(membership=member, now=timezone.now())}
