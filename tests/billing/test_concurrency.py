"""Seat billing under concurrent requests (DOMAIN.md section 7, STYLE.md item 3).

Real threads, each with its own database connection, released together by a barrier. Where the
order matters it is forced: the first call pauses inside its transaction, after taking its
locks, and the second starts only then, so it really queues on those locks. The invariant is
that the next period never has fewer seats than are assigned (assigned <= total at renewal).
People are added through the path every "Create user" takes (invitations.services.members
.members_invite, a batch of one each), by super admins on Partner seats, which come from no
pool: the Core pool holds the people added and nobody else. Only PostgreSQL takes the row locks
this is about; on SQLite the module skips.
"""

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from accounts.models import Account, Membership, SeatType, User
from billing.catalogue import HubCode, TierCode
from billing.errors import NoPendingRemoval, NotEnoughCoreSeatsAtRenewal, RemovalTooLarge
from billing.models import Invoice, InvoiceKind, Subscription
from billing.periods import BillingInterval
from billing.services import checkout as checkout_module
from billing.services import removals as removals_module
from billing.services.bundles import Bundle
from billing.services.checkout import bundle_checkout
from billing.services.removals import seat_removal_cancel, seat_removal_schedule
from billing.services.renewals import subscription as renewals_module
from billing.services.renewals.subscription import subscription_renew
from billing.services.subscriptions import subscription_start
from invitations.parsing import ParsedPerson
from invitations.services import members as members_services
from invitations.services.members import members_invite
from seats.errors import NotEnoughSeats
from seats.models import LedgerReason, SeatLedgerEntry, SeatPool
from seats.permissions.choice import AccessChoice, AccessMode
from tests.concurrency import kinds, run_together
from tests.factories import AccountFactory
from tests.invitations.helpers import partner_super_admins

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NOW = datetime(2027, 4, 1, tzinfo=UTC)
LATER = datetime(2027, 4, 10, tzinfo=UTC)
RENEWAL = datetime(2027, 5, 1, tzinfo=UTC)
HOLD_SECONDS = 0.5  # how long the first call keeps its locks while the second one waits


def subscribed_account(*, core_bought: int) -> tuple[Account, Subscription]:
    """Marketing Hub Professional (3 Core seats included) and `core_bought` more Core seats;
    its super admin is on a Partner seat (admin_of)."""
    account = AccountFactory(name="Initech")
    subscription = subscription_start(
        account=account,
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL},
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
        extra_seats={SeatType.CORE: core_bought},
    )
    partner_super_admins(account, 1)
    return account, subscription


def admin_of(account: Account) -> Membership:
    return Membership.objects.filter(account=account, is_super_admin=True).order_by("pk").first()


def hold_inside(monkeypatch, module, name: str) -> threading.Event:
    """Make `module.name` (which a service calls after taking its locks) pause the first time
    it runs; the returned event is set as soon as that call holds the locks."""
    original = getattr(module, name)
    holding = threading.Event()

    def held(*args, **kwargs):
        result = original(*args, **kwargs)
        if not holding.is_set():
            holding.set()
            time.sleep(HOLD_SECONDS)
        return result

    monkeypatch.setattr(module, name, held)
    return holding


def once(holding: threading.Event, call: Callable[[], object]) -> Callable[[], object]:
    """`call`, started only once the other call holds its locks."""

    def started_second() -> object:
        assert holding.wait(timeout=10), "the first call never took its locks"
        return call()

    return started_second


def core_pool(account: Account) -> SeatPool:
    return SeatPool.objects.get(account=account, seat_type=SeatType.CORE)


def assigned(account: Account) -> int:
    return Membership.objects.filter(account=account, seat_type=SeatType.CORE).count()


def reasons(account: Account) -> list[str]:
    return list(
        SeatLedgerEntry.objects.filter(pool=core_pool(account))
        .order_by("id")
        .values_list("reason", flat=True)
    )


