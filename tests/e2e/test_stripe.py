"""The Stripe gateway in Chromium at 1280×800, against the tests' fake of Stripe, which also
serves a stand-in for Stripe.js (tests/billing/stripe_fake.js): a card saved through "Elements",
seats bought with a card whose bank asks for 3-D Secure, the payment confirmed on the page; the
same for an upgrade at checkout and for "Buy 1 seat and approve"; the emailed link of a renewal
refused off session. Screenshots in var/screens/billing/.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import SeatType
from billing.gateway import gateway_get
from billing.models import CardOnFile, Invoice, InvoiceStatus, SubscriptionStatus
from seats.catalogue import seat_default_permissions
from seats.models import SeatPool
from tests.billing.stripe_fake import stripe_fake_start, stripe_fake_stop
from tests.e2e.conftest import WINDOW, page_width
from tests.e2e.conftest import screenshot as shared_screenshot
from tests.factories import subscribed_account

pytestmark = pytest.mark.django_db(transaction=True)

BILLING_ADMIN = {**seat_default_permissions("core"), "account.billing": "on"}
NEEDS_3DS = "4000 0027 6000 3184"  # Stripe's test card whose bank asks for authentication


@pytest.fixture
def stripe_fake(settings):
    fake = stripe_fake_start()
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
    settings.STRIPE_API_BASE_FOR_TESTS = fake.base
    gateway_get.cache_clear()
    yield fake
    gateway_get.cache_clear()
    stripe_fake_stop(fake)


@pytest.fixture
def acme():
    return subscribed_account(extra_seats={"core": 2})


def screenshot(page, name: str) -> None:
    shared_screenshot(page, "billing", name)


def test_a_card_saved_with_elements_then_seats_paid_after_3d_secure(
    page, signed_in, acme, stripe_fake
):
    page.set_viewport_size(WINDOW)
    signed_in("member", account=acme, permissions=BILLING_ADMIN)

    page.goto("/settings/billing/card/")
    expect(page.get_by_role("heading", name="Add a card")).to_be_visible()
    card_field = page.get_by_label("Card number")
    expect(card_field).to_be_visible()  # mounted by (the stand-in for) Stripe.js
    card_field.fill(NEEDS_3DS)
    screenshot(page, "stripe-card-elements")
    page.get_by_role("button", name="Save card").click()

    expect(page.get_by_role("status")).to_contain_text("The card was saved.")
    expect(page.get_by_text("Card on file: Visa •••• 3184")).to_be_visible()
    card = CardOnFile.objects.get(account=acme)
    assert card.gateway_token.startswith("pm_")
    assert page_width(page) <= WINDOW["width"]

    page.goto(f"/settings/seats/{SeatType.CORE}/add/")
    page.get_by_role("button", name="Buy now").click()

    expect(page.get_by_role("heading", name="Confirm the payment with your bank")).to_be_visible()
    invoice = Invoice.objects.get(account=acme, kind="purchase")
    assert invoice.status == InvoiceStatus.NEEDS_AUTHENTICATION
    assert SeatPool.objects.get(account=acme, seat_type=SeatType.CORE).total == 5
    screenshot(page, "stripe-needs-authentication")
    page.get_by_role("button", name="Confirm the payment").click()

    expect(page.get_by_role("status")).to_contain_text(f"Invoice {invoice.number} was paid.")
    expect(page.get_by_text(re.compile(r"ch_[0-9a-f]+"))).to_be_visible()
    expect(page.get_by_role("link", name="Receipt")).to_be_visible()
    screenshot(page, "stripe-invoice-paid")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert SeatPool.objects.get(account=acme, seat_type=SeatType.CORE).total == 6
    assert len(stripe_fake.taken) == 1


def test_a_card_the_provider_refuses_shows_its_message_and_saves_nothing(
    page, signed_in, acme, stripe_fake
):
    page.set_viewport_size(WINDOW)
    signed_in("member", account=acme, permissions=BILLING_ADMIN)

    page.goto("/settings/billing/card/")
    page.get_by_label("Card number").fill("1234 5678 9012 3456")
    page.get_by_role("button", name="Save card").click()

    expect(page.get_by_role("alert")).to_contain_text("Your card number is incorrect.")
    screenshot(page, "stripe-card-refused")
    assert not CardOnFile.objects.filter(account=acme).exists()


def renewal_link_emailed_to(membership) -> str:
    """The path of the link in the billing admin's email about the renewal."""
    from django.core import mail

    [message] = [
        m for m in mail.outbox if m.to == [membership.user.email] and "renewed until" in m.body
    ]
    [link] = re.findall(r"https?://\S+", message.body)
    return urlsplit(link).path


