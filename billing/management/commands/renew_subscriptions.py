"""`manage.py renew_subscriptions [--now 2027-01-01T00:00:00Z] [--batch-size 500]`: run the
renewal job once (the batch size defaults to settings.RENEWAL_BATCH_SIZE)."""

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.commands import PersonCommand, instant
from billing.services.renewals.batches import renewals_run


def _batch_size(value: str) -> int:
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        raise CommandError(
            _("--batch-size: %(value)r is not a whole number of 1 or more") % {"value": value}
        )
    return int(value)


class Command(PersonCommand):
    help = "Renew every subscription whose period has ended by --now (default: now)."

    def add_arguments(self, parser):
        # Read in handle(), so that a refusal speaks the operator's language (PersonCommand).
        parser.add_argument("--now", default=None, help="ISO 8601 time with zone.")
        parser.add_argument(
            "--batch-size",
            default=None,
            help="Subscriptions renewed per transaction (default: RENEWAL_BATCH_SIZE, 500).",
        )

    def handle(self, *args, now=None, batch_size=None, **options):
        now = instant(now) if now else timezone.now()
        batch_size = _batch_size(batch_size) if batch_size is not None else None
        result = renewals_run(now=now, batch_size=batch_size)
        self.stdout.write(
            ", ".join(
                [
                    ngettext("renewed %(n)s period", "renewed %(n)s periods", result["renewed"])
                    % {"n": result["renewed"]},
                    ngettext("retried %(n)s invoice", "retried %(n)s invoices", result["retried"])
                    % {"n": result["retried"]},
                    ngettext("%(n)s failure", "%(n)s failures", result["failed"])
                    % {"n": result["failed"]},
                ]
            )
        )
        if result["failed"]:
            raise CommandError(_("Some renewals failed; see the log."))
