"""The Celery app. Broker and result backend come from settings (CELERY_* variables)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "seatmgr.settings")

app = Celery("seatmgr")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
