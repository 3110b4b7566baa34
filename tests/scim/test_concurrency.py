"""POST /scim/v2/Users racing on PostgreSQL: an identity provider pushing 20 users at once for the
last 3 Core seats never oversubscribes the pool; with a View-only fallback the rest are taken in
on View-only seats. Real threads, each with its own database connection (tests/concurrency.py);
only PostgreSQL takes the row locks this is about."""

import json

import pytest
from django.test import Client

from accounts.models import Membership, SeatType
from scim.models import ScimSettings
from seats.models import SeatPool
from tests.api.conftest import bearer, subscribed_account
from tests.concurrency import run_together
from tests.factories import MembershipFactory
from tests.scim.conftest import EXTENSION, SCIM, USER_SCHEMA, scim_token, user_body

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def poster(token: str, email: str):
    body = user_body(email, schemas=[USER_SCHEMA, EXTENSION]) | {EXTENSION: {"seatType": "core"}}

    def post():
        return Client(headers=bearer(token)).post(
            "/scim/v2/Users", json.dumps(body), content_type=SCIM
        )

    return post


def seats_held(account) -> dict[str, int]:
    held = {}
    for member in Membership.objects.filter(account=account):
        held[member.seat_type] = held.get(member.seat_type, 0) + 1
    return held


def race(account, token):
    return run_together([poster(token, f"racer{i}@initech.example") for i in range(20)])


def test_twenty_parallel_creates_for_the_last_three_core_seats_create_three_refuse_the_rest():
    account = subscribed_account()  # 4 Core seats
    admin = MembershipFactory(account=account, super_admin=True)
    token = scim_token(admin)

    outcomes = race(account, token)

    statuses = sorted(o.status_code for o in outcomes)
    assert statuses == [201] * 3 + [409] * 17, [getattr(o, "content", o) for o in outcomes]
    for refused in (o for o in outcomes if o.status_code == 409):
        assert "scimType" not in refused.json()  # a seat conflict, not "exists already"
    pool = SeatPool.objects.get(account=account, seat_type=SeatType.CORE)
    assert seats_held(account) == {SeatType.CORE: 4} == {SeatType.CORE: pool.total}
    assert Membership.objects.filter(account=account).count() == 4


def test_with_a_view_only_fallback_three_get_core_and_seventeen_view_only():
    account = subscribed_account()
    admin = MembershipFactory(account=account, super_admin=True)
    ScimSettings.objects.create(account=account, fallback_seat=SeatType.VIEW_ONLY)
    token = scim_token(admin)

    outcomes = race(account, token)

    assert [o.status_code for o in outcomes] == [201] * 20, [
        getattr(o, "content", o) for o in outcomes
    ]
    answered = sorted(o.json()[EXTENSION]["seatType"] for o in outcomes)
    assert answered == ["core"] * 3 + ["view_only"] * 17
    pool = SeatPool.objects.get(account=account, seat_type=SeatType.CORE)
    assert seats_held(account) == {SeatType.CORE: 4, SeatType.VIEW_ONLY: 17}
    assert pool.total == 4
