"""Who may be sent a password-reset link: one rule (accounts.selectors.password_reset_allowed)
for "Forgot password", a member's "Reset password" action and the email task.

An active sign-in with a password set may reset; someone who never set a password joins through
their invitation instead. "Forgot password" answers the same whatever the address
(tests/accounts/test_views.py); the action on a member's page says why it can't
(tests/seats/users/test_lifecycle.py).
"""

import pytest
from django.core import mail

from accounts.errors import PasswordResetUnavailable
from accounts.selectors import password_reset_allowed
from accounts.services import member_password_reset, password_reset_request
from accounts.tasks import password_reset_email_task
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def without_password(user):
    user.set_unusable_password()
    user.save()
    return user


def test_an_active_person_with_a_password_may_reset_it():
    assert password_reset_allowed(UserFactory())


def test_a_person_who_never_set_a_password_may_not_reset_one():
    assert not password_reset_allowed(without_password(UserFactory()))


def test_a_disabled_sign_in_may_not_reset_its_password():
    assert not password_reset_allowed(UserFactory(is_active=False))


def test_forgot_password_emails_a_person_who_may_reset(django_capture_on_commit_callbacks):
    UserFactory(email="ada@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        password_reset_request(email=" Ada@Example.com ")

    assert [m.to for m in mail.outbox] == [["ada@example.com"]]


@pytest.mark.parametrize("who", ["unknown", "without a password", "disabled"])
def test_forgot_password_emails_nobody_who_may_not_reset(who, django_capture_on_commit_callbacks):
    if who == "without a password":
        without_password(UserFactory(email="ada@example.com"))
    elif who == "disabled":
        UserFactory(email="ada@example.com", is_active=False)

    with django_capture_on_commit_callbacks(execute=True) as queued:
        password_reset_request(email="ada@example.com")

    assert queued == []
    assert mail.outbox == []


def test_an_active_member_with_a_password_is_emailed_a_link(django_capture_on_commit_callbacks):
    member = MembershipFactory(user__email="nia@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        member_password_reset(membership=member)

    assert [m.to for m in mail.outbox] == [["nia@example.com"]]


@pytest.mark.parametrize(
    "traits",
    [{"invited": True}, {"deactivated": True}, {"user__is_active": False}],
    ids=["invited", "deactivated", "disabled sign-in"],
)
def test_reset_password_is_refused_for_a_member_who_may_not_reset(
    traits, django_capture_on_commit_callbacks
):
    member = MembershipFactory(user__email="nia@example.com", **traits)

    with (
        django_capture_on_commit_callbacks(execute=True) as queued,
        pytest.raises(PasswordResetUnavailable) as refused,
    ):
        member_password_reset(membership=member)

    assert str(refused.value) == (
        "nia@example.com hasn't set a password yet or can't use the account: "
        "resend their invite instead."
    )
    assert queued == []


def test_the_email_task_checks_the_rule_again_when_it_runs():
    user = UserFactory()
    without_password(user)

    assert password_reset_email_task(user.pk) is False
    assert mail.outbox == []
