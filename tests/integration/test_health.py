"""/healthz and /readyz on real processes: a gunicorn serving seatmgr against the test database
and a Redis of the test's own, then the database or Redis taken away. Liveness stays up; readiness
says what is down, so a load balancer stops sending requests there."""

import pytest

from tests.integration.conftest import free_port, get

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_readiness_follows_redis_down_and_back(web, redis_server):
    server = web(CELERY_BROKER_URL=redis_server.url)

    ready = get(server.port, "/readyz")
    redis_server.stop()
    down = get(server.port, "/readyz")
    alive = get(server.port, "/healthz")
    redis_server.start()
    back = get(server.port, "/readyz")

    assert ready == (
        200,
        {"status": "ready", "checks": {"database": "ok", "redis": "ok", "heartbeat": "ok"}},
    )
    assert down[0] == 503
    assert down[1]["checks"]["redis"].startswith("Redis unreachable")
    assert down[1]["checks"]["database"] == "ok"
    assert alive == (200, {"status": "ok"})
    assert back[0] == 200


def test_readiness_fails_when_the_database_is_unreachable(web):
    closed = free_port()
    server = web(DATABASE_URL=f"postgres://postgres:postgres@127.0.0.1:{closed}/seatmgr")

    down = get(server.port, "/readyz")
    alive = get(server.port, "/healthz")

    assert down[0] == 503
    assert down[1]["checks"]["database"].startswith("database unreachable")
    assert alive == (200, {"status": "ok"})
