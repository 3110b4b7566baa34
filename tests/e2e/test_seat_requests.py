"""Request a seat (issue 19), in Chromium: a viewer asks for a Sales seat from their profile, the
super admin approves it on Users & Teams → "Seat requests", and the viewer's seat then includes
the sales tools; with no Sales seat left, a billing admin buys one and approves in one step.

Acme is on Marketing Hub Professional and Sales Hub Professional with 1 Sales seat bought.
Screenshots at 1280×800 go to var/screens/seat-requests/.
"""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Membership, SeatType
from seats.models import SeatPool, SeatRequest, SeatRequestStatus
from tests.e2e.conftest import WINDOW, screenshot, sign_in_through_the_form
from tests.factories import CardOnFileFactory, MembershipFactory, subscribed_account

pytestmark = pytest.mark.django_db(transaction=True)

TOPIC = "seat-requests"


@pytest.fixture
def account():
    return subscribed_account(
        hubs={"marketing": "professional", "sales": "professional"}, extra_seats={"sales": 1}
    )


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in/**")


def sign_in(page, membership: Membership) -> None:
    sign_in_through_the_form(page, membership.user.email)
    page.wait_for_url(lambda url: "/sign-in/" not in url)


def request_a_sales_seat(page, reason: str) -> None:
    page.goto("/settings/profile/")
    page.get_by_role("link", name="Request a seat").click()
    expect(page.get_by_role("heading", name="You have a View-only seat")).to_be_visible()
    page.get_by_role("radio", name="Sales seat").check()
    page.get_by_label("Why do you need it?").fill(reason)
    page.get_by_role("button", name="Request a seat").click()
    expect(page.get_by_role("status")).to_contain_text("Your request was sent")


def open_seat_requests(page) -> None:
    page.get_by_role("navigation", name="Settings").get_by_role(
        "link", name="Users & Teams"
    ).click()
    page.get_by_role("navigation", name="Users & Teams").get_by_role(
        "link", name="Seat requests"
    ).click()
    expect(page.get_by_role("heading", name="Seat requests")).to_be_visible()


def test_a_viewer_requests_a_sales_seat_and_the_super_admin_approves_it(page, account):
    page.set_viewport_size(WINDOW)
    admin = MembershipFactory(account=account, super_admin=True, user__email="ada@acme.example")
    viewer = MembershipFactory(
        account=account, view_only=True, user__email="vic@acme.example", joined_at=timezone.now()
    )
    sign_in(page, viewer)
    page.goto("/settings/my-seat/")
    sales = page.get_by_test_id("seat-sales")
    expect(sales).to_contain_text("Needs a Sales seat")  # the paid feature, out of reach
    screenshot(page, TOPIC, "1-your-seat-view-only")
    request_a_sales_seat(page, "I run the weekly forecast with the sales team.")
    screenshot(page, TOPIC, "2-request-sent")
    # Asking twice is refused at the field.
    page.get_by_role("radio", name="Sales seat").check()
    page.get_by_label("Why do you need it?").fill("Again")
    page.get_by_role("button", name="Request a seat").click()
    expect(page.get_by_role("group", name="Seat type")).to_contain_text(
        "You already asked for a Sales seat"
    )
    screenshot(page, TOPIC, "3-duplicate-refused")
    sign_out(page)

    sign_in(page, admin)
    tab = page.get_by_role("navigation", name="Users & Teams").get_by_role(
        "link", name="Seat requests"
    )
    expect(tab).to_contain_text("1")
    open_seat_requests(page)
    row = page.locator("#seat-requests").get_by_role("row", name=viewer.display_name)
    expect(row).to_contain_text("I run the weekly forecast")
    expect(row).to_contain_text("1 available")
    screenshot(page, TOPIC, "4-seat-requests-list")
    row.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text("now has a Sales seat")
    expect(page.get_by_text("No open seat requests.")).to_be_visible()
    screenshot(page, TOPIC, "5-approved")
    sign_out(page)

    sign_in(page, viewer)
    # Told twice: the request was approved, and the seat changed.
    expect(page.get_by_role("banner")).to_contain_text("Notifications 2")
    page.goto("/settings/my-seat/")
    expect(page.get_by_role("heading", name="You have a Sales seat")).to_be_visible()
    sales = page.get_by_test_id("seat-sales")
    expect(sales).to_contain_text("✓ Forecasting")
    expect(sales).not_to_contain_text("Needs a Sales seat")
    expect(page.locator("#my-requests")).to_contain_text("Approved")
    screenshot(page, TOPIC, "6-viewer-has-the-sales-tools")
    viewer.refresh_from_db()
    assert viewer.seat_type == SeatType.SALES


def test_a_billing_admin_buys_a_seat_and_approves(page, account):
    page.set_viewport_size(WINDOW)
    admin = MembershipFactory(account=account, super_admin=True, user__email="ada@acme.example")
    MembershipFactory(account=account, seat_type=SeatType.SALES)  # the only Sales seat
    CardOnFileFactory(account=account)
    viewer = MembershipFactory(
        account=account, view_only=True, user__email="vic@acme.example", joined_at=timezone.now()
    )
    sign_in(page, viewer)
    request_a_sales_seat(page, "Quotes for the Nordics deals.")
    sign_out(page)

    sign_in(page, admin)
    open_seat_requests(page)
    row = page.locator("#seat-requests").get_by_role("row", name=viewer.display_name)
    expect(row).to_contain_text("0 available")
    screenshot(page, TOPIC, "7-no-seat-left")
    row.get_by_role("link", name="Buy 1 Sales seat and approve").click()
    expect(page.get_by_test_id("buy-for-request")).to_contain_text("approves")
    screenshot(page, TOPIC, "8-buy-and-approve")
    page.get_by_role("button", name="Buy 1 Sales seat and approve").click()
    expect(page.get_by_role("status")).to_contain_text("Seat bought and request approved")
    expect(page.get_by_role("heading", name="Seat requests")).to_be_visible()
    screenshot(page, TOPIC, "9-bought-and-approved")
    assert SeatRequest.objects.get().status == SeatRequestStatus.APPROVED
    assert SeatPool.objects.get(account=account, seat_type=SeatType.SALES).purchased == 2
    viewer.refresh_from_db()
    assert viewer.seat_type == SeatType.SALES
