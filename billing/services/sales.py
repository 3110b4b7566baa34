""" "Talk to sales": a request stored for the sales team and emailed to them after commit."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.background import task_after_commit
from accounts.models import Account, User
from billing.models import SalesRequest
from billing.tasks import sales_request_email_task


@transaction.atomic(durable=True)
def sales_request_create(
    *,
    account: Account,
    actor: User,
    message: str,
    phone: str,
    preferred_time: str = "",
    now: datetime | None = None,
) -> SalesRequest:
    """Store the request; the email to settings.SALES_EMAIL leaves once it is committed."""
    request = SalesRequest(
        account=account,
        requested_by=actor,
        message=message.strip(),
        phone=phone.strip(),
        preferred_time=preferred_time.strip(),
        created_at=now or timezone.now(),
    )
    request.full_clean()
    request.save()
    task_after_commit(sales_request_email_task, request.pk)
    return request
