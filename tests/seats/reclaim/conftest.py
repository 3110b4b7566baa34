"""Initech on Marketing Hub Professional (3 Core seats included) and Sales Hub Professional,
with 5 Core seats bought; its super admin holds a Core seat. The clock is frozen at NOW."""

from datetime import UTC, datetime

import pytest
from django.test import Client

from accounts.models import Account, Membership, SeatType
from accounts.policy import ON, AccountPermission
from billing.services.subscriptions import subscription_start
from seats.catalogue import seat_default_permissions
from tests.factories import AccountFactory, MembershipFactory

NOW = datetime(2027, 4, 1, 9, tzinfo=UTC)
CORE_DEFAULTS = seat_default_permissions(SeatType.CORE)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def account() -> Account:
    account = AccountFactory(name="Initech")
    subscription_start(
        account=account,
        hubs={"marketing": "professional", "sales": "professional"},
        interval="monthly",
        now=NOW,
        actor=None,
        extra_seats={SeatType.CORE: 5},
    )
    return account


@pytest.fixture
def admin(account) -> Membership:
    return MembershipFactory(account=account, super_admin=True, last_active_at=NOW)


@pytest.fixture
def users_admin(account) -> Membership:
    """Holds "Add and edit users", not "Edit billing"."""
    return MembershipFactory(
        account=account,
        last_active_at=NOW,
        permissions={**CORE_DEFAULTS, AccountPermission.USERS.value: ON},
    )


def signed_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client
