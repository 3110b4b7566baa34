"""`manage.py renew_subscriptions [--now 2027-01-01T00:00:00Z]`: run the renewal job once."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing.services import renewals_run


def _instant(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise CommandError(f"--now: {error}. Use ISO 8601, e.g. 2027-01-01T00:00:00Z") from None
    if timezone.is_naive(parsed):
        raise CommandError("--now needs a time zone, e.g. 2027-01-01T00:00:00Z")
    return parsed


class Command(BaseCommand):
    help = "Renew every subscription whose period has ended by --now (default: now)."

    def add_arguments(self, parser):
        parser.add_argument("--now", type=_instant, default=None, help="ISO 8601 time with zone.")

    def handle(self, *args, now=None, **options):
        result = renewals_run(now=now or timezone.now())
        self.stdout.write(
            f"renewed {result['renewed']} period(s), retried {result['retried']} invoice(s), "
            f"{result['failed']} failure(s)"
        )
        if result["failed"]:
            raise CommandError("some renewals failed; see the log")
