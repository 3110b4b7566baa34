"""A webhook that arrives while the request that started the payment still holds the account's
lock (PostgreSQL: row locks are real there): the outcome is recorded once either way."""

import threading
from datetime import UTC, datetime, timedelta

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

RENEWAL = datetime(2027, 5, 1, tzinfo=UTC)
RETRY = RENEWAL + timedelta(hours=6)


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


# --- A renewal's retry and the billing admins' payment link at the same time ----------------


def renewal_waiting_for_the_link(stripe_fake):
    """A renewal refused off session (the bank asks for authentication): past due, its admins
    sent the link; by the retry's time a card that works off session is on file. The account,
    its invoice and the payment the link completes."""
    from billing.models import CardOnFile, Invoice
    from billing.services.renewals.batches import renewals_run

    account, admin = stripe_account()
    card_saved(stripe_fake, account, admin, outcome="authentication_required")
    renewals_run(now=RENEWAL)
    invoice = Invoice.objects.get(account=account, kind="renewal")
    working = stripe_fake.card_add(customer=stripe_fake.intents[invoice.payment_id]["customer"])
    CardOnFile.objects.filter(account=account).update(gateway_token=working)
    return account, invoice, invoice.payment_id


def held_first(monkeypatch, module, name: str) -> threading.Event:
    """Make `module.name` (called by a service under the account's lock) pause the first time;
    the event is set once that call holds the lock."""
    import time

    original, holding = getattr(module, name), threading.Event()

    def held(*args, **kwargs):
        result = original(*args, **kwargs)
        if not holding.is_set():
            holding.set()
            time.sleep(0.5)
        return result

    monkeypatch.setattr(module, name, held)
    return holding


def after(holding: threading.Event, call):
    def second():
        assert holding.wait(timeout=10), "the first call never took the lock"
        return call()

    return second


@pytest.mark.parametrize("first", ["retry", "link"])
def test_the_retry_and_the_link_paying_at_once_keep_one_payment(stripe_fake, monkeypatch, first):
    from billing.models import Invoice
    from billing.services import payments
    from billing.services.renewals import subscription as renewals
    from tests.concurrency import run_together

    account, invoice, asked = renewal_waiting_for_the_link(stripe_fake)
    # The admin's browser has passed the bank's challenge; its POST and the retry race.
    stripe_fake.authenticate(asked)
    # The retry does not look at the link's payment first: it charges (the race's worst case).
    monkeypatch.setattr(renewals, "payment_waiting_completed", lambda **kwargs: None)
    if first == "retry":
        holding = held_first(monkeypatch, renewals, "invoice_charge_note")
    else:
        holding = held_first(monkeypatch, payments, "invoice_charge_note")

    def retry():
        return renewals.invoice_retry(invoice_id=invoice.pk, now=RETRY)

    def link():
        return payment_settle(invoice=Invoice.objects.get(pk=invoice.pk), payment_id=asked)

    calls = [retry, after(holding, link)] if first == "retry" else [link, after(holding, retry)]
    outcomes = run_together(calls)

    assert not any(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    kept = [c for c in stripe_fake.taken if c["amount_refunded"] == 0]
    refunded = [c for c in stripe_fake.taken if c["amount_refunded"] == c["amount"]]
    assert len(stripe_fake.taken) == 2
    assert [c["payment_intent"] for c in kept] == [invoice.payment_id]
    assert len(refunded) == 1
    assert invoice.extra_refunds == {refunded[0]["payment_intent"]: invoice.total_cents}
    assert account.subscriptions.get().status == "active"


@pytest.mark.parametrize("first", ["retry", "pay now"])
def test_the_retry_and_pay_now_at_once_take_the_money_once(stripe_fake, monkeypatch, first):
    from billing.models import Invoice
    from billing.services import payments
    from billing.services.payments import invoice_pay
    from billing.services.renewals import subscription as renewals
    from billing.services.renewals.batches import renewals_run
    from tests.concurrency import run_together

    account, admin = stripe_account()
    card_saved(stripe_fake, account, admin, outcome="card_declined")
    renewals_run(now=RENEWAL)
    invoice = Invoice.objects.get(account=account, kind="renewal")
    card_saved(stripe_fake, account, admin)  # a working card: both would be paid
    module = renewals if first == "retry" else payments
    holding = held_first(monkeypatch, module, "invoice_charge_note")

    def retry():
        return renewals.invoice_retry(invoice_id=invoice.pk, now=RETRY)

    def pay_now():
        return invoice_pay(invoice=Invoice.objects.get(pk=invoice.pk))

    calls = (
        [retry, after(holding, pay_now)] if first == "retry" else [pay_now, after(holding, retry)]
    )
    outcomes = run_together(calls)

    assert not any(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    kept = [c for c in stripe_fake.taken if c["amount_refunded"] == 0]
    assert [c["payment_intent"] for c in kept] == [invoice.payment_id]
    if first == "retry":  # "Pay now" found the invoice paid: it charged nothing
        assert len(stripe_fake.taken) == 1
    else:  # the retry had charged before it could see: its payment is given back
        assert len(stripe_fake.taken) == 2
        assert list(invoice.extra_refunds.values()) == [invoice.total_cents]
    assert account.subscriptions.get().status == "active"
