"""A webhook that arrives while the request that started the payment still holds the account's
lock (PostgreSQL: row locks are real there): the outcome is recorded once either way."""

import threading

import pytest
from django.db import connection

from accounts.models import AuditEvent, AuditVerb
from billing.gateway import PaymentStatus, gateway_get
from billing.models import InvoiceStatus
from billing.services.payments import payment_settle
from tests.billing.stripe_world import (
    NOW,
    buy,
    card_saved,
    core_total,
    deliver,
    event_about,
    stripe_account,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)


def webhook_during_the_purchase(stripe_fake, monkeypatch) -> dict:
    """Make the gateway, once Stripe has answered the purchase's charge, deliver that payment's
    `payment_intent.succeeded` (the card holder authenticating at once when asked) before the
    purchase commits; what the webhook's thread saw."""
    gateway, seen = gateway_get(), {}
    charge = gateway.charge

    def deliver_now(payment_id: str) -> None:
        try:
            body = event_about(stripe_fake, "payment_intent.succeeded", payment_id)
            seen["status"] = deliver(body).status_code
        finally:
            connection.close()

    def charge_then_webhook(**kwargs):
        answer = charge(**kwargs)
        if answer.status == PaymentStatus.REQUIRES_ACTION:
            stripe_fake.authenticate(answer.payment_id)
        seen["thread"] = threading.Thread(target=deliver_now, args=(answer.payment_id,))
        seen["thread"].start()
        seen["thread"].join(timeout=1)
        seen["waited"] = seen["thread"].is_alive()  # blocked on the account's lock
        return answer

    monkeypatch.setattr(gateway, "charge", charge_then_webhook)
    return seen


@pytest.mark.parametrize("outcome", ["success", "authentication_required"])
def test_a_webhook_before_the_purchase_commits_records_the_payment_once(
    stripe_fake, monkeypatch, outcome
):
    account, admin = stripe_account()
    card_saved(stripe_fake, account, admin, outcome=outcome)
    before = core_total(account)
    seen = webhook_during_the_purchase(stripe_fake, monkeypatch)

    invoice = buy(account, admin, 3)
    seen["thread"].join(timeout=10)
    invoice = payment_settle(invoice=invoice)  # the card holder's browser comes back too

    assert seen["waited"] is True
    assert seen["status"] == 200
    assert invoice.status == InvoiceStatus.PAID
    assert core_total(account) == before + 3
    assert AuditEvent.objects.filter(verb=AuditVerb.SEATS_BOUGHT).count() == 1
    assert len(stripe_fake.taken) == 1


def test_the_same_event_delivered_twice_at_once_is_handled_once(stripe_fake):
    from billing.models import WebhookEvent
    from tests.concurrency import run_together

    account, admin = stripe_account()
    card_saved(stripe_fake, account, admin, outcome="authentication_required")
    before = core_total(account)
    invoice = buy(account, admin, 3)
    stripe_fake.authenticate(invoice.payment_id)
    body = event_about(stripe_fake, "payment_intent.succeeded", invoice.payment_id)

    answers = run_together([lambda: deliver(body).status_code, lambda: deliver(body).status_code])

    assert answers == [200, 200]
    assert WebhookEvent.objects.count() == 1
    assert core_total(account) == before + 3
    assert AuditEvent.objects.filter(verb=AuditVerb.SEATS_BOUGHT).count() == 1
