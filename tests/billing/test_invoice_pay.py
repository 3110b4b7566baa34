"""The link the billing admins are sent about an unpaid renewal: "Pay now" charges the card on
file with them there, once, and a subscription that owes nothing more is no longer past due.
The built-in test mode; Stripe's bank authentication is in test_stripe_renewals.py."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Notification
from billing.catalogue import HubCode, TierCode
from billing.gateway import TestGateway, gateway_get
from billing.models import Invoice, InvoiceStatus, SubscriptionStatus
from billing.periods import BillingInterval
from billing.services.cards import card_save
from billing.services.renewals.batches import renewals_run
from billing.services.renewals.subscription import invoice_retry
from billing.services.subscriptions import subscription_start
from tests.factories import AccountFactory, MembershipFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 4, 1, tzinfo=UTC)
RENEWAL = datetime(2027, 5, 1, tzinfo=UTC)
DECLINED, WORKS = "4000 0000 0000 0002", "4242 4242 4242 4242"


class CountingGateway(TestGateway):
    """The test mode, counting the charges that took money."""

    taken: list[str] = []

    def charge(self, **kwargs):
        charge = super().charge(**kwargs)
        CountingGateway.taken.append(kwargs["idempotency_key"])
        return charge


@pytest.fixture(autouse=True)
def provider(settings, time_machine):
    time_machine.move_to(RENEWAL, tick=False)
    settings.PAYMENT_GATEWAY = f"{__name__}.CountingGateway"
    CountingGateway.taken = []
    gateway_get.cache_clear()
    yield CountingGateway
    gateway_get.cache_clear()


def save(account, admin, number: str) -> None:
    card_save(
        account=account, number=number, exp_month=12, exp_year=2031, cvc="123", actor=admin.user
    )


@pytest.fixture
def declined():
    """A renewal the card on file declined: past due, its invoice open; the billing admin."""
    account = AccountFactory(name="Initech")
    subscription_start(
        account=account,
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL},
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
    )
    admin = MembershipFactory(account=account, super_admin=True)
    save(account, admin, DECLINED)
    renewals_run(now=RENEWAL)
    return account, admin, Invoice.objects.get(account=account, kind="renewal")


def link_of(admin, invoice) -> str:
    [notice] = Notification.objects.filter(membership=admin, text__contains=invoice.number)
    return notice.url


def signed_in(admin) -> Client:
    client = Client()
    client.force_login(admin.user)
    return client


def test_a_declined_renewal_sends_a_link_that_pays_it(declined, provider):
    account, admin, invoice = declined
    url = link_of(admin, invoice)
    assert url == reverse("billing:invoice_authenticate", args=[invoice.pk])
    save(account, admin, WORKS)
    client = signed_in(admin)
    assert "Pay it now with the card on file: Visa •••• 4242." in client.get(url).content.decode()

    page = client.post(url, {"pay": "1"}, follow=True).content.decode()

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert f"Invoice {invoice.number} was paid." in page
    assert account.subscriptions.get().status == SubscriptionStatus.ACTIVE
    assert len(provider.taken) == 1


def test_paying_twice_from_the_link_charges_once(declined, provider):
    account, admin, invoice = declined
    save(account, admin, WORKS)
    client, url = signed_in(admin), link_of(admin, invoice)

    client.post(url, {"pay": "1"})
    client.post(url, {"pay": "1"})

    assert len(provider.taken) == 1


def test_the_link_does_not_charge_an_invoice_the_retry_paid_meanwhile(declined, provider):
    account, admin, invoice = declined
    client, url = signed_in(admin), link_of(admin, invoice)
    assert "Pay now" in client.get(url).content.decode()  # the page is open...
    save(account, admin, WORKS)
    assert invoice_retry(invoice_id=invoice.pk, now=RENEWAL + timedelta(hours=6))  # ...the retry

    client.post(url, {"pay": "1"})

    assert len(provider.taken) == 1
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_a_card_declined_from_the_link_changes_nothing_and_says_so(declined, provider):
    account, admin, invoice = declined
    client, url = signed_in(admin), link_of(admin, invoice)

    page = client.post(url, {"pay": "1"}, follow=True).content.decode()

    invoice.refresh_from_db()
    assert (invoice.status, invoice.attempts) == (InvoiceStatus.OPEN, 1)
    assert account.subscriptions.get().status == SubscriptionStatus.PAST_DUE
    assert "declined" in page
    assert provider.taken == []
