"""Real processes: a Celery worker on Redis and an SMTP server (aiosmtpd) on loopback.

The worker reads the test database, so these tests need PostgreSQL (an in-memory SQLite
database is invisible to another process) and committed data (transactional tests).
"""

import os
import socket
import subprocess
import sys
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from kombu import pools as kombu_pools

from seatmgr.celery import app as celery_app
from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# A Redis database of its own, so a developer's running worker never takes these tasks.
BROKER_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/14"


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.messages = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 30.0) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.1)
        raise AssertionError(f"expected {count} emails within {timeout}s, got {len(self.messages)}")


class SmtpServer:
    def __init__(self, port: int):
        self.port = port
        self.inbox = Inbox()
        self._controller = None

    def start(self):
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server():
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_port_closed():
    """An SMTP server that is down for now: its port is known, nothing listens yet."""
    server = SmtpServer(free_port())
    yield server
    server.stop()


def _require_real_stack():
    if connection.vendor != "postgresql":
        skip_or_fail(
            "POSTGRES", "a worker process needs a shared database: set DATABASE_URL=postgres://..."
        )
    if not port_open(REDIS_PORT, REDIS_HOST):
        skip_or_fail("POSTGRES", f"Redis is not listening on {REDIS_HOST}:{REDIS_PORT}")


def _database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host, port = s["HOST"] or "127.0.0.1", s["PORT"] or 5432
    return f"postgres://{s['USER']}{password}@{host}:{port}/{s['NAME']}"


def _reset_broker_connections():
    # Producers and connections are pooled per broker URL; drop them so the next publish
    # connects to the broker configured now.
    kombu_pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def celery_worker_for(request):
    """celery_worker_for(smtp) starts a real worker sending mail to that SMTP server.

    The test process publishes to the same Redis broker (not eagerly) while it runs.
    """
    _require_real_stack()
    processes = []
    saved = {k: celery_app.conf[k] for k in ("task_always_eager", "broker_url")}

    def start(smtp: SmtpServer) -> subprocess.Popen:
        import redis

        redis.Redis.from_url(BROKER_URL).flushdb()
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": BROKER_URL,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
            "EMAIL_TIMEOUT": "5",
        }
        log = open(ROOT / "var" / f"worker-{request.node.name}.log", "w")  # noqa: SIM115
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "seatmgr",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        processes.append((process, log))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"worker exited early; see {log.name}")
            if "ready." in (ROOT / "var" / f"worker-{request.node.name}.log").read_text():
                break
            time.sleep(0.2)
        else:
            raise AssertionError("worker not ready within 30s")
        celery_app.conf.update(task_always_eager=False, broker_url=BROKER_URL)
        _reset_broker_connections()
        return process

    (ROOT / "var").mkdir(exist_ok=True)
    yield start
    celery_app.conf.update(saved)
    _reset_broker_connections()
    for process, log in processes:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
