"""Prometheus metrics read from the database at scrape time: what every web process and worker
did is in PostgreSQL, so one scrape of any web process sees all of it (no multi-process counter
files to share between containers). Request latency by view is django-prometheus' own."""

from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from accounts.models import Membership
from billing.models import Invoice, InvoiceKind, InvoiceStatus
from invitations.models import Delivery, Invitation

# An emailed invitation still unsent after this long is counted as failing.
UNSENT_AFTER = timedelta(minutes=15)


class ProductCollector(Collector):
    def collect(self):
        seats = GaugeMetricFamily(
            "seatmgr_seats_assigned", "Members holding a seat, per seat type.", labels=["seat_type"]
        )
        for row in Membership.objects.values("seat_type").annotate(n=Count("pk")).order_by():
            seats.add_metric([row["seat_type"]], row["n"])
        yield seats

        cutoff = timezone.now() - UNSENT_AFTER
        invitations = Invitation.objects.filter(delivery=Delivery.EMAIL).aggregate(
            sent=Count("pk", filter=Q(sent_at__isnull=False)),
            failing=Count("pk", filter=Q(sent_at__isnull=True, created_at__lt=cutoff)),
        )
        yield GaugeMetricFamily(
            "seatmgr_invitation_emails_sent", "Invitation emails sent.", value=invitations["sent"]
        )
        yield GaugeMetricFamily(
            "seatmgr_invitation_emails_unsent",
            "Invitation emails not sent 15 minutes after they were queued (failing).",
            value=invitations["failing"],
        )

        renewals = GaugeMetricFamily(
            "seatmgr_renewal_invoices",
            "Renewals run: renewal invoices by status (open: the charge failed, retrying).",
            labels=["status"],
        )
        declined = Invoice.objects.filter(kind=InvoiceKind.RENEWAL)
        for row in declined.values("status").annotate(n=Count("pk")).order_by():
            renewals.add_metric([row["status"]], row["n"])
        yield renewals
        yield GaugeMetricFamily(
            "seatmgr_renewal_charges_declined",
            "Renewal charges declined at least once and still unpaid.",
            value=declined.filter(status=InvoiceStatus.OPEN, attempts__gt=0).count(),
        )