def add(account: Account, email: str, *, by: Membership | None = None) -> Callable[[], object]:
    """An admin (`by`, else the account's) adding one person on a Core seat, as "Create user"
    does; the call returns the new member."""
    admin = by or admin_of(account)

    def adding() -> Membership:
        [membership] = members_invite(
            account=account,
            actor_membership=admin,
            people=[ParsedPerson(email)],
            seat_type=SeatType.CORE,
            access=AccessChoice(mode=AccessMode.DEFAULTS),
            send_email=True,
            now=LATER,
        ).memberships
        return membership

    return adding


# --- Many admins, few seats ----------------------------------------------------------------------


def test_twenty_admins_adding_twenty_people_to_seven_free_seats_give_out_exactly_seven():
    account, _subscription = subscribed_account(core_bought=4)  # 3 + 4 = 7 seats, none assigned
    admins = [admin_of(account), *partner_super_admins(account, 19)]

    outcomes = run_together(
        [add(account, f"person{i}@example.com", by=admin) for i, admin in enumerate(admins)]
    )

    assert kinds(outcomes) == ["Membership"] * 7 + ["NotEnoughSeats"] * 13
    assert assigned(account) == core_pool(account).total == 7
    refused = [o for o in outcomes if isinstance(o, NotEnoughSeats)]
    assert {str(exc) for exc in refused} == {"You need 1 more Core seat."}
    assert User.objects.filter(email__startswith="person").count() == 7


# --- A removal scheduled while a seat is assigned ------------------------------------------------
# 5 Core seats (3 included, 2 bought), 3 assigned: the 2 bought seats are free. One admin
# removes both while another assigns one of them.


def removal_and_assignment_setup() -> tuple[Account, User]:
    account, _subscription = subscribed_account(core_bought=2)
    for email in ("a@example.com", "b@example.com", "c@example.com"):
        add(account, email)()
    remover = User.objects.get(email="a@example.com")
    return account, remover


def remove_two(account: Account, remover: User) -> Callable[[], SeatPool]:
    return lambda: seat_removal_schedule(
        account=account, seat_type=SeatType.CORE, quantity=2, actor=remover, now=LATER
    )


def assert_next_period_seats_everyone(account: Account, subscription_id: int) -> None:
    pool = core_pool(account)
    assert assigned(account) <= pool.total_at_renewal
    subscription_renew(subscription_id=subscription_id, now=RENEWAL)
    assert assigned(account) <= core_pool(account).total


def test_a_removal_scheduled_first_is_reduced_by_the_assignment_that_waited(monkeypatch):
    account, remover = removal_and_assignment_setup()
    holding = hold_inside(monkeypatch, removals_module, "seats_assigned_count")

    removal, assignment = run_together(
        [remove_two(account, remover), once(holding, add(account, "d@example.com"))]
    )

    assert isinstance(removal, SeatPool) and isinstance(assignment, Membership)
    pool = core_pool(account)
    assert (assigned(account), pool.purchased, pool.purchased_at_renewal) == (4, 2, 1)
    assert reasons(account)[-2:] == [
        LedgerReason.REMOVAL_SCHEDULED,
        LedgerReason.REMOVAL_REDUCED_BY_ASSIGNMENT,
    ]
    assert_next_period_seats_everyone(account, Subscription.objects.get(account=account).pk)


def test_a_removal_that_waited_for_an_assignment_is_refused(monkeypatch):
    account, remover = removal_and_assignment_setup()
    holding = hold_inside(monkeypatch, members_services, "seat_capacity_check")

    assignment, removal = run_together(
        [add(account, "d@example.com"), once(holding, remove_two(account, remover))]
    )

    assert isinstance(assignment, Membership)
    assert isinstance(removal, RemovalTooLarge)
    assert removal.context["maximum"] == 1
    pool = core_pool(account)
    assert (assigned(account), pool.purchased, pool.purchased_at_renewal) == (4, 2, 2)
    assert LedgerReason.REMOVAL_SCHEDULED not in reasons(account)
    assert_next_period_seats_everyone(account, Subscription.objects.get(account=account).pk)


