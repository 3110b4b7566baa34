"""Create user in Chromium at 1280×800, checked at each step (issue 14, point 5): an address
already in the account refused where it is typed, a Partner seat outside the partners' domains
refused at the seat, a seat preselected only where seats are free, a template on a View-only seat
limited to it with what was left out, and "Buy more seats" through Add seats and back to the
draft. Each step's page is saved to var/screens/userstable/.

Acme is on Marketing Hub Professional and Sales Hub Professional (3 Core seats included, 3 Sales
seats bought), linked to the solutions partner on partner.example; Ada Admin, its super admin,
holds a Core seat and a card is on file.
"""

import pytest
from playwright.sync_api import expect

from accounts.models import Membership, SeatType
from invitations.parsing import ParsedPerson
from invitations.services.members import members_invite
from seats.catalogue import permissions_fit_seat
from seats.permissions.choice import AccessChoice, AccessMode
from tests.e2e.conftest import screenshot as shared_screenshot
from tests.factories import CardOnFileFactory, PartnerDomainFactory, subscribed_account

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def account():
    account = subscribed_account(
        hubs={"marketing": "professional", "sales": "professional"}, extra_seats={"sales": 3}
    )
    PartnerDomainFactory(domain="partner.example").partner.accounts.add(account)
    CardOnFileFactory(account=account)
    return account


@pytest.fixture
def admin(signed_in, account, page):
    page.set_viewport_size({"width": 1280, "height": 800})
    return signed_in(
        "super admin",
        account=account,
        user__email="ada@acme.example",
        user__first_name="Ada",
        user__last_name="Admin",
    )


def core_seats_taken(account, admin) -> None:
    """The two Core seats left after Ada's go to two earlier invitees: 0 available."""
    members_invite(
        account=account,
        actor_membership=admin,
        people=[ParsedPerson("first@acme.example"), ParsedPerson("second@acme.example")],
        seat_type=SeatType.CORE,
        access=AccessChoice(mode=AccessMode.DEFAULTS),
        send_email=False,
    )


def screenshot(page, name: str) -> None:
    shared_screenshot(page, "userstable", name)


def open_create_user(page) -> None:
    page.get_by_role("navigation", name="Settings").get_by_role(
        "link", name="Users & Teams"
    ).click()
    page.get_by_role("link", name="Create user").click()
    expect(page.get_by_role("heading", name="Create user")).to_be_visible()


def type_addresses(page, addresses: str) -> None:
    page.get_by_label("Email addresses").fill(addresses)
    page.get_by_role("button", name="Next").click()


def on_step(page, step: str) -> None:
    expect(page.get_by_role("list", name="Steps").locator("[aria-current=step]")).to_have_text(step)


def test_an_address_already_in_the_account_is_refused_at_who(page, admin):
    open_create_user(page)
    screenshot(page, "create-user-1-who")

    type_addresses(page, "new.colleague@acme.example\nADA@acme.example")

    on_step(page, "Who")
    expect(page.get_by_text("Already users of this account: ada@acme.example.")).to_be_visible()
    expect(page.get_by_label("Email addresses")).to_have_value(
        "new.colleague@acme.example\nADA@acme.example"
    )
    screenshot(page, "create-user-1-who-refused")

    page.get_by_label("Email addresses").fill("new.colleague@acme.example")
    page.get_by_role("button", name="Next").click()
    on_step(page, "Assign a seat")


def test_a_partner_seat_outside_the_partner_domains_is_refused_at_the_seat(page, admin, account):
    open_create_user(page)
    type_addresses(page, "pat@partner.example outsider@elsewhere.example")
    on_step(page, "Assign a seat")

    page.get_by_label("Assign a seat").select_option(label="Partner seat")
    page.get_by_role("button", name="Review access").click()

    on_step(page, "Assign a seat")
    expect(
        page.get_by_text("Not on a partner's domain: outsider@elsewhere.example.")
    ).to_be_visible()
    expect(page.get_by_label("Assign a seat")).to_have_value(SeatType.PARTNER)
    screenshot(page, "create-user-2-partner-refused")
    assert not Membership.objects.filter(user__email="pat@partner.example").exists()


