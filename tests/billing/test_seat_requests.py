"""“Buy 1 <type> seat and approve” (issue 19): when no seat of the requested type is left, a
billing admin buys one through "Add seats" and the request is approved in the purchase's own
transaction, after the charge. Acme has Sales Hub Professional and its only Sales seat is taken.
"""

from datetime import UTC, datetime

import pytest

from accounts.models import AuditEvent, AuditVerb, SeatType
from billing.catalogue import HubCode, TierCode
from billing.errors import CardDeclined
from billing.gateway import TestGateway, gateway_get
from billing.models import Invoice
from billing.periods import BillingInterval
from billing.services.seat_requests import seat_request_buy_and_approve
from billing.services.subscriptions import subscription_start
from seats.errors import SeatRequestClosed
from seats.models import SeatPool, SeatRequestStatus
from seats.requests.services import seat_request_create, seat_request_deny
from tests.factories import AccountFactory, CardOnFileFactory, MembershipFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 4, 1, tzinfo=UTC)


class CountingGateway(TestGateway):
    """The built-in test mode, counting the charges it took."""

    charges: list[int] = []

    def charge(self, **kwargs):
        charge = super().charge(**kwargs)
        CountingGateway.charges.append(charge.amount_cents)
        return charge


@pytest.fixture(autouse=True)
def provider(settings):
    settings.PAYMENT_GATEWAY = f"{__name__}.CountingGateway"
    CountingGateway.charges = []
    gateway_get.cache_clear()
    yield CountingGateway
    gateway_get.cache_clear()


@pytest.fixture
def account():
    account = AccountFactory(name="Acme")
    subscription_start(
        account=account,
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL, HubCode.SALES: TierCode.PROFESSIONAL},
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
        extra_seats={SeatType.SALES: 1},
    )
    MembershipFactory(account=account, seat_type=SeatType.SALES)  # the only Sales seat
    return account


@pytest.fixture
def admin(account):
    return MembershipFactory(account=account, super_admin=True)


@pytest.fixture
def viewer(account):
    return MembershipFactory(account=account, view_only=True)


@pytest.fixture
def seat_request(viewer):
    return seat_request_create(
        membership=viewer, seat_type=SeatType.SALES, reason="Forecasts", now=NOW
    )


def sales_total(account) -> int:
    return SeatPool.objects.get(account=account, seat_type=SeatType.SALES).total


def test_buying_charges_once_and_approves(account, admin, viewer, seat_request, provider):
    CardOnFileFactory(account=account)
    invoice = seat_request_buy_and_approve(
        seat_request=seat_request, actor_membership=admin, idempotency_key="k1", now=NOW
    )
    viewer.refresh_from_db()
    seat_request.refresh_from_db()
    assert viewer.seat_type == SeatType.SALES
    assert seat_request.status == SeatRequestStatus.APPROVED
    assert sales_total(account) == 2
    assert len(provider.charges) == 1 and provider.charges[0] == invoice.total_cents > 0
    verbs = list(
        AuditEvent.objects.filter(account=account).order_by("id").values_list("verb", flat=True)
    )
    # The seat is bought, then the request approved: in that order, in one transaction.
    assert verbs.index(AuditVerb.SEATS_BOUGHT) < verbs.index(AuditVerb.SEAT_REQUEST_APPROVED)


def test_a_double_submit_charges_nothing_more(account, admin, viewer, seat_request, provider):
    CardOnFileFactory(account=account)
    for _ in range(2):
        seat_request_buy_and_approve(
            seat_request=seat_request, actor_membership=admin, idempotency_key="k1", now=NOW
        )
    assert len(provider.charges) == 1
    assert Invoice.objects.filter(account=account).count() == 1
    assert AuditEvent.objects.filter(verb=AuditVerb.SEAT_REQUEST_APPROVED).count() == 1


def test_a_declined_card_buys_and_approves_nothing(account, admin, viewer, seat_request):
    CardOnFileFactory(account=account, gateway_token="tok_test_decline_0000000000000001")
    with pytest.raises(CardDeclined):
        seat_request_buy_and_approve(
            seat_request=seat_request, actor_membership=admin, idempotency_key="k1", now=NOW
        )
    viewer.refresh_from_db()
    seat_request.refresh_from_db()
    assert viewer.seat_type == SeatType.VIEW_ONLY
    assert seat_request.status == SeatRequestStatus.OPEN
    assert sales_total(account) == 1
    assert not Invoice.objects.filter(account=account).exists()
    assert not AuditEvent.objects.filter(verb=AuditVerb.SEAT_REQUEST_APPROVED).exists()


def test_a_request_decided_meanwhile_is_refused_before_the_card_is_charged(
    account, admin, seat_request, provider
):
    CardOnFileFactory(account=account)
    seat_request_deny(seat_request=seat_request, actor_membership=admin, now=NOW)
    with pytest.raises(SeatRequestClosed):
        seat_request_buy_and_approve(
            seat_request=seat_request, actor_membership=admin, idempotency_key="k2", now=NOW
        )
    assert provider.charges == []
    assert sales_total(account) == 1
