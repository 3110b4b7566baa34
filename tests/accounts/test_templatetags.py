"""accounts' `labels` library: the seat and status labels every page shows, as Django's
get_FOO_display would give them, and a seat type in the plural and counted, as sentences need
them."""

import pytest

from accounts.models import MembershipStatus, SeatType
from accounts.templatetags.labels import seat_count, seat_label, seats_label, status_label
from tests.factories import MembershipFactory


@pytest.mark.django_db
def test_a_members_seat_and_status_read_as_django_would_say_them():
    member = MembershipFactory(seat_type=SeatType.VIEW_ONLY, status=MembershipStatus.INVITED)

    assert seat_label(member.seat_type) == member.get_seat_type_display() == "View-only seat"
    assert status_label(member.status) == member.get_status_display() == "Invited"


def test_every_seat_type_reads_as_its_label():
    for seat_type in SeatType:
        assert seat_label(seat_type.value) == str(seat_type.label)


def test_no_seat_type_reads_as_nothing():
    # An offer that sells no seats (pricing, Account & Billing) has none.
    assert seat_label(None) == seat_label("") == ""


def test_a_seat_type_in_the_plural_and_counted_reads_as_a_sentence_needs_it():
    # "Remove unassigned Core seats", "Ada bought 1 Core seat", "3 Core seats are unassigned":
    # each its own translatable words, so a language need not add "s" to the label.
    assert seats_label(SeatType.CORE) == "Core seats"
    assert seat_count(SeatType.CORE, 1) == "1 Core seat"
    assert seat_count(SeatType.SALES, 3) == "3 Sales seats"


def test_every_seat_type_has_words_in_the_plural_and_counted():
    for seat_type in SeatType:
        label = str(seat_type.label)
        assert seats_label(seat_type.value) == f"{label}s"
        assert seat_count(seat_type.value, 1) == f"1 {label}"
        assert seat_count(seat_type.value, 2) == f"2 {label}s"
