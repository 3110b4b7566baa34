"""Users & Teams → Teams, Permission sets and Presets, and the audit log, in Chromium.

The super admin nests a team, creates a permission set and gives it to two users at once (on the
set's own page, and through a preset), then finds those changes in the audit log and filters
them. Driven by the product's own labels (DOMAIN.md sections 3, 6 and 9).
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import Access, Membership
from tests.factories import MembershipFactory, PermissionSetFactory, TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)


def status(page):
    return page.locator(".messages")


def test_the_super_admin_creates_a_nested_team_and_sees_it_under_its_parent(page, signed_in):
    signed_in("super admin", account__name="Acme")
    page.get_by_role("link", name="Users & Teams").click()
    page.get_by_role("navigation", name="Users & Teams").get_by_role("link", name="Teams").click()
    expect(page.get_by_text("No teams yet.")).to_be_visible()

    create = page.get_by_role("form", name="Create team")
    create.get_by_label("Team name").fill("Sales")
    create.get_by_role("button", name="Create team").click()
    expect(status(page)).to_contain_text("Team “Sales” created.")

    create.get_by_label("Team name").fill("EMEA Sales")
    create.get_by_label("Parent team").select_option(label="Sales")
    create.get_by_role("button", name="Create team").click()
    expect(status(page)).to_contain_text("Team “EMEA Sales” created.")

    rows = page.locator("#teams-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).get_by_role("cell").first).to_have_text("Sales")
    child = rows.nth(1)
    expect(child.get_by_role("cell").first).to_contain_text("EMEA Sales")
    expect(child.get_by_role("cell").nth(1)).to_have_text("Sales")
    expect(child).to_have_attribute("data-depth", "1")


def test_a_team_cannot_go_under_its_own_sub_team(page, signed_in):
    admin = signed_in("super admin")
    sales = TeamFactory(account=admin.account, name="Sales")
    TeamFactory(account=admin.account, name="EMEA Sales", parent=sales)
    page.goto(f"/settings/teams/{sales.pk}/")
    parent = page.get_by_role("form", name="Parent team")
    # A team's own sub-teams are not offered.
    expect(parent.get_by_label("Parent team").locator("option")).to_have_count(1)


def test_the_super_admin_applies_a_new_permission_set_to_two_users_and_audits_it(
    page, signed_in, tmp_path
):
    admin = signed_in("super admin", account__name="Acme")
    for name in ("bo", "cy", "dee"):
        MembershipFactory(account=admin.account, user__email=f"{name}@acme.example")

    page.goto("/settings/users/")
    page.get_by_role("navigation", name="Users & Teams").get_by_role(
        "link", name="Permission sets"
    ).click()
    expect(page.get_by_role("row", name=re.compile("Sales rep"))).to_contain_text(
        "Needs a Sales seat"
    )
    page.get_by_role("link", name="Create permission set").click()
    page.get_by_label("Name", exact=True).fill("Field marketing")
    page.get_by_label("Description").fill("Events, forms and their contacts")
    page.locator("summary").filter(has_text="CRM").click()
    page.get_by_role("combobox", name="Contacts: Edit").select_option(label="Everything")
    page.locator("summary").filter(has_text="Marketing").click()
    page.get_by_role("combobox", name="Forms", exact=True).select_option(label="Edit")
    expect(page.get_by_role("status").filter(has_text="change")).to_have_text("2 changes")
    page.get_by_role("button", name="Create permission set").click()
    expect(status(page)).to_contain_text("Permission set “Field marketing” created.")
    expect(page.get_by_test_id("seat-need")).to_have_text("Needs a Core seat")

    # The set's "Users" tab: tick two users, apply.
    page.get_by_label("bo@acme.example").check()
    page.get_by_label("cy@acme.example").check()
    page.get_by_role("button", name="Apply to users").click()
    expect(status(page)).to_contain_text("“Field marketing” applied to 2 users.")
    holders = page.locator("#set-users")
    expect(holders).to_contain_text("bo@acme.example")
    expect(holders).to_contain_text("cy@acme.example")
    expect(holders).not_to_contain_text("dee@acme.example")

    # The audit log has it all, and filters it.
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Audit log").click()
    log = page.locator("#audit-log")
    expect(log.get_by_role("row", name=re.compile("Permission set created"))).to_contain_text(
        "Field marketing"
    )
    expect(log.get_by_role("row", name=re.compile("bo@acme.example"))).to_contain_text(
        "Permissions changed"
    )
    page.get_by_label("Kind").select_option(label="Permissions changed")
    page.get_by_label("Target email").fill("cy@")
    page.get_by_role("button", name="Filter").click()
    expect(log.locator("tbody tr")).to_have_count(1)
    expect(log).to_contain_text("cy@acme.example")
    expect(log).to_contain_text("Contacts: View: Everything → Owned only")

    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    exported = tmp_path / "audit.csv"
    download.value.save_as(exported)
    text = Path(exported).read_text(encoding="utf-8")
    assert "cy@acme.example" in text
    assert "bo@acme.example" not in text


def test_the_super_admin_applies_a_preset_to_two_users_in_bulk(page, signed_in):
    admin = signed_in("super admin", account__name="Acme")
    TeamFactory(account=admin.account, name="Sales")
    PermissionSetFactory(account=admin.account, name="Field marketing")
    for name in ("bo", "cy"):
        MembershipFactory(account=admin.account, user__email=f"{name}@acme.example")

    page.goto("/settings/presets/")
    expect(page.get_by_text("No presets yet.")).to_be_visible()
    page.get_by_role("link", name="Create preset").click()
    page.get_by_label("Name", exact=True).fill("New marketer")
    page.get_by_label("Permission set").select_option(label="Field marketing")
    page.get_by_label("Main team").select_option(label="Sales")
    page.get_by_label("Default landing page").select_option(label="Contacts")
    page.get_by_role("button", name="Create preset").click()
    expect(status(page)).to_contain_text("Preset “New marketer” created.")

    page.get_by_role("link", name="Apply to users New marketer").click()
    page.get_by_label("Search name or email").fill("acme.example")
    page.get_by_role("button", name="Search").click()
    page.get_by_label("bo@acme.example").check()
    page.get_by_label("cy@acme.example").check()
    page.get_by_role("button", name="Apply to users").click()
    expect(status(page)).to_contain_text("Preset “New marketer” applied to 2 users.")
    expect(page.get_by_role("row", name=re.compile("New marketer"))).to_contain_text("2")

    for member in Membership.objects.filter(user__email__in=["bo@acme.example", "cy@acme.example"]):
        assert (member.main_team.name, member.access, member.permission_set.name) == (
            "Sales",
            Access.PERMISSION_SET,
            "Field marketing",
        )
