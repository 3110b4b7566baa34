"""The reclaim policy's daily job (safe to run twice or late)."""

from celery import shared_task
from django.utils import timezone

from seats.reclaim.services import reclaim_run


@shared_task
def reclaim_run_task() -> dict[str, int]:
    return reclaim_run(now=timezone.now())
