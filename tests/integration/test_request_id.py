"""A request's id follows the work it queues: the JSON API invites someone, a real worker sends
the email, and the worker's JSON log lines for that task carry the request's X-Request-ID."""

import json

import pytest
from django.test import Client

from tests.api.conftest import bearer, subscribed_account, token_for
from tests.factories import MembershipFactory
from tests.integration.conftest import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_worker_logs_the_task_with_the_request_id_that_queued_it(
    celery_worker_for, smtp_server, monkeypatch, request
):
    monkeypatch.setenv("LOG_FORMAT", "json")
    celery_worker_for(smtp_server)
    admin = MembershipFactory(account=subscribed_account(), super_admin=True)
    api = Client(headers=bearer(token_for(admin)))

    response = api.post(
        "/api/v1/users",
        {"users": [{"email": "traced@example.com"}], "seat_type": "core"},
        content_type="application/json",
        headers={"Idempotency-Key": "traced"},
    )
    smtp_server.inbox.wait_for(1, timeout=30)

    assert response.status_code == 201
    request_id = response["X-Request-ID"]
    log = (ROOT / "var" / f"worker-{request.node.name}.log").read_text()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    traced = [line for line in lines if line.get("request_id") == request_id]
    assert traced, f"no worker log line with request_id {request_id}"
    assert any("task" in line.get("event", "") for line in traced)
