"""No seat is assigned that the next period won't have (#13 point 1).

A downgrade or a hub removal waits for the renewal date; until then, seats are assigned against
what the account has now *and* will have then. Before, assigning compared with the current pool
only: schedule a downgrade, assign seats, renew, and people held seats nobody paid for.

Initech (as in test_changes.py) has Marketing Hub Professional (3 Core seats included) and Sales
Hub Professional (Sales seats enabled), and bought 2 Core seats: 5 Core seats now. Downgrading
Marketing Hub to Starter leaves 2 (Starter includes none); Sales Hub Starter enables no Sales seat.
"""

from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import Membership, SeatType
from billing.catalogue import HubCode, TierCode
from billing.errors import RemovalTooLarge
from billing.models import SubscriptionItem
from billing.periods import BillingInterval
from billing.services.bundles import Bundle
from billing.services.cards import card_save
from billing.services.changes import subscription_change_cancel
from billing.services.checkout import bundle_checkout
from billing.services.purchases import seats_purchase
from billing.services.removals import seat_removal_schedule
from billing.services.renewals.batches import renewals_run
from billing.services.subscriptions import subscription_start
from invitations.parsing import ParsedPerson
from invitations.services.members import members_invite
from seats.errors import NotEnoughSeats, NotEnoughSeatsAtRenewal, SeatTypeEndsAtRenewal
from seats.models import SeatPool
from seats.permissions.choice import AccessChoice, AccessMode
from seats.pools.selectors import seat_choices_for, seat_pool_summaries
from seats.users.services.seat import member_seat_change, members_bulk_seat_change
from tests.factories import AccountFactory, MembershipFactory

pytestmark = pytest.mark.django_db

START = datetime(2027, 4, 1, tzinfo=UTC)
HALF_WAY = datetime(2027, 4, 16, tzinfo=UTC)
AFTER_RENEWAL = datetime(2027, 5, 1, tzinfo=UTC) + timedelta(minutes=5)
OWNED = {HubCode.MARKETING: TierCode.PROFESSIONAL, HubCode.SALES: TierCode.PROFESSIONAL}


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(HALF_WAY, tick=False)


@pytest.fixture
def account():
    account = AccountFactory(name="Initech")
    subscription_start(
        account=account,
        hubs=OWNED,
        interval=BillingInterval.MONTHLY,
        now=START,
        actor=None,
        extra_seats={SeatType.CORE: 2},
    )
    return account


@pytest.fixture
def admin(account):
    """Ada, the super admin, holds one of the 5 Core seats."""
    admin = MembershipFactory(account=account, super_admin=True, user__first_name="Ada")
    card_save(
        account=account,
        number="4242 4242 4242 4242",
        exp_month=12,
        exp_year=2030,
        cvc="123",
        actor=admin.user,
        now=START,
    )
    return admin


def schedule(account, admin, **hubs):
    return bundle_checkout(
        account=account,
        bundle=Bundle(hubs={**OWNED, **hubs}, addons={}, interval=BillingInterval.MONTHLY),
        idempotency_key=f"form-{sorted(hubs.items())}",
        actor=admin.user,
        now=HALF_WAY,
    )


def viewers(account, n):
    return [MembershipFactory(account=account, view_only=True) for _ in range(n)]


def give_seat(member, seat_type, admin):
    return member_seat_change(
        membership=member, seat_type=seat_type, actor_membership=admin, now=HALF_WAY
    )


def pool(account, seat_type) -> SeatPool:
    return SeatPool.objects.get(account=account, seat_type=seat_type)


def assigned(account, seat_type) -> int:
    return Membership.objects.filter(account=account, seat_type=seat_type).count()


def test_the_issues_case_cannot_oversell_core_seats(account, admin):
    """Schedule Marketing Pro → Starter, then try to assign more Core seats than the next period
    keeps: the second one is refused, and the renewal ends with every holder paid for."""
    schedule(account, admin, **{HubCode.MARKETING: TierCode.STARTER})
    bob, cy = viewers(account, 2)
    give_seat(bob, SeatType.CORE, admin)  # Ada + Bob = 2, what the next period keeps
    with pytest.raises(NotEnoughSeatsAtRenewal) as refused:
        give_seat(cy, SeatType.CORE, admin)
    assert str(refused.value) == (
        "The plan change scheduled for the renewal date leaves 2 Core seats, so you need 1 more "
        "Core seat. Buy seats, or cancel that change on Account & Billing."
    )
    cy.refresh_from_db()
    assert cy.seat_type == SeatType.VIEW_ONLY
    assert renewals_run(now=AFTER_RENEWAL)["renewed"] == 1
    core = pool(account, SeatType.CORE)
    assert (core.total, assigned(account, SeatType.CORE)) == (2, 2)


