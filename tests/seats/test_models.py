"""The database constraints of seat pools and their ledger (DOMAIN.md section 2, STYLE.md 5-6)."""

import pytest
from django.db import IntegrityError, transaction

from accounts.models import SeatType
from seats.models import LedgerReason, SeatLedgerEntry, SeatPool
from tests.factories import AccountFactory, SeatLedgerEntryFactory, SeatPoolFactory

pytestmark = pytest.mark.django_db


# --- Seat pools ----------------------------------------------------------------------------------


@pytest.mark.parametrize("count", ["included", "purchased", "purchased_at_renewal"])
def test_a_pool_count_set_below_zero_is_refused(count):
    # A queryset update skips every Python-side check: only the database can refuse it, on
    # SQLite as on PostgreSQL.
    pool = SeatPoolFactory(included=3, purchased=0)

    with pytest.raises(IntegrityError), transaction.atomic():
        SeatPool.objects.filter(pk=pool.pk).update(**{count: -1})


def test_a_pool_with_zero_seats_is_accepted():
    pool = SeatPoolFactory(included=0, purchased=0, purchased_at_renewal=0)

    assert SeatPool.objects.get(pk=pool.pk).total == 0


def test_more_seats_at_renewal_than_purchased_now_is_refused():
    pool = SeatPoolFactory(purchased=3)

    with pytest.raises(IntegrityError), transaction.atomic():
        SeatPool.objects.filter(pk=pool.pk).update(purchased_at_renewal=4)


def test_fewer_seats_at_renewal_than_purchased_now_is_a_scheduled_removal():
    pool = SeatPoolFactory(purchased=3)

    SeatPool.objects.filter(pk=pool.pk).update(purchased_at_renewal=1)

    assert SeatPool.objects.get(pk=pool.pk).pending_removal == 2


@pytest.mark.parametrize("seat_type", [SeatType.VIEW_ONLY, SeatType.PARTNER, "platinum"])
def test_a_pool_of_a_seat_type_that_is_not_paid_is_refused(seat_type):
    with pytest.raises(IntegrityError), transaction.atomic():
        SeatPoolFactory(seat_type=seat_type)


@pytest.mark.parametrize("seat_type", [SeatType.CORE, SeatType.SALES, SeatType.SERVICE])
def test_a_pool_of_a_paid_seat_type_is_accepted(seat_type):
    pool = SeatPoolFactory(seat_type=seat_type)

    assert SeatPool.objects.get(pk=pool.pk).seat_type == seat_type


def test_an_account_has_one_pool_per_seat_type():
    pool = SeatPoolFactory(seat_type=SeatType.CORE)

    with pytest.raises(IntegrityError), transaction.atomic():
        SeatPoolFactory(account=pool.account, seat_type=SeatType.CORE)


def test_an_account_has_a_pool_for_each_paid_seat_type():
    account = AccountFactory()

    for seat_type in (SeatType.CORE, SeatType.SALES, SeatType.SERVICE):
        SeatPoolFactory(account=account, seat_type=seat_type)

    assert SeatPool.objects.filter(account=account).count() == 3


def test_two_accounts_each_have_their_own_pool_of_a_type():
    SeatPoolFactory(seat_type=SeatType.CORE)

    SeatPoolFactory(seat_type=SeatType.CORE)

    assert SeatPool.objects.filter(seat_type=SeatType.CORE).count() == 2


# --- The seat ledger -----------------------------------------------------------------------------


def test_a_ledger_entry_cannot_be_saved_a_second_time():
    entry = SeatLedgerEntryFactory(pool__included=3)

    entry.included = 30
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    assert SeatLedgerEntry.objects.get(pk=entry.pk).included == 3


def test_a_ledger_entry_with_more_seats_at_renewal_than_purchased_is_refused():
    pool = SeatPoolFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        SeatLedgerEntryFactory(pool=pool, purchased=1, purchased_at_renewal=2)


def test_a_ledger_entry_recording_a_scheduled_removal_is_accepted():
    pool = SeatPoolFactory(purchased=2)

    SeatLedgerEntryFactory(
        pool=pool, reason=LedgerReason.REMOVAL_SCHEDULED, purchased=2, purchased_at_renewal=1
    )

    assert pool.ledger.get().purchased_at_renewal == 1
