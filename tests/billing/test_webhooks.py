"""/billing/stripe/webhook/: the library verifies each event's signature and age; each event is
handled once, whatever the order and however often it comes."""

import time

import pytest

from accounts.models import AuditEvent, AuditVerb, Notification
from billing.models import CardOnFile, InvoiceStatus, PaymentCustomer, WebhookEvent
from tests.billing.stripe_world import (
    NOW,
    buy,
    card_saved,
    core_total,
    deliver,
    event_about,
    signed,
    stripe_account,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def waiting(stripe_fake):
    """A purchase of 3 Core seats waiting for its authentication, and the Core total before."""
    account, admin = stripe_account()
    card_saved(stripe_fake, account, admin, outcome="authentication_required")
    before = core_total(account)
    return buy(account, admin, 3), before


def test_a_validly_signed_event_is_accepted_and_recorded(stripe_fake):
    body = stripe_fake.event("customer.updated", {"id": "cus_1", "object": "customer"})

    response = deliver(body)

    assert response.status_code == 200
    assert list(WebhookEvent.objects.values_list("type", flat=True)) == ["customer.updated"]


def test_a_tampered_body_is_refused(stripe_fake):
    body = stripe_fake.event("customer.updated", {"id": "cus_1", "object": "customer"})
    signature = signed(body)

    response = deliver(body.replace(b"cus_1", b"cus_2"), signature=signature)

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_an_old_timestamp_is_refused(stripe_fake):
    body = stripe_fake.event("customer.updated", {"id": "cus_1", "object": "customer"})

    response = deliver(body, signature=signed(body, timestamp=int(time.time()) - 600))

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_another_secret_or_no_signature_is_refused(stripe_fake):
    body = stripe_fake.event("customer.updated", {"id": "cus_1", "object": "customer"})

    assert deliver(body, signature=signed(body, secret="whsec_other")).status_code == 400
    assert deliver(body, signature="").status_code == 400
    assert not WebhookEvent.objects.exists()


def test_the_test_gateway_accepts_no_webhook(client):
    response = client.post("/billing/stripe/webhook/", data=b"{}", content_type="application/json")

    assert response.status_code == 400


def test_only_post_is_answered(stripe_fake, client):
    assert client.get("/billing/stripe/webhook/").status_code == 405


def test_payment_succeeded_delivered_twice_grants_the_seats_once(stripe_fake, waiting):
    invoice, before = waiting
    stripe_fake.authenticate(invoice.payment_id)
    body = event_about(stripe_fake, "payment_intent.succeeded", invoice.payment_id)

    first, second = deliver(body), deliver(body)

    assert (first.status_code, second.status_code) == (200, 200)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert core_total(invoice.account) == before + 3
    assert AuditEvent.objects.filter(verb=AuditVerb.SEATS_BOUGHT).count() == 1
    assert WebhookEvent.objects.count() == 1


def test_events_out_of_order_settle_on_the_payments_current_state(stripe_fake, waiting):
    invoice, before = waiting
    # Sent while the bank's challenge was open, delivered after the one that says it passed.
    stale = event_about(stripe_fake, "payment_intent.payment_failed", invoice.payment_id)
    stripe_fake.authenticate(invoice.payment_id)
    succeeded = event_about(stripe_fake, "payment_intent.succeeded", invoice.payment_id)

    assert deliver(succeeded).status_code == 200
    assert deliver(stale).status_code == 200

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert core_total(invoice.account) == before + 3


def test_a_stale_failure_delivered_first_does_not_void_a_payment_that_passed(stripe_fake, waiting):
    invoice, before = waiting
    stale = event_about(stripe_fake, "payment_intent.payment_failed", invoice.payment_id)
    stripe_fake.authenticate(invoice.payment_id)

    deliver(stale)

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert core_total(invoice.account) == before + 3


def test_a_refund_is_recorded_and_an_older_refund_event_changes_nothing(stripe_fake):
    account, admin = stripe_account()
    card_saved(stripe_fake, account, admin)
    invoice = buy(account, admin, 3)
    charge = stripe_fake.taken[0]
    first = stripe_fake.event("charge.refunded", {**charge, "amount_refunded": 1000})
    later = stripe_fake.event("charge.refunded", {**charge, "amount_refunded": 3000})

    deliver(later)
    deliver(first)

    invoice.refresh_from_db()
    assert invoice.refunded_cents == 3000


def test_a_dispute_tells_the_billing_admins(stripe_fake):
    account, admin = stripe_account()
    card_saved(stripe_fake, account, admin)
    invoice = buy(account, admin, 3)
    dispute = {"id": "dp_1", "object": "dispute", "amount": 500, "charge": invoice.charge_id}
    body = stripe_fake.event(
        "charge.dispute.created", {**dispute, "payment_intent": invoice.payment_id}
    )

    deliver(body)

    assert Notification.objects.filter(
        membership=admin, text__contains=f"disputes the payment of invoice {invoice.number}"
    ).exists()


def test_a_card_detached_at_stripe_is_no_longer_the_card_on_file(stripe_fake):
    account, admin = stripe_account()
    card = card_saved(stripe_fake, account, admin)
    method = {**stripe_fake.methods[card.gateway_token], "customer": None}

    deliver(stripe_fake.event("payment_method.detached", method))

    assert not CardOnFile.objects.filter(account=account).exists()


def customer_of(account) -> str:
    return PaymentCustomer.objects.get(account=account).customer_id


def test_a_default_card_chosen_in_stripes_dashboard_is_the_card_shown_on_payment_method(
    stripe_fake, client
):
    account, admin = stripe_account()
    card_saved(stripe_fake, account, admin)
    other = stripe_fake.card_add(brand="mastercard", last4="4444", exp_month=3, exp_year=2030)
    body = stripe_fake.event(
        "customer.updated", stripe_fake.customer_default_set(customer_of(account), other)
    )

    assert deliver(body).status_code == 200

    card = CardOnFile.objects.get(account=account)
    assert (card.gateway_token, card.brand, card.last4) == (other, "Mastercard", "4444")
    assert (card.exp_month, card.exp_year) == (3, 2030)
    client.force_login(admin.user)
    assert "Mastercard •••• 4444" in client.get("/settings/billing/card/").content.decode()
    assert Notification.objects.filter(
        membership=admin, text__contains="The card on file is now Mastercard •••• 4444"
    ).exists()


def test_customer_events_twice_or_out_of_order_end_on_the_customers_current_card(stripe_fake):
    account, admin = stripe_account()
    card_saved(stripe_fake, account, admin)
    first = stripe_fake.card_add(brand="mastercard", last4="4444")
    older = stripe_fake.event(
        "customer.updated", stripe_fake.customer_default_set(customer_of(account), first)
    )
    second = stripe_fake.card_add(brand="amex", last4="0005")
    newer = stripe_fake.event(
        "customer.updated", stripe_fake.customer_default_set(customer_of(account), second)
    )

    deliver(newer)
    deliver(older)
    deliver(newer)

    card = CardOnFile.objects.get(account=account)
    assert (card.gateway_token, card.brand, card.last4) == (second, "American Express", "0005")
    changes = AuditEvent.objects.filter(
        account=account, verb=AuditVerb.BILLING_CHANGED, before__card__isnull=False
    )
    assert [event.after["card"] for event in changes] == ["American Express •••• 0005"]


def test_a_customer_without_a_default_card_keeps_the_card_on_file(stripe_fake):
    account, admin = stripe_account()
    card = card_saved(stripe_fake, account, admin)
    customer = stripe_fake.customers[customer_of(account)]

    deliver(stripe_fake.event("customer.updated", {**customer, "name": "Initech Ltd"}))

    assert CardOnFile.objects.get(account=account).gateway_token == card.gateway_token


def test_a_customer_deleted_in_stripe_leaves_no_card_on_file(stripe_fake):
    account, admin = stripe_account()
    card_saved(stripe_fake, account, admin)
    customer = customer_of(account)
    # The update sent before the deletion arrives after it: the deletion still wins.
    stale = stripe_fake.event("customer.updated", stripe_fake.customers[customer])
    deleted = stripe_fake.event("customer.deleted", stripe_fake.customer_delete(customer))

    deliver(deleted)
    deliver(stale)

    assert not CardOnFile.objects.filter(account=account).exists()
    assert Notification.objects.filter(
        membership=admin, text__contains="customer was deleted at the payment provider"
    ).exists()


def test_after_its_customer_was_deleted_in_stripe_the_account_saves_a_card_again(stripe_fake):
    account, admin = stripe_account()
    card_saved(stripe_fake, account, admin)
    deleted = customer_of(account)
    deliver(stripe_fake.event("customer.deleted", stripe_fake.customer_delete(deleted)))

    card = card_saved(stripe_fake, account, admin)

    assert CardOnFile.objects.get(account=account) == card
    # A new customer at Stripe, the one the account now pays as.
    assert customer_of(account) != deleted
    assert not stripe_fake.customers[customer_of(account)].get("deleted")
    assert stripe_fake.methods[card.gateway_token]["customer"] == customer_of(account)
