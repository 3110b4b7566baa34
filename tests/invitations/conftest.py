import pytest

from tests.invitations.fake_salesforce import FAKE_SALESFORCE_USERS, FakeSalesforce


@pytest.fixture
def fake_salesforce():
    """A running fake Salesforce with FAKE_SALESFORCE_USERS (four importable people), 2 per page."""
    with FakeSalesforce(users=FAKE_SALESFORCE_USERS, page_size=2) as fake:
        yield fake
