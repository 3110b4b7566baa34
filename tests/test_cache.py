"""The Redis cache as deployed (CACHE_URL=redis://...): Django's backend with one Redis client
shared by every call and thread of a process (seatmgr/cache.py), against a real Redis."""

import threading

import pytest
from django.core.cache import caches
from django.test import override_settings

from tests.api.test_rate_limit import REDIS_CACHE, redis_listening
from tests.conftest import settings_printed, skip_or_fail


@pytest.fixture
def redis_cache():
    if not redis_listening():
        skip_or_fail("POSTGRES", "Redis is not listening on 127.0.0.1:6379")
    with override_settings(CACHES=REDIS_CACHE):
        cache = caches["default"]
        cache.clear()
        yield cache
        cache.clear()


def test_a_redis_cache_url_selects_the_shared_client_backend():
    printed = settings_printed("CACHES", CACHE_URL="redis://127.0.0.1:6379/13")

    assert "'BACKEND': 'seatmgr.cache.RedisCache'" in printed
    assert "redis://127.0.0.1:6379/13" in printed


def test_every_call_shares_one_client_and_the_cache_still_works(redis_cache):
    first = redis_cache._cache.get_client()

    redis_cache.set("greeting", {"text": "hello"}, 30)
    redis_cache.set_many({"a": 1, "b": 2}, 30)

    assert redis_cache._cache.get_client(write=True) is first
    assert redis_cache.get("greeting") == {"text": "hello"}
    assert redis_cache.get_many(["a", "b", "missing"]) == {"a": 1, "b": 2}
    assert redis_cache.incr("a", 5) == 6
    redis_cache.delete_many(["a", "b"])
    assert redis_cache.get("a") is None
    assert redis_cache._cache.get_client() is first


def test_threads_sharing_the_client_lose_no_increment(redis_cache):
    redis_cache.set("hits", 0, 60)

    def hit():
        for _ in range(200):
            redis_cache.incr("hits")

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert redis_cache.get("hits") == 1600


def test_incr_counts_on_a_key_that_exists_and_keeps_its_expiry(redis_cache):
    redis_cache.set("calls", 1, 30)

    assert redis_cache.incr("calls") == 2
    assert redis_cache.incr("calls", 3) == 5
    client = redis_cache._cache.get_client("calls")
    assert 0 < client.ttl(redis_cache.make_and_validate_key("calls")) <= 30


def test_incr_of_a_missing_key_is_refused_and_writes_nothing(redis_cache):
    with pytest.raises(ValueError, match="not found"):
        redis_cache.incr("never-set")

    assert redis_cache.get("never-set") is None
    assert redis_cache.add("never-set", 1, 30)  # still free for the first call to create


def test_incr_is_one_command_to_redis(redis_cache):
    redis_cache.set("calls", 1, 30)
    client = redis_cache._cache.get_client(write=True)
    sent = []
    real = client.execute_command

    def counted(*args, **options):
        sent.append(args[0])
        return real(*args, **options)

    client.execute_command = counted
    try:
        redis_cache.incr("calls")
        redis_cache.incr("calls")
    finally:
        del client.execute_command

    assert redis_cache.get("calls") == 3
    assert len(sent) == 2, sent  # one a call (the script, run by its digest)
