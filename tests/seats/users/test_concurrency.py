"""Users room: admins adding members at the same moment never give out more seats than the pool
holds, nor two users for one address (DOMAIN.md section 2, STYLE.md item 3).

Through the path every "Create user" takes (invitations.services.members.members_invite, a batch
of one here), so the proof is about the code users run. Real threads, each with its own database
connection, released together by a barrier. Only PostgreSQL takes the row locks this is about;
on SQLite the module skips.
"""

import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from accounts.models import Account, Membership, SeatType, User
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services.subscriptions import subscription_start
from invitations.errors import BatchRefused
from invitations.parsing import ParsedPerson
from invitations.services import members as members_services
from invitations.services.members import BatchResult, members_invite
from seats.errors import NotEnoughSeats
from seats.models import SeatPool
from seats.permissions.choice import AccessChoice, AccessMode
from tests.concurrency import kinds, run_together
from tests.factories import AccountFactory
from tests.invitations.helpers import partner_super_admins

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NOW = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)


def marketing_pro_account(*, admins: int) -> tuple[Account, list[Membership]]:
    """An account whose Core pool holds the 3 seats Marketing Hub Professional includes, all
    free, and `admins` super admins on Partner seats (outside the pool)."""
    account = AccountFactory()
    subscription_start(
        account=account,
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL},
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
    )
    return account, partner_super_admins(account, admins)


def adding(admin: Membership, email: str) -> Callable[[], BatchResult]:
    """`admin` adding one person on a Core seat with the seat's defaults, as "Create user" does."""
    return lambda: members_invite(
        account=admin.account,
        actor_membership=admin,
        people=[ParsedPerson(email)],
        seat_type=SeatType.CORE,
        access=AccessChoice(mode=AccessMode.DEFAULTS),
        send_email=True,
        now=NOW,
    )


def test_ten_admins_adding_ten_people_to_three_free_seats_give_out_exactly_three():
    account, admins = marketing_pro_account(admins=10)

    outcomes = run_together(
        [adding(admin, f"person{i}@example.com") for i, admin in enumerate(admins)]
    )

    assert kinds(outcomes) == ["BatchResult"] * 3 + ["NotEnoughSeats"] * 7
    pool = SeatPool.objects.get(account=account, seat_type=SeatType.CORE)
    assigned = Membership.objects.filter(account=account, seat_type=SeatType.CORE).count()
    assert assigned == pool.total == 3
    refused = [o for o in outcomes if isinstance(o, NotEnoughSeats)]
    assert {str(exc) for exc in refused} == {"You need 1 more Core seat."}
    # The refused ones left no user behind either.
    assert User.objects.filter(email__startswith="person").count() == 3


def test_two_admins_adding_the_same_new_person_make_one_user_and_one_membership():
    account, (first, second) = marketing_pro_account(admins=2)

    outcomes = run_together([adding(first, "new@example.com"), adding(second, "NEW@example.com")])

    assert kinds(outcomes) == ["BatchRefused", "BatchResult"]
    assert User.objects.filter(email="new@example.com").count() == 1
    assert Membership.objects.filter(account=account, is_super_admin=False).count() == 1
    refused = next(o for o in outcomes if isinstance(o, BatchRefused))
    assert refused.problems == [("new@example.com", "Already a user in this account.")]


def test_two_accounts_adding_the_same_new_person_at_once_share_one_user(monkeypatch):
    # Each admin locks only their own account, so nothing serialises the creation of the user.
    # A short pause after the user row is written (while its transaction is still open) makes
    # both admins look the address up before either commits, as two slow requests would.
    settle = members_services.seat_pool_settle

    def slow_settle(**kwargs):
        time.sleep(0.3)
        return settle(**kwargs)

    monkeypatch.setattr(members_services, "seat_pool_settle", slow_settle)
    (_first, (first_admin,)), (_second, (second_admin,)) = (
        marketing_pro_account(admins=1),
        marketing_pro_account(admins=1),
    )

    outcomes = run_together(
        [adding(first_admin, "shared@example.com"), adding(second_admin, "shared@example.com")]
    )

    assert kinds(outcomes) == ["BatchResult", "BatchResult"], outcomes
    assert User.objects.filter(email="shared@example.com").count() == 1
    assert Membership.objects.filter(user__email="shared@example.com").count() == 2
