"""Savings at renewal: within 14 days of the renewal date, billing admins see (and are emailed
once per period) "N Core seats are unassigned: remove them at renewal to save $X a month",
with "Remove unassigned seats" one click away, prefilled with N.

Initech: Marketing Hub Professional (3 Core seats included, 50 USD per extra Core seat a month)
with 2 Core seats bought; its period is April 2027 and renews on May 1.
"""

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, AuditVerb, SeatType
from billing.catalogue import HubCode, TierCode
from billing.models import UnassignedSeatsNotice
from billing.periods import BillingInterval
from billing.services.savings import unassigned_seats_notify_run
from billing.services.subscriptions import subscription_start
from tests.factories import AccountFactory, MembershipFactory

pytestmark = pytest.mark.django_db

START = datetime(2027, 4, 1, tzinfo=UTC)
TEN_DAYS_BEFORE = datetime(2027, 4, 21, tzinfo=UTC)
A_MONTH_BEFORE = datetime(2027, 4, 2, tzinfo=UTC)
NOTICE = "2 Core seats are unassigned: remove them at renewal to save $100 a month."


@pytest.fixture
def account():
    account = AccountFactory(name="Initech")
    subscription_start(
        account=account,
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL},
        interval=BillingInterval.MONTHLY,
        now=START,
        actor=None,
        extra_seats={SeatType.CORE: 2},
    )
    return account


@pytest.fixture
def admin(account):
    return MembershipFactory(account=account, super_admin=True)  # 1 of the 5 Core seats


def page(admin, name: str) -> str:
    client = Client()
    client.force_login(admin.user)
    return client.get(reverse(name)).content.decode()


@pytest.mark.parametrize("name", ["billing:account", "billing:seats"])
def test_within_14_days_of_renewal_billing_admins_see_what_removing_unassigned_seats_saves(
    account, admin, time_machine, name
):
    time_machine.move_to(TEN_DAYS_BEFORE, tick=False)

    body = page(admin, name)

    assert NOTICE in body
    remove = reverse("billing:seats_remove", args=[SeatType.CORE])
    assert f'href="{remove}?quantity=2&amp;next=' in body
    assert 'data-open-dialog="remove-core"' in body
    # The dialog it opens starts on the 2 seats, priced for them.
    dialog = body.split('<dialog id="remove-core"', 1)[1].split("</dialog>", 1)[0]
    assert 'name="quantity" min="1" max="2" value="2"' in dialog
    assert "Remove 2 seats" in dialog


def test_more_than_14_days_before_the_renewal_nothing_is_said(account, admin, time_machine):
    time_machine.move_to(A_MONTH_BEFORE, tick=False)

    assert "are unassigned" not in page(admin, "billing:account")
    assert unassigned_seats_notify_run(now=A_MONTH_BEFORE) == {"sent": 0, "failed": 0}


def test_seats_assigned_or_included_are_not_offered(account, admin, time_machine):
    time_machine.move_to(TEN_DAYS_BEFORE, tick=False)
    MembershipFactory.create_batch(4, account=account)  # all 5 Core seats assigned

    assert "are unassigned" not in page(admin, "billing:account")


def test_the_billing_admins_are_emailed_once_a_period(
    account, admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = unassigned_seats_notify_run(now=TEN_DAYS_BEFORE)
        again = unassigned_seats_notify_run(now=TEN_DAYS_BEFORE.replace(day=25))

    assert (first["sent"], again["sent"]) == (1, 0)
    assert [m.to for m in mail.outbox] == [[admin.user.email]]
    assert NOTICE in mail.outbox[0].body
    notice = UnassignedSeatsNotice.objects.get()
    assert (notice.quantity, notice.saving_cents) == (2, 10_000)
    assert AuditEvent.objects.filter(verb=AuditVerb.SEATS_UNASSIGNED_NOTICE).count() == 1


def test_the_command_sends_the_notices_at_the_time_given(account, admin):
    out = StringIO()

    call_command("notify_unassigned_seats", "--now", TEN_DAYS_BEFORE.isoformat(), stdout=out)

    assert "sent 1 notice, 0 failures" in out.getvalue()
