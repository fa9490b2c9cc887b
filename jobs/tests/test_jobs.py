"""The job machinery both queues share, on the queue's Redis (real with REDIS_URL, fakeredis otherwise)."""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
from datetime import timedelta

import pytest
import redis
from django.utils import timezone
from rq.job import Job, JobStatus
from rq.timeouts import JobTimeoutException
from rq.worker import Worker

from jobs import JobKind, parse_duration, stuck_repair
from templates.models import CrawlTask

pytestmark = pytest.mark.django_db

# A kind of its own on the `default` queue: nothing here ever runs its jobs.
KIND = JobKind(
    name="demo",
    queue="default",
    task="jobs.tests.test_jobs.never_run",
    timeout_setting="CRAWL_JOB_TIMEOUT",
    result_ttl=60,
    what="demo",
    doing="running",
    advice="Run it again.",
)


def test_a_row_has_one_fixed_job_id_and_its_job_names_the_row():
    assert KIND.job_id(42) == "demo-task-42"
    assert KIND.enqueue(42, meta={"user_id": 7})
    job = KIND.job(42)
    assert (job.id, job.args, job.meta, job.timeout) == ("demo-task-42", (42,), {"user_id": 7}, 3600)
    assert KIND.row_id(job) == 42
    assert dataclasses.replace(KIND, task="some.other.task").row_id(job) is None


def test_enqueue_on_commit_waits_for_the_commit_and_fresh_forgets_the_finished_job(
    django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        KIND.enqueue_on_commit(5)
        assert KIND.job(5) is None  # nothing is queued before the commit
    assert len(callbacks) == 1 and KIND.job_status(5) == JobStatus.QUEUED
    assert KIND.job_is_waiting(5)
    job = KIND.job(5)
    job.set_status(JobStatus.FINISHED)
    assert not KIND.job_is_waiting(5)
    with django_capture_on_commit_callbacks(execute=True):
        KIND.enqueue_on_commit(5, fresh=True)
    assert KIND.job_status(5) == JobStatus.QUEUED
    KIND.job_delete(5)
    assert KIND.job(5) is None and KIND.job_status(5) is None
    KIND.job_delete(5)  # nothing left to forget: quiet


def test_a_queue_that_cannot_be_reached_is_said_plainly(monkeypatch, caplog):
    import django_rq.queues

    monkeypatch.setattr(
        django_rq.queues, "get_connection", lambda *a, **kw: redis.Redis.from_url("redis://127.0.0.1:9/0")
    )
    assert not KIND.reachable()
    with caplog.at_level("WARNING"):
        assert KIND.enqueue(3) is False
    assert "Could not queue demo 3" in caplog.text
    KIND.job_delete(3)  # quiet too


def _started_by(pid: int) -> None:
    """Mark demo-task-1 as started by a worker registered with this process id on this machine."""
    KIND.enqueue(1)
    connection = KIND.connection()
    worker = Worker(["default"], connection=connection, name=f"demo-worker-{pid}")
    worker.register_birth()
    connection.hset(worker.key, mapping={"pid": pid, "hostname": socket.gethostname()})
    job = Job.fetch(KIND.job_id(1), connection=connection)
    job.worker_name = worker.name
    job.set_status(JobStatus.STARTED)
    job.save()


def test_a_job_is_alive_only_while_its_worker_process_lives():
    assert not KIND.job_is_alive(1)  # no job at all
    _started_by(os.getpid())
    assert KIND.job_is_alive(1)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    _started_by(gone.pid)
    assert not KIND.job_is_alive(1)


def test_stuck_repair_fails_abandoned_rows_and_requeues_forgotten_ones():
    now = timezone.now()
    fresh_processing = CrawlTask.objects.create(status="processing", started_at=now)
    old_processing = CrawlTask.objects.create(status="processing", started_at=now - timedelta(hours=2))
    forgotten = CrawlTask.objects.create(status="pending")
    CrawlTask.objects.filter(pk=forgotten.pk).update(created_at=now - timedelta(hours=2))
    waiting = CrawlTask.objects.create(status="pending")
    CrawlTask.objects.filter(pk=waiting.pk).update(created_at=now - timedelta(hours=2))
    KIND.enqueue(waiting.pk)
    just_asked = CrawlTask.objects.create(status="pending")
    failed = []

    def fail(row_id: int) -> bool:
        failed.append(row_id)
        return bool(CrawlTask.objects.filter(pk=row_id).update(status="failed"))

    def repair() -> dict[str, int]:
        return stuck_repair(
            kind=KIND,
            processing=CrawlTask.objects.filter(status="processing"),
            pending=CrawlTask.objects.filter(status="pending"),
            older_than=timedelta(hours=1),
            fail=fail,
        )

    counts = repair()
    # The fresh one has no live job either (its worker is gone), so it is failed too; the one asked for
    # a moment ago is left for its own job.
    assert sorted(failed) == sorted([fresh_processing.pk, old_processing.pk])
    assert counts == {"failed": 2, "requeued": 1, "left": 1}
    assert KIND.job_is_waiting(forgotten.pk) and not KIND.job_is_waiting(just_asked.pk)
    again = repair()
    assert again == {"failed": 0, "requeued": 0, "left": 2}


def test_what_the_owner_is_told_names_the_row_and_what_to_do():
    assert KIND.abandoned_error == "The worker running this demo stopped before it finished. Run it again."
    assert KIND.timeout_error == "This demo took too long and was stopped. Run it again."
    assert KIND.error_for(JobTimeoutException("late")) == KIND.timeout_error
    assert KIND.error_for(ValueError("bug")) == KIND.generic_error
    assert "went wrong on our side while running this demo" in KIND.generic_error


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("10m", timedelta(minutes=10)),
        (" 2h ", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
    ],
)
def test_durations_read_as_cron_lines_write_them(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "10", "m", "1.5h", "-1m", "10 minutes"])
def test_a_duration_without_its_unit_is_refused_plainly(text):
    with pytest.raises(ValueError, match="takes a number and a unit"):
        parse_duration(text)
