"""accounts' `labels` library: the seat and status labels every page shows, as Django's
get_FOO_display would give them."""

import pytest

from accounts.models import MembershipStatus, SeatType
from accounts.templatetags.labels import seat_label, status_label
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
