"""The benchmark's own PostgreSQL database: created, migrated, bulk-loaded with COPY, dropped."""

import subprocess
import sys
import zlib
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

import psycopg

from bench.common import DATABASE_URL, ROOT, environment


def _admin_url() -> tuple[str, str]:
    """(URL of the server's maintenance database, name of the benchmark database)."""
    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(path="/postgres")), name


LOCK_KEY = 0x5EA7_BE7C  # an arbitrary number naming "a seatmgr benchmark run"


def run_lock() -> psycopg.Connection:
    """Hold a PostgreSQL advisory lock for the whole run (close the connection to release it);
    exit at once if another run holds it."""
    url, name = _admin_url()
    conn = psycopg.connect(url, autocommit=True)
    # One run per benchmark database (BENCH_DATABASE_URL): two checkouts may measure side by
    # side on databases of their own, at the price of sharing the machine's cores.
    key = LOCK_KEY ^ zlib.crc32(name.encode())
    if not conn.execute("SELECT pg_try_advisory_lock(%s)", [key]).fetchone()[0]:
        conn.close()
        raise SystemExit("another benchmark run is in progress on this PostgreSQL server")
    return conn


def database_create() -> None:
    url, name = _admin_url()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def database_drop() -> None:
    url, name = _admin_url()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate() -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=environment(), check=True
    )


def server_facts() -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
        cursor.execute("SHOW work_mem")
        work_mem = cursor.fetchone()[0]
    return {"version": version, "shared_buffers": shared_buffers, "work_mem": work_mem}


def copy_insert(model, objs: Sequence) -> None:
    """Insert unsaved model instances with one COPY, giving them ids from the table's sequence.

    Every concrete field is written as Django would write it on insert (defaults and auto_now
    come from pre_save, values from get_db_prep_save), so fields added by later migrations are
    filled too. Far faster than save() or bulk_create for 100,000 rows.
    """
    from django.db import connection

    if not objs:
        return
    meta = model._meta
    fields = list(meta.concrete_fields)
    table = meta.db_table
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, meta.pk.column, len(objs)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
    columns = ", ".join(quote(f.column) for f in fields)
    connection.ensure_connection()
    statement = f"COPY {quote(table)} ({columns}) FROM STDIN"
    with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
        for obj in objs:
            copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = "default"


def vacuum_analyze(*models) -> None:
    """What autovacuum would have done by the time a real table got this big: fresh planner
    statistics and a visibility map (index-only scans)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if not models:
            cursor.execute("VACUUM ANALYZE")
            return
        for model in models:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def sql(statement: str, params: Sequence | None = None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount
