"""The Celery app. Broker and result backend come from settings (CELERY_* variables)."""

import logging.config
import os

from celery import Celery
from celery.signals import setup_logging
from django_structlog.celery.steps import DjangoStructLogInitStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "seatmgr.settings")

app = Celery("seatmgr")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Workers log through structlog too, each task's lines with the request_id of the request that
# queued it (django-structlog's Celery step; settings.DJANGO_STRUCTLOG_CELERY_ENABLED).
app.steps["worker"].add(DjangoStructLogInitStep)


@setup_logging.connect
def _logging_as_django(**kwargs) -> None:
    """Workers and beat log with settings.LOGGING (LOG_FORMAT), not Celery's own format."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
