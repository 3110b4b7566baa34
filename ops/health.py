"""What /readyz checks: each check returns None when fine, else what is wrong (a short
sentence an operator can act on). Nothing here writes."""

from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from ops.models import Heartbeat
from ops.tasks import CELERY

REDIS_TIMEOUT_SECONDS = 2


def database_check() -> str | None:
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as error:  # any driver's error means "not reachable"
        return f"database unreachable: {type(error).__name__}"
    if pending:
        return f"{len(pending)} migration(s) not applied"
    return None


def redis_urls() -> list[str]:
    """The Redis servers the product uses: the broker, and the cache when it is Redis."""
    urls = []
    broker = getattr(settings, "CELERY_BROKER_URL", "") or ""
    if broker.startswith(("redis://", "rediss://")):
        urls.append(broker)
    for cache in settings.CACHES.values():
        location = cache.get("LOCATION", "")
        if "redis" in cache.get("BACKEND", "").lower() and isinstance(location, str):
            urls.append(location)
    return sorted(set(urls))


def redis_check() -> str | None:
    for url in redis_urls():
        try:
            client = redis.Redis.from_url(
                url,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
            )
            client.ping()
        except redis.RedisError as error:
            return f"Redis unreachable: {type(error).__name__}"
    return None


def heartbeat_check(now: datetime | None = None) -> str | None:
    """Only when SEATMGR_HEARTBEAT_MAX_AGE is set (a deployment with beat and workers)."""
    max_age: timedelta | None = settings.SEATMGR_HEARTBEAT_MAX_AGE
    if max_age is None:
        return None
    now = now or timezone.now()
    try:
        beat = Heartbeat.objects.filter(name=CELERY).first()
    except Exception as error:
        return f"heartbeat unreadable: {type(error).__name__}"
    if beat is None:
        return "no heartbeat yet from beat and a worker"
    age = now - beat.seen_at
    if age > max_age:
        return f"last heartbeat {int(age.total_seconds())} s ago (beat or every worker is down)"
    return None


CHECKS = {"database": database_check, "redis": redis_check, "heartbeat": heartbeat_check}


def readiness() -> dict[str, str | None]:
    return {name: check() for name, check in CHECKS.items()}
