#!/bin/sh
# Start-up for every seatmgr container (web, worker, beat, one-off commands):
#   0. run Django's system checks: an error (e.g. a published SECRET_KEY with DEBUG off) stops
#      every container before it starts, as it stops `manage.py` commands;
#   1. wait until the database accepts connections (DB_WAIT_TIMEOUT seconds, default 60);
#   2. apply migrations when RUN_MIGRATIONS=1 (set on the web service only);
#   3. exec the command, so it runs as PID 1 and receives SIGTERM directly.
set -eu

python - <<'PY'
import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "seatmgr.settings")
django.setup()

from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.db.utils import OperationalError

# Any fixed 64-bit number; it only has to be the same in every container.
MIGRATION_LOCK_ID = 731_905_224


def log(message):
    print(f"entrypoint: {message}", file=sys.stderr, flush=True)


try:
    call_command("check")
except SystemCheckError as exc:
    sys.exit(f"entrypoint: refusing to start: {exc}")

timeout = float(os.environ.get("DB_WAIT_TIMEOUT", "60"))
deadline = time.monotonic() + timeout
while True:
    try:
        connection.ensure_connection()
        break
    except OperationalError as exc:
        connection.close()
        if time.monotonic() >= deadline:
            sys.exit(f"entrypoint: database not reachable after {timeout:g}s: {exc}")
        log("waiting for the database: " + (" ".join(str(exc).split()) or repr(exc)))
        time.sleep(2)

if os.environ.get("RUN_MIGRATIONS") == "1":
    # Several web containers may start at once: on PostgreSQL a session advisory lock lets one of
    # them migrate while the others wait, then find nothing left to apply.
    locked = connection.vendor == "postgresql"
    if locked:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK_ID])
    try:
        call_command("migrate", interactive=False)
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK_ID])
connection.close()
PY

exec "$@"
