"""Django's PostgreSQL backend, plus a cursor whose statements PostgreSQL keeps prepared, and no
health check for a connection used moments ago.

Django binds the ORM's parameters on the client (psycopg's ClientCursor): every statement
reaches PostgreSQL as new text, parsed and planned again. `prepared_cursor()` binds them on the
server and prepares each statement it runs on the connection, so PostgreSQL plans it once per
connection. For the few hand-written reads every request repeats (accounts.joined_rows); the ORM
keeps Django's client-side cursors. PREPARED_STATEMENTS (seatmgr.settings:
DATABASE_PREPARED_STATEMENTS) off: bound on the server, never prepared (PgBouncer in
transaction mode before 1.21).

CONN_HEALTH_CHECKS makes Django send a query of its own (`SELECT 1`) before the first query of
every request on a kept connection, so that one the server dropped meanwhile (a restart, a
failover) is replaced instead of failing the request. Under load that is a round trip per request
for a connection that answered a few milliseconds earlier (a fifth of a signed-in trivial
request: docs/performance.md, benchmark 4). As HikariCP does (aliveBypassWindowMs, 500 ms), a
connection whose last query is younger than HEALTH_CHECK_AFTER_IDLE seconds (settings:
CONN_HEALTH_CHECK_AFTER_IDLE, 0.5; 0 checks every time, as Django does) is trusted without it. A
query that failed leaves Django's `errors_occurred` set, and Django then checks the connection
itself when the request ends, so a broken connection is never trusted.

Timestamps are read by psycopg's own loader (C) when the connection's zone is UTC, as Django
sets it with USE_TZ: Django's (psycopg_any.BaseTzLoader) parses the same text in Python, about
three times slower, to give the same aware datetime (Django #36960).

Selected by seatmgr.settings when DATABASE_URL names PostgreSQL.
"""

import datetime
import time

from django.db.backends.postgresql import base, operations
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg import adapters, errors
from psycopg.adapt import Loader
from psycopg.pq import Format

TIMESTAMPTZ_OID = adapters.types["timestamptz"].oid
# A connection keeps at most this many statements prepared (the latest used; psycopg deallocates
# the oldest), and while preparing is allowed (a prepare_threshold) also counts at most this many
# distinct client-side statements, keeping their text, though it never prepares one. A Users tab
# keeps six prepared (accounts.prepared), and its rows one more for each account and page.
COUNTED_STATEMENTS = 64


class UtcTimestamptzLoader(Loader):
    """psycopg's default timestamptz loader (its C one, with psycopg[binary]) in the dress Django
    expects of a connection's loader (a `timezone`). It gives each value in the connection's
    zone, so only for a connection whose zone Django has set to UTC."""

    timezone = datetime.UTC
    _psycopg_loader = adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        self._loader = self._psycopg_loader(oid, context)

    def load(self, data):
        return self._loader.load(data)


class PreparingCursor(base.ServerBindingCursor):
    """Binds on the server and prepares what it runs, unless the connection's
    prepare_threshold is None (then psycopg prepares nothing)."""

    def execute(self, query, params=None, *, prepare=True, binary=None):
        return super().execute(query, params, prepare=prepare, binary=binary)


class _Preparing:
    """The `name` Django's cursor path carries to create_cursor for a PreparingCursor (for
    Django, a name means a server-side cursor)."""


PREPARING = _Preparing()


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        # Django reads a client-side cursor's own text, which a prepared statement's run
        # leaves empty: the statement with its values, as Django does when everything
        # binds on the server (the logged queries of DEBUG and of tests).
        if isinstance(cursor, base.ServerBindingCursor):
            try:
                return self.compose_sql(sql, params)
            except errors.DataError:
                return None
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.health_check_after_idle = float(self.settings_dict.get("HEALTH_CHECK_AFTER_IDLE", 0.5))
        self.prepared_statements = bool(self.settings_dict.get("PREPARED_STATEMENTS", False))
        self.last_cursor_at = None  # time.monotonic() when the last cursor was made

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if self.timezone is datetime.UTC:  # USE_TZ, and the DATABASES entry names no zone
            connection.adapters.register_loader(TIMESTAMPTZ_OID, UtcTimestamptzLoader)
        if self.prepared_statements:
            connection.prepare_threshold = 5  # psycopg's default; Django sets None
            connection.prepared_max = COUNTED_STATEMENTS
        return connection

    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and self.last_cursor_at is not None
            and time.monotonic() - self.last_cursor_at < self.health_check_after_idle
        ):
            self.health_check_done = True  # used moments ago: trusted for this request
            return
        super().close_if_health_check_failed()

    def create_cursor(self, name=None):
        self.last_cursor_at = time.monotonic()
        if name is not PREPARING:
            return super().create_cursor(name)
        cursor = PreparingCursor(self.connection)
        # As Django's create_cursor: the connection's time zone, when it differs from the
        # loader's (it does not, unless the connection's zone was changed after it opened).
        loader = self.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
        if self.timezone != loader.timezone:
            register_tzloader(self.timezone, cursor)
        return cursor

    def prepared_cursor(self):
        """A cursor as `cursor()` gives (the connection's health check, query logging, error
        translation) whose statements are bound on the server and prepared."""
        return self._cursor(PREPARING)
