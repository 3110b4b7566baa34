"""A user's "View permissions history" and the account's Audit log in Chromium at 1280×800: a seat
change, a team change, a super admin change and a permission set change read as "Label: before →
after" in the product's words (seats/changes.py, the one formatter), and a long change opens in
place instead of being cut. Screenshots go to var/screens/history/.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import SeatType
from accounts.teams.services import member_teams_set
from seats.changes import CHANGE_LINES
from seats.permission_sets.services import permission_set_create
from seats.permissions.choice import AccessChoice, AccessMode
from seats.permissions.services import member_access_set
from seats.users.services.lifecycle import member_super_admin_set
from seats.users.services.seat import member_seat_change
from tests.e2e.conftest import sign_in_through_the_form
from tests.factories import MembershipFactory, TeamFactory, subscribed_account

pytestmark = pytest.mark.django_db(transaction=True)

SCREENS = Path(__file__).resolve().parents[2] / "var" / "screens" / "history"
VIEWPORT = {"width": 1280, "height": 800}

# What only the code should see: list and dict reprs, Python booleans, stored keys and codes.
INTERNAL = re.compile(r"\[\]|[{}]|\bTrue\b|\bFalse\b|\b[a-z]+_[a-z_]+\b")

# "Field reps" gives ten permissions above a Core seat's defaults: a change longer than a page
# shows at once.
FIELD_REPS = {
    "crm.contacts.edit": "everything",
    "crm.contacts.delete": "everything",
    "crm.companies.edit": "everything",
    "crm.companies.delete": "everything",
    "crm.deals.edit": "everything",
    "crm.deals.delete": "everything",
    "crm.tickets.edit": "everything",
    "crm.tickets.delete": "everything",
    "crm.tasks.edit": "everything",
    "crm.tasks.delete": "everything",
}


@pytest.fixture
def acme():
    """Acme (Marketing Hub Professional, 5 extra Core seats); Ada Admin runs it; Grace Hopper,
    on a View-only seat, gets a seat, a team, super admin and back, and a permission set."""
    account = subscribed_account(extra_seats={"core": 5})
    ada = MembershipFactory(
        account=account,
        super_admin=True,
        user__email="ada@acme.example",
        user__first_name="Ada",
        user__last_name="Admin",
    )
    grace = MembershipFactory(
        account=account,
        view_only=True,
        user__email="hopper@acme.example",
        user__first_name="Grace",
        user__last_name="Hopper",
    )
    member_seat_change(membership=grace, seat_type=SeatType.CORE, actor_membership=ada)
    member_teams_set(
        membership=grace,
        main_team=TeamFactory(account=account, name="Marketing"),
        extra_teams=[],
        actor=ada.user,
    )
    member_super_admin_set(membership=grace, is_super_admin=True, actor_membership=ada)
    member_super_admin_set(membership=grace, is_super_admin=False, actor_membership=ada)
    reps = permission_set_create(
        account=account,
        name="Field reps",
        description="",
        permissions=FIELD_REPS,
        actor_membership=ada,
    )
    member_access_set(
        membership=grace,
        choice=AccessChoice(mode=AccessMode.TEMPLATE, template=f"set:{reps.pk}"),
        actor_membership=ada,
    )
    return ada


def row_of(table, kind: str):
    return table.locator("tbody tr").filter(has=table.page.get_by_role("cell", name=kind))


def changes_of(row):
    return row.locator("ul.changes > li")


def assert_readable(table) -> None:
    text = table.inner_text()
    assert INTERNAL.findall(text) == []
    assert not re.search(r"\d{4}-\d\d-\d\dT", text)  # no ISO timestamp
    assert "…" not in text  # nothing cut


def check_the_four_changes(table) -> None:
    seat = row_of(table, "Seat changed").first
    expect(changes_of(seat).first).to_have_text("Seat: View-only seat → Core seat")
    teams = row_of(table, "Teams changed").first
    expect(changes_of(teams)).to_have_text(["Main team: — → Marketing"])
    supers = row_of(table, "Super admin changed")
    expect(changes_of(supers)).to_have_text(["Super admin: Yes → No", "Super admin: No → Yes"])
    permissions = row_of(table, "Permissions changed").first
    expect(changes_of(permissions).first).to_have_text("Access: Seat defaults → Permission set")
    expect(changes_of(permissions).nth(1)).to_have_text("Permission set: — → Field reps")


def check_the_long_change_opens_in_place(row) -> None:
    lines = changes_of(row)
    shown = row.locator("ul.changes").first.locator("> li")
    expect(shown).to_have_count(CHANGE_LINES)
    more = row.locator("details.changes-more")
    summary = more.locator("summary")
    expect(summary).to_have_text(re.compile(r"^Show \d+ more changes?$"))
    hidden = int(re.search(r"\d+", summary.inner_text()).group())
    rest = more.locator("li")
    expect(rest.first).to_be_hidden()
    summary.click()
    expect(rest).to_have_count(hidden)
    for i in range(hidden):
        expect(rest.nth(i)).to_be_visible()
    expect(lines).to_have_count(CHANGE_LINES + hidden)
    expect(rest.last).to_have_text(re.compile(r"^[A-Z][^→]*: \S[^→]* → \S"))


def fits_the_window(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth") <= VIEWPORT["width"]


# The height budget (#14): five events, one of them a 42-line change shown 8 lines at a time,
# fit in 1,100 px (measured 870 when written; the 100 px rows of before would need 1,500).
HISTORY_HEIGHT_BUDGET = 1100


def page_height(page) -> int:
    return page.evaluate("() => document.documentElement.scrollHeight")


def test_the_permissions_history_reads_in_the_products_words(page, acme):
    page.set_viewport_size(VIEWPORT)
    sign_in_through_the_form(page, acme.user.email)
    page.get_by_role("navigation", name="Settings").get_by_role(
        "link", name="Users & Teams"
    ).click()
    page.locator("#users-table").get_by_role("link", name="Grace Hopper", exact=True).click()
    page.locator("summary", has_text="Actions").click()
    page.get_by_role("link", name="View permissions history").click()
    expect(page.get_by_role("heading", name="Permissions history")).to_be_visible()

    table = page.locator("#history")
    expect(table.locator("tbody tr")).to_have_count(5)
    check_the_four_changes(table)
    expect(row_of(table, "Seat changed").get_by_role("cell").nth(2)).to_have_text(
        "Ada Admin ada@acme.example"
    )
    assert_readable(table)
    assert fits_the_window(page)
    assert page_height(page) <= HISTORY_HEIGHT_BUDGET, page_height(page)
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENS / "history.png", full_page=True)
    check_the_long_change_opens_in_place(row_of(table, "Seat changed"))
    assert_readable(table)
    assert fits_the_window(page)
    page.screenshot(path=SCREENS / "history-expanded.png", full_page=True)


def test_the_audit_log_shows_the_same_changes_in_the_same_words(page, acme):
    page.set_viewport_size(VIEWPORT)
    sign_in_through_the_form(page, acme.user.email)
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    page.get_by_label("Target email").fill("hopper@")
    page.get_by_role("button", name="Filter").click()

    table = page.locator("#audit-log")
    expect(table.locator("tbody tr")).to_have_count(5)
    check_the_four_changes(table)
    expect(row_of(table, "Seat changed").get_by_role("cell").nth(3)).to_have_text(
        "Grace Hopper hopper@acme.example"
    )
    assert_readable(table)
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENS / "audit-log.png", full_page=True)
    check_the_long_change_opens_in_place(row_of(table, "Seat changed"))
    page.screenshot(path=SCREENS / "audit-log-expanded.png", full_page=True)
