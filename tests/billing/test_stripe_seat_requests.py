"""“Buy 1 seat and approve” when the bank asks the billing admin for 3-D Secure (StripeGateway
against the fake): the request stays open while the payment waits, and is approved with the
seat once the money is confirmed, from the page or the webhook, once."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, AuditVerb, SeatType
from billing.models import InvoiceStatus
from billing.services.payments import payment_settle
from billing.services.seat_requests import seat_request_buy_and_approve
from seats.models import SeatRequestStatus
from seats.requests.services import seat_request_cancel, seat_request_create
from tests.billing.stripe_world import (
    HALF_WAY,
    NOW,
    card_saved,
    core_total,
    deliver,
    event_about,
    stripe_account,
)
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def waiting(stripe_fake):
    """A View-only member's request for a Core seat, bought and approved by the super admin
    with a card whose bank asks for authentication: the purchase waits."""
    account, admin = stripe_account()
    card_saved(stripe_fake, account, admin, outcome="authentication_required")
    viewer = MembershipFactory(account=account, view_only=True, first_name="Grace")
    seat_request = seat_request_create(
        membership=viewer, seat_type=SeatType.CORE, reason="Campaigns", now=NOW
    )
    before = core_total(account)
    invoice = seat_request_buy_and_approve(
        seat_request=seat_request, actor_membership=admin, idempotency_key="k1", now=HALF_WAY
    )
    return admin, viewer, seat_request, invoice, before


def test_the_request_stays_open_while_the_payment_waits_for_the_bank(stripe_fake, waiting):
    admin, viewer, seat_request, invoice, before = waiting

    seat_request.refresh_from_db()
    viewer.refresh_from_db()
    assert invoice.status == InvoiceStatus.NEEDS_AUTHENTICATION
    assert seat_request.status == SeatRequestStatus.OPEN
    assert viewer.seat_type == SeatType.VIEW_ONLY
    assert core_total(admin.account) == before


def test_the_confirmed_payment_buys_the_seat_and_approves_the_request_once(stripe_fake, waiting):
    admin, viewer, seat_request, invoice, before = waiting
    stripe_fake.authenticate(invoice.payment_id)
    body = event_about(stripe_fake, "payment_intent.succeeded", invoice.payment_id)

    deliver(body)
    settled = payment_settle(invoice=invoice)
    deliver(body)

    seat_request.refresh_from_db()
    viewer.refresh_from_db()
    assert settled.grant["outcome"] == "approved"
    assert seat_request.status == SeatRequestStatus.APPROVED
    assert seat_request.decided_by == admin.user
    assert viewer.seat_type == SeatType.CORE
    assert core_total(admin.account) == before + 1
    assert AuditEvent.objects.filter(verb=AuditVerb.SEAT_REQUEST_APPROVED).count() == 1
    assert AuditEvent.objects.filter(verb=AuditVerb.SEATS_BOUGHT).count() == 1


def test_the_approver_is_told_on_the_page_once_the_bank_confirms(stripe_fake, waiting):
    admin, viewer, _seat_request, invoice, _before = waiting
    client = Client()
    client.force_login(admin.user)
    url = reverse("billing:invoice_authenticate", args=[invoice.pk])
    name = viewer.display_name
    assert f"{name}'s request for a Core seat is approved as soon as the bank" in (
        client.get(url).content.decode()
    )
    stripe_fake.authenticate(invoice.payment_id)

    page = client.post(url, follow=True).content.decode()

    assert f"Seat bought and request approved: {name} now has a Core seat." in page


def test_a_request_cancelled_before_the_bank_confirms_keeps_the_seat_bought(stripe_fake, waiting):
    admin, viewer, seat_request, invoice, before = waiting
    seat_request_cancel(seat_request=seat_request, membership=viewer, now=HALF_WAY)
    stripe_fake.authenticate(invoice.payment_id)
    client = Client()
    client.force_login(admin.user)

    page = client.post(
        reverse("billing:invoice_authenticate", args=[invoice.pk]), follow=True
    ).content.decode()

    seat_request.refresh_from_db()
    viewer.refresh_from_db()
    assert seat_request.status == SeatRequestStatus.CANCELLED
    assert viewer.seat_type == SeatType.VIEW_ONLY
    assert core_total(admin.account) == before + 1
    assert "request could not be approved" in page
