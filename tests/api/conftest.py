"""The JSON API's world: Initech with a live subscription (3 free Core seats: Marketing and
Sales Professional include 3, one bought, the super admin holds one) and keys of its super admin."""

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Account, Membership
from api.models import ApiScope
from api.services import api_key_create
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services.subscriptions import subscription_start
from tests.factories import AccountFactory, MembershipFactory

ALL_SCOPES = [s.value for s in ApiScope]


def subscribed_account(name: str = "Initech") -> Account:
    account = AccountFactory(name=name)
    subscription_start(
        account=account,
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL, HubCode.SALES: TierCode.PROFESSIONAL},
        interval=BillingInterval.MONTHLY,
        now=timezone.now(),
        actor=None,
        extra_seats={"core": 1},
    )
    return account


def token_for(
    admin: Membership, scopes=ALL_SCOPES, name: str = "HRIS sync", expires_on=None
) -> str:
    return api_key_create(
        actor_membership=admin, name=name, scopes=scopes, expires_on=expires_on
    ).token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def account(db) -> Account:
    return subscribed_account()


@pytest.fixture
def admin(account) -> Membership:
    return MembershipFactory(
        account=account,
        super_admin=True,
        user__email="admin@example.com",
        user__first_name="Ada",
        user__last_name="Lovelace",
    )


@pytest.fixture
def token(admin) -> str:
    return token_for(admin)


@pytest.fixture
def api(token) -> Client:
    """A client sending the all-scopes key of Initech's super admin."""
    return Client(headers=bearer(token))
