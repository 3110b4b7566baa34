"""Seats, Account & Billing and a user's "Assign a seat", in Chromium (DOMAIN.md section 7).

Acme is on Marketing Hub Professional: 3 Core seats included and 2 bought, 5 in all, at $50 per
extra Core seat per month. Its subscription starts when the test does, so buying seats now costs
the whole period (the proration is a few seconds short of it, which rounds away). Every step is
driven by the product's own labels.
"""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Membership, Notification, SeatType
from accounts.text import day
from billing.models import Invoice, InvoiceKind, InvoiceStatus
from billing.selectors import subscription_live_get
from billing.services.bundles import Bundle
from billing.services.cards import card_save
from billing.services.checkout import bundle_checkout
from billing.services.removals import seat_removal_schedule
from seats.catalogue import seat_default_permissions
from seats.models import SeatPool
from seats.users.services.seat import seat_change_preview
from tests.e2e.conftest import ARTIFACTS, sign_in_through_the_form
from tests.factories import MembershipFactory, subscribed_account

pytestmark = pytest.mark.django_db(transaction=True)

BILLING_ADMIN = {**seat_default_permissions("core"), "account.billing": "on"}
USERS_ONLY = {**seat_default_permissions("core"), "account.users": "on"}
SUCCEEDS = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"


@pytest.fixture
def account():
    return subscribed_account(extra_seats={"core": 2})


def core_pool(account) -> SeatPool:
    return SeatPool.objects.get(account=account, seat_type=SeatType.CORE)


def renewal_date(account) -> str:
    """The renewal date as the pages print it (CLDR's medium date, in UTC like the server)."""
    return day(subscription_live_get(account=account).current_period_end)


def dollars(amount: int) -> re.Pattern:
    # Server-rendered prices drop ".00" from whole amounts; prices the script updates keep it.
    return re.compile(rf"^\${amount:,}(\.00)?$")


def fact(scope, term: str):
    """The value beside `term` in a <dl class="facts"> ("Total", "Auto-renewal", ...)."""
    return scope.locator("dt", has_text=re.compile(rf"^{re.escape(term)}$")).locator(
        "xpath=following-sibling::dd[1]"
    )


def settings_nav(page):
    return page.get_by_role("navigation", name="Settings")


def open_seats_tab(page) -> None:
    settings_nav(page).get_by_role("link", name="Users & Teams").click()
    page.get_by_role("navigation", name="Users & Teams").get_by_role(
        "link", name="Seats", exact=True
    ).click()
    expect(page.get_by_role("heading", name="Users & Teams")).to_be_visible()


def core_seat_card(page):
    return page.get_by_role("region", name="Core seat")


def open_account_and_billing(page) -> None:
    settings_nav(page).get_by_role("link", name="Account & Billing").click()
    expect(page.get_by_role("heading", name="Account & Billing", exact=True)).to_be_visible()


def open_billing_tab(page, tab: str) -> None:
    open_account_and_billing(page)
    page.get_by_role("navigation", name="Account & Billing").get_by_role("link", name=tab).click()


def core_subscription_row(page):
    return page.locator("#seat-subscriptions").get_by_role("row", name=re.compile("Core seat"))


def add_card(page, number: str) -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry month").fill("12")
    page.get_by_label("Expiry year").fill(str(timezone.now().year + 3))
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name="Save card").click()


def remove_core_seats(page, quantity: int) -> None:
    """Subscriptions → "Remove unassigned seats" on the Core seat row → confirm `quantity`."""
    core_subscription_row(page).get_by_role("link", name="Remove unassigned seats").click()
    dialog = page.get_by_role("dialog", name="Remove unassigned Core seats")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Seats to remove").fill(str(quantity))
    label = "Remove 1 seat" if quantity == 1 else f"Remove {quantity} seats"
    dialog.get_by_role("button", name=label).click()
    expect(page.get_by_role("status")).to_contain_text("The removal is scheduled")


