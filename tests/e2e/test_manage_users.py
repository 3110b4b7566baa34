"""Managing users in Chromium: the Users list (search, filters, sorting, the CSV export, an
invited user's row menu) and a user's "Actions" menu (DOMAIN.md sections 5 and 6), driven by
the product's own labels.

Acme is on Marketing Hub Professional with 5 extra Core seats (8 in all). Ada Admin, its super
admin, is signed in through the form; the people she manages are made with factories.
"""

import csv
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Membership, MembershipStatus, SeatType
from accounts.teams.services import member_teams_set
from invitations.parsing import ParsedPerson
from invitations.services.members import members_invite
from seats.permissions.choice import AccessChoice, AccessMode
from tests.factories import MembershipFactory, TeamFactory, subscribed_account

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def account():
    return subscribed_account(extra_seats={"core": 5})


@pytest.fixture
def people(account):
    """Grace Hopper on a Core seat, active two days ago; Grace Kelly on a View-only seat, active
    ten days ago; Alan Turing on a View-only seat, never active."""
    now = timezone.now()
    return {
        "hopper": MembershipFactory(
            account=account,
            user__email="hopper@acme.example",
            user__first_name="Grace",
            user__last_name="Hopper",
            last_active_at=now - timedelta(days=2),
            joined_at=now - timedelta(days=90),
        ),
        "kelly": MembershipFactory(
            account=account,
            user__email="kelly@acme.example",
            user__first_name="Grace",
            user__last_name="Kelly",
            view_only=True,
            last_active_at=now - timedelta(days=10),
            joined_at=now - timedelta(days=90),
        ),
        "turing": MembershipFactory(
            account=account,
            user__email="turing@acme.example",
            user__first_name="Alan",
            user__last_name="Turing",
            view_only=True,
            last_active_at=None,
        ),
    }


@pytest.fixture
def admin(signed_in, account):
    return signed_in(
        "super admin",
        account=account,
        user__email="ada@acme.example",
        user__first_name="Ada",
        user__last_name="Admin",
    )


def open_users(page) -> None:
    page.get_by_role("navigation", name="Settings").get_by_role(
        "link", name="Users & Teams"
    ).click()
    expect(page.get_by_role("heading", name="Users & Teams")).to_be_visible()


def email_cells(page):
    # Each row's address, under the name (or alone, as the link, for someone without a name).
    return page.locator("#users-table tbody tr [data-field=email]")


def open_user(page, name: str) -> None:
    open_users(page)
    page.locator("#users-table").get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def choose_action(page, action: str) -> None:
    page.locator("summary", has_text="Actions").click()
    page.get_by_role("link", name=action, exact=True).click()
    expect(page.get_by_role("heading", name=action)).to_be_visible()


def test_searching_and_filtering_the_users_list_shows_only_the_matching_rows(page, admin, people):
    open_users(page)
    expect(email_cells(page)).to_have_count(4)

    page.get_by_label("Search name or email").fill("GRACE")
    page.get_by_role("button", name="Apply filters").click()
    expect(email_cells(page)).to_have_text(["hopper@acme.example", "kelly@acme.example"])

    page.get_by_label("Seat", exact=True).select_option(label="View-only seat")
    page.get_by_role("button", name="Apply filters").click()
    expect(email_cells(page)).to_have_text(["kelly@acme.example"])
    expect(page.get_by_test_id("result-count")).to_have_text("1–1 of 1 users")

    page.get_by_label("Search name or email").fill("")
    page.get_by_role("button", name="Apply filters").click()
    expect(email_cells(page)).to_have_text(["turing@acme.example", "kelly@acme.example"])


def test_sorting_by_last_active_puts_never_first_then_flips(page, admin, people):
    open_users(page)
    table = page.locator("#users-table")

    table.get_by_role("link", name="Last active").click()
    expect(email_cells(page)).to_have_text(
        ["turing@acme.example", "kelly@acme.example", "hopper@acme.example", "ada@acme.example"]
    )

    table.get_by_role("link", name="Last active").click()
    expect(email_cells(page)).to_have_text(
        ["ada@acme.example", "hopper@acme.example", "kelly@acme.example", "turing@acme.example"]
    )


