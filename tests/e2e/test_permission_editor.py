"""The permission editor, in Chromium at 1280x800, in the three places it appears: Create user
("Start from scratch"), a user's "Edit permissions", and a permission set (create and edit).

It must fit a laptop screen (a budget on height, nothing wider than the window, a CRM object's
actions on one line), be crossed from the keyboard in a few Tab stops, count the changes in its
sticky bar as the controls change, and still submit without JavaScript.

Measured on the branch that built it (before → after, page height at 1280x800): Create user
"Start from scratch" 3,773 → 914 px with its sections closed (1,614 px with every section open);
Edit permissions 3,576 → 800 px (1,421 px open); Create permission set 3,568 → 831 px (1,531 px
open). Tab stops from the access mode to "Review access": 64 → 9 (Create user), 63 → 8 (Edit
permissions); from Description to "Create permission set": 63 → 8.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import Access, PermissionSet
from seats.catalogue import PERMISSIONS
from tests.e2e.conftest import sign_in_through_the_form
from tests.factories import MembershipFactory, PermissionSetFactory

pytestmark = pytest.mark.django_db(transaction=True)

SCREENS = Path(__file__).resolve().parents[2] / "var" / "screens" / "editor"
WIDTH, HEIGHT = 1280, 800
# Budgets, at 1280x800. The page as it opens (sections closed, a template's levels in place).
PAGE_BUDGET = 1_600
# The editor itself with every section open: CRM's eight objects and every tool.
EDITOR_OPEN_BUDGET = 1_200
# The whole page with every section open (the Create user page has the most around it).
PAGE_OPEN_BUDGET = 1_700
SECTIONS = ("CRM", "Marketing", "Sales", "Service", "Reports", "Account")


@pytest.fixture
def admin(page, signed_in):
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    return signed_in("super admin", account__name="Acme")


def open_create_user_from_scratch(page) -> None:
    page.goto("/settings/users/")
    page.get_by_role("link", name="Create user").click()
    page.get_by_label("Email addresses").fill("ada@acme.example")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Start from scratch").check()
    # The editor's script shows "Expand all" once it has run (the scripts are deferred): a
    # keyboard test that starts before it would Tab past a button still hidden.
    expect(page.get_by_role("button", name="Expand all")).to_be_visible()


def open_edit_permissions(page, member) -> None:
    page.goto(f"/settings/users/{member.pk}/")
    page.get_by_role("link", name="Edit permissions").click()
    expect(page.get_by_role("heading", name="Permissions of")).to_be_visible()


def open_create_permission_set(page) -> None:
    page.goto("/settings/permission-sets/")
    page.get_by_role("link", name="Create permission set").click()


def section(page, name: str):
    """A section's summary: its name, how many it grants, and its changes."""
    return page.locator("summary").filter(has_text=name).first


def changes_count(page):
    return page.get_by_role("status").filter(has_text="change")


def page_size(page) -> tuple[int, int]:
    return page.evaluate(
        "[document.documentElement.scrollHeight, document.documentElement.scrollWidth]"
    )


def editor_height(page) -> int:
    return page.locator("[data-permission-grid]").evaluate(
        "e => Math.ceil(e.getBoundingClientRect().height)"
    )


def assert_crm_rows_on_one_line(page) -> None:
    """Each CRM object's four actions sit side by side on the object's row (they used to wrap:
    "Delete" under the object's name)."""
    rows = page.locator(".perm-table tbody tr")
    expect(rows).to_have_count(8)
    for row in rows.all():
        tops = row.get_by_role("combobox").evaluate_all(
            "els => els.map(e => Math.round(e.getBoundingClientRect().top))"
        )
        assert len(tops) == 4 and len(set(tops)) == 1, tops
        assert row.bounding_box()["height"] < 45


