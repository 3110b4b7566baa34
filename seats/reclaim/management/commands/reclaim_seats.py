"""`manage.py reclaim_seats [--now 2027-01-01T00:00:00Z]`: run the reclaim policy's daily job
once, as if it were that time (warnings, then reclaims that are due)."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from seats.reclaim.services import reclaim_run


def _instant(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise CommandError(f"--now: {error}. Use ISO 8601, e.g. 2027-01-01T00:00:00Z") from None
    if timezone.is_naive(parsed):
        raise CommandError("--now needs a time zone, e.g. 2027-01-01T00:00:00Z")
    return parsed


class Command(BaseCommand):
    help = "Warn and reclaim inactive paid seats as the accounts' reclaim policies say."

    def add_arguments(self, parser):
        parser.add_argument("--now", type=_instant, default=None, help="ISO 8601 time with zone.")

    def handle(self, *args, now=None, **options):
        result = reclaim_run(now=now or timezone.now())
        self.stdout.write(
            f"warned {result['warned']}, reclaimed {result['reclaimed']}, "
            f"{result['failed']} failure(s)"
        )
        if result["failed"]:
            raise CommandError("some reclaims failed; see the log")
