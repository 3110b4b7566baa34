"""Settings → "Provisioning (SCIM)" in Chromium at 1280×800: a super admin creates a SCIM key and
copies the token shown once, an identity provider (requests) provisions a user with it through
POST /scim/v2/Users, and the user is in the Users tab; then the default seat is changed and a
seat rule by group added and removed. Screenshots go to var/screens/scim/."""

import pytest
import requests
from playwright.sync_api import expect

from scim.models import ScimSettings
from tests.e2e.conftest import WINDOW, screenshot, sign_in_through_the_form
from tests.factories import MembershipFactory, TeamFactory, subscribed_account

pytestmark = pytest.mark.django_db(transaction=True)

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"


@pytest.fixture
def ada():
    account = subscribed_account(extra_seats={"core": 5})
    TeamFactory(account=account, name="Sales EMEA")
    return MembershipFactory(
        account=account,
        super_admin=True,
        user__email="ada@acme.example",
        user__first_name="Ada",
        user__last_name="Admin",
    )


def identity_provider(token: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # straight to the live server, whatever proxy the machine sets
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def test_a_scim_key_made_on_the_page_provisions_a_user_and_the_seats_are_set_there(
    page, live_server, ada
):
    page.set_viewport_size(WINDOW)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in_through_the_form(page, "ada@acme.example")
    page.wait_for_url(lambda url: "/sign-in/" not in url)

    nav = page.get_by_role("navigation", name="Settings")
    nav.get_by_role("link", name="Provisioning (SCIM)").click()
    expect(page.get_by_role("heading", name="Provisioning (SCIM)", level=1)).to_be_visible()
    base_url = page.get_by_label("SCIM base URL").input_value()
    assert base_url == f"{live_server.url}/scim/v2/"
    page.get_by_role("button", name="Copy SCIM base URL").click()
    expect(page.locator("#scim-base-url-status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == base_url
    screenshot(page, "scim", "settings-empty")

    page.get_by_label("Name").fill("Okta")
    page.get_by_role("button", name="Create SCIM key").click()
    expect(page.get_by_role("heading", name="SCIM key “Okta” created")).to_be_visible()
    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status")).to_have_text("Copied")
    token = page.evaluate("navigator.clipboard.readText()")
    assert token.startswith("smk_")
    assert token == page.get_by_label("Your new SCIM key").input_value()
    screenshot(page, "scim", "key-created")

    idp = identity_provider(token)
    created = idp.post(
        f"{base_url}Users",
        json={
            "schemas": [USER_SCHEMA],
            "userName": "grace@acme.example",
            "name": {"givenName": "Grace", "familyName": "Hopper"},
            "emails": [{"value": "grace@acme.example", "primary": True}],
            "active": True,
        },
        headers={"Content-Type": "application/scim+json"},
        timeout=10,
    )
    assert created.status_code == 201, created.text

    page.get_by_role("link", name="Done").click()
    row = page.get_by_role("row").filter(has_text="Okta")
    expect(row.get_by_role("cell").nth(3)).not_to_have_text("Never")  # the provider's call
    assert token.split("_", 2)[2] not in page.content()

    nav.get_by_role("link", name="Users & Teams").click()
    grace = page.get_by_role("row").filter(has_text="grace@acme.example")
    expect(grace).to_contain_text("Grace Hopper")
    expect(grace).to_contain_text("View-only seat")
    screenshot(page, "scim", "users-tab")

    nav.get_by_role("link", name="Provisioning (SCIM)").click()
    page.get_by_label("Default seat").select_option(label="Core seat")
    page.get_by_label("Put them on a View-only seat").check()
    page.get_by_label("Email provisioned users an invitation to set a password").check()
    page.get_by_role("button", name="Save seat settings").click()
    expect(page.get_by_text("The seats for provisioned users were saved.")).to_be_visible()
    expect(page.get_by_label("Default seat")).to_have_value("core")
    saved = ScimSettings.objects.get(account=ada.account)
    assert (saved.default_seat, saved.fallback_seat, saved.send_invitations) == (
        "core",
        "view_only",
        True,
    )

    page.get_by_label("Members of").select_option(label="Sales EMEA")
    page.get_by_label("get a").select_option(label="Core seat")
    page.get_by_role("button", name="Add rule").click()
    expect(page.get_by_text("Members of Sales EMEA now get a Core seat.")).to_be_visible()
    rules = page.locator("#scim-rules-table")
    expect(rules).to_contain_text("Members of Sales EMEA get a Core seat")
    screenshot(page, "scim", "settings")

    page.get_by_role("link", name="Remove the rule for Sales EMEA").click()
    confirm = page.get_by_role("heading", name="Remove the seat rule for “Sales EMEA”?")
    expect(confirm).to_be_visible()
    screenshot(page, "scim", "rule-remove")
    page.get_by_role("button", name="Remove rule").click()
    expect(page.get_by_text("The seat rule for Sales EMEA was removed.")).to_be_visible()
    expect(page.locator("#scim-rules-table")).to_have_count(0)

    page.get_by_role("link", name="Revoke Okta").click()
    screenshot(page, "scim", "key-revoke")
    page.get_by_role("button", name="Revoke SCIM key").click()
    expect(page.get_by_text("SCIM key “Okta” revoked.")).to_be_visible()
    refused = idp.get(f"{base_url}Users", timeout=10)
    assert refused.status_code == 401
