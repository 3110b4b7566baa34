"""gunicorn as deployed (docker/gunicorn.conf.py) spreads a burst of keep-alive clients over its
processes instead of one process taking them all and the others idling."""

import os
import re
import socket
import subprocess
import sys
import time

import pytest

from tests.integration.conftest import ROOT, _database_url, free_port, get

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CLIENTS = 16


def _serve(log_path):
    port = free_port()
    base = {k: v for k, v in os.environ.items() if k not in {"CELERY_BROKER_URL", "CACHE_URL"}}
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "--config", "docker/gunicorn.conf.py"),
            *("seatmgr.wsgi", "--bind", f"127.0.0.1:{port}", "--access-logformat", "%(p)s %(U)s"),
        ],
        cwd=ROOT,
        env={
            **base,
            "DEBUG": "0",
            "SECRET_KEY": "gunicorn-tests-" + "k" * 40,
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": _database_url(),
            "GUNICORN_ACCESS_LOG": str(log_path),
            # As deployed: 2 processes of 4 threads, the connections each takes by default.
            "WEB_CONCURRENCY": "2",
            "GUNICORN_THREADS": "4",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            get(port, "/healthz")
            return process, port
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise AssertionError("gunicorn not answering within 30s")


def test_sixteen_keep_alive_clients_opened_at_once_are_served_by_both_processes(tmp_path):
    log_path = tmp_path / "access.log"
    process, port = _serve(log_path)
    try:
        # Every client connects first, as a proxy's pool or a load tester does, then asks.
        address = ("127.0.0.1", port)
        clients = [socket.create_connection(address, timeout=15) for _ in range(CLIENTS)]
        time.sleep(0.5)
        for client in clients:
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answers = [client.recv(4096) for client in clients]
        for client in clients:
            client.close()
    finally:
        process.terminate()
        process.wait(timeout=15)

    assert all(answer.startswith(b"HTTP/1.1 200") for answer in answers)
    served_by = re.findall(r"^<(\d+)> /healthz$", log_path.read_text(), re.MULTILINE)
    # The first line is the readiness poll above; the 16 clients' answers follow.
    counts = {pid: served_by[1:].count(pid) for pid in set(served_by[1:])}
    assert sum(counts.values()) == CLIENTS
    assert len(counts) == 2, f"one process served every client: {counts}"
    assert max(counts.values()) <= 8
