"""The PostgreSQL backend as deployed (seatmgr/postgresql): the signed-in person's query, which
every signed-in request runs first, is kept prepared on the connection after a few runs, still
answers fresh rows, and still counts as a query; DATABASE_PREPARE_THRESHOLD empty turns
preparing off (PgBouncer in transaction mode before 1.21)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import MembershipStatus
from accounts.signed_in import user_with_memberships_get
from tests.factories import MembershipFactory

ROOT = Path(__file__).resolve().parent.parent
SIGNED_IN_TABLE = '"accounts_membership" "m"'


def prepared_signed_in_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [text for (text,) in cursor.fetchall() if SIGNED_IN_TABLE in text]


def settings_database(**env: str) -> str:
    variables = {**os.environ, "SECRET_KEY": "x" * 50, **env}
    return subprocess.run(
        [sys.executable, "-c", "from seatmgr import settings; print(settings.DATABASES)"],
        cwd=ROOT,
        env=variables,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_a_postgres_database_url_selects_the_backend_that_prepares_after_five_runs():
    printed = settings_database(DATABASE_URL="postgres://u:p@db.example:5432/seatmgr")

    assert "'ENGINE': 'seatmgr.postgresql'" in printed
    assert "'prepare_threshold': 5" in printed


def test_an_empty_prepare_threshold_never_prepares_and_sqlite_keeps_djangos_backend():
    printed = settings_database(
        DATABASE_URL="postgres://u:p@db.example:5432/seatmgr", DATABASE_PREPARE_THRESHOLD=""
    )
    assert "'prepare_threshold': None" in printed

    printed = settings_database(DATABASE_URL="sqlite:////tmp/seatmgr-settings-test.sqlite3")
    assert "'ENGINE': 'django.db.backends.sqlite3'" in printed
    assert "prepare_threshold" not in printed


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_signed_in_query_is_prepared_after_five_runs_and_still_reads_fresh_rows():
    membership = MembershipFactory(account__name="Acme")
    connection.ensure_connection()
    assert connection.connection.prepare_threshold == 5
    assert prepared_signed_in_statements() == []

    for _ in range(6):
        user = user_with_memberships_get(user_id=membership.user_id)
        assert [m.account.name for m in user.selectable_memberships] == ["Acme"]

    [statement] = prepared_signed_in_statements()
    assert "$1" in statement  # parameters bound by the server, not written into the text

    # Prepared, not cached: the next run sees a change made meanwhile.
    membership.status = MembershipStatus.INVITED
    membership.save(update_fields=["status"])
    assert user_with_memberships_get(user_id=membership.user_id).selectable_memberships == []
    with CaptureQueriesContext(connection) as queries:
        user_with_memberships_get(user_id=membership.user_id)
    # Still one logged query, as every page's query-count test expects (and, with no
    # selectable membership, the second one that finds the person).
    assert len(queries) == 2
    assert SIGNED_IN_TABLE in queries[0]["sql"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_without_a_threshold_the_signed_in_query_is_never_prepared(monkeypatch):
    membership = MembershipFactory()
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)

    for _ in range(8):
        assert user_with_memberships_get(user_id=membership.user_id) is not None

    assert prepared_signed_in_statements() == []
