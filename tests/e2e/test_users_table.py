"""The Users table and the Audit log at a laptop's 1280×800 (issue 14, point 4): rows one line of
facts high, nothing wider than the window, a row menu with the user page's actions that works
from the keyboard, a header that stays in view.

Acme has 26 users: Ada Admin, its super admin, signed in through the form, and 25 people added
through "Create user" (so the Audit log has their events), some with long addresses.
"""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Membership, MembershipStatus, SeatType
from invitations.parsing import ParsedPerson
from invitations.services.members import members_invite
from seats.permissions.choice import AccessChoice, AccessMode
from seats.users.services.lifecycle import member_deactivate
from tests.e2e.conftest import WINDOW
from tests.e2e.conftest import screenshot as shared_screenshot
from tests.factories import subscribed_account

pytestmark = pytest.mark.django_db(transaction=True)

ROW_MAX_PX = 60


@pytest.fixture
def account():
    return subscribed_account(extra_seats={"core": 5})


@pytest.fixture
def admin(signed_in, account, page):
    page.set_viewport_size(WINDOW)
    return signed_in(
        "super admin",
        account=account,
        user__email="ada@acme.example",
        user__first_name="Ada",
        user__last_name="Admin",
    )


@pytest.fixture
def colleagues(account, admin):
    """25 people added by Ada through "Create user": 20 on View-only seats (some with long
    addresses), 5 on Core seats; one of the Core users deactivated."""
    people = [
        ParsedPerson(f"colleague.{n:02d}@acme.example", "Colleague", f"Number {n:02d}")
        for n in range(15)
    ]
    people += [
        ParsedPerson(f"a.rather.long.address.number.{n}@subsidiary.acme.example", "Long", str(n))
        for n in range(5)
    ]
    view_only = members_invite(
        account=account,
        actor_membership=admin,
        people=people,
        seat_type=SeatType.VIEW_ONLY,
        access=AccessChoice(mode=AccessMode.DEFAULTS),
        send_email=True,
    ).memberships
    core = members_invite(
        account=account,
        actor_membership=admin,
        people=[ParsedPerson(f"core.{n}@acme.example", "Core", f"User {n}") for n in range(5)],
        seat_type=SeatType.CORE,
        access=AccessChoice(mode=AccessMode.TEMPLATE, template="builtin:marketer"),
        send_email=False,
    ).memberships
    Membership.objects.filter(pk__in=[m.pk for m in core]).update(
        status=MembershipStatus.ACTIVE, joined_at=timezone.now()
    )
    gone = Membership.objects.get(account=account, user__email="core.0@acme.example")
    member_deactivate(
        membership=gone,
        release_seat=False,
        note="Moved to the subsidiary's own account, see the handover notes",
        actor=admin.user,
        actor_membership=admin,
    )
    assert Membership.objects.filter(account=account).count() == 26
    return {"view_only": view_only, "core": core}


def open_users(page) -> None:
    page.get_by_role("navigation", name="Settings").get_by_role(
        "link", name="Users & Teams"
    ).click()
    expect(page.get_by_role("heading", name="Users & Teams")).to_be_visible()


def layout(page, table: str) -> dict:
    return page.evaluate(
        """(selector) => {
            const table = document.querySelector(selector);
            const rows = [...table.querySelectorAll("tbody tr")];
            return {
                rows: rows.length,
                tallest: Math.max(...rows.map(r => r.getBoundingClientRect().height)),
                tableWidth: table.getBoundingClientRect().width,
                tableRight: table.getBoundingClientRect().right,
                pageWidth: document.documentElement.scrollWidth,
                tableHeight: table.getBoundingClientRect().height,
            };
        }""",
        table,
    )


def screenshot(page, name: str) -> None:
    shared_screenshot(page, "userstable", name)


def test_26_users_fit_1280px_one_line_of_facts_a_row_with_the_address_under_the_name(
    page, admin, colleagues
):
    open_users(page)
    screenshot(page, "users-table")

    measured = layout(page, "#users-table")
    assert measured["rows"] == 26
    assert measured["tallest"] <= ROW_MAX_PX, measured
    assert measured["pageWidth"] <= WINDOW["width"], measured
    assert measured["tableRight"] <= WINDOW["width"], measured
    # The name is the link; the address is under it, in the same cell.
    row = page.locator("#users-table").get_by_role("row", name=re.compile("Colleague Number 03"))
    cell = row.get_by_role("cell").filter(has=page.get_by_role("link", name="Colleague Number 03"))
    expect(cell).to_contain_text("colleague.03@acme.example")
    expect(row).to_contain_text("Invited")
    expect(row).to_contain_text("Pending")


