"""`manage.py notify_unassigned_seats [--now 2027-01-01T00:00:00Z]`: email billing admins, once
per period, how much removing unassigned seats at the coming renewal saves."""

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.commands import PersonCommand, instant
from billing.services.savings import unassigned_seats_notify_run


class Command(PersonCommand):
    help = "Tell billing admins about unassigned seats within 14 days of their renewal."

    def add_arguments(self, parser):
        # Read in handle(), so that a refusal speaks the operator's language (PersonCommand).
        parser.add_argument("--now", default=None, help="ISO 8601 time with zone.")

    def handle(self, *args, now=None, **options):
        result = unassigned_seats_notify_run(now=instant(now) if now else timezone.now())
        sent = ngettext("sent %(n)s notice", "sent %(n)s notices", result["sent"])
        failed = ngettext("%(n)s failure", "%(n)s failures", result["failed"])
        self.stdout.write(f"{sent % {'n': result['sent']}}, {failed % {'n': result['failed']}}")
        if result["failed"]:
            raise CommandError(_("Some notices failed; see the log."))
