"""Periodic billing work. The job is safe to run twice or late (billing.services.renewals)."""

from celery import shared_task
from django.utils import timezone

from billing.services import renewals_run


@shared_task
def renewals_run_task() -> dict[str, int]:
    return renewals_run(now=timezone.now())
