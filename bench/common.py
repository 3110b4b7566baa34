"""What every benchmark shares: the environment, sizes, timing, results, helper processes.

Importing this module does not set Django up; `environment()` gives the variables a benchmark
process (and its gunicorn, Celery worker and export children) runs with.
"""

import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
# Logs of gunicorn and the worker, and the quick run's report (ignored by git: bench/.gitignore).
VAR = ROOT / "bench" / "out"

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/seatmgr_bench"
)
# A Redis database of its own: a developer's worker (db 0) or the integration tests (db 14)
# never take these tasks, and flushing it touches nothing else.
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13")
# The cache, as docker-compose gives one to every web process (sessions, rate limits):
# Redis, a database of its own (session keys are random; nothing else needs emptying).
CACHE_URL = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/12")
BACKEND = "accounts.backends.EmailBackend"


def environment(**extra: str) -> dict[str, str]:
    """The variables of every benchmark process: seatmgr.settings read from the environment."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "seatmgr.settings",
        "DATABASE_URL": DATABASE_URL,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-" + "b" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "AXES_ENABLED": "0",
        "CELERY_BROKER_URL": BROKER_URL,
        "CACHE_URL": CACHE_URL,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    # A developer's .env must not point the benchmark elsewhere: seatmgr.settings reads it
    # without overwriting, so everything set here wins; these must not leak in from it either.
    for name in ("CELERY_RESULT_BACKEND", "CONN_MAX_AGE", "SITE_URL"):
        env.pop(name, None)
    env.update(extra)
    return env


@dataclass(frozen=True)
class Sizes:
    members: int  # the Users tab, the load test and the large export
    export_small: int  # the small export (a tenth of the large one)
    csv_users: int
    subscriptions: int
    emails: int
    load_seconds: int
    runs: int  # fast benchmarks: timed runs after a discarded warm-up
    slow_runs: int  # slow benchmarks
    load_runs: int


FULL = Sizes(
    members=100_000,
    export_small=10_000,
    csv_users=100,
    subscriptions=10_000,
    emails=1_000,
    load_seconds=10,
    runs=7,
    slow_runs=3,
    load_runs=5,
)
QUICK = Sizes(
    members=2_000,
    export_small=200,
    csv_users=100,
    subscriptions=500,
    emails=100,
    load_seconds=3,
    runs=5,
    slow_runs=3,
    load_runs=1,
)


# --- Results -------------------------------------------------------------------------------------


@dataclass
class Result:
    """One benchmark: the product (measured) against its floor (baseline), and the target.

    `ratio` is measured/baseline for times and memory, measured/baseline of rates for
    throughput; `target` is (comparison, bound), e.g. ("<=", 1.0).
    """

    name: str
    title: str
    baseline_label: str
    baseline: float
    measured_label: str
    measured: float
    unit: str
    ratio: float
    target: tuple[str, float]
    extras: dict[str, object] = field(default_factory=dict)
    runs: int = 0

    @property
    def met(self) -> bool:
        op, bound = self.target
        return self.ratio <= bound if op == "<=" else self.ratio >= bound

    @property
    def ratio_text(self) -> str:
        """The ratio to two decimals, or three where two would round it onto its target (a
        0.298 shown as "0.30" beside "not met" reads as a contradiction)."""
        text = f"{self.ratio:.2f}"
        return f"{self.ratio:.3f}" if float(text) == self.target[1] else text


def median(values: list[float]) -> float:
    return statistics.median(values)


def fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "MiB":
        return f"{value:.1f} MiB"
    return f"{value:,.1f} {unit}"


def timed_pair(
    a: Callable[[], object],
    b: Callable[[], object],
    *,
    runs: int,
    warmup: int = 1,
    before_a: Callable[[], object] | None = None,
    before_b: Callable[[], object] | None = None,
    after_a: Callable[[], object] | None = None,
    after_b: Callable[[], object] | None = None,
) -> tuple[list[float], list[float]]:
    """Time `a` and `b` side by side with time.perf_counter, alternating which goes first each
    round so neither always runs on a warmer cache. The first `warmup` rounds are discarded.
    `before_*` and `after_*` (untimed) run around each call: to reset the rows the call
    changes, to wait for work it handed to another process, to check what it did."""
    times_a: list[float] = []
    times_b: list[float] = []
    for round_number in range(warmup + runs):
        order = [(a, before_a, after_a, times_a), (b, before_b, after_b, times_b)]
        if round_number % 2:
            order.reverse()
        for fn, before, after, bucket in order:
            if before is not None:
                before()
            start = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - start
            if after is not None:
                after()
            if round_number >= warmup:
                bucket.append(elapsed)
    return times_a, times_b


class DbTimer:
    """Wall time spent in database calls (execute wrapper around every query of the default
    connection): CaptureQueriesContext counts the queries, but its per-query times are rounded
    to the millisecond."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.queries = 0
        self._wrapper = None

    def _call(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.queries += 1

    def __enter__(self) -> "DbTimer":
        from django.db import connection

        self._wrapper = connection.execute_wrapper(self._call)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._wrapper.__exit__(*exc)


def log(message: str) -> None:
    print(f"  · {message}", file=sys.stderr, flush=True)


# --- Processes and ports -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def services_ensure() -> None:
    """PostgreSQL and Redis on loopback, started as ENVIRONMENT.md says if their port is closed."""
    pg_port = urlsplit(DATABASE_URL).port or 5432
    redis_port = urlsplit(BROKER_URL).port or 6379
    if not port_open(pg_port):
        clusters = list(Path("/etc/postgresql").glob("*"))
        if clusters:
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", clusters[0].name, "main", "start"],
                check=False,
            )
    if not port_open(redis_port):
        subprocess.run(
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "--port",
                str(redis_port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            check=False,
        )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if port_open(pg_port) and port_open(redis_port):
            return
        time.sleep(0.5)
    raise SystemExit(f"PostgreSQL (:{pg_port}) or Redis (:{redis_port}) is not listening")


def process_stop(process: subprocess.Popen, timeout: float = 15) -> None:
    """Stop one process we started, by its own id: TERM, then KILL if it lingers."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def wait_for_port(port: int, process: subprocess.Popen, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited early (code {process.returncode})")
        if port_open(port):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout}s")
