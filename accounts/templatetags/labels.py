"""Labels of accounts' choices as the product names them: `seat_label` ("Sales seat") and
`status_label` ("Invited"), for every page that shows a seat type or a member's status."""

from django import template
from django.db import models
from django.utils.translation import get_language

from accounts.models import MembershipStatus, SeatType

register = template.Library()

# The Users list renders these for each of its 50 rows, and Django's get_FOO_display costs tens
# of microseconds a call (a lazy translation resolved): below, once per language.
_LABELS: dict[tuple[type, str | None], dict[str, str]] = {}


def _choice_label(choices: type[models.TextChoices], value: str) -> str:
    key = (choices, get_language())
    labels = _LABELS.get(key)
    if labels is None:
        labels = _LABELS[key] = {code: str(label) for code, label in choices.choices}
    return labels.get(value, value)


@register.filter
def seat_label(seat_type: str | None) -> str:
    """A seat type's label ("View-only seat"), as get_seat_type_display gives it; "" for none
    (an offer that sells no seats)."""
    return _choice_label(SeatType, seat_type) if seat_type else ""


@register.filter
def status_label(status: str) -> str:
    """A membership status's label ("Invited"), as get_status_display gives it."""
    return _choice_label(MembershipStatus, status)
