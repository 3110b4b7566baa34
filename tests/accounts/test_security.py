"""Hardening that every page shares: CSP, framing, sign-in and reset rate limits."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from accounts.backends import axes_username
from billing.services.subscriptions import subscription_start
from tests.factories import PASSWORD, MembershipFactory

pytestmark = pytest.mark.django_db


def test_every_page_sends_a_content_security_policy_without_inline_script(client):
    response = client.get(reverse("accounts:login"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"


def test_no_template_has_an_inline_style_or_script():
    # The Content-Security-Policy would block them in the browser (emails are not pages).
    root = Path(settings.BASE_DIR) / "templates"
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.html")
        if "emails" not in path.parts
        and ('style="' in path.read_text() or "<script>" in path.read_text())
    ]
    assert offenders == []


def test_the_audit_log_shows_events_with_nested_details(client):
    member = MembershipFactory(super_admin=True)
    subscription_start(
        account=member.account,
        hubs={"marketing": "professional"},
        interval="monthly",
        now=timezone.now(),
        actor=member.user,
    )
    client.force_login(member.user)
    response = client.get(reverse("seats:audit_log"))
    assert response.status_code == 200
    assert "Hubs: — → Marketing Hub: Professional" in strip_tags(response.content.decode())


def test_pages_carry_no_inline_script_or_style(client):
    member = MembershipFactory(super_admin=True)
    client.force_login(member.user)
    for name in ("seats:users", "billing:account", "billing:seats", "accounts:notifications"):
        html = client.get(reverse(name)).content.decode()
        assert "<script>" not in html and 'style="' not in html, name


def sign_in(client, email, password):
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def test_five_wrong_passwords_lock_the_address_even_with_the_right_one(client):
    MembershipFactory(user__email="ada@example.com")
    for _ in range(5):
        sign_in(client, "ada@example.com", "wrong")
    response = sign_in(client, "ADA@example.com", PASSWORD)
    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_lockout_says_the_same_for_an_address_that_does_not_exist(client):
    for _ in range(5):
        sign_in(client, "nobody@example.com", "wrong")
    unknown = sign_in(client, "nobody@example.com", "wrong").content.decode()
    MembershipFactory(user__email="ada@example.com")
    for _ in range(5):
        sign_in(client, "ada@example.com", "wrong")
    known = sign_in(client, "ada@example.com", "wrong").content.decode()
    assert "Too many attempts" in unknown
    # The same page but for the address typed (and the language switcher's CSRF token, masked
    # afresh for every page).
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub("", unknown.replace("nobody", "")) == token.sub("", known.replace("ada", ""))


# 300 characters: within forms.EmailField's 320, beyond any address SMTP can carry (254) and
# beyond the 255 characters django-axes keeps of a username (a 500 on PostgreSQL).
OVERLONG_ADDRESS = "a" * 64 + "@" + ".".join(["b" * 60] * 3) + "." + "c" * 44 + ".example"


def test_signing_in_with_an_address_over_254_characters_is_a_field_error(client):
    assert len(OVERLONG_ADDRESS) == 300

    response = sign_in(client, OVERLONG_ADDRESS, "wrong")

    assert response.status_code == 200
    assert response.context["form"].errors["username"] == [
        "An email address can be at most 254 characters long."
    ]
    assert "_auth_user_id" not in client.session


def test_the_lockout_bookkeeping_keeps_an_over_long_address_within_axes_255_characters(rf):
    request = rf.post(reverse("accounts:login"), {"username": OVERLONG_ADDRESS.upper()})

    counted = axes_username(request, {"username": OVERLONG_ADDRESS.upper()})

    assert len(counted) <= 255
    assert counted == OVERLONG_ADDRESS[:255]


def test_password_reset_emails_stop_after_five_an_hour_for_one_address(
    client, django_capture_on_commit_callbacks
):
    MembershipFactory(user__email="ada@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            client.post(reverse("accounts:password_reset"), {"email": "ada@example.com"}).url
            for _ in range(7)
        ]
    assert set(answers) == {reverse("accounts:password_reset_done")}
    assert len(mail.outbox) == 5


def test_resetting_a_password_ends_the_persons_other_sessions(
    client, django_capture_on_commit_callbacks
):
    from django.test import Client

    member = MembershipFactory(user__email="ada@example.com")
    elsewhere = Client()
    elsewhere.force_login(member.user)
    assert elsewhere.get(reverse("accounts:profile")).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": "ada@example.com"})
    link = mail.outbox[0].body.split("localhost:8000", 1)[1].split()[0]
    form = client.get(link, follow=True)
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-new-long-password-9", "new_password2": "a-new-long-password-9"},
    )

    response = elsewhere.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_setting_a_password_from_an_invitation_gives_a_new_session_key(client):
    from invitations.services.links import invitation_link_copy
    from tests.invitations.views.helpers import confirm_mailbox

    admin = MembershipFactory(super_admin=True)
    invited = MembershipFactory(account=admin.account, invited=True, user__email="new@example.com")
    invited.user.set_unusable_password()
    invited.user.save()
    url = invitation_link_copy(account=admin.account, membership_id=invited.pk, actor=admin.user)
    client.get(url.split("localhost:8000", 1)[1])
    confirm_mailbox(client, "new@example.com")  # a copied link: the address is confirmed first
    before = client.session.session_key
    client.post(
        reverse("invitations:accept"),
        {"password1": "a-new-long-password-9", "password2": "a-new-long-password-9"},
    )
    assert client.session.session_key != before
    assert client.session["_auth_user_id"] == str(invited.user.pk)
