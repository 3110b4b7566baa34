"""gunicorn as deployed (docker/gunicorn.conf.py) spreads a burst of keep-alive clients over its
processes instead of one process taking them all and the others idling."""

import re
import socket
import time

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CLIENTS = 16


def test_sixteen_keep_alive_clients_opened_at_once_are_served_by_both_processes(web, tmp_path):
    log_path = tmp_path / "access.log"
    server = web(
        *("--config", "docker/gunicorn.conf.py", "--access-logformat", "%(p)s %(U)s"),
        GUNICORN_ACCESS_LOG=str(log_path),
        # As deployed: 2 processes of 4 threads, the connections each takes by default.
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="4",
    )
    try:
        # Every client connects first, as a proxy's pool or a load tester does, then asks.
        address = ("127.0.0.1", server.port)
        clients = [socket.create_connection(address, timeout=15) for _ in range(CLIENTS)]
        time.sleep(0.5)
        for client in clients:
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answers = [client.recv(4096) for client in clients]
        for client in clients:
            client.close()
    finally:
        server.stop()

    assert all(answer.startswith(b"HTTP/1.1 200") for answer in answers)
    served_by = re.findall(r"^<(\d+)> /healthz$", log_path.read_text(), re.MULTILINE)
    # The first line is the readiness poll above; the 16 clients' answers follow.
    counts = {pid: served_by[1:].count(pid) for pid in set(served_by[1:])}
    assert sum(counts.values()) == CLIENTS
    assert len(counts) == 2, f"one process served every client: {counts}"
    assert max(counts.values()) <= 8