def open_user_from_the_users_list(page, name: str) -> None:
    settings_nav(page).get_by_role("link", name="Users & Teams").click()
    page.locator("#users-table").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def test_the_billing_admin_buys_two_core_seats_and_sees_the_new_total_and_the_invoice(
    page, signed_in, account
):
    signed_in("member", account=account, permissions=BILLING_ADMIN)
    open_seats_tab(page)
    expect(fact(core_seat_card(page), "Total")).to_have_text("5")

    core_seat_card(page).get_by_role("link", name="Add seats").click()
    expect(page.get_by_text("Add a card first")).to_be_visible()
    expect(page.get_by_role("heading", name="Add a card")).to_be_visible()
    add_card(page, SUCCEEDS)

    expect(page.get_by_role("heading", name="Add seats: Core seat")).to_be_visible()
    expect(page.get_by_text("Charged to")).to_contain_text("4242")
    quantity = page.get_by_label("Number of seats")
    expect(quantity).to_have_value("1")
    expect(fact(page, "Due today")).to_have_text(dollars(50))
    page.get_by_role("button", name="One seat more").click()
    expect(quantity).to_have_value("2")
    expect(fact(page, "Due today")).to_have_text(dollars(100))
    expect(fact(page, "Then per period")).to_have_text(dollars(100))
    page.get_by_role("button", name="Buy now").click()

    expect(page.get_by_role("status")).to_contain_text("Seats bought.")
    expect(fact(core_seat_card(page), "Total")).to_have_text("7")
    assert core_pool(account).total == 7

    open_billing_tab(page, "Invoices")
    (bought,) = Invoice.objects.filter(account=account)
    assert (bought.kind, bought.status, bought.total_cents) == (
        InvoiceKind.PURCHASE,
        InvoiceStatus.PAID,
        10_000,
    )
    row = page.locator("#invoices").get_by_role("row", name=re.compile(bought.number))
    expect(row).to_contain_text("Seats bought")
    expect(row).to_contain_text("Paid")
    row.get_by_role("link", name=bought.number).click()
    expect(page.get_by_role("heading", name=f"Invoice {bought.number}")).to_be_visible()
    expect(fact(page, "Status")).to_contain_text("Paid")
    expect(page.get_by_role("row", name=re.compile("Core seat, prorated"))).to_contain_text("2")
    expect(page.get_by_test_id("invoice-total")).to_have_text(dollars(100))


def test_a_declined_card_changes_nothing(page, signed_in, account):
    admin = signed_in("member", account=account, permissions=BILLING_ADMIN)
    card_save(
        account=account,
        number=DECLINED,
        exp_month=12,
        exp_year=timezone.now().year + 3,
        cvc="123",
        actor=admin.user,
    )
    open_seats_tab(page)
    core_seat_card(page).get_by_role("link", name="Add seats").click()
    expect(page.get_by_role("heading", name="Add seats: Core seat")).to_be_visible()
    page.get_by_role("button", name="Buy now").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "Your card was declined. Nothing was charged."
    )
    expect(page.get_by_role("heading", name="Add seats: Core seat")).to_be_visible()
    open_seats_tab(page)
    expect(fact(core_seat_card(page), "Total")).to_have_text("5")
    assert core_pool(account).total == 5
    assert not Invoice.objects.filter(account=account).exists()


