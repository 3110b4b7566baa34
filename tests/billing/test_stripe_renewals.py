"""Renewals through StripeGateway, off session: a bank that asks for authentication, or declines,
leaves the subscription past due with today's retry schedule; the billing admins get a link that
completes the payment."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Notification
from billing.models import Invoice, InvoiceStatus, SubscriptionStatus
from billing.services.renewals.batches import renewals_run
from billing.services.renewals.charges import RETRY_DELAYS
from tests.billing.stripe_world import NOW, card_saved, stripe_account

pytestmark = pytest.mark.django_db

RENEWAL = datetime(2027, 5, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)


def renewed(fake, outcome: str):
    account, admin = stripe_account()
    card_saved(fake, account, admin, outcome=outcome)
    renewals_run(now=RENEWAL)
    return account, admin, Invoice.objects.get(account=account, kind="renewal")


def test_a_renewal_is_charged_off_session_with_the_accounts_customer(stripe_fake):
    account, _admin, invoice = renewed(stripe_fake, "success")

    assert invoice.status == InvoiceStatus.PAID
    intent = stripe_fake.intents[invoice.payment_id]
    assert intent["off_session"] is True
    assert invoice.charge_id == stripe_fake.taken[0]["id"]
    assert account.subscriptions.get().status == SubscriptionStatus.ACTIVE


def test_authentication_required_leaves_it_past_due_and_sends_the_admins_a_link(stripe_fake):
    account, admin, invoice = renewed(stripe_fake, "authentication_required")

    assert (invoice.status, invoice.attempts) == (InvoiceStatus.OPEN, 1)
    assert invoice.next_attempt_at == RENEWAL + RETRY_DELAYS[0]
    assert account.subscriptions.get().status == SubscriptionStatus.PAST_DUE
    assert stripe_fake.taken == []
    [notice] = Notification.objects.filter(membership=admin, text__contains=invoice.number)
    assert "your bank asks you to confirm the payment" in notice.text
    assert notice.url == reverse("billing:invoice_authenticate", args=[invoice.pk])


def test_the_link_completes_the_payment_and_the_subscription_is_active_again(stripe_fake):
    account, admin, invoice = renewed(stripe_fake, "authentication_required")
    client = Client()
    client.force_login(admin.user)
    url = reverse("billing:invoice_authenticate", args=[invoice.pk])

    page = client.get(url).content.decode()
    card = account.card
    assert f'data-payment-method="{card.gateway_token}"' in page
    # What Stripe.js's confirmCardPayment does, the card holder there to authenticate.
    with stripe_fake.lock:
        stripe_fake._intent_confirm(
            invoice.payment_id, {"payment_method": card.gateway_token, "off_session": "false"}
        )
    client.post(url)

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert len(stripe_fake.taken) == 1
    assert account.subscriptions.get().status == SubscriptionStatus.ACTIVE


def test_a_declined_renewal_is_past_due_and_retried_on_todays_schedule(stripe_fake):
    account, _admin, invoice = renewed(stripe_fake, "card_declined")

    assert (invoice.status, invoice.attempts, invoice.payment_id) == (InvoiceStatus.OPEN, 1, "")
    assert account.subscriptions.get().status == SubscriptionStatus.PAST_DUE
    renewals_run(now=RENEWAL + timedelta(hours=6))
    invoice.refresh_from_db()
    assert (invoice.status, invoice.attempts) == (InvoiceStatus.OPEN, 2)
    assert invoice.next_attempt_at == RENEWAL + timedelta(hours=6) + RETRY_DELAYS[1]


def test_a_retry_records_the_payment_completed_from_the_link_instead_of_charging_again(
    stripe_fake,
):
    account, _admin, invoice = renewed(stripe_fake, "authentication_required")
    # Completed on the page, but neither its POST nor the webhook reached seatmgr.
    with stripe_fake.lock:
        stripe_fake._intent_confirm(
            invoice.payment_id,
            {"payment_method": account.card.gateway_token, "off_session": "false"},
        )

    renewals_run(now=RENEWAL + timedelta(hours=6))

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.charge_id == stripe_fake.taken[0]["id"]
    assert len(stripe_fake.taken) == 1
    assert account.subscriptions.get().status == SubscriptionStatus.ACTIVE


def test_a_retry_that_finds_its_invoice_paid_by_the_link_meanwhile_is_refunded(
    stripe_fake, monkeypatch
):
    from billing.services.payments import payment_settle
    from billing.services.renewals import subscription as renewals

    account, _admin, invoice = renewed(stripe_fake, "authentication_required")
    # By the retry's time, a working card is on file: the retry charges it off session.
    working = stripe_fake.card_add(customer=stripe_fake.intents[invoice.payment_id]["customer"])
    account.card.__class__.objects.filter(pk=account.card.pk).update(gateway_token=working)
    charge = renewals.card_charge

    def charge_while_the_admin_completes_the_link(**kwargs):
        with stripe_fake.lock:  # the first payment, authenticated on the page meanwhile
            stripe_fake._intent_confirm(invoice.payment_id, {"off_session": "false"})
        payment_settle(invoice=Invoice.objects.get(pk=invoice.pk))
        return charge(**kwargs)

    monkeypatch.setattr(renewals, "card_charge", charge_while_the_admin_completes_the_link)
    monkeypatch.setattr(renewals, "payment_waiting_completed", lambda **kwargs: None)

    assert renewals.invoice_retry(invoice_id=invoice.pk, now=RENEWAL + timedelta(hours=6)) is False

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    first, extra = stripe_fake.taken
    assert invoice.charge_id == first["id"]
    assert extra["amount_refunded"] == extra["amount"]


def retry_pays_with_a_working_card(fake, account, invoice) -> None:
    """By the retry's time a card that works off session is on file: the retry pays."""
    from billing.services.renewals import subscription as renewals

    working = fake.card_add(customer=fake.intents[invoice.payment_id]["customer"])
    account.card.__class__.objects.filter(pk=account.card.pk).update(gateway_token=working)
    assert renewals.invoice_retry(invoice_id=invoice.pk, now=RENEWAL + timedelta(hours=6))


