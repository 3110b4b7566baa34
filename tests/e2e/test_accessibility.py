"""axe-core over every page the three demo users reach: 0 violations of serious or critical impact.

Each user (a super admin, a billing admin, an invitee following an emailed link) is signed in on
the `manage.py demo` account; the test follows every same-site link from the pages it reaches
(GET only), opens each page's dialogs and menus, and submits the key forms empty to see their
error state. On each page it also Tabs through every control: each must show a plain focus ring.
Every page (or state) is a subtest named after its URL name, so a failure reads
"[super admin] seats:users ?status" followed by axe's rule, the elements and why.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import Resolver404, resolve
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError

from accounts.models import Membership
from invitations.services.links import invitation_issue, invitation_resend
from seats.requests.services import seat_request_create
from tests.e2e.axe import axe_violations, blocking, dangling_idrefs, violations_report
from tests.e2e.conftest import sign_in_through_the_form
from tests.e2e.keyboard import focus_walk_problems

pytestmark = pytest.mark.django_db(transaction=True)

DEMO_PASSWORD = "demo-password-2026"
# Links the crawl does not follow: they leave the product (admin), end the session, switch the
# account or download a file rather than show a page.
NOT_PAGES = {
    "accounts:logout",
    "accounts:switch_account",
    "invitations:switch_user",
    "seats:users_export",
    "seats:audit_log_export",
}
# Forms whose error state is checked too: on this page, this button, with its fields emptied.
ERROR_STATES = {
    "accounts:password_reset": None,
    "invitations:create_user": "Next",
    "billing:seats_add": None,
    "accounts:teams": None,
    "accounts:profile": None,
    "accounts:account_defaults": None,
    "seats:permission_set_create": None,
    "seats:preset_create": None,
    "billing:talk_to_sales": None,
    "billing:contact": None,
    "scim:settings": "Add rule",
    "seats:my_seat": "Request a seat",
}
# Pages each user must reach, so a crawl that stops early cannot pass by looking at little.
MUST_REACH = {
    "super admin": {
        "seats:users",
        "seats:user",
        "seats:user_history",
        "seats:audit_log",
        "seats:permission_sets",
        "seats:presets",
        "accounts:teams",
        "billing:seats",
        "billing:account",
        "billing:pricing",
        "invitations:create_user",
        "invitations:create_user_access",
        "invitations:create_user_review",
        "accounts:profile",
        "accounts:notifications",
        "accounts:account_defaults",
        "scim:settings",
        "seats:reclaim_policy",
        "seats:my_seat",
        "seats:seat_requests",
        "seats:seat_request_deny",
    },
    "billing admin": {"billing:seats", "billing:account", "billing:pricing", "billing:invoices"},
    "invitee": {
        "invitations:accept",
        "accounts:profile",
        "accounts:notifications",
        "seats:my_seat",
    },
}


@pytest.fixture
def demo():
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    # An open seat request, so that "Seat requests" lists one with its Approve and Deny.
    seat_request_create(
        membership=Membership.objects.get(user__email="ava.ops@demo.example.com"),
        seat_type="core",
        reason="I prepare the monthly operations report.",
    )


def view_name(url: str, origin: str) -> str | None:
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != origin:
        return None
    try:
        return resolve(parts.path).view_name
    except Resolver404:
        return None


class Crawl:
    """Visit pages breadth-first from `start`, once per URL name and set of query keys."""

    def __init__(self, page, origin: str, who: str, subtests):
        self.page, self.origin, self.who, self.subtests = page, origin, who, subtests
        self.seen: dict[tuple, str] = {}
        self.checked: list[tuple[str, int]] = []

    def check(self, state: str, *, walk: bool = True) -> None:
        """Run axe on the page as it is now, as its own subtest; then (`walk`) Tab through the
        page, every stop of which must show a plain focus ring."""
        found = axe_violations(self.page)
        serious = blocking(found)
        self.checked.append((state, len(serious)))
        dangling = dangling_idrefs(self.page)
        unseen_focus = focus_walk_problems(self.page) if walk else []
        with self.subtests.test(f"[{self.who}] {state}"):
            assert not serious, f"{self.page.url}\n{violations_report(serious)}"
            assert not dangling, f"{self.page.url}: ids that nothing has\n" + "\n".join(dangling)
            assert not unseen_focus, f"{self.page.url}: focus not visible\n" + "\n".join(
                unseen_focus
            )

    def summary(self) -> None:
        """What was checked (shown with pytest -s): each page or state and its serious count."""
        print(f"\n{self.who}: {len(self.checked)} pages/states checked by axe-core")
        for state, count in self.checked:
            print(f"  {count:3d} serious/critical  {state}")

    def key(self, url: str) -> tuple | None:
        name = view_name(url, self.origin)
        if name is None or name in NOT_PAGES or name.startswith("admin:"):
            return None
        query = urlsplit(url).query
        keys = tuple(sorted({pair.split("=")[0] for pair in query.split("&") if pair}))
        return (name, keys)

    def run(self, start: list[str]) -> set[str]:
        queue = [self.origin + path for path in start]
        while queue:
            url = queue.pop(0).split("#")[0]
            key = self.key(url)
            if key is None or key in self.seen:
                continue
            self.seen[key] = url
            try:
                response = self.page.goto(url)
            except PlaywrightError as error:  # a CSV export: a download, not a page
                if "Download is starting" in str(error):
                    continue
                raise
            if "text/html" not in (response.headers.get("content-type") or ""):
                continue
            name, keys = key
            label = name + (f" ?{'&'.join(keys)}" if keys else "")
            self.check(label)
            self.dialogs(label)
            queue += self.page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        for (name, keys), url in list(self.seen.items()):
            if name in ERROR_STATES and not keys:
                self.error_state(name, url)
        return {name for name, _ in self.seen}

    def dialogs(self, label: str) -> None:
        """Each dialog the page opens, and the first menu (<details>) of each kind, opened."""
        openers = self.page.locator("[data-open-dialog]")
        for index in range(openers.count()):
            opener = openers.nth(index)
            if not opener.is_visible():
                continue
            dialog_id = opener.get_attribute("data-open-dialog")
            opener.click()
            self.check(f"{label} dialog #{dialog_id}", walk=False)
            self.page.keyboard.press("Escape")
        kinds = set()
        summaries = self.page.locator("details > summary")
        for index in range(summaries.count()):
            summary = summaries.nth(index)
            kind = summary.evaluate("summary => summary.parentElement.className || 'details'")
            if kind in kinds or not summary.is_visible():
                continue
            kinds.add(kind)
            summary.click()
            self.check(f"{label} menu .{kind} opened", walk=False)
            summary.evaluate("summary => { summary.parentElement.open = false; }")

    def error_state(self, name: str, url: str) -> None:
        self.page.goto(url)
        form = self.page.locator("main form[method=post]").filter(
            has=self.page.locator("input:not([type=hidden]), textarea, select")
        )
        if form.count() == 0:
            return
        form = form.last
        form.evaluate("form => form.noValidate = true")
        for field in form.locator(
            "input[type=text], input[type=email], input[type=number], input[type=password],"
            " input:not([type]), textarea"
        ).all():
            if field.is_visible() and field.is_editable():
                field.fill("0" if field.get_attribute("type") == "number" else "")
        button = ERROR_STATES[name]
        submit = (
            form.get_by_role("button", name=button, exact=True)
            if button
            else form.locator("button[type=submit], button:not([type])").last
        )
        submit.click()
        self.page.wait_for_load_state()
        self.check(f"{name} (submitted empty)")


def create_user_steps(page, crawl: Crawl) -> set[str]:
    """The steps of "Create user" after the first, which only a submitted step opens."""
    page.goto("/settings/users/new/")
    page.get_by_label("Email addresses").fill("new.person@demo.example.com")
    page.get_by_role("button", name="Next").click()
    crawl.check("invitations:create_user_access")
    page.get_by_label("Start from scratch").check()
    crawl.check("invitations:create_user_access (Start from scratch)")
    page.get_by_role("button", name="Review access").click()
    crawl.check("invitations:create_user_review")
    page.get_by_role("button", name="Create user").click()
    crawl.check("invitations:created_users")
    return {"invitations:create_user_access", "invitations:create_user_review"}


def unpaid_invoice_link(page, crawl: Crawl, email: str) -> set[str]:
    """The page the link about an unpaid renewal opens ("Pay now"), which no link of the demo
    reaches: its invoices are paid."""
    from tests.factories import InvoiceFactory

    account = Membership.objects.get(user__email=email).account
    invoice = InvoiceFactory(account=account, kind="renewal", status="open", paid_at=None)
    page.goto(f"/settings/billing/invoices/{invoice.pk}/authenticate/")
    crawl.check("billing:invoice_authenticate (Pay now)")
    return {"billing:invoice_authenticate"}


def sign_in(page, email: str) -> None:
    sign_in_through_the_form(page, email, DEMO_PASSWORD)
    page.wait_for_url(lambda url: "/sign-in/" not in url)


@pytest.mark.parametrize(
    ("who", "email"),
    [("super admin", "superadmin@demo.example.com"), ("billing admin", "billing@demo.example.com")],
)
def test_every_page_an_admin_reaches_has_no_serious_axe_violation(
    page, live_server, demo, subtests, who, email
):
    anonymous = Crawl(page, live_server.url, "signed out", subtests)
    anonymous.run(["/sign-in/", "/password-reset/"])
    page.get_by_label("Email").fill(email)
    sign_in_through_the_form(page, email, "wrong-password")
    anonymous.check("accounts:login (wrong password)")

    sign_in(page, email)
    crawl = Crawl(page, live_server.url, who, subtests)
    reached = crawl.run(["/"])
    if who == "super admin":
        reached |= create_user_steps(page, crawl)
    else:
        reached |= unpaid_invoice_link(page, crawl, email)

    assert MUST_REACH[who] <= reached, f"the crawl missed {MUST_REACH[who] - reached}"
    anonymous.summary()
    crawl.summary()


def test_every_page_an_invitee_reaches_has_no_serious_axe_violation(
    page, live_server, demo, subtests
):
    invitee = Membership.objects.get(user__email="tom.content@demo.example.com")
    admin = Membership.objects.get(user__email="superadmin@demo.example.com")
    crawl = Crawl(page, live_server.url, "invitee", subtests)
    # A copied link (no email sent) first asks for a code emailed to the address.
    _, token = invitation_issue(membership=invitee, created_by=None, now=timezone.now())
    page.goto(f"/invite/{token}/")
    crawl.check("invitations:accept (copied link)")
    mail.outbox.clear()
    invitation_resend(account=invitee.account, membership_id=invitee.pk, actor=admin.user)
    (message,) = [m for m in mail.outbox if m.to == [invitee.user.email]]
    page.goto(urlsplit(re.search(r"https?://\S+/invite/\S+/", message.body).group(0)).path)
    crawl.check("invitations:accept")
    page.get_by_role("button", name="Set password and join").click()
    crawl.check("invitations:accept (submitted empty)")

    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_label("Confirm password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Set password and join").click()
    page.wait_for_url(lambda url: "/invite/" not in url)
    reached = crawl.run(["/"]) | {"invitations:accept"}

    assert MUST_REACH["invitee"] <= reached, f"the crawl missed {MUST_REACH['invitee'] - reached}"
    crawl.summary()
