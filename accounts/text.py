"""Sentences built around names people chose: an account called "Demo Co." ends a sentence with
one full stop, not two."""

import re
from datetime import date, datetime

from django.utils import formats, timezone

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
