"""Purchases, renewals and cards through StripeGateway against the fake: the money first,
then what it buys; authentication; a dropped connection retried with the same key."""

import pytest

from accounts.models import Notification
from billing.errors import CardDeclined
from billing.models import CardOnFile, Invoice, InvoiceStatus, PaymentCustomer
from billing.services.payments import payment_settle
from tests.billing.stripe_world import (
    NOW,
    buy,
    card_saved,
    core_total,
    stripe_account,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)


def test_saving_a_card_creates_the_accounts_customer_once_and_keeps_only_what_it_may(
    stripe_fake,
):
    account, admin = stripe_account()

    card = card_saved(stripe_fake, account, admin)
    card_saved(stripe_fake, account, admin)

    customer = PaymentCustomer.objects.get(account=account)
    assert list(stripe_fake.customers) == [customer.customer_id]
    card = CardOnFile.objects.get(account=account)
    assert (card.brand, card.last4, card.exp_month, card.exp_year) == ("Visa", "4242", 12, 2031)
    assert card.gateway_token.startswith("pm_")


def test_a_replaced_card_is_detached_at_stripe(stripe_fake, django_capture_on_commit_callbacks):
    account, admin = stripe_account()
    first = card_saved(stripe_fake, account, admin)

    with django_capture_on_commit_callbacks(execute=True):
        card_saved(stripe_fake, account, admin)

    assert stripe_fake.methods[first.gateway_token]["customer"] is None


def test_a_purchase_is_paid_then_granted_with_the_charge_id_and_receipt(stripe_fake):
    account, admin = stripe_account()
    card_saved(stripe_fake, account, admin)
    before = core_total(account)

    invoice = buy(account, admin, 3)

    assert invoice.status == InvoiceStatus.PAID
    [taken] = stripe_fake.taken
    assert (invoice.charge_id, invoice.receipt_url) == (taken["id"], taken["receipt_url"])
    assert taken["amount"] == invoice.total_cents
    assert core_total(account) == before + 3
    intent = stripe_fake.intents[invoice.payment_id]
    assert intent["customer"] == PaymentCustomer.objects.get(account=account).customer_id
    assert intent["metadata"]["account_id"] == str(account.pk)


def test_a_declined_purchase_grants_nothing_and_writes_no_invoice(stripe_fake):
    account, admin = stripe_account()
    card_saved(stripe_fake, account, admin, outcome="card_declined")
    before = core_total(account)

    with pytest.raises(CardDeclined):
        buy(account, admin, 3)

    assert (core_total(account), Invoice.objects.filter(kind="purchase").count()) == (before, 0)
    assert stripe_fake.taken == []


def test_authentication_required_waits_grants_nothing_then_grants_once_completed(stripe_fake):
    account, admin = stripe_account()
    card_saved(stripe_fake, account, admin, outcome="authentication_required")
    before = core_total(account)

    invoice = buy(account, admin, 3)

    assert invoice.status == InvoiceStatus.NEEDS_AUTHENTICATION
    assert (core_total(account), stripe_fake.taken) == (before, [])
    assert buy(account, admin, 3).pk == invoice.pk  # a double submit waits for the same one
    stripe_fake.authenticate(invoice.payment_id)

    settled = payment_settle(invoice=invoice)
    again = payment_settle(invoice=invoice)

    assert (settled.status, again.status) == (InvoiceStatus.PAID, InvoiceStatus.PAID)
    assert settled.charge_id == stripe_fake.taken[0]["id"]
    assert core_total(account) == before + 3
    assert len(stripe_fake.taken) == 1


def test_an_authentication_that_fails_leaves_the_invoice_void_and_nothing_granted(stripe_fake):
    account, admin = stripe_account()
    card_saved(stripe_fake, account, admin, outcome="authentication_required")
    before = core_total(account)
    invoice = buy(account, admin, 3)
    stripe_fake.intents[invoice.payment_id]["status"] = "requires_payment_method"

    settled = payment_settle(invoice=invoice)

    assert settled.status == InvoiceStatus.VOID
    assert core_total(account) == before
    assert Notification.objects.filter(text__contains="was not paid").count() == 1


def test_a_dropped_answer_is_retried_with_the_same_key_and_the_purchase_charged_once(
    stripe_fake,
):
    account, admin = stripe_account()
    card_saved(stripe_fake, account, admin)
    stripe_fake.drop_next()

    invoice = buy(account, admin, 3)

    assert invoice.status == InvoiceStatus.PAID
    keys = [key for _m, path, key in stripe_fake.requests if path == "/v1/payment_intents"]
    assert len(keys) == 2 and len(set(keys)) == 1
    assert [c["id"] for c in stripe_fake.taken] == [invoice.charge_id]