def check_fits(page, name: str) -> dict:
    """Measure the page as it opens and with every section open, screenshot both."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    height, width = page_size(page)
    page.screenshot(path=SCREENS / f"{name}.png", full_page=True)
    assert width <= WIDTH, f"{name}: {width} px wide"
    assert height <= PAGE_BUDGET, f"{name}: {height} px tall"
    page.get_by_role("button", name="Expand all").click()
    for title in SECTIONS:
        expect(page.locator("details", has=section(page, title))).to_have_attribute("open", "")
    assert_crm_rows_on_one_line(page)
    open_height, open_width = page_size(page)
    page.screenshot(path=SCREENS / f"{name}-open.png", full_page=True)
    page.screenshot(path=SCREENS / f"{name}-open-viewport.png")
    assert open_width <= WIDTH, f"{name} open: {open_width} px wide"
    assert editor_height(page) <= EDITOR_OPEN_BUDGET, f"{name}: editor {editor_height(page)} px"
    assert open_height <= PAGE_OPEN_BUDGET, f"{name} open: {open_height} px tall"
    # The sticky bar stays in the window while the sections scroll under it.
    page.mouse.wheel(0, 400)
    bar = page.locator(".perm-bar")
    expect(bar).to_be_in_viewport()
    assert bar.bounding_box()["y"] + bar.bounding_box()["height"] <= HEIGHT + 1
    return {"height": height, "open_height": open_height}


def test_create_user_from_scratch_fits_a_laptop_screen(page, admin):
    open_create_user_from_scratch(page)
    check_fits(page, "create-user-scratch")


def test_create_user_with_a_template_fits_a_laptop_screen(page, admin):
    open_create_user_from_scratch(page)
    page.get_by_label("Start with a template").check()
    page.get_by_label("Permission set", exact=True).select_option(label="Marketer")
    check_fits(page, "create-user-template")


def test_edit_permissions_fits_a_laptop_screen(page, admin):
    member = MembershipFactory(account=admin.account, user__email="bo@acme.example")
    open_edit_permissions(page, member)
    page.get_by_label("Start from scratch").check()
    check_fits(page, "edit-permissions")
    # Review access keeps the bar, now with "Save permissions".
    page.get_by_role("button", name="Review access").click()
    expect(page.get_by_role("heading", name="Review access")).to_be_visible()
    assert page_size(page)[1] <= WIDTH
    page.screenshot(path=SCREENS / "edit-permissions-review.png", full_page=True)
    expect(page.locator(".perm-bar").get_by_role("button", name="Save permissions")).to_be_visible()


def test_permission_sets_fit_a_laptop_screen(page, admin):
    open_create_permission_set(page)
    check_fits(page, "permission-set-create")
    own = PermissionSetFactory(account=admin.account, name="Field marketing")
    page.goto(f"/settings/permission-sets/{own.pk}/")
    check_fits(page, "permission-set-edit")

    # A built-in set shows the same editor, read-only, every section open.
    page.goto("/settings/permission-sets/")
    page.get_by_role("link", name="Sales manager", exact=True).click()
    expect(page.get_by_label("Contacts: Edit")).to_be_disabled()
    assert_crm_rows_on_one_line(page)
    page.screenshot(path=SCREENS / "permission-set-builtin.png", full_page=True)
    assert page_size(page)[1] <= WIDTH


def expect_tab_reaches(page, *locators) -> None:
    for locator in locators:
        page.keyboard.press("Tab")
        expect(locator).to_be_focused()


def summaries(page):
    return [section(page, title) for title in SECTIONS]


def test_the_keyboard_crosses_the_editor_to_review_access_in_nine_stops(page, admin):
    open_create_user_from_scratch(page)
    page.get_by_label("Start from scratch").focus()
    # Before: 64 stops, one per permission. Now: "Expand all", one per section, the invite
    # choice, then the sticky bar's "Review access".
    expect_tab_reaches(
        page,
        page.get_by_role("button", name="Expand all"),
        *summaries(page),
        page.get_by_label("Don't send an invite email when this user is added"),
        page.get_by_role("button", name="Review access"),
    )

    # A section opens from the keyboard; a CRM object's row is crossed in four stops, one
    # per action, each named for what it sets.
    section(page, "CRM").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Contacts: View")).to_be_visible()
    expect_tab_reaches(
        page,
        *(page.get_by_label(f"Contacts: {action}") for action in ("View", "Edit", "Delete")),
        page.get_by_label("Contacts: Communicate"),
        page.get_by_label("Companies: View"),
    )
    # A level is chosen from the keyboard, and counted.
    page.get_by_label("Contacts: Edit").focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Contacts: Edit")).to_have_value("owned")
    expect(changes_count(page)).to_have_text("1 change")


def test_the_keyboard_reaches_review_access_on_edit_permissions_and_saves_on_a_set(page, admin):
    member = MembershipFactory(account=admin.account, user__email="bo@acme.example")
    open_edit_permissions(page, member)
    page.get_by_label("Start from scratch").check()
    page.get_by_label("Start from scratch").focus()
    expect_tab_reaches(
        page,
        page.get_by_role("button", name="Expand all"),
        *summaries(page),
        page.get_by_role("button", name="Review access"),
    )

    open_create_permission_set(page)
    page.get_by_label("Description").focus()
    expect_tab_reaches(
        page,
        page.get_by_role("button", name="Expand all"),
        *summaries(page),
        page.get_by_role("button", name="Create permission set"),
    )


def test_the_sticky_bar_counts_the_changes_as_controls_change(page, admin):
    open_create_user_from_scratch(page)
    expect(changes_count(page)).to_have_text("No changes")
    crm = section(page, "CRM")
    expect(crm).to_contain_text("0 of 35 granted")
    crm.click()

    page.get_by_label("Contacts: Edit").select_option(label="Everything")
    expect(changes_count(page)).to_have_text("1 change")
    expect(crm).to_contain_text("1 of 35 granted")
    expect(crm).to_contain_text("1 change")
    page.get_by_label("Import").check()
    expect(changes_count(page)).to_have_text("2 changes")
    expect(crm).to_contain_text("2 of 35 granted")
    section(page, "Marketing").click()
    page.get_by_label("Forms").select_option(label="Edit")
    expect(changes_count(page)).to_have_text("3 changes")
    expect(section(page, "Marketing")).to_contain_text("1 change")
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENS / "create-user-three-changes.png")
    page.get_by_label("Contacts: Edit").select_option(label="None")
    expect(changes_count(page)).to_have_text("2 changes")
    expect(crm).to_contain_text("1 change")

    # A template is a new starting point: its levels are in place, nothing changed yet.
    page.get_by_label("Start with a template").check()
    page.get_by_label("Permission set", exact=True).select_option(label="Marketer")
    expect(changes_count(page)).to_have_text("No changes")
    expect(page.get_by_label("Forms")).not_to_have_value("off")
    page.get_by_label("Forms").select_option(label="Off")
    expect(changes_count(page)).to_have_text("1 change")
    expect(section(page, "Marketing")).to_contain_text("1 change")

    # "Don't restrict access" doesn't use the editor: no count.
    page.get_by_label("Don't restrict access").check()
    expect(page.locator("[data-perm-changes]")).to_have_text("")


def test_edit_permissions_counts_from_what_the_user_holds(page, admin):
    held = {p.code: p.lowest for p in PERMISSIONS} | {"crm.contacts.edit": "team"}
    member = MembershipFactory(
        account=admin.account,
        user__email="bo@acme.example",
        access=Access.CUSTOM,
        permissions=held,
    )
    open_edit_permissions(page, member)
    expect(page.get_by_label("Start from scratch")).to_be_checked()
    expect(changes_count(page)).to_have_text("No changes")
    expect(section(page, "CRM")).to_contain_text("1 of 35 granted")
    section(page, "CRM").click()
    expect(page.get_by_label("Contacts: Edit")).to_have_value("team")
    page.get_by_label("Contacts: Edit").select_option(label="Everything")
    expect(changes_count(page)).to_have_text("1 change")

    page.get_by_role("button", name="Review access").click()
    expect(page.get_by_test_id("review")).to_contain_text("Contacts: Edit: Everything")
    # Back from the review, the count is still against what the user holds.
    expect(changes_count(page)).to_have_text("1 change")
    page.get_by_role("button", name="Save permissions").click()
    expect(page.get_by_text("The permissions were saved.")).to_be_visible()
    member.refresh_from_db()
    assert member.permissions["crm.contacts.edit"] == "everything"


@pytest.fixture
def page_without_javascript(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", java_script_enabled=False
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    yield page
    context.close()


def test_the_editor_submits_without_javascript(page_without_javascript):
    page = page_without_javascript
    admin = MembershipFactory(super_admin=True, account__name="Acme")
    member = MembershipFactory(account=admin.account, user__email="bo@acme.example")
    sign_in_through_the_form(page, admin.user.email)
    page.wait_for_url(lambda url: "/sign-in/" not in url)

    # A permission set: sections open by their summary, native selects and checkboxes.
    open_create_permission_set(page)
    page.get_by_label("Name", exact=True).fill("Field marketing")
    section(page, "CRM").click()
    page.get_by_label("Contacts: Edit").select_option(label="Everything")
    page.get_by_label("Export").check()
    section(page, "Marketing").click()
    page.get_by_label("Forms").select_option(label="Edit")
    page.get_by_role("button", name="Create permission set").click()
    expect(page.get_by_text("Permission set “Field marketing” created.")).to_be_visible()
    saved = PermissionSet.objects.get(account=admin.account, name="Field marketing").permissions
    assert saved["crm.contacts.edit"] == "everything"
    assert saved["crm.export"] == "on"
    assert saved["marketing.forms"] == "edit"

    # A user's permissions: review, then save.
    open_edit_permissions(page, member)
    page.get_by_label("Start from scratch").check()
    section(page, "Reports").click()
    page.get_by_label("Dashboards").select_option(label="View")
    page.get_by_role("button", name="Review access").click()
    expect(page.get_by_test_id("review")).to_contain_text("Dashboards: View")
    page.get_by_role("button", name="Save permissions").click()
    expect(page.get_by_text("The permissions were saved.")).to_be_visible()
    member.refresh_from_db()
    assert member.permissions["reports.dashboards"] == "view"