def test_the_billing_admin_schedules_a_removal_cancels_it_and_schedules_it_again(
    page, signed_in, account
):
    # One of the 5 Core seats is assigned (to the billing admin): the 2 bought ones can go.
    signed_in("member", account=account, permissions=BILLING_ADMIN)
    open_billing_tab(page, "Subscriptions")
    row = core_subscription_row(page)
    expect(row.get_by_test_id("current-core")).to_have_text("5")
    expect(row.get_by_test_id("auto-renewal-core")).to_have_text("5")

    row.get_by_role("link", name="Remove unassigned seats").click()
    dialog = page.get_by_role("dialog", name="Remove unassigned Core seats")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("You can remove up to 2 seats.")
    expect(fact(dialog, "Current subscription")).to_have_text("5")
    expect(fact(dialog, "Auto-renewal")).to_have_text("4")
    expect(dialog.get_by_role("button", name="Remove 1 seat")).to_be_visible()
    dialog.get_by_label("Seats to remove").fill("2")
    expect(fact(dialog, "Current subscription")).to_have_text("5")
    expect(fact(dialog, "Auto-renewal")).to_have_text("3")
    expect(dialog.get_by_role("button", name="Remove 2 seats")).to_be_visible()
    dialog.get_by_label("Seats to remove").fill("1")
    expect(fact(dialog, "Auto-renewal")).to_have_text("4")
    dialog.get_by_role("button", name="Remove 1 seat").click()

    expect(page.get_by_role("status")).to_contain_text("The removal is scheduled")
    row = core_subscription_row(page)
    expect(row).to_contain_text(f"1 seat will be removed on {renewal_date(account)}.")
    expect(row.get_by_test_id("current-core")).to_have_text("5")
    expect(row.get_by_test_id("auto-renewal-core")).to_have_text("4")
    assert (core_pool(account).total, core_pool(account).pending_removal) == (5, 1)

    row.get_by_role("link", name="Cancel this removal").click()
    expect(page.get_by_role("heading", name="Cancel this removal")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(
        f"1 Core seat was to be removed on {renewal_date(account)}. Keep it at the renewal?"
    )
    page.get_by_role("button", name="Cancel this removal").click()

    expect(page.get_by_role("status")).to_contain_text("The removal was cancelled.")
    row = core_subscription_row(page)
    expect(row).not_to_contain_text("will be removed")
    expect(row.get_by_role("link", name="Cancel this removal")).to_have_count(0)
    expect(row.get_by_test_id("auto-renewal-core")).to_have_text("5")
    assert core_pool(account).pending_removal == 0

    remove_core_seats(page, 2)
    row = core_subscription_row(page)
    expect(row).to_contain_text(f"2 seats will be removed on {renewal_date(account)}.")
    expect(row.get_by_test_id("auto-renewal-core")).to_have_text("3")
    assert (core_pool(account).total, core_pool(account).pending_removal) == (5, 2)


def test_assigning_a_core_seat_to_a_view_only_user_cancels_the_removal(page, account):
    # 4 of the 5 Core seats are assigned and 1 is scheduled for removal: the next period has a
    # seat for each of the 4 and none to spare.
    admin = MembershipFactory(account=account, super_admin=True)
    billing = MembershipFactory(account=account, permissions=BILLING_ADMIN)
    MembershipFactory.create_batch(2, account=account)
    MembershipFactory(
        account=account, view_only=True, user__first_name="Grace", user__last_name="Hopper"
    )
    seat_removal_schedule(account=account, seat_type=SeatType.CORE, quantity=1, actor=billing.user)
    Notification.objects.filter(membership=billing).update(read_at=timezone.now())
    assert core_pool(account).total_at_renewal == 4

    sign_in_through_the_form(page, admin.user.email)
    open_account_and_billing(page)
    expect(core_subscription_row(page)).to_contain_text("1 seat will be removed on")
    open_user_from_the_users_list(page, "Grace Hopper")
    expect(page.get_by_test_id("current-seat")).to_have_text("View-only seat")
    page.get_by_label("Assign a seat").select_option(label="Core seat (1 available)")
    page.get_by_role("button", name="Save seat").click()
    # View-only to Core takes nothing away, so there is nothing to confirm.
    expect(page.get_by_role("status")).to_contain_text("Grace Hopper is now on a Core seat.")
    expect(page.get_by_test_id("current-seat")).to_have_text("Core seat")

    open_account_and_billing(page)
    row = core_subscription_row(page)
    expect(row).not_to_contain_text("will be removed")
    expect(row.get_by_role("link", name="Cancel this removal")).to_have_count(0)
    expect(row.get_by_test_id("auto-renewal-core")).to_have_text("5")
    assert core_pool(account).pending_removal == 0

    told = "1 Core seat scheduled for removal was assigned, so the removal was reduced by 1."
    assert Notification.objects.filter(membership=billing, text=told, read_at=None).exists()
    page.get_by_role("button", name="Sign out").click()
    sign_in_through_the_form(page, billing.user.email)
    bell = page.get_by_role("banner").get_by_role("link", name=re.compile("^Notifications"))
    expect(bell.get_by_test_id("unread-count")).to_be_visible()
    bell.click()
    expect(page.get_by_role("heading", name="Notifications", exact=True)).to_be_visible()
    recent = page.get_by_role("region", name="Recent")
    expect(recent.locator("li.unread", has_text=told)).to_be_visible()


def test_a_user_without_edit_billing_cannot_reach_any_billing_page(page, signed_in, account):
    signed_in("member", account=account, permissions=USERS_ONLY)
    nav = settings_nav(page)
    expect(nav.get_by_role("link", name="Users & Teams")).to_be_visible()
    expect(nav.get_by_role("link", name="Account & Billing")).to_have_count(0)
    expect(nav.get_by_role("link", name="Pricing & Features")).to_have_count(0)
    nav.get_by_role("link", name="Users & Teams").click()
    tabs = page.get_by_role("navigation", name="Users & Teams")
    expect(tabs.get_by_role("link", name="Users", exact=True)).to_be_visible()
    expect(tabs.get_by_role("link", name="Seats", exact=True)).to_have_count(0)

    for path in [
        "/settings/seats/",
        "/settings/seats/core/add/",
        "/settings/billing/",
        "/settings/billing/seats/core/remove/",
        "/settings/billing/card/",
        "/settings/billing/invoices/",
        "/settings/pricing/",
    ]:
        response = page.goto(path)
        assert response.status == 403, path
        expect(page.get_by_role("heading", name="You can't open this page")).to_be_visible()


def test_changing_a_users_seat_lists_the_permissions_it_removes(page, signed_in, account):
    signed_in("super admin", account=account)
    ada = MembershipFactory(account=account, user__first_name="Ada", user__last_name="Lovelace")
    taken_away = [str(c.label) for c in seat_change_preview(membership=ada, seat_type="view_only")]

    open_user_from_the_users_list(page, "Ada Lovelace")
    expect(page.get_by_test_id("current-seat")).to_have_text("Core seat")
    page.get_by_label("Assign a seat").select_option(label="View-only seat")
    page.get_by_role("button", name="Save seat").click()

    warning = page.get_by_role("alert").filter(has_text="This seat takes these permissions away")
    expect(warning).to_be_visible()
    listed = page.get_by_test_id("removed-permissions").get_by_role("listitem")
    expect(listed).to_have_text(taken_away)
    expect(listed.filter(has_text=re.compile("^Contacts: Edit$"))).to_have_count(1)
    ada.refresh_from_db()
    assert ada.seat_type == SeatType.CORE
    page.get_by_role("button", name="Change seat and remove these permissions").click()

    expect(page.get_by_role("status")).to_contain_text("Ada Lovelace is now on a View-only")
    expect(page.get_by_test_id("current-seat")).to_have_text("View-only seat")
    ada = Membership.objects.get(pk=ada.pk)
    assert ada.seat_type == SeatType.VIEW_ONLY
    assert seat_change_preview(membership=ada, seat_type="view_only") == []


def test_after_a_downgrade_is_scheduled_the_pages_count_the_next_periods_seats(page, account):
    """#13 point 1 in the browser: Marketing Hub Professional → Starter waits for the renewal
    date and leaves 2 Core seats (Starter includes none), both held. Account & Billing says 2
    at renewal, "Assign a seat" offers no free Core seat, and assigning one anyway is refused at
    the field with the reason; nothing changes."""
    admin = MembershipFactory(account=account, super_admin=True, user__first_name="Ada")
    MembershipFactory(account=account)  # the second Core seat
    MembershipFactory(
        account=account, view_only=True, user__first_name="Grace", user__last_name="Hopper"
    )
    bundle_checkout(
        account=account,
        bundle=Bundle(hubs={"marketing": "starter"}, addons={}, interval="monthly"),
        idempotency_key="downgrade",
        actor=admin.user,
    )

    sign_in_through_the_form(page, admin.user.email)
    open_account_and_billing(page)
    expect(core_subscription_row(page).get_by_test_id("auto-renewal-core")).to_have_text("2")
    open_user_from_the_users_list(page, "Grace Hopper")
    page.get_by_label("Assign a seat").select_option(label="Core seat (0 available)")
    page.get_by_role("button", name="Save seat").click()

    expect(
        page.get_by_text("The plan change scheduled for the renewal date leaves 2 Core")
    ).to_be_visible()
    expect(page.get_by_test_id("current-seat")).to_have_text("View-only seat")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "seat-refused-after-a-downgrade.png", full_page=True)
    assert Membership.objects.filter(account=account, seat_type=SeatType.CORE).count() == 2


