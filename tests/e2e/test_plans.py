"""Pricing & Features → "Create a bundle", checkout, downgrades and "Talk to sales", in Chromium.

DOMAIN.md section 8. Acme is on Marketing Hub Professional (and, where a test says so, Sales Hub
Professional), monthly, with a Visa on file; its billing admin holds "Edit billing". Every step
uses the product's own labels.
"""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import SeatType
from billing.models import Invoice, InvoiceKind, SalesRequest
from billing.selectors import subscription_live_get
from billing.services.cards import card_save
from billing.services.subscriptions import subscription_start
from seats.catalogue import seat_default_permissions
from seats.models import SeatPool
from tests.factories import AccountFactory, MembershipFactory
from tests.integration.conftest import SmtpServer, free_port

pytestmark = pytest.mark.django_db(transaction=True)

BILLING_ADMIN = {**seat_default_permissions("core"), "account.billing": "on"}


def acme(hubs: dict[str, str]):
    account = AccountFactory(name="Acme")
    subscription_start(
        account=account, hubs=hubs, interval="monthly", now=timezone.now(), actor=None
    )
    return account


def with_card(account, admin) -> None:
    card_save(
        account=account,
        number="4242 4242 4242 4242",
        exp_month=12,
        exp_year=timezone.now().year + 3,
        cvc="123",
        actor=admin.user,
    )


def open_bundle(page) -> None:
    page.get_by_role("navigation", name="Settings").get_by_role(
        "link", name="Pricing & Features"
    ).click()
    page.get_by_role("link", name="Create a bundle").click()
    expect(page.get_by_role("heading", name="Create a bundle")).to_be_visible()


def hub_row(page, name: str):
    return page.locator("#bundle-hubs").get_by_role("row", name=re.compile(name))


def test_the_billing_admin_buys_service_hub_professional_and_gets_service_seats(page, signed_in):
    account = acme({"marketing": "professional"})
    admin = signed_in("member", account=account, permissions=BILLING_ADMIN)
    with_card(account, admin)

    open_bundle(page)
    expect(hub_row(page, "Marketing Hub").get_by_role("checkbox")).to_be_checked()
    row = hub_row(page, "Service Hub")
    row.get_by_role("checkbox").check()
    row.get_by_role("combobox").select_option(label="Professional")
    expect(page.locator("[data-total-today]")).to_have_text("$0")
    expect(page.locator("[data-total-period]")).to_have_text("$800")
    page.get_by_role("button", name="Buy now").click()

    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    expect(page.locator("#checkout-summary")).to_contain_text("Service Hub Professional")
    expect(page.get_by_label(re.compile("The card on file"))).to_be_checked()
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("status")).to_contain_text("Your plan is updated")
    invoice = Invoice.objects.get(account=account, kind=InvoiceKind.CHECKOUT)
    expect(page.get_by_role("heading", name=re.compile(invoice.number))).to_be_visible()

    page.goto("/settings/seats/")
    service = page.get_by_role("region", name="Service seat")
    expect(service).to_be_visible()
    pool = SeatPool.objects.get(account=account, seat_type=SeatType.SERVICE)
    expect(service.locator("[data-testid=total]")).to_have_text(str(pool.total))
    expect(service.get_by_role("link", name="Add seats")).to_be_visible()
    expect(page.get_by_role("region", name="Core seat").locator("dd").nth(3)).to_have_text("3")


def test_a_downgrade_of_sales_hub_with_sales_seats_assigned_is_refused_with_the_users(
    page, signed_in
):
    account = acme({"marketing": "professional", "sales": "professional"})
    admin = signed_in("member", account=account, permissions=BILLING_ADMIN)
    with_card(account, admin)
    for name in ("Bill", "Joanna", "Peter"):
        MembershipFactory(
            account=account,
            seat_type=SeatType.SALES,
            permissions=seat_default_permissions("sales"),
            user__first_name=name,
            user__last_name="Lumbergh",
        )

    open_bundle(page)
    hub_row(page, "Sales Hub").get_by_role("combobox").select_option(label="Starter")
    refusal = page.locator("[data-total-error]")
    expect(refusal).to_contain_text("Reassign these 3 users first")
    page.get_by_role("button", name="Buy now").click()

    alert = page.locator(".form-errors")
    expect(alert).to_contain_text("Reassign these 3 users first")
    for name in ("Bill Lumbergh", "Joanna Lumbergh", "Peter Lumbergh"):
        expect(alert).to_contain_text(name)
    sales = subscription_live_get(account=account).items.get(product="sales")
    assert (sales.tier, sales.tier_at_renewal) == ("professional", "")


@pytest.fixture
def sales_inbox(settings):
    server = SmtpServer(free_port())
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.SALES_EMAIL = "sales@seatmgr.localhost"
    yield server.inbox
    server.stop()


def test_a_talk_to_sales_request_reaches_the_sales_address(page, signed_in, sales_inbox):
    account = acme({"marketing": "starter"})
    signed_in("member", account=account, permissions=BILLING_ADMIN)

    page.get_by_role("navigation", name="Settings").get_by_role(
        "link", name="Pricing & Features"
    ).click()
    page.get_by_role("link", name="Talk to sales").click()
    page.get_by_label("What would you like?").fill("Enterprise for 40 people")
    page.get_by_label("Phone").fill("+1 555 0100")
    page.get_by_label("Preferred time for a call").fill("Weekday mornings")
    page.get_by_role("button", name="Send").click()

    expect(page.get_by_text("Your request was sent to our sales team")).to_be_visible()
    [email] = sales_inbox.wait_for(1)
    assert email["To"] == "sales@seatmgr.localhost"
    assert "Acme" in email["Subject"]
    body = email.get_body(preferencelist=("plain",)).get_content()
    assert "Enterprise for 40 people" in body and "+1 555 0100" in body
    assert SalesRequest.objects.get(account=account).emailed_at is not None
