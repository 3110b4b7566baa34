"""First walks through the settings shell in Chromium, by the product's own labels."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in_through_the_form
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_super_admin_signs_in_and_sees_the_member_list(page, signed_in):
    admin = signed_in(
        "super admin", account__name="Acme", user__first_name="Ada", user__last_name="Byron"
    )
    MembershipFactory(account=admin.account, user__email="grace@acme.example", view_only=True)
    page.get_by_role("link", name="Users & Teams").click()
    expect(page.get_by_role("heading", name="Users & Teams")).to_be_visible()
    expect(page.get_by_test_id("current-account")).to_have_text("Acme")
    table = page.locator("#users-table")
    expect(table.get_by_role("row", name=re.compile("grace@acme.example"))).to_contain_text(
        "View-only seat"
    )
    expect(table.get_by_role("row", name=re.compile("Ada Byron"))).to_contain_text("Super admin")


def test_a_member_without_add_and_edit_users_is_refused_the_users_page(page, signed_in):
    signed_in("member")
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()
    nav = page.get_by_role("navigation", name="Settings")
    expect(nav.get_by_role("link", name="Users & Teams")).to_have_count(0)
    page.goto("/settings/users/")
    expect(page.get_by_role("heading", name="You can't open this page")).to_be_visible()


def test_signing_out_ends_the_session(page, signed_in):
    signed_in("super admin")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to seatmgr")).to_be_visible()
    page.goto("/settings/users/")
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=/settings/users/"))


def test_a_wrong_password_is_refused_at_the_form(page):
    member = MembershipFactory()
    sign_in_through_the_form(page, member.user.email, "wrong-password")
    expect(page.get_by_role("alert")).to_contain_text("don't match an account")


def test_forgot_password_sends_a_link_that_sets_a_new_password(page, live_server):
    member = MembershipFactory(user__email="ada@example.com")
    page.goto("/sign-in/")
    page.get_by_role("link", name="Forgot password").click()
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert len(mail.outbox) == 1
    path = re.search(r"/password-reset/\S+/\S+/", mail.outbox[0].body).group(0)
    page.goto(path)
    page.get_by_label("New password", exact=True).fill("a-brand-new-secret-42")
    page.get_by_label("New password confirmation").fill("a-brand-new-secret-42")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("heading", name="Your password is set")).to_be_visible()
    sign_in_through_the_form(page, member.user.email, "a-brand-new-secret-42")
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()


def test_a_person_in_two_accounts_switches_between_them(page):
    first = MembershipFactory(account__name="Acme", super_admin=True)
    MembershipFactory(user=first.user, account__name="Globex")
    sign_in_through_the_form(page, first.user.email)
    expect(page.get_by_role("heading", name="Choose an account")).to_be_visible()
    page.get_by_role("button", name="Globex").click()
    expect(page.get_by_test_id("current-account")).to_have_text("Globex")
    page.get_by_role("link", name="Switch account").click()
    page.get_by_role("button", name="Acme").click()
    expect(page.get_by_role("heading", name="Users & Teams")).to_be_visible()
    expect(page.get_by_test_id("current-account")).to_have_text("Acme")