def link_completed_by_the_browser(fake, payment_id: str) -> None:
    """What the page's Stripe.js does when the admin confirms: the bank's challenge passes."""
    with fake.lock:
        fake._intent_confirm(payment_id, {"off_session": "false"})


def test_the_link_completed_after_the_retry_paid_is_refunded_and_the_invoice_says_so(stripe_fake):
    account, admin, invoice = renewed(stripe_fake, "authentication_required")
    client = Client()
    client.force_login(admin.user)
    url = reverse("billing:invoice_authenticate", args=[invoice.pk])
    asked = invoice.payment_id
    assert f'name="payment" value="{asked}"' in client.get(url).content.decode()
    retry_pays_with_a_working_card(stripe_fake, account, invoice)  # the page is still open
    link_completed_by_the_browser(stripe_fake, asked)

    page = client.post(url, {"payment": asked}, follow=True).content.decode()

    invoice.refresh_from_db()
    retry, link = (stripe_fake.charges_for(invoice.payment_id), stripe_fake.charges_for(asked))
    assert invoice.status == InvoiceStatus.PAID
    assert [charge["amount_refunded"] for charge in retry] == [0]
    assert [charge["amount_refunded"] for charge in link] == [invoice.total_cents]
    assert invoice.extra_refunds == {asked: invoice.total_cents}
    assert "was already paid by our retry when your payment went through" in page
    assert (
        "Paid twice, refunded"
        in client.get(reverse("billing:invoice", args=[invoice.pk])).content.decode()
    )
    assert account.subscriptions.get().status == SubscriptionStatus.ACTIVE


def test_the_links_payment_reported_by_webhook_and_page_is_refunded_once(stripe_fake):
    from tests.billing.stripe_world import deliver, event_about

    account, admin, invoice = renewed(stripe_fake, "authentication_required")
    asked = invoice.payment_id
    retry_pays_with_a_working_card(stripe_fake, account, invoice)
    link_completed_by_the_browser(stripe_fake, asked)
    body = event_about(stripe_fake, "payment_intent.succeeded", asked)
    client = Client()
    client.force_login(admin.user)

    deliver(body)
    client.post(reverse("billing:invoice_authenticate", args=[invoice.pk]), {"payment": asked})
    deliver(body)

    invoice.refresh_from_db()
    assert invoice.extra_refunds == {asked: invoice.total_cents}
    assert [r["payment_intent"] for r in stripe_fake.refunds.values()] == [asked]
    assert (
        Notification.objects.filter(membership=admin, text__contains="was paid twice").count() == 1
    )


def test_a_payment_named_by_the_page_that_is_not_the_invoices_is_ignored(stripe_fake):
    other, other_admin = stripe_account("Globex", email="grace@example.com")
    card_saved(stripe_fake, other, other_admin, outcome="authentication_required")
    _account, admin, invoice = renewed(stripe_fake, "authentication_required")
    other_invoice = Invoice.objects.get(account=other, kind="renewal")
    client = Client()
    client.force_login(admin.user)

    client.post(
        reverse("billing:invoice_authenticate", args=[invoice.pk]),
        {"payment": other_invoice.payment_id},
    )
    client.post(reverse("billing:invoice_authenticate", args=[invoice.pk]), {"payment": "pi_x"})

    invoice.refresh_from_db()
    assert (invoice.status, invoice.extra_refunds) == (InvoiceStatus.OPEN, {})
    assert stripe_fake.refunds == {}


def test_paying_a_declined_renewal_from_the_link_asks_the_bank_then_ends_past_due(stripe_fake):
    account, admin, invoice = renewed(stripe_fake, "card_declined")
    card_saved(stripe_fake, account, admin, outcome="authentication_required")
    client = Client()
    client.force_login(admin.user)
    url = reverse("billing:invoice_authenticate", args=[invoice.pk])

    asking = client.post(url, {"pay": "1"}, follow=True).content.decode()

    invoice.refresh_from_db()
    assert "Confirm the payment with your bank" in asking
    assert invoice.status == InvoiceStatus.OPEN and invoice.payment_id
    link_completed_by_the_browser(stripe_fake, invoice.payment_id)
    client.post(url, {"payment": invoice.payment_id})
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert len(stripe_fake.taken) == 1
    assert stripe_fake.intents[invoice.payment_id]["metadata"]["invoice_id"] == str(invoice.pk)
    assert account.subscriptions.get().status == SubscriptionStatus.ACTIVE
