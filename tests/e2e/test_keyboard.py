"""Keyboard only, in Chromium: "Create user", "Assign a seat" and "Add seats" from the page that
leads to each, with Tab, Shift+Tab, typing, Space and Enter and no mouse. Every control passed on
the way shows a plain focus ring (tests/e2e/keyboard.py's tab_to)."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Membership, MembershipStatus, SeatType
from billing.services.cards import card_save
from seats.models import SeatPool
from tests.e2e.keyboard import focused, tab_to
from tests.factories import MembershipFactory, subscribed_account

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def account():
    """Acme on Marketing Hub Professional: 3 Core seats included and 2 bought."""
    return subscribed_account(extra_seats={"core": 2})


def press(page, key: str) -> None:
    page.keyboard.press(key)
    page.wait_for_load_state()


def test_create_user_with_the_keyboard_only(page, signed_in, account):
    signed_in("super admin", account=account)
    page.goto("/settings/users/")
    tab_to(page, page.get_by_role("link", name="Create user"))
    press(page, "Enter")
    expect(page.get_by_role("heading", name="Create user")).to_be_visible()

    addresses = page.get_by_label("Email addresses")
    tab_to(page, addresses)
    page.keyboard.type("ada@acme.example")
    tab_to(page, page.get_by_role("button", name="Next"))
    press(page, "Enter")

    seat = page.get_by_label("Assign a seat")
    expect(seat).to_be_visible()
    tab_to(page, seat)
    page.keyboard.type("View")  # a closed select picks the option its typed letters start
    expect(seat).to_have_value(SeatType.VIEW_ONLY)
    tab_to(page, page.get_by_role("button", name="Review access"))
    press(page, "Enter")

    expect(page.get_by_role("heading", name="Review access")).to_be_visible()
    tab_to(page, page.get_by_role("button", name="Create user"))
    press(page, "Enter")

    expect(page.get_by_role("heading", name="1 user created")).to_be_visible()
    created = Membership.objects.get(account=account, user__email="ada@acme.example")
    assert (created.status, created.seat_type) == (MembershipStatus.INVITED, SeatType.VIEW_ONLY)


def test_assign_a_seat_with_the_keyboard_only(page, signed_in, account):
    signed_in("super admin", account=account)
    grace = MembershipFactory(
        account=account, user__email="grace@acme.example", user__first_name="Grace", view_only=True
    )
    page.goto(f"/settings/users/{grace.pk}/")

    seat = page.get_by_label("Assign a seat")
    tab_to(page, seat)
    page.keyboard.type("Core")
    expect(seat).to_have_value(SeatType.CORE)
    tab_to(page, page.get_by_role("button", name="Save seat"))
    press(page, "Enter")

    expect(page.get_by_role("status")).to_contain_text("Core seat")
    expect(page.get_by_test_id("current-seat")).to_have_text("Core seat")
    grace.refresh_from_db()
    assert grace.seat_type == SeatType.CORE


def test_add_seats_with_the_keyboard_only(page, signed_in, account):
    admin = signed_in("super admin", account=account)
    card_save(
        account=account,
        number="4242 4242 4242 4242",
        exp_month=12,
        exp_year=timezone.now().year + 3,
        cvc="123",
        actor=admin.user,
    )
    page.goto("/settings/seats/")
    core = page.get_by_role("region", name="Core seat")
    tab_to(page, core.get_by_role("link", name="Add seats"))
    press(page, "Enter")
    expect(page.get_by_role("heading", name="Add seats: Core seat")).to_be_visible()

    quantity = page.get_by_label("Number of seats")
    tab_to(page, page.get_by_role("button", name="One seat more"))
    page.keyboard.press("Space")
    expect(quantity).to_have_value("2")
    expect(page.locator("[data-amount]")).to_have_text(re.compile(r"^\$\d"))
    tab_to(page, page.get_by_role("button", name="Buy now"))
    press(page, "Enter")

    expect(page.get_by_role("status")).to_contain_text("Seats bought.")
    pool = SeatPool.objects.get(account=account, seat_type=SeatType.CORE)
    assert pool.total == 7, focused(page)
