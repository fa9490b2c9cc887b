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
    assert set(body["checks"]) == {"database", "redis", "storage", "swap_workers", "stuck_tasks"}
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


def test_a_failure_is_named_without_internals(client, own_redis):
    register_swap_worker(own_redis.url)
    own_redis.stop()
    body = client.get("/healthz").content.decode()
    assert "redis" in body and "ConnectionError" in body
    # No address, port or driver text for anyone who asks.
    assert "127.0.0.1" not in body and str(own_redis.port) not in body and "Error " not in body


def test_storage_that_cannot_write_fails_the_check(client, own_redis, settings, tmp_path):
    register_swap_worker(own_redis.url)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the media folder should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker / "media")},
        },
    }
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["failed"] == ["storage"]


def test_a_worker_killed_on_this_machine_is_not_counted(client, own_redis):
    import subprocess
    import sys

    worker = register_swap_worker(own_redis.url)
    assert client.get("/healthz").json()["checks"]["swap_workers"] == "1 running"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    worker.connection.hset(worker.key, "pid", int(gone.stdout))  # as if SIGKILLed: registered, no process
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["failed"] == ["swap_workers"]


def test_a_swap_processing_past_its_job_timeout_is_reported_stuck(client, own_redis, alice, settings):
    from datetime import timedelta

    from django.utils import timezone

    from swaps.models import FaceSwapTask
    from testing.cast import make_template, stored_image

    register_swap_worker(own_redis.url)
    photo = stored_image(owner=alice)
    task = FaceSwapTask.objects.create(
        user=alice,
        template=make_template(),
        husband_image=photo,
        wife_image=photo,
        status="processing",
        started_at=timezone.now() - timedelta(seconds=settings.SWAP_JOB_TIMEOUT + 30),
    )
    assert client.get("/healthz").json()["checks"]["stuck_tasks"] == "none"
    FaceSwapTask.objects.filter(pk=task.pk).update(started_at=timezone.now() - timedelta(hours=1))
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["failed"] == ["stuck_tasks"]
    assert response.json()["checks"]["stuck_tasks"] == "failed: processing past the job timeout: 1 swap"


def test_a_plain_http_probe_gets_an_answer_under_the_https_redirect(client, own_redis, settings):
    register_swap_worker(own_redis.url)
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 301


PROBE_IN_A_FRESH_PROCESS = """
import sys
import django
django.setup()
from faceswap_site.health import check_storage
print("RESULT", check_storage(), "boto3" in sys.modules)
"""


def test_the_storage_probe_writes_to_s3_without_loading_boto3_into_the_web_process(seaweedfs):
    """A web worker probed by the load balancer stays without boto3 (tens of MB) until it touches a picture."""
    import subprocess
    import sys
    import uuid

    from testing.servers import REPO_DIR, site_environ

    bucket = f"test-{uuid.uuid4().hex[:16]}"
    seaweedfs.client().create_bucket(Bucket=bucket)
    env = site_environ(
        DJANGO_SETTINGS_MODULE="faceswap_site.settings", **{**seaweedfs.environ(), "AWS_STORAGE_BUCKET_NAME": bucket}
    )
    run = subprocess.run(
        [sys.executable, "-c", PROBE_IN_A_FRESH_PROCESS], cwd=REPO_DIR, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split("RESULT", 1)[1].split() == ["ok", "False"]
    # It wrote its object (a refused write fails the check: test_503_naming_the_storage...) and removed it.
    assert seaweedfs.client().list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0
