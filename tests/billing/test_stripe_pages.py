"""The "Payment method" page with Stripe Elements, the authentication page, the invoice's charge
and receipt, and the Content-Security-Policy that allows Stripe.js only with the Stripe gateway."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import SeatType
from billing.models import CardOnFile, InvoiceStatus
from billing.services.cards import card_setup_start
from tests.billing.stripe_world import (
    NOW,
    buy,
    card_saved,
    core_total,
    stripe_account,
)
from tests.factories import AccountFactory, MembershipFactory

pytestmark = pytest.mark.django_db

CARD = reverse("billing:card")


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)


def signed_in(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def test_the_test_gateway_keeps_its_card_form_and_the_site_wide_policy():
    admin = MembershipFactory(account=AccountFactory(), super_admin=True)
    client = signed_in(admin)

    card_page = client.get(CARD)
    other_page = client.get(reverse("billing:invoices"))

    assert b'name="number"' in card_page.content
    assert b"Stripe" not in card_page.content
    policy = card_page["Content-Security-Policy"]
    assert policy == other_page["Content-Security-Policy"]
    assert "stripe" not in policy and "127.0.0.1" not in policy


def test_the_stripe_page_mounts_elements_with_a_setup_intent_and_allows_only_stripe_js(
    stripe_fake,
):
    _account, admin = stripe_account()

    page = signed_in(admin).get(CARD)

    [setup] = stripe_fake.setups.values()
    content = page.content.decode()
    assert f'data-client-secret="{setup["client_secret"]}"' in content
    assert 'data-publishable-key="pk_test_fake"' in content
    assert f'<script src="{stripe_fake.base}/v3/">' in content
    assert 'name="number"' not in content  # no card number ever reaches seatmgr
    directives = dict(
        part.strip().split(" ", 1) for part in page["Content-Security-Policy"].split(";")
    )
    for name in ("script-src", "frame-src", "connect-src"):
        assert stripe_fake.base in directives[name]
    # Elsewhere, the site-wide policy: no Stripe origin.
    assert (
        stripe_fake.base
        not in signed_in(admin).get(reverse("billing:invoices"))["Content-Security-Policy"]
    )


def test_posting_the_completed_setup_saves_the_card(stripe_fake):
    account, admin = stripe_account()
    setup = card_setup_start(account=account)
    stripe_fake.setup_complete(setup.id, payment_method=stripe_fake.card_add(last4="1881"))

    response = signed_in(admin).post(CARD, {"setup_intent": setup.id})

    assert response.status_code == 302
    assert CardOnFile.objects.get(account=account).last4 == "1881"


def test_posting_a_setup_that_is_not_complete_saves_nothing(stripe_fake):
    account, admin = stripe_account()
    setup = card_setup_start(account=account)

    response = signed_in(admin).post(CARD, {"setup_intent": setup.id}, follow=True)

    assert "The card could not be saved" in response.content.decode()
    assert not CardOnFile.objects.filter(account=account).exists()


def test_buying_seats_that_need_authentication_goes_to_the_authentication_page(stripe_fake):
    account, admin = stripe_account()
    card_saved(stripe_fake, account, admin, outcome="authentication_required")
    before = core_total(account)

    response = signed_in(admin).post(
        reverse("billing:seats_add", args=[SeatType.CORE]),
        {"quantity": "2", "idempotency_key": "form-1"},
    )

    invoice = account.invoices.get(kind="purchase")
    assert response["Location"] == reverse("billing:invoice_authenticate", args=[invoice.pk])
    assert invoice.status == InvoiceStatus.NEEDS_AUTHENTICATION
    assert core_total(account) == before


def test_the_authentication_page_then_its_post_pays_the_invoice_and_grants_the_seats(
    stripe_fake,
):
    account, admin = stripe_account()
    card_saved(stripe_fake, account, admin, outcome="authentication_required")
    before = core_total(account)
    invoice = buy(account, admin, 3)
    url = reverse("billing:invoice_authenticate", args=[invoice.pk])
    client = signed_in(admin)

    page = client.get(url)
    assert stripe_fake.intents[invoice.payment_id]["client_secret"] in page.content.decode()
    stripe_fake.authenticate(invoice.payment_id)  # what Stripe.js's confirmCardPayment does
    done = client.post(url, follow=True)

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert core_total(account) == before + 3
    assert f"Invoice {invoice.number} was paid." in done.content.decode()


def test_a_paid_invoice_shows_the_charge_id_and_the_receipt(stripe_fake):
    account, admin = stripe_account()
    card_saved(stripe_fake, account, admin)
    invoice = buy(account, admin, 3)

    page = signed_in(admin).get(reverse("billing:invoice", args=[invoice.pk])).content.decode()

    assert invoice.charge_id in page
    assert f'href="{invoice.receipt_url}"' in page


def test_another_accounts_invoice_has_no_authentication_page(stripe_fake):
    account, admin = stripe_account()
    card_saved(stripe_fake, account, admin, outcome="authentication_required")
    invoice = buy(account, admin, 3)
    _other, stranger = stripe_account("Other Co", email="eve@example.com")

    assert (
        signed_in(stranger)
        .get(reverse("billing:invoice_authenticate", args=[invoice.pk]))
        .status_code
        == 404
    )