def test_the_emailed_renewal_link_completes_the_payment_and_ends_past_due(
    page, signed_in, acme, stripe_fake
):
    from billing.services.cards import card_save_from_setup, card_setup_start
    from billing.services.renewals.batches import renewals_run

    page.set_viewport_size(WINDOW)
    admin = signed_in("member", account=acme, permissions=BILLING_ADMIN)
    setup = card_setup_start(account=acme)
    stripe_fake.setup_complete(
        setup.id, payment_method=stripe_fake.card_add(outcome="authentication_required")
    )
    card_save_from_setup(account=acme, setup_id=setup.id, actor=admin.user)
    subscription = acme.subscriptions.get()
    renewals_run(now=subscription.current_period_end)  # off session: the bank asks, past due
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.PAST_DUE

    page.goto(renewal_link_emailed_to(admin))

    expect(page.get_by_role("heading", name="Confirm the payment with your bank")).to_be_visible()
    screenshot(page, "stripe-renewal-link")
    page.get_by_role("button", name="Confirm the payment").click()

    invoice = Invoice.objects.get(account=acme, kind="renewal")
    expect(page.get_by_role("status")).to_contain_text(f"Invoice {invoice.number} was paid.")
    page.goto("/settings/billing/")
    expect(page.get_by_text("Past due")).to_have_count(0)
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.ACTIVE
    assert len(stripe_fake.taken) == 1


def test_an_upgrade_whose_bank_asks_for_3d_secure_applies_once_confirmed(
    page, signed_in, acme, stripe_fake
):
    from billing.services.cards import card_save_from_setup, card_setup_start

    page.set_viewport_size(WINDOW)
    admin = signed_in("member", account=acme, permissions=BILLING_ADMIN)
    setup = card_setup_start(account=acme)
    stripe_fake.setup_complete(
        setup.id, payment_method=stripe_fake.card_add(outcome="authentication_required")
    )
    card_save_from_setup(account=acme, setup_id=setup.id, actor=admin.user)

    page.get_by_role("navigation", name="Settings").get_by_role(
        "link", name="Pricing & Features"
    ).click()
    page.get_by_role("link", name="Create a bundle").click()
    marketing = page.locator("#bundle-hubs").get_by_role("row", name=re.compile("Marketing Hub"))
    marketing.get_by_role("combobox").select_option(label="Enterprise")
    page.get_by_role("button", name="Buy now").click()
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name="Confirm the payment with your bank")).to_be_visible()
    expect(page.get_by_text("Your plan changes as soon as the bank confirms")).to_be_visible()
    item = acme.subscriptions.get().items.get(product="marketing")
    assert item.tier == "professional"  # nothing changes before the bank confirms
    screenshot(page, "stripe-checkout-needs-authentication")
    page.get_by_role("button", name="Confirm the payment").click()

    expect(page.get_by_role("status")).to_contain_text("Thank you! Your plan is updated.")
    item.refresh_from_db()
    assert item.tier == "enterprise"
    invoice = Invoice.objects.get(account=acme, kind="checkout")
    assert invoice.status == InvoiceStatus.PAID
    assert [charge["amount"] for charge in stripe_fake.taken] == [invoice.total_cents]


def test_buy_a_seat_and_approve_with_3d_secure_approves_once_the_bank_confirms(
    page, signed_in, stripe_fake
):
    from billing.services.cards import card_save_from_setup, card_setup_start
    from seats.models import SeatRequest, SeatRequestStatus
    from seats.requests.services import seat_request_create
    from tests.factories import MembershipFactory

    page.set_viewport_size(WINDOW)
    account = subscribed_account(
        hubs={"marketing": "professional", "sales": "professional"}, extra_seats={"sales": 1}
    )
    MembershipFactory(account=account, seat_type=SeatType.SALES)  # the only Sales seat
    viewer = MembershipFactory(account=account, view_only=True, joined_at=timezone.now())
    seat_request_create(membership=viewer, seat_type=SeatType.SALES, reason="Nordic quotes")
    admin = signed_in("super admin", account=account)
    setup = card_setup_start(account=account)
    stripe_fake.setup_complete(
        setup.id, payment_method=stripe_fake.card_add(outcome="authentication_required")
    )
    card_save_from_setup(account=account, setup_id=setup.id, actor=admin.user)

    page.goto("/settings/users/")
    page.get_by_role("navigation", name="Users & Teams").get_by_role(
        "link", name="Seat requests"
    ).click()
    row = page.locator("#seat-requests").get_by_role("row", name=viewer.display_name)
    row.get_by_role("link", name="Buy 1 Sales seat and approve").click()
    page.get_by_role("button", name="Buy 1 Sales seat and approve").click()

    expect(page.get_by_role("heading", name="Confirm the payment with your bank")).to_be_visible()
    expect(
        page.get_by_text(f"{viewer.display_name}'s request for a Sales seat is approved as soon")
    ).to_be_visible()
    assert SeatRequest.objects.get().status == SeatRequestStatus.OPEN
    screenshot(page, "stripe-seat-request-needs-authentication")
    page.get_by_role("button", name="Confirm the payment").click()

    expect(page.get_by_role("status")).to_contain_text(
        f"Seat bought and request approved: {viewer.display_name} now has a Sales seat."
    )
    assert SeatRequest.objects.get().status == SeatRequestStatus.APPROVED
    viewer.refresh_from_db()
    assert viewer.seat_type == SeatType.SALES
    assert len(stripe_fake.taken) == 1
