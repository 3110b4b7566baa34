import pytest

from accounts.models import Account, Membership
from accounts.policy import ON, AccountPermission
from tests.factories import MembershipFactory
from tests.invitations.fake_salesforce import FAKE_SALESFORCE_USERS, FakeSalesforce
from tests.invitations.helpers import CORE_DEFAULTS, NOW, subscribed_account


@pytest.fixture
def salesforce_loopback_allowed(settings):
    """Lets the Salesforce import reach the fake on 127.0.0.1 over http (test-only setting)."""
    settings.SALESFORCE_ALLOW_LOOPBACK_FOR_TESTS = True


@pytest.fixture
def fake_salesforce(salesforce_loopback_allowed):
    """A running fake Salesforce with FAKE_SALESFORCE_USERS (four importable people), 2 per page."""
    with FakeSalesforce(users=FAKE_SALESFORCE_USERS, page_size=2) as fake:
        yield fake


# The service tests' world (tests/invitations/helpers.py), which the view tests (views/) share.
# Modules with a world of their own (test_tasks) define these fixtures themselves, which overrides
# these.


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def account() -> Account:
    return subscribed_account()


@pytest.fixture
def admin(account) -> Membership:
    return MembershipFactory(
        account=account, super_admin=True, user__email="admin@example.com", user__first_name="Ada"
    )


@pytest.fixture
def users_admin(account) -> Membership:
    """Holds "Add and edit users" and the Core seat's defaults, but is not a super admin."""
    return MembershipFactory(
        account=account,
        user__email="users.admin@example.com",
        permissions={**CORE_DEFAULTS, AccountPermission.USERS.value: ON},
    )