def test_assign_a_seat_preselects_a_seat_with_room(page, admin, account):
    core_seats_taken(account, admin)
    open_create_user(page)
    type_addresses(page, "grace@acme.example")

    seat = page.get_by_label("Assign a seat")
    expect(seat).to_have_value(SeatType.VIEW_ONLY)  # Core has none free
    chosen = seat.evaluate("s => s.options[s.selectedIndex].text")
    assert "(0 available)" not in chosen
    expect(seat.locator("option", has_text="Core seat (0 available)")).to_have_count(1)
    screenshot(page, "create-user-2-assign-a-seat")


def test_a_template_on_a_view_only_seat_is_limited_and_says_what_was_left_out(page, admin):
    open_create_user(page)
    type_addresses(page, "viewer@acme.example")
    page.get_by_label("Assign a seat").select_option(label="View-only seat")
    page.get_by_label("Start with a template").check()
    page.get_by_label("Permission set").select_option(label="Marketer")
    page.get_by_role("button", name="Review access").click()

    on_step(page, "Review access")
    left_out = page.get_by_test_id("left-out")
    expect(left_out).to_contain_text("A View-only seat doesn't allow")
    expect(left_out).to_contain_text("so they were left out")
    expect(left_out.get_by_role("listitem").first).to_be_visible()
    expect(page.get_by_test_id("review-access")).to_have_text("Custom (from Marketer)")
    screenshot(page, "create-user-3-review-left-out")

    page.get_by_role("button", name="Create user").click()
    member = Membership.objects.get(user__email="viewer@acme.example")
    assert member.seat_type == SeatType.VIEW_ONLY
    assert permissions_fit_seat(member.permissions, SeatType.VIEW_ONLY)


def test_buy_more_seats_opens_add_seats_prefilled_and_returns_to_the_draft(page, admin, account):
    core_seats_taken(account, admin)
    open_create_user(page)
    type_addresses(page, "grace@acme.example alan@acme.example")
    page.get_by_label("Assign a seat").select_option(label="Core seat (0 available)")
    page.get_by_label("Start with a template").check()
    page.get_by_label("Permission set").select_option(label="Marketer")
    page.get_by_role("button", name="Review access").click()

    expect(page.get_by_role("alert").filter(has_text="You need")).to_contain_text(
        "You need 2 more Core seats."
    )
    screenshot(page, "create-user-2-seats-short")
    page.get_by_role("link", name="Buy more seats").click()

    expect(page.get_by_role("heading", name="Add seats: Core seat")).to_be_visible()
    expect(page.get_by_label("Number of seats")).to_have_value("2")
    screenshot(page, "add-seats-from-create-user")
    page.get_by_role("button", name="Buy now").click()

    # Back on the draft, as it was: the addresses, the seat (now with room), the template.
    on_step(page, "Assign a seat")
    expect(page.get_by_text("Seats bought.")).to_be_visible()
    expect(page.get_by_text("grace@acme.example, alan@acme.example")).to_be_visible()
    seat = page.get_by_label("Assign a seat")
    expect(seat).to_have_value(SeatType.CORE)
    expect(seat.locator("option:checked")).to_have_text("Core seat (2 available)")
    expect(page.get_by_label("Start with a template")).to_be_checked()
    expect(page.get_by_label("Permission set")).to_have_value("builtin:marketer")
    screenshot(page, "create-user-2-back-from-add-seats")

    page.get_by_role("button", name="Review access").click()
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_text("grace@acme.example").first).to_be_visible()
    created = Membership.objects.filter(user__email__in=["grace@acme.example", "alan@acme.example"])
    assert sorted(created.values_list("seat_type", flat=True)) == [SeatType.CORE, SeatType.CORE]
