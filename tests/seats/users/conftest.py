"""The users room's shared account: Acme on Marketing Hub Professional (3 Core seats included,
none bought), its super admin holding one. Used by test_seat.py and test_bulk_edit.py; modules
with an account of their own (test_lifecycle's `account`, test_directory's `admin`) define the
fixture themselves, which overrides these.
"""

import pytest
from django.utils import timezone

from billing.services.subscriptions import subscription_start
from tests.factories import AccountFactory, MembershipFactory


@pytest.fixture
def account():
    account = AccountFactory(name="Acme")
    # Marketing Hub Professional: 3 Core seats included, none bought.
    subscription_start(
        account=account,
        hubs={"marketing": "professional"},
        interval="monthly",
        now=timezone.now(),
        actor=None,
    )
    return account


@pytest.fixture
def admin(account):
    return MembershipFactory(account=account, super_admin=True)  # holds 1 of the 3 Core seats
