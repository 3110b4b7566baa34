"""Sentences built around names people chose: an account called "Demo Co." ends a sentence with
one full stop, not two."""

import re
from datetime import date, datetime
from typing import Any

from django.utils import formats, timezone
from django.utils.functional import lazy

from accounts.models import SEAT_TYPE_COUNTS, SEAT_TYPE_PLURALS, SeatType

# A full stop right after a name's own (".." but not an ellipsis "..."), before a space or
# the end: "of Demo Co.." → "of Demo Co.".
_DOUBLE_STOP = re.compile(r"(?<!\.)\.\.(?!\.)(?=\s|$)")


def sentence(text: str) -> str:
    """`text` with the full stop after a name that ends in one dropped."""
    return _DOUBLE_STOP.sub(".", str(text))


def person(who, *, with_email: bool = False) -> str:
    """How a confirmation names someone: by name, or by address when they have none; with the
    address too (`with_email`) where it matters which mailbox ("on its way to Ada (ada@…)").

    `who` is a Membership wherever the person is named to an account (its `full_name` is the
    name that account may see), or a User for the person themselves.
    """
    email = who.user.email if hasattr(who, "user") else who.email
    if not who.full_name:
        return email
    return f"{who.full_name} ({email})" if with_email else who.full_name


def day(moment: datetime | date) -> str:
    """The day of a date or a moment (in the site's time zone) as the active language writes
    dates (DATE_FORMAT: "Dec. 23, 2026" in English), for sentences built in Python."""
    if isinstance(moment, datetime):
        moment = timezone.localtime(moment) if timezone.is_aware(moment) else moment
        moment = moment.date()
    return formats.date_format(moment, "DATE_FORMAT")


def seats_label(seat_type: str) -> Any:
    """A seat type in the plural, for sentences: "Remove unassigned Core seats". Lazily
    translated, as a seat type's label is."""
    return SEAT_TYPE_PLURALS[SeatType(seat_type)]


def seat_count(seat_type: str, count: int) -> str:
    """A number of seats of one type, in the plural the language makes for that number:
    "1 Core seat", "3 Core seats" ("3 sièges principaux")."""
    return SEAT_TYPE_COUNTS[SeatType(seat_type)] % {"count": count}


# For an error's context: the words are chosen when the message is shown, in the language of
# whoever sees it (accounts.errors).
seat_count_lazy = lazy(seat_count, str)
