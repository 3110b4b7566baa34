"""The kinds of notification a member can choose to receive, by email and in the app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    ACCESS_CHANGED = "access_changed", _("My seat or permissions changed")
    INVITATION_ACCEPTED = "invitation_accepted", _("An invitation I sent was accepted")
    STATUS_CHANGED = "status_changed", _("I was deactivated or reactivated")
    BILLING = "billing", _("Billing events (seats bought, removals, renewals, warnings)")
    SEAT_REQUESTS = "seat_requests", _("Seat requests (someone asks for a seat; mine is decided)")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    IN_APP = "in_app", _("In the app")


# Read once: an enum's `.values` builds a new list at every call, and this runs per member.
_KINDS, _CHANNELS = tuple(NotificationKind.values), tuple(Channel.values)


def notification_preferences(stored: dict) -> dict[str, dict[str, bool]]:
    """Every kind and channel, with what the member chose; anything unchosen is on."""
    return {
        kind: {channel: bool(stored.get(kind, {}).get(channel, True)) for channel in _CHANNELS}
        for kind in _KINDS
    }
