"""WSGI entry point of the load test's gunicorn: seatmgr as deployed, with the bench URLconf."""

import os

import django
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "seatmgr.settings")
django.setup()
settings.ROOT_URLCONF = "bench.urls"

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
