"""Admins adding members at the same moment (DOMAIN.md section 2, STYLE.md item 3).

Real threads, each with its own database connection, released together by a barrier. Only
PostgreSQL takes the row locks this is about; on SQLite the module skips.
"""

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from django.db import connection

from accounts.models import Account, Membership, SeatType, User
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services import subscription_start
from seats.errors import AlreadyMember, NotEnoughSeats
from seats.models import SeatPool
from seats.users.services import seat as services
from seats.users.services.seat import member_add
from tests.factories import AccountFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NOW = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)


def marketing_pro_account() -> Account:
    """An account whose Core pool holds the 3 seats Marketing Hub Professional includes."""
    account = AccountFactory()
    subscription_start(
        account=account,
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL},
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
    )
    return account


def run_together(calls: list[Callable[[], object]]) -> list[object]:
    """Run each call in its own thread, all released at once; return each result or exception."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except Exception as exc:  # every outcome is inspected by the test
            outcomes[index] = exc
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread is still waiting"
    return outcomes


def adding(account: Account, email: str) -> Callable[[], Membership]:
    return lambda: member_add(account=account, email=email, seat_type=SeatType.CORE, actor=None)


def kinds(outcomes: list[object]) -> list[str]:
    return sorted(type(outcome).__name__ for outcome in outcomes)


def test_ten_admins_adding_ten_people_to_three_free_seats_give_out_exactly_three():
    account = marketing_pro_account()

    outcomes = run_together([adding(account, f"person{i}@example.com") for i in range(10)])

    assert kinds(outcomes) == ["Membership"] * 3 + ["NotEnoughSeats"] * 7
    pool = SeatPool.objects.get(account=account, seat_type=SeatType.CORE)
    assigned = Membership.objects.filter(account=account, seat_type=SeatType.CORE).count()
    assert assigned == pool.total == 3
    refused = [o for o in outcomes if isinstance(o, NotEnoughSeats)]
    assert {str(exc) for exc in refused} == {"You need 1 more Core seat."}
    # The refused ones left no user behind either.
    assert User.objects.filter(email__startswith="person").count() == 3


def test_two_admins_adding_the_same_new_person_make_one_user_and_one_membership():
    account = marketing_pro_account()

    outcomes = run_together(
        [adding(account, "new@example.com"), adding(account, "NEW@example.com")]
    )

    assert kinds(outcomes) == ["AlreadyMember", "Membership"]
    assert User.objects.filter(email="new@example.com").count() == 1
    assert Membership.objects.filter(account=account).count() == 1
    refused = next(o for o in outcomes if isinstance(o, AlreadyMember))
    assert str(refused) == "new@example.com is already a user in this account."


def test_two_accounts_adding_the_same_new_person_at_once_share_one_user(monkeypatch):
    # Each admin locks only their own account, so nothing serialises the creation of the user.
    # A short pause after the user row is written (while its transaction is still open) makes
    # both admins look the address up before either commits, as two slow requests would.
    check = services.seat_eligibility_check

    def slow_check(**kwargs):
        time.sleep(0.3)
        return check(**kwargs)

    monkeypatch.setattr(services, "seat_eligibility_check", slow_check)
    first, second = marketing_pro_account(), marketing_pro_account()

    outcomes = run_together(
        [adding(first, "shared@example.com"), adding(second, "shared@example.com")]
    )

    assert kinds(outcomes) == ["Membership", "Membership"], outcomes
    assert User.objects.filter(email="shared@example.com").count() == 1
    assert Membership.objects.filter(user__email="shared@example.com").count() == 2
