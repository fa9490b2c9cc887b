"""Workers that heal, against real processes: a swap worker rides out a 60 s PostgreSQL cut and a Redis
restart without exiting; a worker killed with its horse leaves nothing stuck once a worker starts again,
and /healthz says what is true meanwhile."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from swaps import services
from swaps.models import FaceSwapTask
from swaps.tests.test_outages import TcpProxy
from swaps.tests.test_worker import submit
from testing import require_postgres
from testing.fixtures_services import service_env, test_database_url, wait_for_task
from testing.servers import RQWorker

pytestmark = [pytest.mark.server, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_worker_rides_out_a_60_s_postgres_cut_and_a_redis_restart(
    redis_server, settings, tmp_path, client, alice, couple_template, faces_dir
):
    """Before: the periodic pass raised OperationalError out of RQ's loop and the worker quit; a Redis
    restart just after a job made it quit too. Now it keeps running and makes the next swap."""
    from django.db import connection

    require_postgres()
    settings.RQ_QUEUES = {name: {**queue, "URL": redis_server.url} for name, queue in settings.RQ_QUEUES.items()}
    proxy = TcpProxy(int(connection.settings_dict["PORT"] or 5432))
    worker = RQWorker(
        env=service_env(DATABASE_URL=test_database_url(port=proxy.port), REDIS_URL=redis_server.url),
        log_path=tmp_path / "worker.log",
    )
    client.force_login(alice)
    try:
        worker.start()
        first = wait_for_task(submit(client, couple_template, faces_dir), until=lambda t: t.is_finished, timeout=90)
        assert first.status == "completed", (first.error_message, worker.log())

        proxy.cut()
        cut = time.monotonic()
        redis_server.stop()  # just after a job, as in the hostile test
        time.sleep(8)
        redis_server.start()
        while time.monotonic() - cut < 60:
            assert worker.process.poll() is None, worker.log()[-3000:]
            time.sleep(1)
        proxy.up = True

        second = submit(client, couple_template, faces_dir)
        task = wait_for_task(second, until=lambda t: t.is_finished, timeout=90)
        assert task.status == "completed", (task.error_message, worker.log()[-3000:])
        assert worker.process.poll() is None
        log = worker.log()
        assert "quitting" not in log, log[-3000:]
        assert "retrying" in log and "answer again" in log, log[-3000:]
    finally:
        worker.stop()
        proxy.close()


def test_a_worker_killed_with_its_horse_leaves_nothing_stuck_once_a_worker_starts_again(
    rq_worker, tmp_path, client, alice, couple_template, faces_dir
):
    """Before: the task stayed 'processing 10 %', the same person's next swap stayed pending until the
    cron command ran, and /healthz said '1 running' after the kill. Now /healthz fails at once and a
    restarted worker fails the task (Try again) and makes the next swap."""
    path = Path(couple_template.image.file.path)
    picture = path.read_bytes()
    path.unlink()
    # A named pipe nobody writes to: the job claims the task and blocks reading the template.
    import os

    os.mkfifo(path)
    client.force_login(alice)
    stuck_id = submit(client, couple_template, faces_dir)
    wait_for_task(stuck_id, until=lambda t: t.status == "processing")
    next_id = submit(client, couple_template, faces_dir)
    health = Client()
    assert health.get("/healthz").json()["checks"]["swap_workers"] == "1 running"

    rq_worker.kill()  # the worker and its horse outright
    body = health.get("/healthz").json()
    assert "swap_workers" in body["failed"], body
    assert FaceSwapTask.objects.get(pk=stuck_id).status == "processing"
    path.unlink()
    path.write_bytes(picture)

    restarted = RQWorker(env=service_env(), log_path=tmp_path / "restarted.log")
    with restarted:
        started = time.monotonic()
        restarted.start()
        stuck = wait_for_task(stuck_id, until=lambda t: t.status != "processing", timeout=90)
        assert stuck.status == "failed" and stuck.error_message == services.SWAP_JOBS.abandoned_error
        assert "Try again" in client.get(stuck.get_absolute_url()).text
        done = wait_for_task(next_id, until=lambda t: t.is_finished, timeout=90 - (time.monotonic() - started))
        assert done.status == "completed", (done.error_message, restarted.log()[-3000:])
        assert health.get("/healthz").status_code == 200
        assert not FaceSwapTask.objects.filter(status="processing").exists()
        assert client.get(reverse("swaps:status", args=[stuck_id])).json()["status"] == "failed"