@pytest.mark.parametrize("attempt", range(3))
def test_a_removal_and_an_assignment_released_together_never_leave_a_seat_short(attempt):
    account, remover = removal_and_assignment_setup()

    removal, assignment = run_together(
        [remove_two(account, remover), add(account, "d@example.com")]
    )

    assert isinstance(assignment, Membership)
    pool = core_pool(account)
    if isinstance(removal, RemovalTooLarge):  # the assignment came first
        assert pool.purchased_at_renewal == 2
        assert LedgerReason.REMOVAL_SCHEDULED not in reasons(account)
    else:  # the removal came first, and the assignment reduced it
        assert isinstance(removal, SeatPool)
        assert pool.purchased_at_renewal == 1
        assert reasons(account)[-1] == LedgerReason.REMOVAL_REDUCED_BY_ASSIGNMENT
    assert_next_period_seats_everyone(account, Subscription.objects.get(account=account).pk)


# --- Cancelling a removal while the renewal applies it -------------------------------------------
# 5 Core seats (3 included, 2 bought), 1 assigned, and both bought seats scheduled for removal.


def cancel_and_renewal_setup() -> tuple[Account, Subscription, User]:
    account, subscription = subscribed_account(core_bought=2)
    add(account, "ada@example.com")()
    admin = User.objects.get(email="ada@example.com")
    seat_removal_schedule(
        account=account, seat_type=SeatType.CORE, quantity=2, actor=admin, now=LATER
    )
    return account, subscription, admin


def cancelling(account: Account, admin: User) -> Callable[[], SeatPool]:
    return lambda: seat_removal_cancel(
        account=account, seat_type=SeatType.CORE, actor=admin, now=RENEWAL
    )


def renewing(subscription: Subscription) -> Callable[[], int]:
    return lambda: subscription_renew(subscription_id=subscription.pk, now=RENEWAL)


def renewal_seat_lines(subscription: Subscription) -> list[int]:
    [invoice] = Invoice.objects.filter(subscription=subscription, kind=InvoiceKind.RENEWAL)
    return list(invoice.lines.filter(description="Core seat").values_list("quantity", flat=True))


def assert_exactly_one_story(account: Account, subscription: Subscription, cancel, renewed):
    """Either the renewal applied the removal and the cancel found nothing to cancel, or the
    cancel came first and the renewal kept every seat: never both, and the ledger agrees."""
    assert renewed == 1
    pool = core_pool(account)
    story = reasons(account)[-2:]
    if isinstance(cancel, NoPendingRemoval):
        assert (pool.purchased, pool.purchased_at_renewal) == (0, 0)
        assert story == [LedgerReason.REMOVAL_SCHEDULED, LedgerReason.RENEWAL]
        assert renewal_seat_lines(subscription) == []
    else:
        assert isinstance(cancel, SeatPool)
        assert (pool.purchased, pool.purchased_at_renewal) == (2, 2)
        assert story == [LedgerReason.REMOVAL_SCHEDULED, LedgerReason.REMOVAL_CANCELLED]
        assert renewal_seat_lines(subscription) == [2]


def test_a_cancel_that_waited_for_the_renewal_finds_no_removal(monkeypatch):
    account, subscription, admin = cancel_and_renewal_setup()
    holding = hold_inside(monkeypatch, renewals_module, "renewal_lines")

    renewed, cancel = run_together(
        [renewing(subscription), once(holding, cancelling(account, admin))]
    )

    assert isinstance(cancel, NoPendingRemoval)
    assert_exactly_one_story(account, subscription, cancel, renewed)


