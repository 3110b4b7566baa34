"""Per-caller rate limits on /api/v1/: past SEATMGR_API_RATE a key gets 429 problems with
Retry-After, other keys are not slowed, and the count is shared through the cache (Redis in
production: checked against a real one, which two web processes would share)."""

import socket

import pytest
from django.core.cache import caches
from django.test import Client, override_settings

from tests.api.conftest import bearer, token_for
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.django_db

REDIS_CACHE = {
    "default": {
        # What seatmgr.settings makes of CACHE_URL=redis://...
        "BACKEND": "seatmgr.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/13",
    }
}


def redis_listening() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 6379)) == 0


@pytest.fixture(params=["local memory", "redis"])
def cache_backend(request):
    if request.param == "local memory":
        yield
        return
    if not redis_listening():
        skip_or_fail("POSTGRES", "Redis is not listening on 127.0.0.1:6379")
    with override_settings(CACHES=REDIS_CACHE):
        caches["default"].clear()
        yield
        caches["default"].clear()


@override_settings(SEATMGR_API_RATE="3/m")
def test_past_its_rate_a_key_gets_429_with_retry_after_and_other_keys_do_not(cache_backend, admin):
    busy = Client(headers=bearer(token_for(admin, name="busy")))
    calm = Client(headers=bearer(token_for(admin, name="calm")))

    answers = [busy.get("/api/v1/users") for _ in range(4)]
    other = calm.get("/api/v1/users")

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["type"] == "urn:seatmgr:problem:rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert other.status_code == 200


@override_settings(SEATMGR_API_RATE="2/m")
def test_a_refused_write_changes_nothing(cache_backend, admin):
    api = Client(headers=bearer(token_for(admin)))
    for _ in range(2):
        api.get("/api/v1/users")

    response = api.post(
        "/api/v1/users",
        {"users": [{"email": "late@example.com"}], "seat_type": "core"},
        content_type="application/json",
        headers={"Idempotency-Key": "late"},
    )

    assert response.status_code == 429
    assert not admin.account.memberships.filter(user__email="late@example.com").exists()
