"""POST /seats/purchases racing on PostgreSQL: 20 retries at once with one Idempotency-Key are
charged once. Real threads, each with its own database connection (tests/concurrency.py); only
PostgreSQL takes the row locks this is about."""

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import SeatType
from billing.gateway import TestGateway, gateway_get
from billing.models import Invoice
from billing.services.cards import card_save
from seats.models import SeatPool
from tests.api.conftest import bearer, subscribed_account, token_for
from tests.concurrency import run_together
from tests.factories import MembershipFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class CountingGateway(TestGateway):
    """The test mode, counting the charges it was asked for (threads share it: list.append is
    atomic)."""

    def __init__(self) -> None:
        self.charges: list[str] = []

    def charge(self, **kwargs):
        charge = super().charge(**kwargs)
        self.charges.append(kwargs["idempotency_key"])
        return charge


@pytest.fixture
def provider(settings) -> CountingGateway:
    settings.PAYMENT_GATEWAY = f"{__name__}.CountingGateway"
    gateway_get.cache_clear()
    yield gateway_get()
    gateway_get.cache_clear()


def buyer(token: str, idempotency_key: str):
    def post():
        return Client(headers=bearer(token)).post(
            "/api/v1/seats/purchases",
            {"seat_type": "core", "quantity": 2},
            content_type="application/json",
            headers={"Idempotency-Key": idempotency_key},
        )

    return post


def test_twenty_parallel_purchases_with_one_idempotency_key_charge_once(provider):
    account = subscribed_account()  # 1 Core seat bought
    admin = MembershipFactory(account=account, super_admin=True)
    card_save(
        account=account,
        number="4242 4242 4242 4242",
        exp_month=12,
        exp_year=timezone.now().year + 3,
        cvc="123",
        actor=admin.user,
    )
    token = token_for(admin)

    outcomes = run_together([buyer(token, "same-purchase") for _ in range(20)])

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    bought = [o for o in outcomes if o.status_code == 201]
    assert bought, [o.content for o in outcomes]
    # The others were told to retry while the first was at work, or got its answer.
    assert {o.status_code for o in outcomes} <= {201, 409}, [o.content for o in outcomes]
    refused = [o.json()["type"] for o in outcomes if o.status_code == 409]
    assert set(refused) <= {"urn:seatmgr:problem:idempotency_key_in_flight"}
    invoice = Invoice.objects.get(account=account)
    assert {o.json()["invoice"]["number"] for o in bought} == {invoice.number}
    assert len({o.content for o in bought}) == 1
    pool = SeatPool.objects.get(account=account, seat_type=SeatType.CORE)
    assert (pool.purchased, pool.purchased_at_renewal) == (3, 3)
    assert len(provider.charges) == 1