def test_a_seat_type_the_next_plan_drops_cannot_be_assigned(account, admin):
    schedule(account, admin, **{HubCode.SALES: TierCode.STARTER})
    (bob,) = viewers(account, 1)
    with pytest.raises(SeatTypeEndsAtRenewal) as refused:
        give_seat(bob, SeatType.SALES, admin)
    assert str(refused.value).startswith("Sales seats end at the renewal date")
    assert SeatType.SALES not in dict(seat_choices_for(account=account))
    renewals_run(now=AFTER_RENEWAL)
    assert assigned(account, SeatType.SALES) == 0
    assert not pool(account, SeatType.SALES).enabled


def test_removing_a_hub_counts_as_dropping_its_seats(account, admin):
    schedule_only_marketing = Bundle(
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL}, addons={}, interval="monthly"
    )
    bundle_checkout(
        account=account,
        bundle=schedule_only_marketing,
        idempotency_key="drop-sales",
        actor=admin.user,
        now=HALF_WAY,
    )
    (bob,) = viewers(account, 1)
    with pytest.raises(SeatTypeEndsAtRenewal):
        give_seat(bob, SeatType.SALES, admin)


def test_inviting_people_respects_the_next_period(account, admin):
    schedule(account, admin, **{HubCode.MARKETING: TierCode.STARTER})
    people = [ParsedPerson(f"p{i}@initech.example") for i in range(2)]
    with pytest.raises(NotEnoughSeatsAtRenewal):
        members_invite(
            account=account,
            actor_membership=admin,
            people=people,
            seat_type=SeatType.CORE,
            access=AccessChoice(mode=AccessMode.DEFAULTS),
            send_email=False,
            now=HALF_WAY,
        )
    assert not Membership.objects.filter(user__email__startswith="p0@").exists()


def test_bulk_edit_respects_the_next_period(account, admin):
    schedule(account, admin, **{HubCode.MARKETING: TierCode.STARTER})
    movers = viewers(account, 2)
    with pytest.raises(NotEnoughSeats):
        members_bulk_seat_change(
            account=account,
            membership_ids=[m.pk for m in movers],
            seat_type=SeatType.CORE,
            actor_membership=admin,
            now=HALF_WAY,
        )
    assert assigned(account, SeatType.CORE) == 1


def test_what_is_available_says_the_next_period(account, admin):
    schedule(account, admin, **{HubCode.MARKETING: TierCode.STARTER})
    core = {p.seat_type: p for p in seat_pool_summaries(account=account)}[SeatType.CORE]
    assert (core.total, core.total_at_renewal, core.assigned, core.available) == (5, 2, 1, 1)
    assert dict(seat_choices_for(account=account))[SeatType.CORE] == "Core seat (1 available)"


def test_cancelling_the_change_frees_the_seats_again(account, admin):
    schedule(account, admin, **{HubCode.MARKETING: TierCode.STARTER})
    item = SubscriptionItem.objects.get(product=HubCode.MARKETING)
    subscription_change_cancel(account=account, item_id=item.pk, actor=admin.user, now=HALF_WAY)
    for member in viewers(account, 4):
        give_seat(member, SeatType.CORE, admin)
    assert (pool(account, SeatType.CORE).total_at_renewal, assigned(account, SeatType.CORE)) == (
        5,
        5,
    )


def test_buying_seats_makes_room_in_the_next_period_too(account, admin):
    schedule(account, admin, **{HubCode.MARKETING: TierCode.STARTER})
    seats_purchase(
        account=account,
        seat_type=SeatType.CORE,
        quantity=1,
        idempotency_key="buy-1",
        actor=admin.user,
        now=HALF_WAY,
    )
    bob, cy = viewers(account, 2)
    give_seat(bob, SeatType.CORE, admin)
    give_seat(cy, SeatType.CORE, admin)
    renewals_run(now=AFTER_RENEWAL)
    assert (pool(account, SeatType.CORE).total, assigned(account, SeatType.CORE)) == (3, 3)


def test_seats_of_a_type_the_next_plan_drops_are_not_sold(account, admin):
    schedule(account, admin, **{HubCode.SALES: TierCode.STARTER})
    with pytest.raises(SeatTypeEndsAtRenewal):
        seats_purchase(
            account=account,
            seat_type=SeatType.SALES,
            quantity=1,
            idempotency_key="buy-sales",
            actor=admin.user,
            now=HALF_WAY,
        )


def test_a_removal_counts_what_the_downgrade_leaves(account, admin):
    """2 bought + 0 included at renewal for Ada and Bob: no bought seat may go."""
    schedule(account, admin, **{HubCode.MARKETING: TierCode.STARTER})
    give_seat(viewers(account, 1)[0], SeatType.CORE, admin)
    with pytest.raises(RemovalTooLarge):
        seat_removal_schedule(
            account=account, seat_type=SeatType.CORE, quantity=1, actor=admin.user, now=HALF_WAY
        )


def test_the_ledger_records_the_scheduled_change(account, admin):
    schedule(account, admin, **{HubCode.MARKETING: TierCode.STARTER})
    entry = pool(account, SeatType.CORE).ledger.last()
    assert (entry.reason, entry.included, entry.included_at_renewal) == (
        "plan_change_scheduled",
        3,
        0,
    )
