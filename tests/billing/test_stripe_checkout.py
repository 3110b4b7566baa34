"""A checkout (a plan bought or upgraded) whose bank asks for 3-D Secure, through StripeGateway
against the fake: it waits as "Needs authentication" and changes nothing; once the money is
confirmed (the page or the webhook, whichever comes first, once) the plan changes as the
checkout would have, at the quoted proration; a quote that no longer holds is refunded."""

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, AuditVerb, Notification, SeatType
from billing.catalogue import HubCode, TierCode
from billing.models import InvoiceStatus, Subscription
from billing.services.bundles import Bundle, bundle_quote
from billing.services.checkout import bundle_checkout
from billing.services.payments import payment_settle
from seats.models import SeatPool
from tests.billing.stripe_world import (
    HALF_WAY,
    NOW,
    card_saved,
    deliver,
    event_about,
    stripe_account,
)
from tests.factories import AccountFactory, MembershipFactory

pytestmark = pytest.mark.django_db

LATER = datetime(2027, 4, 20, tzinfo=UTC)  # the bank confirms days after the quote
ENTERPRISE = Bundle(hubs={HubCode.MARKETING: TierCode.ENTERPRISE}, addons={}, interval="monthly")


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)


def checkout(account, admin, bundle=ENTERPRISE, *, key="form-1", now=HALF_WAY):
    return bundle_checkout(
        account=account, bundle=bundle, idempotency_key=key, actor=admin.user, now=now
    )


def marketing_tier(account) -> str:
    return account.subscriptions.get().items.get(product=HubCode.MARKETING).tier


def core_included(account) -> int:
    return SeatPool.objects.get(account=account, seat_type=SeatType.CORE).included


@pytest.fixture
def waiting(stripe_fake):
    """An upgrade to Marketing Enterprise, quoted half-way through the period, waiting for the
    bank; the quote it was made from."""
    account, admin = stripe_account()
    card_saved(stripe_fake, account, admin, outcome="authentication_required")
    quote = bundle_quote(account=account, bundle=ENTERPRISE, now=HALF_WAY)
    result = checkout(account, admin)
    return account, admin, result.invoice, quote


def test_a_checkout_whose_bank_asks_for_authentication_waits_and_changes_nothing(
    stripe_fake, waiting
):
    account, admin, invoice, quote = waiting

    assert invoice.status == InvoiceStatus.NEEDS_AUTHENTICATION
    assert invoice.total_cents == quote.today_cents > 0
    assert marketing_tier(account) == TierCode.PROFESSIONAL
    assert stripe_fake.taken == []
    assert checkout(account, admin).invoice.pk == invoice.pk  # a double submit: the same one
    assert not AuditEvent.objects.filter(
        account=account, verb=AuditVerb.SUBSCRIPTION_CHANGED, actor=admin.user
    ).exists()


def test_a_confirmed_checkout_applies_the_plan_at_the_quoted_proration_once(stripe_fake, waiting):
    account, admin, invoice, quote = waiting
    included = core_included(account)
    stripe_fake.authenticate(invoice.payment_id)

    settled = payment_settle(invoice=invoice, now=LATER)
    again = payment_settle(invoice=invoice, now=LATER)

    assert (settled.status, again.status) == (InvoiceStatus.PAID, InvoiceStatus.PAID)
    assert settled.grant["outcome"] == "applied"
    assert marketing_tier(account) == TierCode.ENTERPRISE
    assert core_included(account) > included
    [taken] = stripe_fake.taken
    # Charged what was quoted half-way, not what the upgrade would cost on the day it passed.
    assert taken["amount"] == settled.total_cents == quote.today_cents
    assert bundle_quote(account=account, bundle=ENTERPRISE, now=LATER).today_cents == 0
    changed = AuditEvent.objects.filter(
        account=account, verb=AuditVerb.SUBSCRIPTION_CHANGED, actor=admin.user
    )
    assert [event.after["charged_cents"] for event in changed] == [quote.today_cents]


