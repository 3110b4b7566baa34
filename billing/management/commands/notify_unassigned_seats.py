"""`manage.py notify_unassigned_seats [--now 2027-01-01T00:00:00Z]`: email billing admins, once
per period, how much removing unassigned seats at the coming renewal saves."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing.management.commands.renew_subscriptions import _instant
from billing.services.savings import unassigned_seats_notify_run


class Command(BaseCommand):
    help = "Tell billing admins about unassigned seats within 14 days of their renewal."

    def add_arguments(self, parser):
        parser.add_argument("--now", type=_instant, default=None, help="ISO 8601 time with zone.")

    def handle(self, *args, now=None, **options):
        result = unassigned_seats_notify_run(now=now or timezone.now())
        self.stdout.write(f"sent {result['sent']} notice(s), {result['failed']} failure(s)")
        if result["failed"]:
            raise CommandError("some notices failed; see the log")
