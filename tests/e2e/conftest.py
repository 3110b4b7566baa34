"""Browser harness: Playwright driving Debian's Chromium against live_server.

Never `playwright install`: the browser comes from Debian (apt-get install chromium).
"""

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail
from tests.factories import PASSWORD, MembershipFactory

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "e2e"
# The window every page is judged at, and where the screenshots to look at go (var/screens/<topic>).
WINDOW = {"width": 1280, "height": 800}
SCREENS = Path(__file__).resolve().parents[2] / "var" / "screens"


def screenshot(page, topic: str, name: str) -> None:
    """The whole page, as var/screens/<topic>/<name>.png."""
    folder = SCREENS / topic
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=folder / f"{name}.png", full_page=True)


def page_width(page) -> int:
    """How wide the page is; a page wider than WINDOW scrolls sideways."""
    return page.evaluate("() => document.documentElement.scrollWidth")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        skip_or_fail("BROWSER", f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"{request.node.name}.png", full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def sign_in_through_the_form(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/sign-in/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


ROLES = {
    "super admin": {"super_admin": True},
    "member": {},
    "view-only member": {"view_only": True},
}


@pytest.fixture
def signed_in(page):
    """signed_in("super admin") -> the membership, with the browser signed in as that person."""

    def sign_in(role: str, **fields):
        membership = MembershipFactory(**ROLES[role], **fields)
        sign_in_through_the_form(page, membership.user.email)
        page.wait_for_url(lambda url: "/sign-in/" not in url)
        return membership

    return sign_in
