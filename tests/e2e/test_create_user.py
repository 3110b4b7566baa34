"""Users & Teams → "Create user", and the invitee's side of the emailed link, in Chromium.

Every step is driven by the product's own labels (DOMAIN.md sections 4 and 5). Emails are sent in
the live server's process (Celery eager, locmem backend), so they are in `mail.outbox` once the
page that created the users has loaded.
"""

import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import Membership, MembershipStatus, SeatType
from invitations.parsing import ParsedPerson
from invitations.services.members import members_invite
from invitations.services.salesforce import salesforce_connection_save
from seats.permissions.choice import AccessChoice, AccessMode
from tests.factories import AccountFactory, MembershipFactory, subscribed_account
from tests.invitations.fake_salesforce import FAKE_SALESFORCE_USERS, FakeSalesforce

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "a-brand-new-secret-42"
NEUTRAL = "This invitation link can't be used"


@pytest.fixture
def account():
    """Acme on Sales Hub Professional and Marketing Hub Professional: 3 Core seats (included
    with Marketing Pro) and 3 Sales seats bought; the super admin will hold one Core seat."""
    return subscribed_account(
        hubs={"marketing": "professional", "sales": "professional"}, extra_seats={"sales": 3}
    )


@pytest.fixture
def visitor(browser, live_server):
    """visitor() -> a page in a browser context of its own: no session, no cookies, as when
    someone opens a link from their inbox."""
    contexts = []

    def open_page():
        context = browser.new_context(base_url=live_server.url, locale="en-US")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


SCREEN = {"width": 1280, "height": 800}


