"""schemathesis over the live schema (/api/v1/openapi.json, served by Django's WSGI app): every
operation, generated requests, sent with a key of each scope alone and with every scope; no
server error, and every answer as the schema says (status, content type, body)."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.models import ApiScope
from tests.api.conftest import ALL_SCOPES, token_for
from tests.api.operations import operations

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(db):
    # As Django's test client does: the WSGI handler's end-of-request hook would close the test's
    # database connection (inside its transaction, on PostgreSQL).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(admin) -> dict[str, str]:
    """A key of each scope alone, and one of all of them."""
    keys = {scope.value: token_for(admin, scopes=[scope], name=scope.value) for scope in ApiScope}
    keys["all"] = token_for(admin, scopes=ALL_SCOPES, name="all")
    return keys


# Every operation of tests/api/operations, as schemathesis labels it (ids by parameter name).
OPERATIONS = [f"{o.method} {o.path.replace('}', '_id}')}" for o in operations()]


@pytest.mark.parametrize("label", OPERATIONS)
def test_every_operation_answers_as_its_schema_says_with_a_key_of_every_scope(
    api_schema, tokens, label
):
    operations = {r.ok().label: r.ok() for r in api_schema.get_all_operations()}
    assert set(operations) == set(OPERATIONS)

    # schemathesis' Python API: the operation's generated requests as a Hypothesis strategy
    # (its pytest plugin's lazy fixture loader does not run under this pytest).
    @given(case=operations[label].as_strategy())
    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    def answers_as_documented(case):
        for token in tokens.values():
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    answers_as_documented()