def test_the_webhook_then_the_page_apply_the_checkout_once(stripe_fake, waiting):
    account, admin, invoice, _quote = waiting
    stripe_fake.authenticate(invoice.payment_id)
    body = event_about(stripe_fake, "payment_intent.succeeded", invoice.payment_id)

    assert deliver(body).status_code == 200
    assert deliver(body).status_code == 200
    client = Client()
    client.force_login(admin.user)
    page = client.post(
        reverse("billing:invoice_authenticate", args=[invoice.pk]), follow=True
    ).content.decode()

    assert "Your plan is updated" in page or f"Invoice {invoice.number} was paid" in page
    assert marketing_tier(account) == TierCode.ENTERPRISE
    assert (
        AuditEvent.objects.filter(
            account=account, verb=AuditVerb.SUBSCRIPTION_CHANGED, actor=admin.user
        ).count()
        == 1
    )
    assert len(stripe_fake.taken) == 1


def test_the_page_says_the_plan_is_updated_once_the_bank_confirms(stripe_fake, waiting):
    _account, admin, invoice, _quote = waiting
    client = Client()
    client.force_login(admin.user)
    url = reverse("billing:invoice_authenticate", args=[invoice.pk])
    assert "Your plan changes as soon as the bank confirms the payment" in (
        client.get(url).content.decode()
    )
    stripe_fake.authenticate(invoice.payment_id)

    page = client.post(url, follow=True).content.decode()

    assert f"Thank you! Your plan is updated. Invoice {invoice.number} was paid." in page


def test_a_checkout_paid_after_the_subscription_changed_is_refunded_and_changes_nothing(
    stripe_fake, waiting
):
    account, admin, invoice, _quote = waiting
    # Meanwhile another admin schedules a switch to annual billing (nothing to pay today).
    annual = Bundle(hubs={HubCode.MARKETING: TierCode.PROFESSIONAL}, addons={}, interval="annual")
    checkout(account, admin, annual, key="form-2")
    stripe_fake.authenticate(invoice.payment_id)

    settled = payment_settle(invoice=invoice, now=LATER)

    assert settled.status == InvoiceStatus.PAID
    assert settled.grant["outcome"] == "refunded"
    assert settled.refunded_cents == settled.total_cents
    [taken] = stripe_fake.taken
    assert taken["amount_refunded"] == taken["amount"]
    assert marketing_tier(account) == TierCode.PROFESSIONAL
    assert account.subscriptions.get().interval_at_renewal == "annual"
    assert Notification.objects.filter(
        membership=admin, text__contains="the payment was refunded"
    ).exists()
    assert not Notification.objects.filter(text=f"Invoice {invoice.number} was paid.").exists()
    client = Client()
    client.force_login(admin.user)
    assert "Refunded" in client.get(reverse("billing:invoice", args=[invoice.pk])).content.decode()


def test_a_first_subscription_waits_for_the_bank_then_starts_from_the_quote(stripe_fake):
    account = AccountFactory(name="Globex")
    admin = MembershipFactory(account=account, super_admin=True)
    card_saved(stripe_fake, account, admin, outcome="authentication_required")

    result = checkout(account, admin, now=HALF_WAY)

    assert result.subscription is None
    assert result.invoice.status == InvoiceStatus.NEEDS_AUTHENTICATION
    assert not Subscription.objects.filter(account=account).exists()
    stripe_fake.authenticate(result.invoice.payment_id)

    settled = payment_settle(invoice=result.invoice, now=LATER)

    subscription = Subscription.objects.get(account=account)
    assert settled.grant["outcome"] == "applied"
    assert settled.subscription_id == subscription.pk
    assert subscription.current_period_start == HALF_WAY  # the period paid for
    assert settled.period_end == subscription.current_period_end
    assert marketing_tier(account) == TierCode.ENTERPRISE


def test_a_first_subscription_started_meanwhile_refunds_the_waiting_one(stripe_fake):
    account = AccountFactory(name="Globex")
    admin = MembershipFactory(account=account, super_admin=True)
    card_saved(stripe_fake, account, admin, outcome="authentication_required")
    waiting = checkout(account, admin).invoice
    card_saved(stripe_fake, account, admin)  # another card, which pays at once
    professional = Bundle(
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL}, addons={}, interval="monthly"
    )
    checkout(account, admin, professional, key="form-2")
    stripe_fake.authenticate(waiting.payment_id)

    settled = payment_settle(invoice=waiting, now=LATER)

    assert settled.grant["outcome"] == "refunded"
    assert settled.refunded_cents == settled.total_cents
    assert marketing_tier(account) == TierCode.PROFESSIONAL
