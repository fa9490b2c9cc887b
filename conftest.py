"""Fixtures every test gets: its own media folder, empty queues and cache. The rest, one plugin per need
(testing/): how the suite runs (plugin: markers, hasher, xdist), the test cast, real servers, the browser."""

import os

import pytest

from testing import require_faces_dir

pytest_plugins = [
    "testing.plugin",
    "testing.fixtures_cast",
    "testing.fixtures_services",
    "testing.fixtures_browser",
]


@pytest.fixture(scope="session")
def engine():
    """The offline classic engine (its models are loaded once per process)."""
    from faceengine import get_engine

    return get_engine("classic")


@pytest.fixture(scope="session")
def faces_dir():
    """The shared real photos (../shared/testdata/faces); skipped where absent, failed under CI=true."""
    return require_faces_dir()


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    """Every test writes its files into its own folder, never into the developer's media/."""
    if settings.STORAGE_BACKEND == "local":
        settings.MEDIA_ROOT = tmp_path / "media"
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                **settings.STORAGES["default"],
                "OPTIONS": {"location": tmp_path / "media", "base_url": "/media/"},
            },
        }


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request through the test client runs in this thread, and
    LocaleMiddleware leaves the page's language active after it (a Japanese page, then the next test's
    messages in Japanese, depending on which tests a worker happened to run before)."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _partner_consent_off(settings):
    """Swaps run without waiting for the partner's agreement, except where a test asks for it
    (settings.PARTNER_CONSENT_REQUIRED = True): the consent tests (swaps/tests/test_consent*.py) drive
    that flow; every other test is about something else and would otherwise wait for a partner."""
    settings.PARTNER_CONSENT_REQUIRED = False


@pytest.fixture(scope="session", autouse=True)
def _fresh_test_redis():
    """The test database of the real Redis (REDIS_URL) starts empty: an earlier run's jobs (say one left
    "started" by a killed worker) would otherwise match this run's task ids, which restart at 1."""
    url = os.environ.get("REDIS_URL")
    if url:
        import redis

        redis.Redis.from_url(url).flushdb()
    yield


@pytest.fixture(autouse=True)
def _queue_connection(monkeypatch):
    """Without REDIS_URL the queue talks to an in-process fakeredis; with it, to the real server."""
    if os.environ.get("REDIS_URL"):
        import django_rq
        from django.conf import settings

        # Each test starts with empty queues: jobs an earlier test (or run) left must not count.
        for name in settings.RQ_QUEUES:
            django_rq.get_queue(name).empty()
        yield
        return
    import django_rq.queues
    import fakeredis

    server = fakeredis.FakeServer()

    def fake_connection(name: str = "default", *args, **kwargs):
        return fakeredis.FakeRedis(server=server)

    monkeypatch.setattr(django_rq.queues, "get_connection", fake_connection)
    monkeypatch.setattr(django_rq, "get_connection", fake_connection)
    yield


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test starts with an empty cache, so allauth's rate-limit counters never leak between tests.

    On Redis only the site's own cache keys go (not RQ's keys in the same database).
    """
    from django.core.cache import cache

    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        client = cache._cache.get_client(write=True)
        prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
        keys = list(client.scan_iter(f"{prefix}:*")) if prefix else []
        if keys:
            client.delete(*keys)
    else:
        cache.clear()
    yield
