"""Inactive paid seats and the reclaim policy, in Chromium (issue 19).

Acme is on Marketing Hub Professional (3 Core seats included) with 2 bought. Ida has held a
Core seat with custom permissions and has not been active for 100 days. The reclaim job's time
is moved with `manage.py reclaim_seats --now`, as the renewal job's is with
`renew_subscriptions --now`.
"""

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Membership, Notification, SeatType
from seats.catalogue import seat_default_permissions
from seats.models import SeatPool
from tests.e2e.conftest import screenshot, sign_in_through_the_form
from tests.factories import MembershipFactory, UserFactory, subscribed_account

pytestmark = pytest.mark.django_db(transaction=True)

BILLING_ADMIN = {**seat_default_permissions("core"), "account.billing": "on"}
CUSTOM = {
    **seat_default_permissions("core"),
    "crm.deals.delete": "everything",
    "crm.contacts.edit": "everything",
}


@pytest.fixture
def account():
    return subscribed_account(extra_seats={"core": 2})


@pytest.fixture
def ida(account):
    return MembershipFactory(
        account=account,
        user=UserFactory(email="ida@acme.example", first_name="Ida", last_name="Idle"),
        permissions=CUSTOM,
        access="custom",
        last_active_at=timezone.now() - timedelta(days=100),
    )


def fact(scope, term: str):
    return scope.locator("dt", has_text=re.compile(rf"^{re.escape(term)}$")).locator(
        "xpath=following-sibling::dd[1]"
    )


def run_job(at) -> str:
    out = __import__("io").StringIO()
    call_command("reclaim_seats", "--now", at.isoformat(), stdout=out)
    return out.getvalue()


def test_the_super_admin_sets_the_policy_and_an_inactive_user_is_warned_then_reclaimed(
    page, signed_in, account, ida
):
    signed_in("super admin", account=account, last_active_at=timezone.now())
    page.get_by_role("navigation", name="Settings").get_by_role(
        "link", name="Reclaim policy"
    ).click()
    expect(page.get_by_role("heading", name="Reclaim policy")).to_be_visible()
    page.get_by_label("Move people to a View-only seat after a time without activity").check()
    page.get_by_label("Days without activity").fill("90")
    page.get_by_label("Warn them and the admins this many days before").fill("7")
    screenshot(page, "reclaim", "01-policy-form")
    page.get_by_role("button", name="Save policy").click()
    expect(page.get_by_role("status")).to_contain_text("Reclaim policy saved.")

    now = timezone.now()
    assert "warned 1, reclaimed 0" in run_job(now)
    assert Notification.objects.filter(
        membership=ida, text__contains="Sign in before then to keep it"
    ).exists()
    page.reload()
    warnings = page.locator("#reclaim-notices")
    expect(warnings).to_contain_text("Ida Idle")
    expect(warnings.locator("tbody tr").first.locator("td").last).to_have_text("—")
    screenshot(page, "reclaim", "02-warned")

    assert "warned 0, reclaimed 0" in run_job(now + timedelta(days=6))
    assert "warned 0, reclaimed 1" in run_job(now + timedelta(days=8))
    assert "warned 0, reclaimed 0" in run_job(now + timedelta(days=9))  # run twice: nothing

    page.reload()
    screenshot(page, "reclaim", "03-reclaimed-on-policy-page")
    page.get_by_role("link", name="Ida Idle").click()
    expect(page.get_by_label("Assign a seat")).to_have_value(SeatType.VIEW_ONLY)
    expect(page.get_by_test_id("reclaimed-note")).to_contain_text(
        "Give them a Core seat again under “Assign a seat” by"
    )
    screenshot(page, "reclaim", "04-user-on-view-only-seat")
    # The freed seat stays bought, and is available again.
    pool = SeatPool.objects.get(account=account, seat_type=SeatType.CORE)
    assert pool.total == 5
    assert Membership.objects.get(pk=ida.pk).seat_type == SeatType.VIEW_ONLY

    # Ida signs in: she was warned, then told, and is on a View-only seat.
    page.get_by_role("button", name="Sign out").click()
    sign_in_through_the_form(page, "ida@acme.example")
    page.wait_for_url(lambda url: "/sign-in/" not in url)
    page.goto("/settings/notifications/")
    expect(page.get_by_text("Sign in before then to keep it.")).to_be_visible()
    expect(page.get_by_text("and your permissions come back as they were")).to_be_visible()
    expect(page.get_by_text("Your seat in Acme is now: View-only seat.")).to_be_visible()
    screenshot(page, "reclaim", "04b-user-notifications")


def test_inactive_paid_seats_are_counted_and_moved_to_view_only_seats(
    page, signed_in, account, ida
):
    signed_in("super admin", account=account, last_active_at=timezone.now())
    page.goto("/settings/seats/")
    card = page.get_by_role("region", name="Core seat")
    expect(card.get_by_test_id("inactive-90")).to_have_text("1")
    expect(fact(card, "Available")).to_have_text("3")
    screenshot(page, "reclaim", "05-seats-tab-inactive")

    card.get_by_role("link", name="Move to View-only seat").click()
    expect(page.get_by_role("heading", name="Inactive Core seat holders")).to_be_visible()
    expect(page.locator("#inactive-members")).to_contain_text("Ida Idle")
    expect(page.locator("#inactive-members")).to_contain_text("Deals")
    screenshot(page, "reclaim", "06-move-preview")
    page.get_by_role("button", name="Move to View-only seat").click()

    expect(page.get_by_role("status")).to_contain_text("1 user was moved to a View-only seat.")
    page.goto("/settings/seats/")
    expect(fact(page.get_by_role("region", name="Core seat"), "Available")).to_have_text("4")
    screenshot(page, "reclaim", "07-seats-tab-after")


def test_ten_days_before_renewal_the_billing_admin_removes_the_unassigned_seats_it_names(
    page, signed_in
):
    account = subscribed_account(
        "Initech", extra_seats={"core": 2}, now=timezone.now() - timedelta(days=20)
    )
    signed_in("member", account=account, permissions=BILLING_ADMIN)  # 1 of the 5 Core seats
    page.goto("/settings/billing/")
    notice = page.get_by_test_id("savings-core")
    expect(notice).to_contain_text(
        "2 Core seats are unassigned: remove them at renewal to save $100 a month."
    )
    screenshot(page, "reclaim", "08-savings-notice")

    notice.get_by_role("link", name="Remove unassigned seats").click()
    dialog = page.get_by_role("dialog", name="Remove unassigned Core seats")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Seats to remove")).to_have_value("2")
    expect(fact(dialog, "Auto-renewal")).to_have_text("3")
    screenshot(page, "reclaim", "09-savings-dialog-prefilled")
    dialog.get_by_role("button", name="Remove 2 seats").click()

    expect(page.get_by_role("status")).to_contain_text("The removal is scheduled")
    expect(page.get_by_test_id("savings-core")).to_have_count(0)
    assert SeatPool.objects.get(account=account, seat_type=SeatType.CORE).pending_removal == 2
