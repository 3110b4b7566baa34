"""Sentences built around names people chose: an account called "Demo Co." ends a sentence with
one full stop, not two."""

import re
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.dates import DateTimePattern, format_date, format_time, parse_pattern
from django.utils import timezone, translation
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


def babel_locale() -> Locale:
    """The active language as CLDR knows it (Babel), for dates, times, numbers and money."""
    return _locale(translation.get_language() or "en")


@lru_cache(maxsize=64)
def _locale(language: str) -> Locale:
    return Locale.parse(translation.to_locale(language))


@lru_cache(maxsize=64)
def _moment_pattern(language: str) -> DateTimePattern:
    """CLDR's medium date and short time joined as the language joins them ("{1}, {0}"),
    parsed once per language: a list of moments (the Users tab's 50 "Last active" titles) is
    then formatted without rebuilding the pattern for each."""
    locale = _locale(language)
    return parse_pattern(
        locale.datetime_formats["medium"].format(
            locale.time_formats["short"].pattern, locale.date_formats["medium"].pattern
        )
    )


def day(moment: datetime | date) -> str:
    """The day of a date or a moment (in the viewer's time zone) as the active language writes
    it (CLDR's medium date): "Dec 23, 2026", "23 déc. 2026"."""
    if isinstance(moment, datetime):
        moment = timezone.localtime(moment) if timezone.is_aware(moment) else moment
        moment = moment.date()
    return format_date(moment, "medium", locale=babel_locale())


def clock(moment: datetime) -> str:
    """The time of a moment in the viewer's time zone: "2:05 PM", "14:05"."""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return format_time(moment, "short", locale=babel_locale())


def moment_text(moment: datetime, *, language: str | None = None, zone=None) -> str:
    """A moment in the viewer's time zone, as the active language writes it (CLDR's medium date
    and short time): "Dec 23, 2026, 2:05 PM", "23 déc. 2026, 14:05". `language` and `zone`:
    the active ones unless given (a list of moments looks them up once)."""
    # Babel's format_datetime would take a naive moment as UTC, as here.
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment, zone)
    else:
        moment = moment.replace(tzinfo=UTC)
    # The words depend on the language and the wall clock to the minute only (the pattern has
    # neither seconds nor a zone): remembered, since a list says the same moments on every
    # reload (the Users tab's 50 "Last active" titles).
    wall = moment.replace(tzinfo=None, second=0, microsecond=0)
    return _moment_written(language or translation.get_language() or "en", wall)


@lru_cache(maxsize=4096)
def _moment_written(language: str, wall: datetime) -> str:
    return _moment_pattern(language).apply(wall.replace(tzinfo=UTC), _locale(language))


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
