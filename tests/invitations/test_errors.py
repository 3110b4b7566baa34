"""The invitations floor's errors: one branch of the tree rooted at accounts.errors.DomainError."""

import inspect

from accounts.errors import DomainError
from invitations import errors
from invitations.crypto import SecretUnreadable
from invitations.errors import FileRefused, InvitationsError, SalesforceApiError
from seats.errors import SeatsError

INVITATIONS_ERRORS = [
    cls
    for _name, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, Exception) and cls.__module__ == errors.__name__
]


def test_every_invitations_error_is_a_domain_error_of_this_floor_not_of_the_seats_floor():
    assert len(INVITATIONS_ERRORS) > 5
    for cls in INVITATIONS_ERRORS:
        assert issubclass(cls, InvitationsError), cls
        assert issubclass(cls, DomainError), cls
        assert not issubclass(cls, SeatsError), cls


def test_each_invitations_error_has_its_own_stable_code():
    codes = [cls.code for cls in INVITATIONS_ERRORS]
    assert len(codes) == len(set(codes))


def test_a_refused_file_is_shown_at_the_file_field_with_its_own_code():
    refused = FileRefused(code="empty", message="This file is empty.")
    assert (refused.code, refused.field, str(refused)) == (
        "empty",
        "csv_file",
        "This file is empty.",
    )


def test_a_salesforce_error_fills_its_message_from_its_context():
    assert str(SalesforceApiError(detail="API_DISABLED_FOR_ORG")) == (
        "Salesforce refused the request: API_DISABLED_FOR_ORG"
    )


def test_an_unreadable_secret_is_an_internal_failure_never_shown_as_a_domain_error():
    assert not issubclass(SecretUnreadable, DomainError)
