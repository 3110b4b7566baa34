"""`manage.py reclaim_seats [--now 2027-01-01T00:00:00Z]`: run the reclaim policy's daily job
once, as if it were that time (warnings, then reclaims that are due)."""

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.commands import PersonCommand, instant
from seats.reclaim.services import reclaim_run


class Command(PersonCommand):
    help = "Warn and reclaim inactive paid seats as the accounts' reclaim policies say."

    def add_arguments(self, parser):
        # Read in handle(), so that a refusal speaks the operator's language (PersonCommand).
        parser.add_argument("--now", default=None, help="ISO 8601 time with zone.")

    def handle(self, *args, now=None, **options):
        result = reclaim_run(now=instant(now) if now else timezone.now())
        failed = ngettext("%(n)s failure", "%(n)s failures", result["failed"])
        self.stdout.write(
            _("warned %(warned)s, reclaimed %(reclaimed)s, %(failed)s")
            % {
                "warned": result["warned"],
                "reclaimed": result["reclaimed"],
                "failed": failed % {"n": result["failed"]},
            }
        )
        if result["failed"]:
            raise CommandError(_("Some reclaims failed; see the log."))
