"""The heartbeat task: beat sends it every HEARTBEAT_INTERVAL, a worker runs it. A fresh row
means both are alive (/readyz)."""

from celery import shared_task
from django.utils import timezone

from ops.models import Heartbeat

CELERY = "celery"


@shared_task(ignore_result=True)
def heartbeat_task() -> None:
    Heartbeat.objects.update_or_create(name=CELERY, defaults={"seen_at": timezone.now()})
