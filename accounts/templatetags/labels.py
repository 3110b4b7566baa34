"""Labels of accounts' choices as the product names them: `seat_label` ("Sales seat") and
`status_label` ("Invited"), for every page that shows a seat type or a member's status; a seat
type in the plural, `seats_label` ("Core seats"), and counted, `seat_count` ("3 Core seats")."""

from django import template
from django.db import models
from django.utils.translation import get_language

from accounts.models import MembershipStatus, SeatType
from accounts.text import seat_count as _seat_count
from accounts.text import seats_label as _seats_label

register = template.Library()

# The Users list renders these for each of its 50 rows, and Django's get_FOO_display costs tens
# of microseconds a call (a lazy translation resolved): below, once per language.
_LABELS: dict[tuple[type, str | None], dict[str, str]] = {}


def choice_labels(choices: type[models.TextChoices]) -> dict[str, str]:
    """Every label of `choices` in the active language, by code: for a list that shows many
    (the Users tab's rows look the language up once for the page, not once a cell)."""
    key = (choices, get_language())
    labels = _LABELS.get(key)
    if labels is None:
        labels = _LABELS[key] = {code: str(label) for code, label in choices.choices}
    return labels


def _choice_label(choices: type[models.TextChoices], value: str) -> str:
    return choice_labels(choices).get(value, value)


@register.filter
def seat_label(seat_type: str | None) -> str:
    """A seat type's label ("View-only seat"), as get_seat_type_display gives it; "" for none
    (an offer that sells no seats)."""
    return _choice_label(SeatType, seat_type) if seat_type else ""


@register.filter
def status_label(status: str) -> str:
    """A membership status's label ("Invited"), as get_status_display gives it."""
    return _choice_label(MembershipStatus, status)


@register.filter
def seats_label(seat_type: str) -> str:
    """A seat type in the plural ("Core seats"), for a sentence."""
    return str(_seats_label(seat_type))


@register.filter
def seat_count(seat_type: str, count: int) -> str:
    """A number of seats of one type ("1 Core seat", "3 Core seats"), for a sentence."""
    return _seat_count(seat_type, count)
