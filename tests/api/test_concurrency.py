"""POST /users racing on PostgreSQL: 20 scripts at once for the last seats never oversubscribe,
and 20 retries with one Idempotency-Key add the batch once. Real threads, each with its own
database connection (tests/concurrency.py); only PostgreSQL takes the row locks this is about."""

import pytest
from django.test import Client

from accounts.models import Membership, SeatType
from seats.models import SeatPool
from tests.api.conftest import bearer, subscribed_account, token_for
from tests.concurrency import run_together
from tests.factories import MembershipFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def poster(token: str, email: str, idempotency_key: str):
    def post():
        return Client(headers=bearer(token)).post(
            "/api/v1/users",
            {"users": [{"email": email}], "seat_type": "core", "send_email": False},
            content_type="application/json",
            headers={"Idempotency-Key": idempotency_key},
        )

    return post


def core_seats_held(account) -> tuple[int, int]:
    pool = SeatPool.objects.get(account=account, seat_type=SeatType.CORE)
    held = Membership.objects.filter(account=account, seat_type=SeatType.CORE).count()
    return held, pool.total


def test_twenty_parallel_posts_for_the_last_three_seats_create_three_and_refuse_the_rest():
    account = subscribed_account()  # 4 Core seats
    admin = MembershipFactory(account=account, super_admin=True)
    token = token_for(admin)

    outcomes = run_together(
        [poster(token, f"racer{i}@example.com", f"race-{i}") for i in range(20)]
    )

    statuses = sorted(o.status_code for o in outcomes)
    assert statuses == [201] * 3 + [409] * 17, outcomes
    held, total = core_seats_held(account)
    assert held == total == 4


def test_twenty_parallel_retries_with_one_idempotency_key_add_the_batch_once():
    account = subscribed_account()
    admin = MembershipFactory(account=account, super_admin=True)
    token = token_for(admin)

    outcomes = run_together([poster(token, "once@example.com", "same-key") for _ in range(20)])

    created = [o for o in outcomes if o.status_code == 201]
    assert created, outcomes
    # The others were told to retry while the first was at work, or got its answer.
    assert {o.status_code for o in outcomes} <= {201, 409}, [o.content for o in outcomes]
    assert len({o.content for o in created}) == 1
    assert Membership.objects.filter(user__email="once@example.com").count() == 1
