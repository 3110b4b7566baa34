"""gunicorn as deployed (Dockerfile CMD, docker-compose.yml web, bench/b4_load.py): read by
`gunicorn -c docker/gunicorn.conf.py seatmgr.wsgi:application`; the command line wins over it.

Measured with bench/b4_load.py (numbers in docs/performance.md): threaded workers keep the
client's connection alive and each thread keeps its PostgreSQL connection (CONN_MAX_AGE), so a
signed-in request pays neither a TCP nor a database handshake. Python holds one core per worker
process (the GIL), so the processes match the cores and the threads cover the time a request
waits on PostgreSQL. Every thread may hold a database connection: PostgreSQL sees up to
workers × threads connections per web container (PgBouncer: README, "Scaling").
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# WEB_CONCURRENCY: gunicorn's own name for the number of worker processes.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A process holds at most this many client connections (in flight and kept alive), then leaves
# the rest to the other processes. gunicorn's default (1000) let one process accept every
# connection that a few keep-alive clients (a proxy's pool, wrk's 16) opened at once, and serve
# them on one core while the other process idled: bench 4 saw its throughput halve in one run of
# three (tests/integration/test_gunicorn.py). At twice the threads, a process keeps up to
# `threads` idle connections alive and closes the others after their answer, so a new client
# waits for a request in flight to end rather than for idle connections to time out.
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", str(2 * threads)))
# A client's idle connection is kept this long (seconds) for its next request.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# One line a request on stdout; GUNICORN_ACCESS_LOG="" turns it off.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None


def post_worker_init(worker):
    """Once a worker has loaded the application: gc.freeze() moves every object then alive (the
    modules, Django's settings, models and apps) out of the collector's reach. They live as long
    as the process, and the collector's full passes, which walked all of them about once every
    200 Users tab requests, now walk only what came later (docs/performance.md, benchmark 5)."""
    import gc

    gc.freeze()
