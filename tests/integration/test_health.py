"""/healthz and /readyz on real processes: a gunicorn serving seatmgr against the test database
and a Redis of the test's own, then the database or Redis taken away. Liveness stays up; readiness
says what is down, so a load balancer stops sending requests there."""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.db import connection

from tests.conftest import skip_or_fail
from tests.integration.conftest import ROOT, _database_url, free_port

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def get(port: int, path: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=15) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


class Web:
    """gunicorn serving seatmgr.wsgi on a free port, with `env` over the test's own."""

    def __init__(self, **env: str) -> None:
        self.port = free_port()
        base = {k: v for k, v in os.environ.items() if k not in {"CELERY_BROKER_URL", "CACHE_URL"}}
        self.log = open(ROOT / "var" / f"gunicorn-{self.port}.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "seatmgr.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--timeout",
                "30",
            ],
            cwd=ROOT,
            env={
                **base,
                "DEBUG": "0",
                "SECRET_KEY": "health-tests-" + "k" * 40,
                "ALLOWED_HOSTS": "127.0.0.1",
                "DATABASE_URL": _database_url(),
                **env,
            },
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited; see {self.log.name}")
            try:
                get(self.port, "/healthz")
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        raise AssertionError("gunicorn not answering within 30s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)
        self.log.close()


@pytest.fixture
def web():
    if connection.vendor != "postgresql":
        skip_or_fail(
            "POSTGRES", "gunicorn needs a shared database: set DATABASE_URL=postgres://..."
        )
    (ROOT / "var").mkdir(exist_ok=True)
    started: list[Web] = []

    def start(**env: str) -> Web:
        server = Web(**env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


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
