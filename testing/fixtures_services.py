"""Fixtures for tests that need a real server: SeaweedFS as S3, a private redis-server, RQ workers, the
site on a live server. Every test using them is marked `server` (see testing/plugin.py), so
`make test-fast` leaves it out."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest

from testing import require_postgres, require_redis_url, skip_or_fail
from testing.servers import Gunicorn, RedisServer, RQWorker, Runserver, SeaweedFS, site_environ, weed_binary


def test_database_url(*, port: int | None = None) -> str:
    """The URL of the test database (PostgreSQL), through another port when given (a proxy)."""
    from django.db import connection

    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{port or db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


test_database_url.__test__ = False  # a helper, not a test


def service_env(**extra: str) -> dict[str, str]:
    """The environment of a process started by a test: the test database, media folder and Redis, unless
    `extra` says otherwise."""
    from django.conf import settings

    here = {
        "DATABASE_URL": test_database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        # As in this process (conftest's _partner_consent_off): only the consent tests turn it on.
        "PARTNER_CONSENT_REQUIRED": str(settings.PARTNER_CONSENT_REQUIRED),
    }
    return site_environ(**{**here, **extra})


def web_server(kind: str, log_path: Path, **env: str) -> Gunicorn | Runserver:
    """The site on the test database and media folder, not started yet: `runserver`, or gunicorn `gthread`
    with 1 worker and 8 threads (both run requests in threads, as production does)."""
    if kind == "runserver":
        return Runserver(env=service_env(**env), log_path=log_path)
    assert kind == "gthread", kind
    return Gunicorn(env=service_env(**env), workers=1, threads=8, timeout=120, log_path=log_path)


@pytest.fixture(scope="session")
def seaweedfs():
    """A real SeaweedFS S3 server (`weed mini` on free 127.0.0.1 ports) for the whole test session."""
    try:
        weed_binary()
    except FileNotFoundError as exc:
        skip_or_fail(str(exc))
    server = SeaweedFS().start()
    try:
        yield server
    finally:
        server.stop()


class S3Bucket:
    """One test's bucket on the SeaweedFS server, with the site's settings pointing at it."""

    def __init__(self, server: SeaweedFS, name: str) -> None:
        self.server = server
        self.name = name

    def keys(self, prefix: str = "") -> list[str]:
        paginator = self.server.client().get_paginator("list_objects_v2")
        return sorted(
            item["Key"]
            for page in paginator.paginate(Bucket=self.name, Prefix=prefix)
            for item in page.get("Contents", [])
        )

    def read(self, key: str) -> bytes:
        return self.server.client().get_object(Bucket=self.name, Key=key)["Body"].read()

    def environ(self) -> dict[str, str]:
        return {**self.server.environ(), "AWS_STORAGE_BUCKET_NAME": self.name}


@pytest.fixture
def s3_storage(seaweedfs, settings):
    """Pictures stored in a fresh bucket of the real S3 server (STORAGE_BACKEND=s3), as in production."""
    from gallery.models import Image

    bucket = f"test-{uuid.uuid4().hex[:16]}"
    seaweedfs.client().create_bucket(Bucket=bucket)
    settings.STORAGE_BACKEND = "s3"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "gallery.s3.MediaStorage",
            "OPTIONS": {**seaweedfs.storage_options(), "bucket_name": bucket},
        },
    }
    Image._meta.get_field("file").storage.setup_bucket()
    return S3Bucket(seaweedfs, bucket)


@pytest.fixture
def redis_server():
    """A redis-server of this test's own on a free port (so the test can stop and restart it)."""
    import shutil

    if not shutil.which("redis-server"):
        skip_or_fail("needs redis-server (apt-get install redis-server)")
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def rq_worker(tmp_path, transactional_db):
    """A real swap worker (`manage.py rqworker swaps`) on the test database, media folder and Redis,
    listening (its models loaded). PostgreSQL and Redis required; under CI=true their absence fails."""
    import django_rq

    require_postgres()
    require_redis_url()
    django_rq.get_queue("swaps").connection.flushdb()  # no jobs left over from an earlier run
    worker = RQWorker(env=service_env(), log_path=tmp_path / "worker.log")
    with worker:
        worker.start(timeout=60)
        yield worker


def wait_for_task(task_id: int, *, until, timeout: float = 60.0):
    """Poll the database until `until(task)` holds; the task, or an AssertionError with its state."""
    from swaps.models import FaceSwapTask

    deadline = time.monotonic() + timeout
    task = None
    while time.monotonic() < deadline:
        task = FaceSwapTask.objects.get(pk=task_id)
        if until(task):
            return task
        time.sleep(0.02)
    raise AssertionError(f"task {task_id} stayed {task.status} ({task.progress} %) for {timeout} s")


@pytest.fixture
def site_server(transactional_db):
    """The site on a live server (a thread of this process) for this test only: stopped before the test
    database is dropped."""
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("localhost:0")
    try:
        yield server
    finally:
        server.stop()
