"""Reads of the billing floor (billing.selectors) that pages and services share."""

import pytest

from billing.selectors import invoice_get, removable_seats
from tests.factories import AccountFactory, InvoiceFactory

# --- How many seats may be removed at renewal (a pure rule) --------------------------------------


def test_only_purchased_seats_can_be_removed_never_the_included_ones():
    assert removable_seats(included=3, purchased_at_renewal=2, assigned=0) == 2


def test_the_next_period_keeps_a_seat_for_everyone_assigned_one():
    assert removable_seats(included=3, purchased_at_renewal=2, assigned=4) == 1
    assert removable_seats(included=3, purchased_at_renewal=2, assigned=5) == 0


def test_more_assigned_than_the_next_period_holds_removes_nothing_rather_than_less_than_nothing():
    assert removable_seats(included=3, purchased_at_renewal=2, assigned=9) == 0


# --- One account's rows only ---------------------------------------------------------------------


@pytest.mark.django_db
def test_an_invoice_of_another_account_is_not_found():
    mine, theirs = AccountFactory(), AccountFactory()
    invoice = InvoiceFactory(account=theirs)

    assert invoice_get(account=mine, invoice_id=invoice.pk) is None
    assert invoice_get(account=theirs, invoice_id=invoice.pk) == invoice
