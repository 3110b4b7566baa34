"""Users room, a member's seat (seats/users/services/seat.py): the bulk seat change moves every
selected user or, when the seats or the rules refuse one, nobody (DOMAIN.md sections 2 and 6)."""

import pytest

from accounts.models import Membership, SeatType
from accounts.policy import ON, AccountPermission
from seats.catalogue import seat_default_permissions
from seats.errors import BulkRefused, NotEnoughSeats
from seats.users.services.seat import members_bulk_seat_change
from tests.factories import MembershipFactory
from tests.seats.users.helpers import snapshot, viewers

pytestmark = pytest.mark.django_db


def test_a_batch_that_fits_moves_every_selected_user(account, admin):
    people = viewers(account, 2)
    members_bulk_seat_change(
        account=account,
        membership_ids=[m.pk for m in people],
        seat_type=SeatType.CORE,
        actor_membership=admin,
    )
    assert set(
        Membership.objects.filter(pk__in=[m.pk for m in people]).values_list("seat_type", flat=True)
    ) == {SeatType.CORE}


def test_a_batch_needing_more_seats_than_are_free_changes_nobody(account, admin):
    people = viewers(account, 3)
    before = snapshot(account)
    with pytest.raises(NotEnoughSeats) as short:
        members_bulk_seat_change(
            account=account,
            membership_ids=[m.pk for m in people],
            seat_type=SeatType.CORE,
            actor_membership=admin,
        )
    assert str(short.value) == "You need 1 more Core seat."
    assert snapshot(account) == before


def test_a_users_manager_cannot_move_a_super_admin_in_bulk_and_nobody_moves(account, admin):
    manager = MembershipFactory(
        account=account,
        permissions={**seat_default_permissions(SeatType.CORE), AccountPermission.USERS: ON},
    )
    [viewer] = viewers(account, 1)
    other_admin = MembershipFactory(
        account=account, super_admin=True, user__email="boss@acme.example"
    )
    before = snapshot(account)
    with pytest.raises(BulkRefused) as refused:
        members_bulk_seat_change(
            account=account,
            membership_ids=[viewer.pk, other_admin.pk],
            seat_type=SeatType.VIEW_ONLY,
            actor_membership=manager,
        )
    assert [email for email, _why in refused.value.problems] == ["boss@acme.example"]
    assert snapshot(account) == before
