"""Background billing work: the renewal job (safe to run twice or late) and sales emails."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from accounts.emails import email_send
from accounts.languages import written_for
from accounts.tasks import MAIL_RETRY
from billing.models import SalesRequest
from billing.services.renewals.batches import renewals_run
from billing.services.savings import unassigned_seats_notify_run


@shared_task
def renewals_run_task() -> dict[str, int]:
    return renewals_run(now=timezone.now())


@shared_task(**MAIL_RETRY)
def sales_request_email_task(sales_request_id: int) -> bool:
    """Email a "Talk to sales" request to the sales team once; a later retry does nothing."""
    request = (
        SalesRequest.objects.select_related("account", "requested_by")
        .filter(pk=sales_request_id, emailed_at__isnull=True)
        .first()
    )
    if request is None:
        return False
    # The sales team is nobody's account: the site's language and time zone (LANGUAGE_CODE,
    # TIME_ZONE), whatever the page that asked spoke (an eager task runs in its request).
    with written_for(user=None, account=None):
        email_send(to=settings.SALES_EMAIL, template="sales_request", context={"request": request})
    SalesRequest.objects.filter(pk=request.pk).update(emailed_at=timezone.now())
    return True


@shared_task
def unassigned_seats_notify_task() -> dict[str, int]:
    """Daily: tell billing admins, once per period, what removing unassigned seats saves."""
    return unassigned_seats_notify_run(now=timezone.now())
