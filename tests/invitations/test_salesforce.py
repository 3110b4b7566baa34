"""Importing people from Salesforce, against a local fake of its REST query API."""

import socket

import pytest
from django.core.exceptions import ValidationError

from invitations.crypto import SecretUnreadable, secret_decrypt, secret_encrypt
from invitations.errors import (
    SalesforceApiError,
    SalesforceNotConnected,
    SalesforceSessionExpired,
    SalesforceTokenUnreadable,
    SalesforceUnreachable,
)
from invitations.forms import SalesforcePickForm
from invitations.models import SalesforceConnection
from invitations.salesforce import (
    SALESFORCE_API_VERSION,
    SalesforcePerson,
    salesforce_connection_users,
    salesforce_instance_url_clean,
    salesforce_users_fetch,
)
from tests.invitations.fake_salesforce import FakeSalesforce

# The fake runs on 127.0.0.1 over http: reachable only with the test-only setting on. What is
# refused without it is proved in test_salesforce_ssrf.py.
pytestmark = pytest.mark.usefixtures("salesforce_loopback_allowed")


def fetch(fake: FakeSalesforce, **kwargs) -> list[SalesforcePerson]:
    return salesforce_users_fetch(instance_url=fake.url, access_token=fake.token, **kwargs)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Fetching users


def test_every_active_user_with_an_email_is_fetched_across_pages(fake_salesforce):
    people = fetch(fake_salesforce)

    assert people == [
        SalesforcePerson("ada.lovelace@example.com", "Ada", "Lovelace"),
        SalesforcePerson("alan.turing@example.com", "Alan", "Turing"),
        SalesforcePerson("grace.hopper@example.com", "Grace", "Hopper"),
        SalesforcePerson("katherine.johnson@example.com", "Katherine", "Johnson"),
    ]
    # Five active users at two per page: three requests, the last two following nextRecordsUrl.
    assert [request.path for request in fake_salesforce.requests] == [
        f"/services/data/v{SALESFORCE_API_VERSION}/query/",
        f"/services/data/v{SALESFORCE_API_VERSION}/query/01gFAKE00000000001-2",
        f"/services/data/v{SALESFORCE_API_VERSION}/query/01gFAKE00000000001-4",
    ]


def test_only_active_users_are_asked_for(fake_salesforce):
    people = fetch(fake_salesforce)

    assert "old.timer@example.com" not in {person.email for person in people}
    assert "WHERE IsActive = true" in fake_salesforce.requests[0].soql


def test_users_without_an_email_are_skipped():
    users = [
        {"Email": None, "FirstName": "Automated", "LastName": "Process"},
        {"Email": "", "FirstName": "Blank", "LastName": "Email"},
        {"Email": "ada@example.com", "FirstName": "Ada", "LastName": "Lovelace"},
    ]
    with FakeSalesforce(users=users) as fake:
        assert [person.email for person in fetch(fake)] == ["ada@example.com"]


def test_addresses_are_normalised():
    with FakeSalesforce(
        users=[{"Email": "  Ada.Lovelace@EXAMPLE.com ", "FirstName": "Ada"}]
    ) as fake:
        assert fetch(fake) == [SalesforcePerson("ada.lovelace@example.com", "Ada", "")]


def test_an_address_twice_is_kept_once_with_its_first_record():
    users = [
        {"Email": "ada@example.com", "FirstName": "Ada", "LastName": "Lovelace"},
        {"Email": "ADA@example.com", "FirstName": "Augusta", "LastName": "King"},
        {"Email": "grace@example.com", "FirstName": "Grace", "LastName": "Hopper"},
    ]
    with FakeSalesforce(users=users, page_size=1) as fake:
        assert fetch(fake) == [
            SalesforcePerson("ada@example.com", "Ada", "Lovelace"),
            SalesforcePerson("grace@example.com", "Grace", "Hopper"),
        ]


def test_the_access_token_is_sent_as_a_bearer_token(fake_salesforce):
    fetch(fake_salesforce)

    assert {request.headers["authorization"] for request in fake_salesforce.requests} == {
        f"Bearer {fake_salesforce.token}"
    }


# Failures


def test_an_expired_session_asks_for_a_fresh_token(fake_salesforce):
    fake_salesforce.expire_token()

    with pytest.raises(SalesforceSessionExpired) as raised:
        fetch(fake_salesforce)

    assert raised.value.code == "salesforce_session_expired"
    assert str(raised.value.message) == (
        "Your Salesforce session has expired. Save the connection again with a fresh access token."
    )


def test_a_wrong_token_is_an_expired_session(fake_salesforce):
    with pytest.raises(SalesforceSessionExpired):
        salesforce_users_fetch(instance_url=fake_salesforce.url, access_token="not-the-token")


def test_a_token_that_cannot_be_sent_is_an_expired_session(fake_salesforce):
    with pytest.raises(SalesforceSessionExpired):
        salesforce_users_fetch(instance_url=fake_salesforce.url, access_token="00D\nbroken")


def test_an_api_error_shows_salesforces_error_code(fake_salesforce):
    fake_salesforce.fail_with(500, "UNKNOWN_EXCEPTION", "An unexpected error occurred.")

    with pytest.raises(SalesforceApiError) as raised:
        fetch(fake_salesforce)

    assert raised.value.code == "salesforce_api_error"
    assert str(raised.value) == (
        "Salesforce refused the request: UNKNOWN_EXCEPTION: An unexpected error occurred."
    )


def test_a_refused_query_is_an_api_error(fake_salesforce):
    fake_salesforce.fail_with(
        400, "API_DISABLED_FOR_ORG", "API is not enabled for this Organization"
    )

    with pytest.raises(SalesforceApiError, match="API_DISABLED_FOR_ORG"):
        fetch(fake_salesforce)


