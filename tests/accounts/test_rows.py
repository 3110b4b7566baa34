"""Writing many rows with one statement: accounts.services.rows_update (and rows_insert)."""

from datetime import UTC, datetime

import pytest

from accounts.models import Account
from accounts.services import rows_insert, rows_update
from billing.models import Invoice, InvoiceKind, InvoiceStatus
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

JAN, FEB = datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC)


def invoices(count: int) -> list[Invoice]:
    account = AccountFactory()
    rows = [
        Invoice(
            account=account,
            kind=InvoiceKind.PURCHASE,
            status=InvoiceStatus.OPEN,
            total_cents=100 * (i + 1),
            period_start=JAN,
            period_end=FEB,
            next_attempt_at=JAN,
        )
        for i in range(count)
    ]
    rows_insert(rows)
    return rows


def stored(rows: list[Invoice]) -> list[tuple]:
    return list(
        Invoice.objects.filter(pk__in=[r.pk for r in rows])
        .order_by("pk")
        .values_list("status", "attempts", "charge_id", "paid_at", "next_attempt_at")
    )


def test_inserted_rows_get_their_keys():
    rows = invoices(3)

    assert all(row.pk for row in rows)
    assert Invoice.objects.filter(pk__in=[r.pk for r in rows]).count() == 3


def test_each_row_gets_its_own_values_nulls_included():
    rows = invoices(3)
    for i, row in enumerate(rows):
        row.status, row.paid_at, row.charge_id = InvoiceStatus.PAID, FEB, f"ch_{i}"
        row.attempts, row.next_attempt_at = i + 1, None

    written = rows_update(rows, ["status", "attempts", "charge_id", "paid_at", "next_attempt_at"])

    assert written == {row.pk for row in rows}
    assert stored(rows) == [("paid", i + 1, f"ch_{i}", FEB, None) for i in range(3)]


def test_rows_no_longer_as_required_are_left_as_they_are():
    first, second, third = rows = invoices(3)
    Invoice.objects.filter(pk=second.pk).update(attempts=1)  # someone else got there first
    for row in rows:
        row.attempts, row.charge_id = 5, "ch_mine"

    written = rows_update(rows, ["attempts", "charge_id"], where={"attempts": 0})

    assert written == {first.pk, third.pk}
    assert [(a, c) for _s, a, c, _p, _n in stored(rows)] == [
        (5, "ch_mine"),
        (1, ""),
        (5, "ch_mine"),
    ]


def test_only_the_named_fields_are_written():
    [row] = invoices(1)
    row.total_cents, row.charge_id = 999_999, "ch_1"

    rows_update([row], ["charge_id"])

    assert Invoice.objects.values_list("total_cents", "charge_id").get(pk=row.pk) == (100, "ch_1")


def test_nothing_to_write_writes_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert rows_update([], ["name"]) == set()
    assert Account.objects.count() == 0
