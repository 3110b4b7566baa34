"""`manage.py demo`: the Demo Co. account a first run shows, loaded safely twice."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from accounts.models import (
    Account,
    AuditEvent,
    Membership,
    MembershipStatus,
    Notification,
    PartnerDomain,
    SeatType,
    Team,
    User,
)
from accounts.policy import AccountPermission, membership_can
from billing.models import Subscription
from invitations.models import Invitation
from seats.models import SeatLedgerEntry, SeatPool

pytestmark = pytest.mark.django_db

# The password README.md tells people to sign in with.
DEFAULT_PASSWORD = "demo-password-2026"
SIGN_INS = [
    "superadmin@demo.example.com",
    "billing@demo.example.com",
    "useradmin@demo.example.com",
    "viewer@demo.example.com",
]
COUNTED = (User, Membership, Team, SeatPool, SeatLedgerEntry, Subscription, Invitation, AuditEvent)


def sign_in_request():
    # django-axes checks every sign-in against its request, as the sign-in page makes it.
    return RequestFactory().post("/sign-in/")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The demo sets a dozen passwords per run; the production hasher would make each run slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def demo_member(email: str) -> Membership:
    return Membership.objects.get(account__name="Demo Co.", user__email=email)


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


# --- Running it twice ----------------------------------------------------------------------------


def test_a_second_run_creates_no_rows():
    demo()
    after_first = row_counts()

    demo()

    assert row_counts() == after_first
    assert Account.objects.filter(name="Demo Co.").count() == 1


def test_a_second_run_says_the_account_already_exists():
    demo()

    assert "Demo Co. already exists" in demo()


@pytest.mark.parametrize("email", SIGN_INS)
def test_each_fixed_sign_in_works_with_the_default_password(email):
    demo()

    assert authenticate(
        sign_in_request(), username=email, password=DEFAULT_PASSWORD
    ) == User.objects.get(email=email)


@pytest.mark.parametrize("email", SIGN_INS)
def test_a_second_run_with_a_password_sets_that_password(email):
    demo()

    demo("--password", "another-demo-password")

    assert (
        authenticate(sign_in_request(), username=email, password="another-demo-password")
        is not None
    )
    assert authenticate(sign_in_request(), username=email, password=DEFAULT_PASSWORD) is None


# --- What Demo Co. holds -------------------------------------------------------------------------


def test_demo_co_has_about_twenty_members():
    demo()

    assert 18 <= Membership.objects.filter(account__name="Demo Co.").count() <= 22


def test_demo_co_members_hold_every_seat_type_except_service():
    demo()

    seat_types = set(
        Membership.objects.filter(account__name="Demo Co.").values_list("seat_type", flat=True)
    )
    assert seat_types == set(SeatType.values) - {SeatType.SERVICE}


def test_demo_co_members_are_in_every_status():
    demo()

    statuses = set(
        Membership.objects.filter(account__name="Demo Co.").values_list("status", flat=True)
    )
    assert statuses == set(MembershipStatus.values)


def test_no_paid_pool_of_demo_co_has_more_seats_assigned_than_it_holds():
    demo()

    pools = SeatPool.objects.filter(account__name="Demo Co.")
    assert {pool.seat_type for pool in pools} == {SeatType.CORE, SeatType.SALES}
    for pool in pools:
        assigned = Membership.objects.filter(account=pool.account, seat_type=pool.seat_type)
        assert assigned.count() <= pool.total, pool


def test_demo_co_has_three_teams_one_nested_in_another():
    demo()

    teams = {team.name: team for team in Team.objects.filter(account__name="Demo Co.")}
    assert len(teams) == 3
    nested = [team for team in teams.values() if team.parent is not None]
    assert len(nested) == 1
    assert nested[0].parent in teams.values()


def test_a_partner_seat_is_held_by_a_user_on_a_linked_partners_domain():
    demo()

    partner_member = Membership.objects.get(account__name="Demo Co.", seat_type=SeatType.PARTNER)
    domain = partner_member.user.email.rpartition("@")[2]
    assert PartnerDomain.objects.filter(
        domain=domain, partner__accounts=partner_member.account
    ).exists()


# --- The fixed roles -----------------------------------------------------------------------------


def test_the_superadmin_sign_in_is_a_super_admin():
    demo()

    superadmin = demo_member("superadmin@demo.example.com")

    assert superadmin.is_super_admin
    assert membership_can(superadmin, AccountPermission.BILLING)
    assert membership_can(superadmin, AccountPermission.USERS)


def test_the_billing_sign_in_can_edit_billing_but_not_users():
    demo()

    billing = demo_member("billing@demo.example.com")

    assert not billing.is_super_admin
    assert membership_can(billing, AccountPermission.BILLING)
    assert not membership_can(billing, AccountPermission.USERS)


def test_the_useradmin_sign_in_can_edit_users_but_not_billing():
    demo()

    useradmin = demo_member("useradmin@demo.example.com")

    assert not useradmin.is_super_admin
    assert membership_can(useradmin, AccountPermission.USERS)
    assert not membership_can(useradmin, AccountPermission.BILLING)


def test_the_viewer_sign_in_is_on_a_view_only_seat_and_administers_nothing():
    demo()

    viewer = demo_member("viewer@demo.example.com")

    assert (viewer.seat_type, viewer.is_super_admin) == (SeatType.VIEW_ONLY, False)
    assert not any(membership_can(viewer, permission) for permission in AccountPermission)


def test_the_fixed_sign_ins_are_active():
    demo()

    statuses = {demo_member(email).status for email in SIGN_INS}

    assert statuses == {MembershipStatus.ACTIVE}


# --- A quiet first run ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # real commits: the email tasks run as in `make run`
def test_loading_the_demo_emails_nobody_when_tasks_run_in_process(settings, mailoutbox):
    settings.CELERY_TASK_ALWAYS_EAGER = True

    demo()

    assert mailoutbox == []
    # The low-seat warnings are still there, in the app, for the demo's admins to find.
    assert Notification.objects.filter(membership__account__name="Demo Co.").exists()