def test_a_long_error_detail_is_truncated(fake_salesforce):
    fake_salesforce.fail_with(400, "INVALID_FIELD", "x" * 1000)

    with pytest.raises(SalesforceApiError) as raised:
        fetch(fake_salesforce)

    assert len(raised.value.context["detail"]) == 200
    assert raised.value.context["detail"].startswith("INVALID_FIELD: xxx")


def test_nothing_listening_is_unreachable():
    url = f"http://127.0.0.1:{closed_port()}"

    with pytest.raises(SalesforceUnreachable) as raised:
        salesforce_users_fetch(instance_url=url, access_token="token")

    assert raised.value.code == "salesforce_unreachable"
    assert str(raised.value) == (
        f"Salesforce could not be reached at {url}. Check the instance URL."
    )


def test_a_server_that_does_not_answer_in_time_is_unreachable(fake_salesforce):
    fake_salesforce.delay = 2

    with pytest.raises(SalesforceUnreachable):
        fetch(fake_salesforce, timeout=0.2)


# The saved connection


def test_no_saved_connection_asks_to_connect_first():
    with pytest.raises(SalesforceNotConnected) as raised:
        salesforce_connection_users(None)

    assert raised.value.code == "salesforce_not_connected"


def test_a_saved_connection_decrypts_its_token_and_fetches(fake_salesforce):
    connection = SalesforceConnection(
        instance_url=fake_salesforce.url,
        access_token_encrypted=secret_encrypt(fake_salesforce.token),
    )

    assert len(salesforce_connection_users(connection)) == 4


def test_a_token_saved_under_another_secret_key_asks_to_save_again(fake_salesforce, settings):
    connection = SalesforceConnection(
        instance_url=fake_salesforce.url,
        access_token_encrypted=secret_encrypt(fake_salesforce.token),
    )
    settings.SECRET_KEY = "a-rotated-secret-key-" + "y" * 40

    with pytest.raises(SalesforceTokenUnreadable):
        salesforce_connection_users(connection)
    assert fake_salesforce.requests == []


# Encryption


def test_a_secret_decrypts_to_itself():
    ciphertext = secret_encrypt("00Dxx!AQ.token")

    assert "00Dxx" not in ciphertext
    assert secret_decrypt(ciphertext) == "00Dxx!AQ.token"


def test_a_secret_cannot_be_read_with_another_secret_key(settings):
    ciphertext = secret_encrypt("00Dxx!AQ.token")
    settings.SECRET_KEY = "a-rotated-secret-key-" + "y" * 40

    with pytest.raises(SecretUnreadable):
        secret_decrypt(ciphertext)


def test_a_secret_stays_readable_while_the_old_key_is_a_fallback(settings):
    old_key = settings.SECRET_KEY
    ciphertext = secret_encrypt("00Dxx!AQ.token")
    settings.SECRET_KEY = "a-rotated-secret-key-" + "y" * 40
    settings.SECRET_KEY_FALLBACKS = [old_key]

    assert secret_decrypt(ciphertext) == "00Dxx!AQ.token"


@pytest.mark.parametrize("garbage", ["", "not a ciphertext", "gAAAAAB" + "A" * 80, "é"])
def test_garbage_is_unreadable(garbage):
    with pytest.raises(SecretUnreadable):
        secret_decrypt(garbage)


# Instance URL


@pytest.mark.parametrize(
    ("value", "cleaned"),
    [
        ("https://acme.my.salesforce.com", "https://acme.my.salesforce.com"),
        (" https://Acme.my.salesforce.com/ ", "https://acme.my.salesforce.com"),
        (
            "https://acme--sandbox.sandbox.my.salesforce.com",
            "https://acme--sandbox.sandbox.my.salesforce.com",
        ),
        ("http://127.0.0.1:1234", "http://127.0.0.1:1234"),
        ("http://localhost:8000/", "http://localhost:8000"),
    ],
)
def test_an_instance_url_is_accepted(value, cleaned):
    assert salesforce_instance_url_clean(value) == cleaned


@pytest.mark.parametrize(
    "value",
    ["http://example.com", "http://acme.my.salesforce.com", "ftp://acme.my.salesforce.com"],
)
def test_an_instance_url_without_https_is_refused(value):
    with pytest.raises(ValidationError):
        salesforce_instance_url_clean(value)


@pytest.mark.parametrize(
    "value",
    [
        "https://acme.my.salesforce.com/lightning/page/home",
        "https://acme.my.salesforce.com/?q=1",
        "https://acme.my.salesforce.com/#home",
        "http://127.0.0.1:1234/services/data",
    ],
)
def test_an_instance_url_with_a_path_is_refused(value):
    with pytest.raises(ValidationError) as raised:
        salesforce_instance_url_clean(value)

    assert raised.value.code == "has_path"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "acme.my.salesforce.com",
        "https://",
        "https://user:pw@acme.my.salesforce.com",
        "https://a b",
    ],
)
def test_something_that_is_not_an_address_is_refused(value):
    with pytest.raises(ValidationError):
        salesforce_instance_url_clean(value)


def _picked(count: int) -> SalesforcePickForm:
    people = [SalesforcePerson(f"user{n}@example.com", "", "") for n in range(count)]
    return SalesforcePickForm({"emails": [p.email for p in people]}, people=people)


def test_picking_100_salesforce_users_is_accepted():
    assert _picked(100).is_valid()


def test_picking_more_than_100_salesforce_users_is_refused_at_the_field():
    form = _picked(101)

    assert not form.is_valid()
    assert form.errors["emails"] == [
        "You selected 101 users; at most 100 users can be added at once. "
        "Unselect some and try again."
    ]
