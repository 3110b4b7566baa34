"""The view tests run in the invitations world (tests/invitations/conftest.py: Initech, its super
admin `admin`, `users_admin`), with the clock stopped at NOW for every test, as `admin_client`."""

import pytest
from django.test import Client


@pytest.fixture(autouse=True)
def clock(clock):
    """tests/invitations/conftest.py's clock, for every view test whether it asks or not."""
    return clock


@pytest.fixture
def admin_client(client, admin) -> Client:
    client.force_login(admin.user)
    return client