def screenshot(page, name: str) -> None:
    """With SEATMGR_SCREENS=<dir>, save the page at 1280x800 there (for looking at it)."""
    folder = os.environ.get("SEATMGR_SCREENS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(folder) / f"{name}.png")


def code_emailed_to(email: str) -> str:
    """The latest mailbox code emailed to this address."""
    codes = [
        m.group(1)
        for message in mail.outbox
        if message.to == [email] and (m := re.search(r"Your code: (\d{6})", message.body))
    ]
    return codes[-1]


def link_path(url: str) -> str:
    # Links are built on SITE_URL; the live server listens elsewhere, so keep only the path.
    return urlsplit(url).path


def invitation_link_in(message) -> str:
    return link_path(re.search(r"https?://\S+/invite/\S+/", message.body).group(0))


def invitations_sent() -> list[str]:
    """Who received an invitation email, sorted (billing admins may get seat warnings too)."""
    return sorted(m.to[0] for m in mail.outbox if re.search(r"/invite/\S+/", m.body))


def emailed_to(email: str):
    (message,) = [m for m in mail.outbox if m.to == [email]]
    return message


def invite_by_email(account, email: str) -> str:
    """Invite `email` onto a Core seat through the service; the path of the emailed link."""
    inviter = MembershipFactory(account=account, super_admin=True)
    members_invite(
        account=account,
        actor_membership=inviter,
        people=[ParsedPerson(email=email)],
        seat_type=SeatType.CORE,
        access=AccessChoice(mode=AccessMode.DEFAULTS),
        send_email=True,
    )
    return invitation_link_in(emailed_to(email))


def open_users_and_teams(page) -> None:
    page.get_by_role("navigation", name="Settings").get_by_role(
        "link", name="Users & Teams"
    ).click()
    expect(page.get_by_role("heading", name="Users & Teams")).to_be_visible()


def open_create_user(page) -> None:
    open_users_and_teams(page)
    page.get_by_role("link", name="Create user").click()
    expect(page.get_by_role("heading", name="Create user")).to_be_visible()


def type_addresses(page, addresses: str) -> None:
    page.get_by_label("Email addresses").fill(addresses)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Create user")).to_be_visible()
    expect(page.get_by_label("Assign a seat")).to_be_visible()


def upload_csv(page, content: str) -> None:
    page.get_by_role("link", name="Upload a CSV file").click()
    page.get_by_label("CSV file", exact=True).set_input_files(
        {"name": "people.csv", "mimeType": "text/csv", "buffer": content.encode()}
    )
    page.get_by_role("button", name="Upload").click()


def csv_of(count: int) -> str:
    rows = [f"person{n}@acme.example,Person,Number {n}" for n in range(1, count + 1)]
    return "Email,First name,Last name\n" + "\n".join(rows) + "\n"


def members_of(account) -> set[str]:
    return set(Membership.objects.filter(account=account).values_list("user__email", flat=True))


def join_as_new_user(page, first_name: str, last_name: str) -> None:
    page.get_by_label("First name").fill(first_name)
    page.get_by_label("Last name").fill(last_name)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password and join").click()


def test_the_super_admin_creates_three_users_on_sales_seats_from_a_template(
    page, signed_in, account
):
    signed_in("super admin", account=account)
    emails = ["ada@acme.example", "grace@acme.example", "alan@acme.example"]
    open_create_user(page)
    type_addresses(page, "ada@acme.example, grace@acme.example\nalan@acme.example")

    page.get_by_label("Assign a seat").select_option(label="Sales seat (3 available)")
    page.get_by_label("Start with a template").check()
    page.get_by_label("Permission set", exact=True).select_option(label="Sales rep")
    page.get_by_role("button", name="Review access").click()

    expect(page.get_by_role("heading", name="Review access")).to_be_visible()
    expect(page.get_by_test_id("review-people").get_by_role("listitem")).to_have_text(emails)
    expect(page.get_by_test_id("review-seat")).to_have_text("Sales seat")
    expect(page.get_by_test_id("review-access")).to_contain_text("Sales rep")
    page.get_by_role("button", name="Create user").click()

    expect(page.get_by_role("heading", name="3 users created")).to_be_visible()
    created = page.locator("#created-users")
    for email in emails:
        row = created.get_by_role("row", name=re.compile(re.escape(email)))
        expect(row).to_contain_text("Sales seat")
        expect(row.get_by_role("button", name="Copy invite link")).to_be_visible()
    assert invitations_sent() == sorted(emails)
    invited = Membership.objects.filter(account=account, status=MembershipStatus.INVITED)
    assert sorted(invited.values_list("user__email", "seat_type", "permission_template")) == [
        (email, SeatType.SALES, "sales_rep") for email in sorted(emails)
    ]

    open_users_and_teams(page)
    table = page.locator("#users-table")
    for email in emails:
        expect(table.get_by_role("row", name=re.compile(re.escape(email)))).to_contain_text(
            "Pending"
        )


def test_an_invitee_opens_the_emailed_link_sets_a_password_and_lands_signed_in(page, account):
    path = invite_by_email(account, "ada@acme.example")
    token = path.rstrip("/").rpartition("/")[2]

    page.goto(path)
    expect(page.get_by_role("heading", name="Join Acme")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/invite/$"))
    assert token not in page.url
    join_as_new_user(page, "Ada", "Lovelace")

    expect(page.get_by_role("heading", name="Profile")).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("ada@acme.example")
    expect(page.get_by_test_id("current-account")).to_have_text("Acme")
    joined = Membership.objects.get(account=account, user__email="ada@acme.example")
    assert joined.status == MembershipStatus.ACTIVE
    assert (joined.user.first_name, joined.user.last_name) == ("Ada", "Lovelace")
    assert joined.user.check_password(NEW_PASSWORD)


def test_a_second_use_of_a_link_shows_the_neutral_page(page, visitor, account):
    path = invite_by_email(account, "ada@acme.example")
    page.goto(path)
    join_as_new_user(page, "Ada", "Lovelace")
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()

    used = visitor()
    used.goto(path)
    expect(used.get_by_role("heading", name=NEUTRAL)).to_be_visible()
    invented = visitor()
    invented.goto(f"/invite/{secrets.token_urlsafe(32)}/")
    expect(invented.get_by_role("heading", name=NEUTRAL)).to_be_visible()
    assert used.get_by_role("main").inner_text() == invented.get_by_role("main").inner_text()


def test_a_csv_of_101_rows_is_refused(page, signed_in, account):
    admin = signed_in("super admin", account=account)
    open_create_user(page)
    upload_csv(page, csv_of(101))

    expect(page.get_by_role("alert")).to_contain_text("101 users")
    expect(page.get_by_role("alert")).to_contain_text("at most 100")
    expect(page.get_by_label("Assign a seat")).to_have_count(0)
    assert members_of(account) == {admin.user.email}
    assert invitations_sent() == []


def test_a_csv_of_3_rows_works(page, signed_in, account):
    signed_in("super admin", account=account)
    open_create_user(page)
    upload_csv(page, csv_of(3))

    emails = ["person1@acme.example", "person2@acme.example", "person3@acme.example"]
    expect(page.get_by_text("Adding 3 users:")).to_contain_text(", ".join(emails))
    page.get_by_label("Assign a seat").select_option(label="View-only seat")
    page.get_by_label("Don't restrict access").check()
    page.get_by_role("button", name="Review access").click()
    expect(page.get_by_test_id("review-people").get_by_role("listitem")).to_have_count(3)
    expect(page.get_by_test_id("review-seat")).to_have_text("View-only seat")
    page.get_by_role("button", name="Create user").click()

    expect(page.get_by_role("heading", name="3 users created")).to_be_visible()
    created = Membership.objects.filter(account=account, status=MembershipStatus.INVITED)
    assert sorted(created.values_list("user__email", "user__last_name", "seat_type")) == [
        (email, f"Number {n}", SeatType.VIEW_ONLY) for n, email in enumerate(emails, 1)
    ]
    assert invitations_sent() == emails


def test_the_salesforce_import_runs_against_the_local_fake(page, signed_in, account, settings):
    signed_in("super admin", account=account)
    settings.SALESFORCE_ALLOW_LOOPBACK_FOR_TESTS = True  # the fake is on http://127.0.0.1
    with FakeSalesforce(users=FAKE_SALESFORCE_USERS) as fake:
        open_create_user(page)
        page.get_by_role("link", name="Import from Salesforce").click()
        page.get_by_role("link", name="Connect Salesforce").click()
        page.get_by_label("Salesforce instance URL").fill(fake.url)
        page.get_by_label("Access token").fill(fake.token)
        page.get_by_role("button", name="Save connection").click()

        expect(page.get_by_role("heading", name="Import from Salesforce")).to_be_visible()
        people = page.get_by_role("group", name=re.compile("4 active Salesforce users"))
        checkboxes = people.get_by_role("checkbox")
        expect(checkboxes).to_have_count(4)
        for checkbox in checkboxes.all():
            expect(checkbox).to_be_checked()
        people.get_by_label("Grace Hopper").uncheck()
        page.get_by_role("button", name="Next").click()

        page.get_by_label("Assign a seat").select_option(label="View-only seat")
        page.get_by_role("button", name="Review access").click()
        chosen = ["ada.lovelace@example.com", "alan.turing@example.com"]
        chosen += ["katherine.johnson@example.com"]
        listed = page.get_by_test_id("review-people").get_by_role("listitem")
        expect(listed).to_have_count(3)
        expect(listed).to_contain_text(chosen)
        page.get_by_role("button", name="Create user").click()

        expect(page.get_by_role("heading", name="3 users created")).to_be_visible()
    invited = Membership.objects.filter(account=account, status=MembershipStatus.INVITED)
    assert sorted(invited.values_list("user__email", flat=True)) == chosen
    assert invitations_sent() == chosen


def test_an_expired_salesforce_token_says_the_session_has_expired(
    page, signed_in, account, settings
):
    admin = signed_in("super admin", account=account)
    settings.SALESFORCE_ALLOW_LOOPBACK_FOR_TESTS = True  # the fake is on http://127.0.0.1
    with FakeSalesforce(users=FAKE_SALESFORCE_USERS) as fake:
        salesforce_connection_save(
            account=account, instance_url=fake.url, access_token=fake.token, actor=admin.user
        )
        fake.expire_token()
        open_create_user(page)
        page.get_by_role("navigation", name="How to add users").get_by_role(
            "link", name="Import from Salesforce"
        ).click()
        expect(page.get_by_text(f"Connected to {fake.url}.")).to_be_visible()
        page.get_by_role("link", name="List Salesforce users").click()

        expect(page.get_by_role("alert")).to_contain_text("Your Salesforce session has expired")
        expect(page.get_by_role("link", name="Change connection")).to_be_visible()
        expect(page.get_by_role("checkbox")).to_have_count(0)


def test_not_enough_seats_is_reported_and_nobody_is_created(page, signed_in, account):
    admin = signed_in("super admin", account=account)
    # The two Core seats left after the super admin's go to two earlier invitees.
    members_invite(
        account=account,
        actor_membership=admin,
        people=[
            ParsedPerson(email="first@acme.example"),
            ParsedPerson(email="second@acme.example"),
        ],
        seat_type=SeatType.CORE,
        access=AccessChoice(mode=AccessMode.DEFAULTS),
        send_email=False,
    )
    before = members_of(account)
    open_create_user(page)
    type_addresses(page, "ada@acme.example grace@acme.example")

    page.get_by_label("Assign a seat").select_option(label="Core seat (0 available)")
    page.get_by_role("button", name="Review access").click()

    alert = page.get_by_role("alert").filter(has_text="You need")
    expect(alert).to_contain_text("You need 2 more Core seats.")
    expect(alert).to_contain_text("Nobody was added.")
    expect(page.get_by_role("link", name="Buy more seats")).to_be_visible()
    assert members_of(account) == before
    assert invitations_sent() == []


def test_copy_invite_link_gives_a_working_link(page, signed_in, visitor, account, live_server):
    signed_in("super admin", account=account)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    open_create_user(page)
    type_addresses(page, "ada@acme.example")
    page.get_by_label("Assign a seat").select_option(label="View-only seat")
    page.get_by_label("Don't send an invite email when this user is added").check()
    page.get_by_role("button", name="Review access").click()
    expect(page.get_by_text("Not sent: copy the invite link after creating")).to_be_visible()
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("heading", name="1 user created")).to_be_visible()

    row = page.locator("#created-users").get_by_role("row", name=re.compile("ada@acme.example"))
    row.get_by_role("button", name="Copy invite link").click()
    expect(row.get_by_role("status")).to_have_text("Copied")
    url = row.get_by_role("textbox", name="Invite link").input_value()
    assert page.evaluate("() => navigator.clipboard.readText()") == url
    assert invitations_sent() == []

    # A copied link proves nothing about who opens it: the invitee confirms the address with
    # the code emailed to it, then sets a password (issue 13, point 3).
    invitee = visitor()
    invitee.set_viewport_size(SCREEN)
    invitee.goto(link_path(url))
    expect(invitee.get_by_role("heading", name="Join Acme")).to_be_visible()
    expect(invitee.get_by_label("Password", exact=True)).to_have_count(0)
    screenshot(invitee, "1-confirm-address")
    invitee.get_by_role("button", name="Email me a code").click()
    expect(invitee.get_by_text("We've emailed a 6-digit code to ada@acme.example.")).to_be_visible()
    screenshot(invitee, "2-code-sent")
    code = code_emailed_to("ada@acme.example")
    invitee.get_by_label("Code").fill(f"{(int(code) + 1) % 10**6:06d}")
    invitee.get_by_role("button", name="Continue").click()
    expect(invitee.get_by_text("That code is not right.")).to_be_visible()
    expect(invitee.get_by_label("Code")).to_be_focused()
    screenshot(invitee, "3-wrong-code")
    invitee.get_by_label("Code").fill(code)
    invitee.get_by_label("Code").press("Enter")
    expect(invitee.get_by_text("Set a password for ada@acme.example.")).to_be_visible()
    screenshot(invitee, "4-set-password")
    join_as_new_user(invitee, "Ada", "Lovelace")
    expect(invitee.get_by_role("heading", name="Profile")).to_be_visible()
    joined = Membership.objects.get(account=account, user__email="ada@acme.example")
    assert joined.status == MembershipStatus.ACTIVE
    assert joined.user.check_password(NEW_PASSWORD)


def test_an_admin_opening_a_copied_link_for_someone_invited_elsewhere_cannot_set_their_password(
    page, signed_in, visitor, account, live_server
):
    """Globex invited sam first, with a name; Acme's admin adds sam without an email, copies
    the link and opens it: nothing about sam shows, and no password can be chosen for them."""
    globex = AccountFactory(name="Globex")
    members_invite(
        account=globex,
        actor_membership=MembershipFactory(account=globex, super_admin=True),
        people=[ParsedPerson("sam@example.com", "Bea", "Globex")],
        seat_type=SeatType.VIEW_ONLY,
        access=AccessChoice(mode=AccessMode.DEFAULTS),
        send_email=False,
    )
    signed_in("super admin", account=account)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    open_create_user(page)
    type_addresses(page, "sam@example.com")
    page.get_by_label("Assign a seat").select_option(label="View-only seat")
    page.get_by_label("Don't send an invite email when this user is added").check()
    page.get_by_role("button", name="Review access").click()
    page.get_by_role("button", name="Create user").click()
    row = page.locator("#created-users").get_by_role("row", name=re.compile("sam@example.com"))
    row.get_by_role("button", name="Copy invite link").click()
    url = row.get_by_role("textbox", name="Invite link").input_value()

    opened = visitor()
    opened.set_viewport_size(SCREEN)
    opened.goto(link_path(url))

    expect(opened.get_by_role("heading", name="Join Acme")).to_be_visible()
    expect(opened.get_by_role("button", name="Email me a code")).to_be_visible()
    expect(opened.get_by_label("Password", exact=True)).to_have_count(0)
    expect(opened.get_by_role("main")).not_to_contain_text("Bea")
    expect(opened.get_by_role("main")).not_to_contain_text("sign-in")
    opened.get_by_role("button", name="Email me a code").click()
    opened.get_by_label("Code").fill(
        "000000" if code_emailed_to("sam@example.com") != "000000" else "1"
    )
    opened.get_by_role("button", name="Continue").click()
    expect(opened.get_by_text("That code is not right.")).to_be_visible()
    expect(opened.get_by_label("Password", exact=True)).to_have_count(0)
    sam = Membership.objects.get(account=account, user__email="sam@example.com").user
    assert not sam.has_usable_password()
    # Acme's Users tab shows the address Acme typed, not Globex's name for sam.
    page.set_viewport_size(SCREEN)
    open_users_and_teams(page)
    expect(page.get_by_role("main")).to_contain_text("sam@example.com")
    expect(page.get_by_role("main")).not_to_contain_text("Bea")
    screenshot(page, "5-users-tab-after-copying")


def test_create_user_opens_without_errors_and_going_back_keeps_the_addresses(
    page, signed_in, account
):
    signed_in("super admin", account=account)
    open_create_user(page)
    expect(page.get_by_text("This field is required.")).to_have_count(0)
    expect(page.get_by_label("Email addresses")).to_have_value("")

    type_addresses(page, "ada@acme.example, grace@acme.example")
    page.get_by_role("link", name="← Who").click()

    expect(page.get_by_label("Email addresses")).to_have_value(
        "ada@acme.example\ngrace@acme.example"
    )
    expect(page.get_by_text("This field is required.")).to_have_count(0)
