"""/healthz against real services: its own redis-server (which the test stops), the database, the storage."""

from __future__ import annotations

import pytest
from rq import Queue, Worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_redis(settings, redis_server):
    """A redis-server of this test's own (so it can be stopped), used as the queue server."""
    settings.RQ_QUEUES = {name: {**queue, "URL": redis_server.url} for name, queue in settings.RQ_QUEUES.items()}
    return redis_server


def register_swap_worker(redis_url: str) -> Worker:
    """A swap worker as RQ registers one (the web process only reads the registry)."""
    import redis

    connection = redis.Redis.from_url(redis_url)
    worker = Worker([Queue("swaps", connection=connection)], connection=connection)
    worker.register_birth()
    return worker


def test_healthy_when_database_redis_storage_and_a_swap_worker_answer(client, own_redis):
    register_swap_worker(own_redis.url)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["failed"] == []
    assert set(body["checks"]) == {"database", "redis", "storage", "swap_workers"}
    assert body["checks"]["swap_workers"] == "1 running"
    # Never cached, no session, no login.
    assert "no-cache" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert not response.cookies


def test_503_naming_the_swap_workers_when_none_is_registered(client, own_redis):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["swap_workers"]
    worker = register_swap_worker(own_redis.url)
    assert client.get("/healthz").status_code == 200
    worker.register_death()
    assert client.get("/healthz").status_code == 503


def test_503_naming_redis_when_redis_stops(client, own_redis):
    register_swap_worker(own_redis.url)
    assert client.get("/healthz").status_code == 200
    own_redis.stop()
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert "redis" in body["failed"]
    assert body["checks"]["redis"].startswith("failed: ConnectionError")
    assert body["checks"]["database"] == "ok" and body["checks"]["storage"] == "ok"
    assert body["status"] == "failing"


def test_503_naming_the_storage_when_the_s3_server_refuses(client, own_redis, s3_storage, settings):
    register_swap_worker(own_redis.url)
    assert client.get("/healthz").json()["checks"]["storage"] == "ok"
    options = settings.STORAGES["default"]["OPTIONS"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {**options, "secret_key": "wrong"}},
    }
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["failed"] == ["storage"]
