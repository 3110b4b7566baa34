"""Real processes: a Celery worker on Redis and an SMTP server (aiosmtpd) on loopback.

The worker reads the test database, so these tests need PostgreSQL (an in-memory SQLite
database is invisible to another process) and committed data (transactional tests).
"""

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
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
# A Redis database of its own, so a developer's running worker never takes these tasks
# (SEATMGR_TEST_REDIS_DB picks another, so that two checkouts can run this suite side by side).
BROKER_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/{os.environ.get('SEATMGR_TEST_REDIS_DB', '14')}"


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd handler that keeps every message it accepts, and the client's address and port
    of the SMTP session each came in (one session: one peer)."""

    def __init__(self):
        self.messages = []
        self.peers = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            self.peers.append(session.peer)
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


# --- Harness for fault tests: a slow mail server, a Redis of one's own, workers to kill ----------


class SlowInbox(Inbox):
    """An Inbox that takes `delay` seconds to accept each message (change it at any time).

    A message arrives only when the server answers 250: aiosmtpd cancels this coroutine when the
    client's connection drops, so a sender killed during the wait has delivered nothing.
    `receiving` is set as soon as the first message's data is in, that is, while it is in flight;
    `started` counts them.
    """

    def __init__(self, delay: float):
        super().__init__()
        self.delay = delay
        self.receiving = threading.Event()
        self.started = 0  # messages whose data came in, accepted or still in flight

    async def handle_DATA(self, server, session, envelope):
        self.started += 1
        self.receiving.set()
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow_smtp_server():
    """An SMTP server taking 3 s to accept each message: well within the worker's
    EMAIL_TIMEOUT (5 s), long enough to kill the sender meanwhile."""
    server = SmtpServer(free_port())
    server.inbox = SlowInbox(delay=3.0)
    server.start()
    yield server
    server.stop()


class RedisServer:
    """A redis-server of the test's own on a free port, to take down (SIGKILL) and bring back
    without disturbing anyone's Redis on 6379. Nothing is persisted: it comes back empty."""

    def __init__(self, port: int):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self._process = None

    def start(self):
        self._process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not port_open(self.port):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self):
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None


@pytest.fixture
def redis_server():
    """A private Redis, already started; `.stop()` takes it down, `.start()` brings it back."""
    if shutil.which("redis-server") is None:
        skip_or_fail("POSTGRES", "redis-server is not installed")
    server = RedisServer(free_port())
    server.start()
    yield server
    server.stop()


class CeleryWorkers:
    """Starts real Celery workers, each its own process and log, and points this process's
    publisher at their broker. Unlike `celery_worker_for`, the broker, the pool and whether the
    broker is emptied first are the caller's, so a test can kill a worker and start another on
    the messages it left behind."""

    def __init__(self, name: str):
        self.name = name
        self.processes: list[tuple[subprocess.Popen, object]] = []

    def start(
        self,
        smtp: SmtpServer,
        *,
        broker_url: str = BROKER_URL,
        pool: str = "solo",
        flush: bool = True,
    ) -> subprocess.Popen:
        """Start a worker mailing to `smtp`; `pool="prefork"` runs tasks in one child process."""
        import redis

        if flush:
            redis.Redis.from_url(broker_url).flushdb()
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": broker_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
            "EMAIL_TIMEOUT": "5",
        }
        log_path = ROOT / "var" / f"worker-{self.name}-{len(self.processes) + 1}.log"
        log = open(log_path, "w")  # noqa: SIM115
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "seatmgr",
                "worker",
                f"--pool={pool}",
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
        self.processes.append((process, log))
        deadline = time.monotonic() + 30
        while "ready." not in log_path.read_text():
            if process.poll() is not None:
                raise AssertionError(f"worker exited early; see {log_path}")
            if time.monotonic() > deadline:
                raise AssertionError(f"worker not ready within 30s; see {log_path}")
            time.sleep(0.2)
        self.publish_to(broker_url)
        return process

    @staticmethod
    def publish_to(broker_url: str) -> None:
        """Publish this process's tasks to `broker_url` (not eagerly), on fresh connections."""
        celery_app.conf.update(task_always_eager=False, broker_url=broker_url)
        _reset_broker_connections()

    def stop_all(self) -> None:
        for process, log in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            log.close()


def pool_children(process: subprocess.Popen) -> list[int]:
    """The pids of a prefork worker's pool processes (Linux /proc)."""
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text()
    return [int(pid) for pid in children.split()]


@pytest.fixture
def celery_workers(request):
    """A CeleryWorkers for this test; every worker it started is stopped afterwards."""
    _require_real_stack()
    saved = {k: celery_app.conf[k] for k in ("task_always_eager", "broker_url")}
    (ROOT / "var").mkdir(exist_ok=True)
    workers = CeleryWorkers(request.node.name)
    yield workers
    celery_app.conf.update(saved)
    _reset_broker_connections()
    workers.stop_all()


@pytest.fixture
def manage_py():
    """manage_py(*args, env={...}) starts `manage.py <args>` in a process of its own against the
    test database (tasks eager, no broker), stdout and stderr piped together."""
    if connection.vendor != "postgresql":
        skip_or_fail(
            "POSTGRES", "another process needs a shared database: set DATABASE_URL=postgres://..."
        )
    processes = []

    def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        base = {k: v for k, v in os.environ.items() if k not in {"CELERY_BROKER_URL", "EMAIL_URL"}}
        # The tests run with DEBUG off; a command run as a process of its own runs the system
        # checks, which refuse the embedded (published) SECRET_KEY then: give it a key of its own.
        base.setdefault("SECRET_KEY", "integration-tests-manage-py-key-" + "k" * 30)
        process = subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**base, "DATABASE_URL": _database_url(), **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()
        process.stdout.close()


# --- Web processes: gunicorn serving seatmgr ----------------------------------------------------


def get(port: int, path: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=15) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


class Web:
    """gunicorn serving seatmgr.wsgi on a free port, with `env` over the test's own; one
    process unless `options` (gunicorn's own, e.g. "--config", "docker/gunicorn.conf.py")."""

    def __init__(self, *options: str, **env: str) -> None:
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
                *(options or ("--workers", "1", "--timeout", "30")),
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

    def start(*options: str, **env: str) -> Web:
        server = Web(*options, **env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
