"""`manage.py renew_subscriptions [--now 2027-01-01T00:00:00Z] [--batch-size 500]`: run the
renewal job once (the batch size defaults to settings.RENEWAL_BATCH_SIZE)."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing.services.renewals.batches import renewals_run


def _instant(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise CommandError(f"--now: {error}. Use ISO 8601, e.g. 2027-01-01T00:00:00Z") from None
    if timezone.is_naive(parsed):
        raise CommandError("--now needs a time zone, e.g. 2027-01-01T00:00:00Z")
    return parsed


def _batch_size(value: str) -> int:
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        raise CommandError(f"--batch-size: {value!r} is not a whole number of 1 or more")
    return int(value)


class Command(BaseCommand):
    help = "Renew every subscription whose period has ended by --now (default: now)."

    def add_arguments(self, parser):
        parser.add_argument("--now", type=_instant, default=None, help="ISO 8601 time with zone.")
        parser.add_argument(
            "--batch-size",
            type=_batch_size,
            default=None,
            help="Subscriptions renewed per transaction (default: RENEWAL_BATCH_SIZE, 500).",
        )

    def handle(self, *args, now=None, batch_size=None, **options):
        result = renewals_run(now=now or timezone.now(), batch_size=batch_size)
        self.stdout.write(
            f"renewed {result['renewed']} period(s), retried {result['retried']} invoice(s), "
            f"{result['failed']} failure(s)"
        )
        if result["failed"]:
            raise CommandError("some renewals failed; see the log")
