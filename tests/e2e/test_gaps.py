"""Issue 14's gaps, in Chromium at 1280×800 through the product's own labels: a preset on a
built-in permission set, "Copy" as a prefilled form, no "Make super admin" for a deactivated
user, revoking an invitation releases its paid seat (and "Release seat" for one revoked
before), and the product's own 404 page with DEBUG on (as `make run` sets it).

Each test leaves a screenshot of the page it is about in var/screens/gaps/.
"""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Membership, MembershipStatus, PermissionSet, Preset, SeatType
from invitations.parsing import ParsedPerson
from invitations.services.members import members_invite
from seats.permissions.choice import AccessChoice, AccessMode
from seats.users.services.lifecycle import member_deactivate
from tests.e2e.conftest import SCREENS, WINDOW, page_width
from tests.e2e.conftest import screenshot as shared_screenshot
from tests.factories import MembershipFactory, subscribed_account

pytestmark = pytest.mark.django_db(transaction=True)


def screenshot(page, name: str) -> None:
    """The whole page, and what the 1280×800 window shows first."""
    shared_screenshot(page, "gaps", name)
    page.screenshot(path=SCREENS / "gaps" / f"{name}-window.png")
    width = page_width(page)
    assert width <= WINDOW["width"], f"{name} is {width}px wide"


def status(page):
    return page.locator(".messages")


@pytest.fixture
def account():
    return subscribed_account(extra_seats={"core": 2})


@pytest.fixture
def admin(page, signed_in, account):
    page.set_viewport_size(WINDOW)
    return signed_in(
        "super admin",
        account=account,
        user__email="ada@acme.example",
        user__first_name="Ada",
        user__last_name="Admin",
    )


def test_a_preset_bundles_a_built_in_set_without_copying_it(page, admin):
    page.goto("/settings/presets/")
    page.get_by_role("link", name="Create preset").click()
    page.get_by_label("Name", exact=True).fill("New sales rep")
    permission_set = page.get_by_label("Permission set")
    expect(permission_set.locator("optgroup[label='Built-in sets'] option")).to_have_count(8)
    permission_set.select_option(label="Marketer")
    page.get_by_label("Default landing page").select_option(label="Contacts")
    screenshot(page, "preset-form")

    page.get_by_role("button", name="Create preset").click()

    expect(status(page)).to_contain_text("Preset “New sales rep” created.")
    row = page.locator("#presets-table").get_by_role("row", name=re.compile("New sales rep"))
    expect(row).to_contain_text("Marketer")
    assert Preset.objects.get(name="New sales rep").permission_template == "marketer"
    assert not PermissionSet.objects.exists()


def test_copy_opens_a_prefilled_form_and_saves_only_on_submit(page, admin):
    page.goto("/settings/permission-sets/")
    page.get_by_role("link", name="Copy Marketer").click()

    expect(page.get_by_role("heading", name="Create permission set")).to_be_visible()
    expect(page.get_by_text("A copy of the built-in set “Marketer”.")).to_be_visible()
    name = page.get_by_label("Name", exact=True)
    expect(name).to_have_value("Copy of Marketer")
    screenshot(page, "copy-form")
    assert not PermissionSet.objects.exists()

    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_text("No permission sets of your own yet.")).to_be_visible()

    page.get_by_role("link", name="Copy Marketer").click()
    page.get_by_label("Name", exact=True).fill("Field marketing")
    page.get_by_role("button", name="Create permission set").click()

    expect(status(page)).to_contain_text("Permission set “Field marketing” created.")
    assert list(PermissionSet.objects.values_list("name", flat=True)) == ["Field marketing"]


def test_a_deactivated_user_is_not_offered_make_super_admin(page, admin, account):
    gone = MembershipFactory(
        account=account, user__email="gone@acme.example", user__first_name="Gus"
    )
    member_deactivate(membership=gone, release_seat=False, actor=None)

    page.goto(f"/settings/users/{gone.pk}/")
    page.get_by_text("Actions", exact=True).click()

    menu = page.locator("details.menu[open]")
    expect(menu.get_by_role("link", name="Reactivate user")).to_be_visible()
    expect(menu.get_by_role("link", name="Make super admin")).to_have_count(0)


def invited(account, admin, email: str) -> Membership:
    [membership] = members_invite(
        account=account,
        actor_membership=admin,
        people=[ParsedPerson(email=email)],
        seat_type=SeatType.CORE,
        access=AccessChoice(mode=AccessMode.DEFAULTS),
        send_email=True,
    ).memberships
    return membership


def test_revoking_an_invite_releases_the_paid_seat_and_says_so(page, admin, account):
    newbie = invited(account, admin, "newbie@acme.example")
    page.goto("/settings/users/")
    row = page.locator("#users-table").get_by_role("row", name=re.compile("newbie@acme.example"))
    row.get_by_label("Actions for newbie@acme.example").click()
    row.get_by_role("link", name="Revoke invite").click()

    expect(page.get_by_text("Their Core seat will be released")).to_be_visible()
    screenshot(page, "revoke-confirmation")
    page.get_by_role("button", name="Revoke invite").click()

    expect(status(page)).to_contain_text("Every invitation link for newbie@acme.example has")
    expect(status(page)).to_contain_text(
        "stopped working. Their Core seat was released and is free for someone else."
    )
    newbie.refresh_from_db()
    assert (newbie.status, newbie.seat_type) == (MembershipStatus.INVITED, SeatType.VIEW_ONLY)


def test_a_seat_kept_by_an_invitee_revoked_earlier_is_released_from_their_page(
    page, admin, account
):
    kept = MembershipFactory(
        account=account,
        invited=True,
        user__email="kept@acme.example",
        invite_revoked_at=timezone.now(),
    )
    page.goto(f"/settings/users/{kept.pk}/")
    expect(page.get_by_test_id("unused-seat")).to_contain_text(
        "This user's invitation was revoked, but they still hold a paid Core seat."
    )
    screenshot(page, "user-revoked-invitee")
    page.get_by_test_id("unused-seat").get_by_role("link", name="Release seat").click()

    expect(page.get_by_role("heading", name="Release seat")).to_be_visible()
    screenshot(page, "release-seat-confirmation")
    page.get_by_role("button", name="Release seat").click()

    expect(status(page)).to_contain_text(f"{kept.user.full_name}'s Core seat was released.")
    expect(page.get_by_test_id("current-seat")).to_have_text("View-only seat")
    expect(page.get_by_test_id("unused-seat")).to_have_count(0)


def test_an_unknown_address_shows_the_products_404_with_debug_on(page, admin, settings):
    settings.DEBUG = True  # as `make run` sets it

    response = page.goto("/settings/no-such-page/")

    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_text("Using the URLconf")).to_have_count(0)
    screenshot(page, "not-found")
    page.get_by_role("link", name="Go to your settings").click()
    expect(page).to_have_url(re.compile("/settings/users/"))
