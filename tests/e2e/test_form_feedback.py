"""Form feedback in Chromium (issue 14, item 6): after a failed submit the page says everything
that is wrong once, at the field, puts focus on the first thing to fix, and ties each message to
its field; every control shows where focus is."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Membership
from billing.services.cards import card_save
from invitations.parsing import ParsedPerson
from invitations.services.members import members_invite
from seats.permissions.choice import AccessChoice, AccessMode
from tests.e2e.conftest import sign_in_through_the_form
from tests.e2e.keyboard import focus_ring_problem, focused, tab_to
from tests.factories import MembershipFactory, subscribed_account

pytestmark = pytest.mark.django_db(transaction=True)

DESCRIBED_BY = """element => (element.getAttribute("aria-describedby") || "").split(/\\s+/)
  .filter(Boolean).map(id => [id, document.getElementById(id) !== null])"""


@pytest.fixture
def account():
    return subscribed_account(extra_seats={"core": 2})


def described_by(locator) -> list[tuple[str, bool]]:
    """Each id in the element's aria-describedby, and whether the page has an element with it."""
    return [tuple(pair) for pair in locator.evaluate(DESCRIBED_BY)]


def has_focus(locator) -> bool:
    return locator.evaluate("element => element === document.activeElement")


def invitee_join_page(page, account) -> None:
    admin = Membership.objects.filter(account=account, is_super_admin=True).first()
    [invitee] = members_invite(
        account=account,
        actor_membership=admin,
        people=[ParsedPerson("ada@acme.example", "Ada", "Byron")],
        seat_type="view_only",
        access=AccessChoice(mode=AccessMode.DEFAULTS),
        send_email=True,
        now=timezone.now(),
    ).memberships
    (message,) = [m for m in mail.outbox if m.to == [invitee.user.email]]
    page.goto(urlsplit(re.search(r"https?://\S+/invite/\S+/", message.body).group(0)).path)
    expect(page.get_by_role("heading", name="Join Acme")).to_be_visible()


def test_add_seats_with_0_says_so_once_at_the_field_and_keeps_the_price_preview(
    page, signed_in, account
):
    admin = signed_in("super admin", account=account)
    card_save(
        account=account,
        number="4242 4242 4242 4242",
        exp_month=12,
        exp_year=timezone.now().year + 3,
        cvc="123",
        actor=admin.user,
    )
    page.goto("/settings/seats/core/add/")
    quantity = page.get_by_label("Number of seats")
    quantity.fill("0")
    page.get_by_role("button", name="Buy now").click()

    expect(page.get_by_role("heading", name="Add seats: Core seat")).to_be_visible()
    expect(page.get_by_text(re.compile("^Add at least 1 seat.$"))).to_have_count(1)
    expect(page.get_by_role("alert")).to_have_count(1)
    # The preview stays: the per-seat price and the period, totals blank until the number is fixed.
    expect(page.get_by_text(re.compile(r"\$50 per seat per period"))).to_be_visible()
    expect(page.locator("[data-amount]")).to_have_text("—")
    assert has_focus(quantity), focused(page)
    assert described_by(quantity) == [("id_quantity_error", True)]
    expect(page.locator("#id_quantity_error")).to_contain_text("1")

    quantity.fill("2")
    expect(page.locator("[data-amount]")).to_have_text(re.compile(r"^\$100(\.00)?$"))


def test_bulk_edit_says_nothing_before_apply_and_then_focuses_the_missing_choice(
    page, signed_in, account
):
    signed_in("super admin", account=account)
    MembershipFactory(account=account, user__email="grace@acme.example", view_only=True)
    page.goto("/settings/users/")
    page.get_by_label("Select grace@acme.example").check()
    page.get_by_label("Bulk edit the selected users").select_option(label="Add to a team")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Bulk edit")).to_be_visible()
    expect(page.get_by_text("Choose one.")).to_have_count(0)
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_label("Bulk edit")).to_have_value("team")

    page.get_by_role("button", name="Apply to 1 user").click()
    expect(page.get_by_text("Choose one.")).to_be_visible()
    assert has_focus(page.get_by_label("Team")), focused(page)


def test_bulk_edit_with_nobody_selected_returns_to_the_list_saying_what_to_do(
    page, signed_in, account
):
    signed_in("super admin", account=account)
    MembershipFactory(account=account, user__email="grace@acme.example", view_only=True)
    page.goto("/settings/users/")
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(re.compile(r"/settings/users/$"))
    expect(page.get_by_role("status")).to_contain_text("Select at least one user")
    expect(page.get_by_label("Select grace@acme.example")).to_be_visible()


def test_the_join_page_lists_every_password_problem_and_focuses_the_first(page, account):
    MembershipFactory(account=account, super_admin=True)
    invitee_join_page(page, account)
    password = page.get_by_label("Password", exact=True)
    password.fill("ada")
    page.get_by_label("Confirm password").fill("bob")
    page.get_by_role("button", name="Set password and join").click()

    password_errors = page.locator("#id_password1_error")
    expect(password_errors).to_contain_text("too short")
    expect(page.locator("#id_password2_error")).to_have_text("The two passwords don't match.")
    assert has_focus(password), focused(page)
    assert described_by(password) == [("id_password1_helptext", True), ("id_password1_error", True)]


def test_the_join_pages_password_help_is_one_valid_block_with_its_list(page, account):
    MembershipFactory(account=account, super_admin=True)
    invitee_join_page(page, account)

    # A <p> cannot hold a <ul>: the browser would close it, leaving the id on an empty paragraph.
    help_text = page.locator("#id_password1_helptext")
    expect(help_text.get_by_role("listitem").first).to_be_visible()
    expect(page.locator("p:empty")).to_have_count(0)


def test_a_failed_submit_moves_focus_to_the_first_error(page, signed_in, account):
    signed_in("super admin", account=account)
    page.goto("/settings/teams/")
    page.get_by_role("button", name="Create team").click()

    name = page.get_by_label("Team name")
    expect(name).to_have_attribute("aria-invalid", "true")
    assert has_focus(name), focused(page)


def test_a_wrong_password_focuses_the_message_that_says_so(page):
    member = MembershipFactory()
    sign_in_through_the_form(page, member.user.email, "wrong-password")

    message = page.get_by_role("alert")
    expect(message).to_contain_text("don't match an account")
    assert has_focus(message), focused(page)


def test_radios_checkboxes_and_inputs_show_a_plain_focus_ring(page, signed_in, account):
    signed_in("super admin", account=account)
    page.goto("/settings/users/new/")
    addresses = page.get_by_label("Email addresses")
    addresses.fill("ada@acme.example")
    page.keyboard.press("Tab")  # focus seen by a keyboard user
    tab_to(page, addresses, backwards=True)
    assert focus_ring_problem(addresses) is None
    page.get_by_role("button", name="Next").click()

    for control in [
        page.get_by_label("Assign a seat"),
        page.get_by_role("radio").first,
        page.get_by_role("checkbox").last,
    ]:
        tab_to(page, control)
        assert focus_ring_problem(control) is None, focused(page)
