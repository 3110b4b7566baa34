"""The PostgreSQL backend as deployed (seatmgr/postgresql): the signed-in person's query, which
every signed-in request runs first, is kept prepared on the connection, still answers fresh rows,
and still counts as a query; DATABASE_PREPARED_STATEMENTS=0 turns preparing off (PgBouncer in
transaction mode before 1.21). A kept connection is checked before
reuse only when idle for more than half a second, and one the database dropped is replaced.
Timestamps are read by psycopg's own loader, to the same values as Django's."""

import datetime
import time

import pytest
from django.db import OperationalError, connection, connections
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.test.utils import CaptureQueriesContext
from psycopg.pq import Format

from accounts.models import Membership, MembershipStatus
from accounts.signed_in import user_with_memberships_get
from seatmgr.postgresql.base import TIMESTAMPTZ_OID, UtcTimestamptzLoader
from tests.conftest import settings_printed
from tests.factories import MembershipFactory
from tests.integration.test_faults import terminate_backend_of

SIGNED_IN_TABLE = '"accounts_membership" "m"'


def prepared_signed_in_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [text for (text,) in cursor.fetchall() if SIGNED_IN_TABLE in text]


def test_a_postgres_database_url_selects_the_backend_that_prepares():
    printed = settings_printed("DATABASES", DATABASE_URL="postgres://u:p@db.example:5432/seatmgr")

    assert "'ENGINE': 'seatmgr.postgresql'" in printed
    assert "'PREPARED_STATEMENTS': True" in printed


def test_prepared_statements_can_be_turned_off_and_sqlite_keeps_djangos_backend():
    printed = settings_printed(
        "DATABASES",
        DATABASE_URL="postgres://u:p@db.example:5432/seatmgr",
        DATABASE_PREPARED_STATEMENTS="0",
    )
    assert "'PREPARED_STATEMENTS': False" in printed

    printed = settings_printed(
        "DATABASES", DATABASE_URL="sqlite:////tmp/seatmgr-settings-test.sqlite3"
    )
    assert "'ENGINE': 'django.db.backends.sqlite3'" in printed
    assert "PREPARED_STATEMENTS" not in printed


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_signed_in_query_is_prepared_once_and_still_reads_fresh_rows():
    membership = MembershipFactory(account__name="Acme")
    connection.ensure_connection()
    assert prepared_signed_in_statements() == []

    user = user_with_memberships_get(user_id=membership.user_id)
    assert [m.account.name for m in user.selectable_memberships] == ["Acme"]
    [statement] = prepared_signed_in_statements()
    assert "$1" in statement  # parameters bound by the server, not written into the text

    # Many other statements later (a page's ORM queries), it is still the one prepared.
    for day in range(40):
        list(Membership.objects.filter(user_id=membership.user_id, first_name=f"x{day}"))
    user_with_memberships_get(user_id=membership.user_id)
    assert prepared_signed_in_statements() == [statement]
    # psycopg counts the ORM's statements too (never preparing them): a bounded number.
    assert connection.connection.prepared_max == 64

    # Prepared, not cached: the next run sees a change made meanwhile.
    membership.status = MembershipStatus.INVITED
    membership.save(update_fields=["status"])
    assert user_with_memberships_get(user_id=membership.user_id).selectable_memberships == []
    with CaptureQueriesContext(connection) as queries:
        user_with_memberships_get(user_id=membership.user_id)
    # Still one logged query with its text, as every page's query-count test expects (and,
    # with no selectable membership, the second one that finds the person).
    assert len(queries) == 2
    assert SIGNED_IN_TABLE in queries[0]["sql"] and str(membership.user_id) in queries[0]["sql"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_with_prepared_statements_off_the_signed_in_query_is_never_prepared(monkeypatch):
    membership = MembershipFactory()
    connection.ensure_connection()
    # What the backend leaves when PREPARED_STATEMENTS is off: Django's own setting.
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)

    for _ in range(8):
        assert user_with_memberships_get(user_id=membership.user_id) is not None

    assert prepared_signed_in_statements() == []


# --- The health check of a kept connection -------------------------------------------------------


def request_boundary() -> None:
    """What Django's handler does when a request starts and ends (request_started and
    request_finished; the test client leaves it out)."""
    connection.close_if_unusable_or_obsolete()


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


# Patched on the wrapper itself, not on the `connection` proxy: monkeypatch would undo an
# attribute of the proxy by deleting it from the wrapper.
@pytest.fixture
def checks_counted(monkeypatch):
    """The health checks Django sends (`SELECT 1` on the connection), counted."""
    sent = []
    is_usable = connection.is_usable

    def counted():
        sent.append(1)
        return is_usable()

    monkeypatch.setattr(connections["default"], "is_usable", counted)
    return sent


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_used_moments_ago_is_not_checked_and_an_idle_one_is(
    monkeypatch, checks_counted
):
    assert connection.health_check_enabled and connection.health_check_after_idle == 0.5
    backend_pid()

    for _ in range(3):  # requests one after another, as under load
        request_boundary()
        backend_pid()
    assert checks_counted == []

    monkeypatch.setattr(connections["default"], "health_check_after_idle", 0.05)
    time.sleep(0.1)
    request_boundary()
    backend_pid()
    backend_pid()
    assert checks_counted == [1]  # once, before the request's first query


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_the_database_dropped_while_idle_is_replaced_before_the_next_request(
    monkeypatch,
):
    monkeypatch.setattr(connections["default"], "health_check_after_idle", 0.05)
    dropped = backend_pid()
    request_boundary()

    terminate_backend_of(connection)
    time.sleep(0.1)
    request_boundary()

    assert backend_pid() != dropped  # no error: the check found it dead and reconnected


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_dropped_moments_after_its_last_query_fails_one_request_then_is_replaced(
    checks_counted,
):
    # The price of trusting a connection used moments ago: a drop within that half second
    # fails the request that meets it, as a drop during a request always does; the failed
    # query makes Django check the connection when that request ends, and the next request
    # has a new one.
    dropped = backend_pid()
    request_boundary()
    terminate_backend_of(connection)

    with pytest.raises(OperationalError):
        backend_pid()
    request_boundary()

    assert checks_counted == [1]
    assert backend_pid() != dropped


# Instants written with other offsets (PostgreSQL answers them in the connection's zone, UTC),
# no microseconds and six digits of them, a leap day, the first and last years a datetime holds.
TIMESTAMPS = """SELECT v::timestamptz FROM unnest(ARRAY[
    '2026-06-01 12:00:00+02', '2026-12-06 23:59:59.999999-09:30', '2024-02-29 00:00:00.5+05:45',
    '1901-12-13 20:45:52+00:19:32', '0001-01-01 00:00:00+00', '9999-12-31 23:59:59.999999+00'
]) AS v"""


@pytest.mark.postgres
@pytest.mark.django_db
def test_timestamps_are_read_by_psycopgs_loader_to_the_values_djangos_gives():
    connection.ensure_connection()
    raw = connections["default"].connection
    assert raw.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT) is UtcTimestamptzLoader
    with connection.cursor() as cursor:
        cursor.execute(TIMESTAMPS)
        ours = [value for (value,) in cursor.fetchall()]
    with raw.cursor() as cursor:
        register_tzloader(datetime.UTC, cursor)  # Django's own loader, on this cursor only
        djangos = [value for (value,) in cursor.execute(TIMESTAMPS).fetchall()]

    assert ours == djangos
    assert all(value.tzinfo is datetime.UTC for value in ours)
    assert ours[0] == datetime.datetime(2026, 6, 1, 10, 0, tzinfo=datetime.UTC)
