"""/healthz, /readyz and /metrics in-process: what each answers, and when readiness fails (the
same checks against real processes: tests/integration/test_health.py)."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from billing.models import InvoiceKind, InvoiceStatus
from ops import health
from ops.models import Heartbeat
from tests.factories import InvoiceFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_with_the_database_migrated(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok", "heartbeat": "ok"}


def test_readyz_fails_when_migrations_are_pending(client, monkeypatch):
    monkeypatch.setattr(
        health.MigrationExecutor, "migration_plan", lambda self, targets: [("a", False)]
    )

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "1 migration(s) not applied"


@override_settings(SEATMGR_HEARTBEAT_MAX_AGE=timedelta(minutes=3))
def test_readyz_wants_a_recent_heartbeat_when_workers_are_expected(client):
    missing = client.get("/readyz")
    Heartbeat.objects.create(name="celery", seen_at=timezone.now() - timedelta(minutes=5))
    stale = client.get("/readyz")
    Heartbeat.objects.filter(name="celery").update(seen_at=timezone.now())
    fresh = client.get("/readyz")

    assert missing.status_code == 503
    assert missing.json()["checks"]["heartbeat"] == "no heartbeat yet from beat and a worker"
    assert stale.status_code == 503
    assert "beat or every worker is down" in stale.json()["checks"]["heartbeat"]
    assert fresh.status_code == 200


def test_the_heartbeat_task_writes_the_time_it_ran(settings):
    from ops.tasks import heartbeat_task

    heartbeat_task.delay()

    beat = Heartbeat.objects.get(name="celery")
    assert timezone.now() - beat.seen_at < timedelta(minutes=1)
    assert "ops.tasks.heartbeat_task" in {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}


def test_metrics_is_a_404_without_the_token(client):
    with override_settings(SEATMGR_METRICS_TOKEN=""):
        unset = client.get("/metrics", headers={"Authorization": "Bearer "})
    with override_settings(SEATMGR_METRICS_TOKEN="s3cret-token"):
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        none = client.get("/metrics")

    assert unset.status_code == wrong.status_code == none.status_code == 404


@override_settings(SEATMGR_METRICS_TOKEN="s3cret-token")
def test_metrics_counts_seats_renewals_and_requests_by_view(client):
    MembershipFactory(seat_type="core")
    MembershipFactory(seat_type="sales")
    MembershipFactory(seat_type="sales")
    InvoiceFactory(kind=InvoiceKind.RENEWAL, status=InvoiceStatus.OPEN, attempts=2, paid_at=None)
    client.get("/healthz")

    response = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})

    assert response.status_code == 200
    text = response.content.decode()
    assert 'seatmgr_seats_assigned{seat_type="sales"} 2.0' in text
    assert 'seatmgr_seats_assigned{seat_type="core"} 1.0' in text
    assert 'seatmgr_renewal_invoices{status="open"} 1.0' in text
    assert "seatmgr_renewal_charges_declined 1.0" in text
    assert 'view="ops:healthz"' in text  # django-prometheus: requests by view


def test_every_answer_carries_a_request_id(client):
    response = client.get("/healthz")

    assert len(response["X-Request-ID"]) >= 32