def test_the_emailed_link_of_a_declined_renewal_pays_it_and_ends_past_due(page, signed_in, account):
    from urllib.parse import urlsplit

    from django.core import mail

    from billing.models import SubscriptionStatus
    from billing.services.renewals.batches import renewals_run

    admin = signed_in("member", account=account, permissions=BILLING_ADMIN)

    def card(number: str) -> None:
        card_save(
            account=account,
            number=number,
            exp_month=12,
            exp_year=timezone.now().year + 3,
            cvc="123",
            actor=admin.user,
        )

    card(DECLINED)
    mail.outbox.clear()
    renewals_run(now=subscription_live_get(account=account).current_period_end)
    card(SUCCEEDS)  # a working card, saved since
    assert subscription_live_get(account=account).status == SubscriptionStatus.PAST_DUE
    [message] = [m for m in mail.outbox if m.to == [admin.user.email]]
    [link] = re.findall(r"https?://\S+", message.body)

    page.goto(urlsplit(link).path)
    invoice = Invoice.objects.get(account=account, kind=InvoiceKind.RENEWAL)
    expect(page.get_by_role("heading", name=f"Pay invoice {invoice.number}")).to_be_visible()
    page.get_by_role("button", name="Pay now").click()

    expect(page.get_by_role("status")).to_contain_text(f"Invoice {invoice.number} was paid.")
    page.goto("/settings/billing/")
    expect(page.get_by_text("Past due")).to_have_count(0)
    assert subscription_live_get(account=account).status == SubscriptionStatus.ACTIVE
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
