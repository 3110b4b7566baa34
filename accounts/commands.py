"""What seatmgr's management commands share: they speak the operator's language and read the
same `--now`.

A command run by a person (`reclaim_seats --now …`, `demo`) answers in the language of their
shell (`LC_ALL`, `LC_MESSAGES` or `LANG`, as gettext reads them: "fr_FR.UTF-8" → French) when
seatmgr speaks it, else in LANGUAGE_CODE.
"""

import os
from datetime import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation
from django.utils.translation import gettext as _


def operator_language(environ=os.environ) -> str:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            code = translation.to_language(value.split(".")[0].split("@")[0])
            try:
                return translation.get_supported_language_variant(code)
            except LookupError:
                return settings.LANGUAGE_CODE
    return settings.LANGUAGE_CODE


class PersonCommand(BaseCommand):
    """A command whose messages are read by the person who ran it, in their shell's language."""

    def execute(self, *args, **options):
        with translation.override(operator_language()):
            return super().execute(*args, **options)


def instant(value: str) -> datetime:
    """`--now`: an ISO 8601 time with its zone ("2027-01-01T00:00:00Z")."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise CommandError(
            _("--now: %(error)s. Use ISO 8601, e.g. 2027-01-01T00:00:00Z") % {"error": error}
        ) from None
    if timezone.is_naive(parsed):
        raise CommandError(_("--now needs a time zone, e.g. 2027-01-01T00:00:00Z"))
    return parsed
