"""Django's Redis cache, with one Redis client per connection pool instead of one per call.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` around its pool for every
cache call; with redis-py 8 that constructor costs more than the GET it then sends (a third of
a millisecond here, measured when sessions were still read from the cache: about a tenth of a
signed-in trivial request then, docs/performance.md, benchmark 4). A `redis.Redis` is safe to
share between threads (it takes a connection from its pool for each command and gives it back)
and its pool notices a fork, so one client per pool does the same work. Selected by
seatmgr.settings when CACHE_URL names a Redis server.

`incr` is one atomic command instead of Django's two (EXISTS, then INCRBY): every API call and
sign-in attempt counts itself with it (api.v1.base.CallerRateThrottle, accounts.ratelimit), and
the second round trip was a tenth of an API call. Django's pair also let a count expire between
its two commands, and INCRBY then made it again without its expiry, to be kept for ever.
"""

from django.core.cache.backends import redis as django_redis

# INCRBY of a key that exists; nil, and nothing written, for one that does not.
_INCR_EXISTING = """
if redis.call("EXISTS", KEYS[1]) == 1 then
    return redis.call("INCRBY", KEYS[1], ARGV[1])
end
return nil
"""


class SharedClientRedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # id(pool) -> its client (the pools live as long as `_pools` keeps them). Filled as
        # Django's own `_pools` is, without a lock: two threads racing build two equivalent
        # clients and one of them is kept.
        self._clients = {}
        self._incr_scripts = {}  # id(client) -> its registered _INCR_EXISTING

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def incr(self, key, delta):
        client = self.get_client(key, write=True)
        script = self._incr_scripts.get(id(client))
        if script is None:
            script = self._incr_scripts[id(client)] = client.register_script(_INCR_EXISTING)
        count = script(keys=[key], args=[delta])
        if count is None:
            raise ValueError(f"Key '{key}' not found.")
        return count


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
