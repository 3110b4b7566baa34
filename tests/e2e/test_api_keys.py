"""Settings → "API keys" in Chromium at 1280×800: a super admin creates a key, copies the token
shown once, a script (requests) invites a user with it through POST /api/v1/users, the Audit log
shows the change under the key's name, and once the key is revoked the script's next call is a
401. Screenshots go to var/screens/api/."""

from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in_through_the_form
from tests.factories import MembershipFactory, subscribed_account

pytestmark = pytest.mark.django_db(transaction=True)

SCREENS = Path(__file__).resolve().parents[2] / "var" / "screens" / "api"
VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture
def ada():
    account = subscribed_account(extra_seats={"core": 5})
    return MembershipFactory(
        account=account,
        super_admin=True,
        user__email="ada@acme.example",
        user__first_name="Ada",
        user__last_name="Admin",
    )


def script(live_server, token: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # straight to the live server, whatever proxy the machine sets
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def test_a_key_made_on_the_page_invites_a_user_from_a_script_until_it_is_revoked(
    page, live_server, ada
):
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(VIEWPORT)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in_through_the_form(page, "ada@acme.example")
    page.wait_for_url(lambda url: "/sign-in/" not in url)

    page.get_by_role("navigation", name="Settings").get_by_role("link", name="API keys").click()
    expect(page.get_by_role("heading", name="API keys")).to_be_visible()
    page.get_by_role("link", name="Create API key").click()
    page.get_by_label("Name").fill("HRIS sync")
    page.get_by_label("users:read — Read users").check()
    page.get_by_label("users:write — Add and change users").check()
    page.screenshot(path=SCREENS / "api-key-form.png")
    page.get_by_role("button", name="Create API key").click()

    expect(page.get_by_role("heading", name="API key “HRIS sync” created")).to_be_visible()
    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status")).to_have_text("Copied")
    token = page.evaluate("navigator.clipboard.readText()")
    assert token.startswith("smk_")
    assert token == page.get_by_label("Your new API key").input_value()
    page.screenshot(path=SCREENS / "api-key-created.png")

    api = script(live_server, token)
    created = api.post(
        f"{live_server.url}/api/v1/users",
        json={
            "users": [{"email": "grace@acme.example", "first_name": "Grace"}],
            "seat_type": "core",
            "send_email": False,
        },
        headers={"Idempotency-Key": "onboarding-monday"},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    assert created.json()["users"][0]["email"] == "grace@acme.example"

    page.get_by_role("link", name="Done").click()
    keys = page.get_by_role("table")
    row = keys.get_by_role("row").filter(has_text="HRIS sync")
    expect(row).to_contain_text("users:read, users:write")
    last_used = row.get_by_role("cell").nth(5)
    expect(last_used).not_to_have_text("Never")  # the script's call
    assert token.split("_", 2)[2] not in page.content()
    page.screenshot(path=SCREENS / "api-keys.png")

    page.get_by_role("link", name="Audit log").click()
    added = page.get_by_role("row").filter(has_text="User added")
    expect(added).to_contain_text("API key “HRIS sync”")
    expect(added).to_contain_text("Ada Admin")
    expect(added).to_contain_text("Grace")
    page.screenshot(path=SCREENS / "audit-log.png")

    page.get_by_role("link", name="API keys").click()
    page.get_by_role("link", name="Revoke HRIS sync").click()
    expect(page.get_by_role("heading", name="Revoke “HRIS sync”?")).to_be_visible()
    page.screenshot(path=SCREENS / "api-key-revoke.png")
    page.get_by_role("button", name="Revoke API key").click()
    expect(page.get_by_text("API key “HRIS sync” revoked.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="HRIS sync")).to_contain_text("Revoked")

    refused = api.get(f"{live_server.url}/api/v1/users", timeout=10)
    assert refused.status_code == 401
    assert refused.headers["Content-Type"] == "application/problem+json"

    page.get_by_role("link", name="JSON API").click()
    expect(page.get_by_role("heading", name="seatmgr API")).to_be_visible()
    expect(page.get_by_text("POST /api/v1/users", exact=True)).to_be_visible()
    page.screenshot(path=SCREENS / "api-docs.png")