def test_a_renewal_that_waited_for_the_cancel_keeps_every_seat(monkeypatch):
    account, subscription, admin = cancel_and_renewal_setup()
    holding = hold_inside(monkeypatch, removals_module, "seat_pool_removal_cancel")

    cancel, renewed = run_together(
        [cancelling(account, admin), once(holding, renewing(subscription))]
    )

    assert isinstance(cancel, SeatPool)
    assert_exactly_one_story(account, subscription, cancel, renewed)


@pytest.mark.parametrize("attempt", range(3))
def test_a_cancel_and_a_renewal_released_together_tell_one_story(attempt):
    account, subscription, admin = cancel_and_renewal_setup()

    cancel, renewed = run_together([cancelling(account, admin), renewing(subscription)])

    assert_exactly_one_story(account, subscription, cancel, renewed)


# --- A downgrade scheduled while seats are assigned (#13 point 1) --------------------------------
# 5 Core seats now (3 included by Marketing Hub Professional, 2 bought), 1 assigned. Checkout
# schedules Marketing Hub Starter (no Core seat included) for the renewal date: 2 seats then.
# However the downgrade and the assignments interleave, assigned <= the next period's seats.


def downgrade_setup() -> tuple[Account, Subscription]:
    account, subscription = subscribed_account(core_bought=2)
    add(account, "a@example.com")()
    return account, subscription


def downgrading(account: Account) -> Callable[[], object]:
    starter = Bundle(
        hubs={HubCode.MARKETING: TierCode.STARTER}, addons={}, interval=BillingInterval.MONTHLY
    )
    return lambda: bundle_checkout(
        account=account,
        bundle=starter,
        idempotency_key="downgrade",
        actor=admin_of(account).user,
        now=LATER,
    )


def assert_no_seat_beyond_the_next_period(account: Account, subscription: Subscription) -> None:
    assert assigned(account) <= core_pool(account).total_at_renewal
    subscription_renew(subscription_id=subscription.pk, now=RENEWAL)
    assert assigned(account) <= core_pool(account).total


def test_assignments_that_waited_for_a_downgrade_count_its_seats(monkeypatch):
    account, subscription = downgrade_setup()
    holding = hold_inside(monkeypatch, checkout_module, "subscription_pools_sync")

    outcomes = run_together(
        [downgrading(account)]
        + [once(holding, add(account, f"p{i}@example.com")) for i in range(3)]
    )

    assert kinds(outcomes) == [
        "CheckoutResult",
        "Membership",
        "NotEnoughSeatsAtRenewal",
        "NotEnoughSeatsAtRenewal",
    ]
    assert assigned(account) == core_pool(account).total_at_renewal == 2
    assert_no_seat_beyond_the_next_period(account, subscription)


def test_a_downgrade_that_waited_for_an_assignment_is_refused(monkeypatch):
    account, subscription = downgrade_setup()
    add(account, "b@example.com")()  # 2 assigned: the downgrade alone would still fit
    holding = hold_inside(monkeypatch, members_services, "seat_capacity_check")

    assignment, downgrade = run_together(
        [add(account, "c@example.com"), once(holding, downgrading(account))]
    )

    assert isinstance(assignment, Membership)
    assert isinstance(downgrade, NotEnoughCoreSeatsAtRenewal)
    assert core_pool(account).total_at_renewal == 5  # nothing scheduled
    assert_no_seat_beyond_the_next_period(account, subscription)


@pytest.mark.parametrize("attempt", range(3))
def test_a_downgrade_and_assignments_released_together_never_oversell(attempt):
    account, subscription = downgrade_setup()

    outcomes = run_together(
        [downgrading(account)] + [add(account, f"p{i}@example.com") for i in range(4)]
    )

    assert set(kinds(outcomes)) <= {
        "CheckoutResult",
        "Membership",
        "NotEnoughSeats",
        "NotEnoughSeatsAtRenewal",
        "NotEnoughCoreSeatsAtRenewal",
    }
    assert_no_seat_beyond_the_next_period(account, subscription)
