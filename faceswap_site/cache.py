"""Django's Redis cache backend, reusing one Redis client per connection pool.

Django's RedisCacheClient builds a new `redis.Redis` for every cache call, which costs about 0.3 ms
(redis-py fills ~170 response callbacks per client): more than the round trip itself, and the biggest
part of serving a cached gallery page. The client is thread-safe and the pool is fork-aware (redis-py
resets it in a forked child), so one per pool is enough.

`RedisWithLocalFallbackCache` keeps the site working while Redis is down: each process falls
back to a local cache. allauth keeps its rate-limit counters in the default cache; with plain RedisCache
a Redis outage made log-in and sign-up answer 500. During an outage the counters are per process (a little more lenient
across several web processes) and the switch is logged; Redis is tried again every RETRY_SECONDS.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class LocalCache(LocMemCache):
    """This process's memory, with the pointer read of RedisCache in two steps: the cache without Redis
    (settings, no REDIS_URL), and RedisWithLocalFallbackCache's while Redis is down."""

    def get_many_with_pointer(self, keys: list[str], pointer: str, pointed: str) -> dict:
        found = self.get_many([*keys, pointer])
        if pointer in found:
            key = pointed.format(found[pointer])
            value = self.get(key)
            if value is not None:
                found[key] = value
        return found


# MGET the keys, then GET the key made of ARGV[1] .. (the pointer's value) .. ARGV[2], on the server.
_POINTER_SCRIPT = """
local found = redis.call('MGET', unpack(KEYS))
local value = found[#KEYS]
local pointed = false
if value then pointed = redis.call('GET', ARGV[1] .. value .. ARGV[2]) end
found[#KEYS + 1] = pointed
return found
"""


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
        self._pointer_scripts: dict[int, object] = {}

    def get_many_with_pointer(self, keys: list[str], pointer: str, pointed: str) -> dict:
        """`get_many(keys + [pointer])`, and when `pointer` holds a value, also the key `pointed` names with
        that value in place of its `{}` (under that key), in one round trip: a Lua script (the pointer's value
        must be an int, which Django's Redis serializer stores as plain digits)."""
        made = [self.make_and_validate_key(key) for key in [*keys, pointer]]
        before, _, after = self.make_key(pointed).partition("{}")
        client = self._cache.get_client(None)
        script = self._pointer_scripts.get(id(client))
        if script is None:
            script = self._pointer_scripts[id(client)] = client.register_script(_POINTER_SCRIPT)
        values = script(keys=made, args=[before, after])
        loads = self._cache._serializer.loads
        found = {key: loads(value) for key, value in zip([*keys, pointer], values, strict=False) if value is not None}
        if pointer in found and values[-1] is not None:
            found[pointed.format(found[pointer])] = loads(values[-1])
        return found


RETRY_SECONDS = 5.0


class RedisWithLocalFallbackCache(RedisCache):
    """RedisCache whose every operation goes to a per-process LocMemCache while Redis cannot be reached."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._local = LocalCache(f"redis-fallback-{id(self)}", params)
        self._down_until = 0.0

    def get_many_with_pointer(self, keys: list[str], pointer: str, pointed: str) -> dict:
        if time.monotonic() < self._down_until:
            return self._local.get_many_with_pointer(keys, pointer, pointed)
        try:
            return super().get_many_with_pointer(keys, pointer, pointed)
        except RedisError as exc:
            logger.warning("Cache: Redis unreachable (%s); using this process's local cache for now", exc)
            self._down_until = time.monotonic() + RETRY_SECONDS
            return self._local.get_many_with_pointer(keys, pointer, pointed)

    def _call(self, name: str, *args, **kwargs):
        if time.monotonic() < self._down_until:
            return getattr(self._local, name)(*args, **kwargs)
        try:
            result = getattr(super(), name)(*args, **kwargs)
        except RedisError as exc:
            logger.warning("Cache: Redis unreachable (%s); using this process's local cache for now", exc)
            self._down_until = time.monotonic() + RETRY_SECONDS
            return getattr(self._local, name)(*args, **kwargs)
        if self._down_until:
            logger.info("Cache: Redis is back")
            self._down_until = 0.0
        return result


def _falls_back(name: str):
    def method(self, *args, **kwargs):
        return self._call(name, *args, **kwargs)

    method.__name__ = name
    return method


# Every operation RedisCache implements (BaseCache's others, such as get_or_set, call these).
OPERATIONS = ("add", "get", "set", "touch", "delete", "get_many", "has_key", "incr", "set_many", "delete_many", "clear")
for _name in OPERATIONS:
    setattr(RedisWithLocalFallbackCache, _name, _falls_back(_name))