def test_deactivating_a_user_and_keeping_their_seat(page, admin, people):
    open_user(page, "Grace Hopper")

    choose_action(page, "Deactivate user")
    page.get_by_label("Keep the seat for them").check()
    page.get_by_label("Note").fill("Parental leave until May")
    page.get_by_role("button", name="Deactivate user").click()

    expect(page.get_by_role("status")).to_contain_text("Grace Hopper was deactivated.")
    expect(page.get_by_test_id("status")).to_have_text("Deactivated — Parental leave until May")
    expect(page.get_by_test_id("current-seat")).to_have_text("Core seat")
    hopper = Membership.objects.get(pk=people["hopper"].pk)
    assert (hopper.status, hopper.seat_type) == (MembershipStatus.DEACTIVATED, SeatType.CORE)


def test_reactivating_a_deactivated_user(page, admin, people):
    Membership.objects.filter(pk=people["hopper"].pk).update(
        status=MembershipStatus.DEACTIVATED, deactivated_at=timezone.now()
    )
    open_user(page, "Grace Hopper")

    choose_action(page, "Reactivate user")
    page.get_by_role("button", name="Reactivate user").click()

    expect(page.get_by_role("status")).to_contain_text("Grace Hopper was reactivated.")
    expect(page.get_by_test_id("status")).to_have_text("Active")
    expect(page.get_by_test_id("current-seat")).to_have_text("Core seat")


def test_removing_a_user_after_deactivating_them(page, admin, people):
    open_user(page, "Grace Hopper")
    choose_action(page, "Deactivate user")
    page.get_by_role("button", name="Deactivate user").click()
    expect(page.get_by_test_id("status")).to_contain_text("Deactivated")

    choose_action(page, "Remove from account")
    page.get_by_role("button", name="Remove from account").click()

    expect(page.get_by_role("heading", name="Users & Teams")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Grace Hopper was removed from the account.")
    expect(email_cells(page)).to_have_text(
        ["ada@acme.example", "turing@acme.example", "kelly@acme.example"]
    )
    assert not Membership.objects.filter(pk=people["hopper"].pk).exists()


def test_super_admin_changes_are_listed_newest_first_with_who_made_them(
    page, admin, people, account
):
    deputy = MembershipFactory(account=account, super_admin=True, user__email="deputy@acme.example")
    member_teams_set(
        membership=people["hopper"],
        main_team=TeamFactory(account=account, name="Research"),
        extra_teams=[],
        actor=deputy.user,
    )
    open_user(page, "Grace Hopper")

    choose_action(page, "Make super admin")
    page.get_by_role("button", name="Make super admin").click()
    expect(page.get_by_role("status")).to_contain_text("Grace Hopper is now a super admin.")
    choose_action(page, "Remove super admin")
    page.get_by_role("button", name="Remove super admin").click()
    expect(page.get_by_role("status")).to_contain_text("Grace Hopper is no longer a super admin.")
    page.locator("summary", has_text="Actions").click()
    page.get_by_role("link", name="View permissions history").click()

    expect(page.get_by_role("heading", name="Permissions history")).to_be_visible()
    rows = page.locator("#history tbody tr")
    expect(rows).to_have_count(3)
    any_time = re.compile(r"\d")
    expect(rows.nth(0).get_by_role("cell")).to_have_text(
        [
            any_time,
            "Super admin changed",
            "Ada Admin ada@acme.example",
            "Super admin: Yes → No",
        ]
    )
    expect(rows.nth(1).get_by_role("cell")).to_have_text(
        [
            any_time,
            "Super admin changed",
            "Ada Admin ada@acme.example",
            "Super admin: No → Yes",
        ]
    )
    expect(rows.nth(2).get_by_role("cell").nth(1)).to_have_text("Teams changed")
    expect(rows.nth(2).get_by_role("cell").nth(2)).to_contain_text("deputy@acme.example")
    assert not Membership.objects.get(pk=people["hopper"].pk).is_super_admin


def test_export_csv_downloads_the_filtered_list(page, admin, people):
    open_users(page)
    page.get_by_label("Search name or email").fill("grace")
    page.get_by_role("button", name="Apply filters").click()
    expect(email_cells(page)).to_have_count(2)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value

    assert re.fullmatch(r"users-\d{8}\.csv", download.suggested_filename)
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    table = list(csv.reader(text.splitlines()))
    assert table[0][:3] == ["Name", "Email", "Seat"]
    assert [row[:3] for row in table[1:]] == [
        ["Grace Hopper", "hopper@acme.example", "Core seat"],
        ["Grace Kelly", "kelly@acme.example", "View-only seat"],
    ]


def test_bulk_edit_moves_the_selected_users_to_a_core_seat(page, people, admin):
    open_users(page)
    page.get_by_label("Select kelly@acme.example").check()
    page.get_by_label("Select turing@acme.example").check()
    page.get_by_label("Bulk edit the selected users").select_option(label="Change seat")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_test_id("bulk-members")).to_contain_text("kelly@acme.example")
    expect(page.get_by_test_id("bulk-members")).to_contain_text("turing@acme.example")
    page.get_by_label("Seat").select_option("core")
    page.get_by_role("button", name="Apply to 2 users").click()

    expect(page.get_by_text("2 users were changed.")).to_be_visible()
    seats = set(
        Membership.objects.filter(pk__in=[people["kelly"].pk, people["turing"].pk]).values_list(
            "seat_type", flat=True
        )
    )
    assert seats == {SeatType.CORE}


