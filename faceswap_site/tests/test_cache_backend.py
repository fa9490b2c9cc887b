"""The site's cache backends (faceswap_site/cache.py): the pointer read, with Redis, without it, and while
Redis is down."""

import pytest

from faceswap_site.cache import LocalCache, RedisWithLocalFallbackCache
from testing import require_redis_url


def fill(cache) -> None:
    cache.set_many({"page": "<html>", "session:abc": {"user": 7}, "pointer:abc": 7, "kit:7:en": "Alice's parts"})


def read(cache) -> dict:
    return cache.get_many_with_pointer(["page", "session:abc"], "pointer:abc", "kit:{}:en")


EXPECTED = {"page": "<html>", "session:abc": {"user": 7}, "pointer:abc": 7, "kit:7:en": "Alice's parts"}


def test_the_local_cache_reads_the_pointed_key_too():
    cache = LocalCache("test-pointer", {})
    fill(cache)
    assert read(cache) == EXPECTED
    cache.delete("kit:7:en")
    assert read(cache) == {key: value for key, value in EXPECTED.items() if key != "kit:7:en"}


@pytest.mark.server
def test_redis_reads_the_pointed_key_in_one_trip():
    cache = RedisWithLocalFallbackCache(require_redis_url(), {"KEY_PREFIX": "test-pointer"})
    cache.delete_many(list(EXPECTED))
    fill(cache)
    assert read(cache) == EXPECTED


def test_with_redis_down_the_local_cache_answers():
    cache = RedisWithLocalFallbackCache("redis://127.0.0.1:9/0", {})
    fill(cache)  # to the local cache: nothing listens on port 9
    assert read(cache) == EXPECTED