def test_the_header_stays_in_view_while_the_list_scrolls(page, admin, colleagues):
    open_users(page)
    header = page.locator("#users-table thead th").nth(2)
    page.locator("#users-table tbody tr").last.scroll_into_view_if_needed()
    assert page.evaluate("() => window.scrollY") > 500
    top = header.evaluate("h => h.getBoundingClientRect().top")
    assert 0 <= top <= 1, f"the header scrolled away (top {top})"
    expect(page.get_by_role("columnheader", name=re.compile("Seat"))).to_be_in_viewport()


def test_an_active_users_row_menu_opens_from_the_keyboard_and_deactivates_them(
    page, admin, colleagues
):
    open_users(page)
    page.get_by_label("Status", exact=True).select_option("active")
    page.get_by_role("button", name="Apply filters").click()
    row = page.locator("#users-table").get_by_role("row", name=re.compile("Core User 2"))
    menu = row.get_by_label("Actions for Core User 2")  # a <summary>
    deactivate = row.get_by_role("link", name="Deactivate user")
    expect(deactivate).to_be_hidden()

    menu.focus()
    page.keyboard.press("Enter")
    expect(deactivate).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "true")
    # The same actions as the user's page, for a super admin looking at an active Core user.
    expect(row.get_by_role("list").get_by_role("link")).to_have_text(
        ["View permissions history", "Reset password", "Make super admin", "Deactivate user"]
    )
    screenshot(page, "users-row-menu")
    page.keyboard.press("Escape")
    expect(deactivate).to_be_hidden()
    expect(menu).to_be_focused()

    # The arrow keys open it and move through its items.
    page.keyboard.press("ArrowDown")
    expect(row.get_by_role("link", name="View permissions history")).to_be_focused()
    page.keyboard.press("End")
    expect(deactivate).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Deactivate user")).to_be_visible()
    page.get_by_label("Keep the seat for them").check()
    page.get_by_role("button", name="Deactivate user").click()

    # Back on the list as it was (the Active filter kept), with the outcome.
    expect(page.get_by_text("Core User 2 was deactivated.")).to_be_visible()
    expect(page.get_by_role("heading", name="Users & Teams")).to_be_visible()
    expect(page.get_by_label("Status", exact=True)).to_have_value("active")
    expect(page.locator("#users-table")).not_to_contain_text("Core User 2")
    assert Membership.objects.get(user__email="core.2@acme.example").status == "deactivated"


def test_a_deactivated_users_row_menu_offers_reactivate_and_remove(page, admin, colleagues):
    open_users(page)
    row = page.locator("#users-table").get_by_role("row", name=re.compile("Core User 0"))
    row.get_by_label("Actions for Core User 0").click()
    items = row.get_by_role("list").get_by_role("link")
    expect(items.filter(has_text="Reactivate user")).to_have_count(1)
    expect(items.filter(has_text="Remove from account")).to_have_count(1)
    expect(items.filter(has_text="Deactivate user")).to_have_count(0)
    row.get_by_role("link", name="Reactivate user").click()
    page.get_by_role("button", name="Reactivate user").click()
    expect(page.get_by_text("Core User 0 was reactivated.")).to_be_visible()
    expect(page.get_by_role("heading", name="Users & Teams")).to_be_visible()
    assert Membership.objects.get(user__email="core.0@acme.example").status == "active"


def test_the_audit_log_fits_1280px_with_its_changes_column_in_view(page, admin, colleagues):
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    screenshot(page, "audit-log")

    measured = layout(page, "#audit-log")
    assert measured["rows"] >= 26, measured
    assert measured["pageWidth"] <= WINDOW["width"], measured
    assert measured["tableRight"] <= WINDOW["width"], measured
    changes = page.get_by_role("columnheader", name="Changes")
    right = changes.evaluate("h => h.getBoundingClientRect().right")
    assert right <= WINDOW["width"], f"the Changes column is cut off at {right}px"
    # Nothing spills out of its cell into the next one (the When column's date and time).
    spilling = page.evaluate(
        """() => [...document.querySelectorAll("#audit-log td")]
            .filter(td => td.scrollWidth > td.clientWidth + 1)
            .map(td => td.innerText)"""
    )
    assert spilling == [], spilling
    # A long value wraps in its cell and is all there.
    expect(page.locator("#audit-log")).to_contain_text(
        "Moved to the subsidiary's own account, see the handover notes"
    )