def invited(account, email: str) -> Membership:
    """`email` invited onto a View-only seat, the email sent (Celery runs eagerly here)."""
    inviter = MembershipFactory(account=account, super_admin=True)
    [membership] = members_invite(
        account=account,
        actor_membership=inviter,
        people=[ParsedPerson(email=email)],
        seat_type=SeatType.VIEW_ONLY,
        access=AccessChoice(mode=AccessMode.DEFAULTS),
        send_email=True,
    ).memberships
    return membership


def test_an_invited_users_row_menu_copies_resends_and_closes_from_the_keyboard(
    page, admin, account, live_server
):
    invited(account, "newbie@acme.example")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    open_users(page)
    row = page.locator("#users-table").get_by_role("row", name=re.compile("newbie@acme.example"))
    expect(row).to_contain_text("Pending")
    menu = row.get_by_label("Actions for newbie@acme.example")
    copy = row.get_by_role("button", name="Copy invite link")
    expect(copy).to_be_hidden()  # closed: the row stays one line high

    menu.focus()
    page.keyboard.press("Enter")
    expect(copy).to_be_visible()
    copy.click()
    expect(row.get_by_role("status")).to_have_text("Copied")
    url = row.get_by_role("textbox", name="Invite link").input_value()
    assert page.evaluate("() => navigator.clipboard.readText()") == url
    assert "/invite/" in url

    page.keyboard.press("Escape")
    expect(copy).to_be_hidden()
    expect(menu).to_be_focused()

    page.keyboard.press("Enter")
    row.get_by_role("button", name="Resend invite").click()
    expect(
        page.get_by_text("A new invitation is on its way to newbie@acme.example.")
    ).to_be_visible()
    resent = [m for m in mail.outbox if m.to == ["newbie@acme.example"]]
    assert len(resent) == 2  # the invitation, then the one resent


def test_the_users_list_fits_a_laptop_screen_without_scrolling_sideways(
    page, admin, people, account
):
    invited(account, "a.rather.long.address.for.a.new.colleague@acme.example")
    page.set_viewport_size({"width": 1280, "height": 800})
    open_users(page)

    wrap = page.locator(".table-wrap")
    expect(page.locator("#users-table")).to_be_visible()
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth"), "the table scrolls sideways"
    row = page.locator("#users-table").get_by_role("row", name=re.compile("hopper@acme.example"))
    expect(row).to_contain_text("2 days ago")
