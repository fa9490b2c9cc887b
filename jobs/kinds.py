"""One kind of background job: the row type it works on, its queue, its entry point, its fixed job ids.

A row (a swap, a crawl) is worked on by exactly one RQ job whose id follows from the row's id, so a row is
never queued twice and its job can always be found again: to tell whether it still waits in the queue,
whether a live worker runs it, or to forget it before the row is queued again. Only ids travel on the
queue, never model instances.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from dataclasses import dataclass
from typing import Any

import django_rq
from django.conf import settings
from django.db import transaction
from redis.exceptions import RedisError
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus
from rq.timeouts import JobTimeoutException
from rq.worker import Worker

logger = logging.getLogger(__name__)

# A job in one of these states is still to run (or running): its row needs no new job.
WAITING = (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.STARTED)

# What the owner of a row is told when its job ends badly; one wording for every queue, with the row's
# own words (what it is, what its worker does, what to do next) filled in by its JobKind.
GENERIC_ERROR = "Something went wrong on our side while {doing} this {what}. Please try again in a minute."
TIMEOUT_ERROR = "This {what} took too long and was stopped. {advice}"
ABANDONED_ERROR = "The worker {doing} this {what} stopped before it finished. {advice}"


@dataclass(frozen=True)
class JobKind:
    """A kind of job: rows of one model, run by one entry point (called with the row's id) on one queue."""

    name: str  # job ids are "<name>-task-<row id>"
    queue: str  # the RQ queue (settings.RQ_QUEUES)
    task: str  # the entry point's dotted path: the services module never imports its tasks module
    timeout_setting: str  # the setting holding the job timeout in seconds
    result_ttl: int  # how long a finished job's record is kept (seconds)
    what: str  # the row as its owner calls it ("swap")
    doing: str  # what the worker does to it ("making")
    advice: str  # what its owner can do after a timeout or a lost worker
    failure_ttl: int = 7 * 24 * 3600

    # --- the job of a row ---

    def job_id(self, row_id: int) -> str:
        """The row's fixed RQ job id."""
        return f"{self.name}-task-{row_id}"

    def row_id(self, job: Job) -> int | None:
        """The row a job of this kind works on (None for any other job)."""
        if job.func_name != self.task or not job.args:
            return None
        return int(job.args[0])

    def connection(self) -> Any:
        return django_rq.get_queue(self.queue).connection

    def enqueue(self, row_id: int, *, meta: dict[str, Any] | None = None) -> bool:
        """Put a row's id on the queue; False (and a log line) when Redis cannot be reached."""
        try:
            django_rq.get_queue(self.queue).enqueue(
                self.task,
                row_id,
                job_id=self.job_id(row_id),
                job_timeout=getattr(settings, self.timeout_setting),
                result_ttl=self.result_ttl,
                failure_ttl=self.failure_ttl,
                meta=meta or {},
            )
        except RedisError as exc:
            logger.warning(
                "Could not queue %s %s (%s); it stays pending until the queue is back", self.what, row_id, exc
            )
            return False
        return True

    def enqueue_on_commit(self, row_id: int, *, fresh: bool = False) -> None:
        """Queue the row once the current transaction commits (at once outside one).

        `fresh`: its earlier job (a finished run) is forgotten first, so the fixed id can be queued again.
        """
        if fresh:
            transaction.on_commit(lambda: self.job_delete(row_id))
        transaction.on_commit(lambda: self.enqueue(row_id))

    def job(self, row_id: int, *, connection: Any = None) -> Job | None:
        try:
            return Job.fetch(self.job_id(row_id), connection=connection or self.connection())
        except NoSuchJobError:
            return None

    def job_delete(self, row_id: int) -> None:
        """Forget a row's job and its registry entries (a waiting one never starts); quiet when Redis is down."""
        with contextlib.suppress(NoSuchJobError, RedisError):
            job = self.job(row_id)
            if job is not None:
                job.delete()

    def job_stop(self, row_id: int) -> bool:
        """Stop the row's job if a worker runs it now (RQ's stop command: the worker kills the work horse
        within a moment and goes on with its queue); False when nothing was running or Redis is down."""
        try:
            send_stop_job_command(self.connection(), self.job_id(row_id))
        except (NoSuchJobError, InvalidJobOperation, RedisError):
            return False
        return True

    def job_status(self, row_id: int, *, connection: Any = None) -> JobStatus | None:
        """The RQ status of the row's job (None when there is none)."""
        job = self.job(row_id, connection=connection)
        return job.get_status() if job is not None else None

    def job_is_waiting(self, row_id: int, *, connection: Any = None) -> bool:
        """True while the row's job is in the queue or being run."""
        return self.job_status(row_id, connection=connection) in WAITING

    def job_is_alive(self, row_id: int, *, connection: Any = None) -> bool:
        """True while a live worker runs the row's job."""
        connection = connection or self.connection()
        job = self.job(row_id, connection=connection)
        if job is None or job.get_status() != JobStatus.STARTED or not job.worker_name:
            return False
        worker = Worker.find_by_key(Worker.redis_worker_namespace_prefix + job.worker_name, connection=connection)
        if worker is None:
            return False
        # A worker killed on this machine is dead before its registration expires.
        return not (worker.hostname == socket.gethostname() and worker.pid and not pid_running(worker.pid))

    def reachable(self) -> bool:
        """Whether the queue (Redis) answers now."""
        try:
            return bool(self.connection().ping())
        except RedisError:
            return False

    # --- what the row's owner is told when its job ends badly ---

    def _words(self, message: str) -> str:
        return message.format(what=self.what, doing=self.doing, advice=self.advice)

    @property
    def abandoned_error(self) -> str:
        """The worker (or its work horse) died: killed, out of memory, machine restarted."""
        return self._words(ABANDONED_ERROR)

    @property
    def timeout_error(self) -> str:
        return self._words(TIMEOUT_ERROR)

    @property
    def generic_error(self) -> str:
        return self._words(GENERIC_ERROR)

    def error_for(self, exc: BaseException) -> str:
        """The message for a run that raised something unexpected: the timeout's, or the generic one."""
        return self.timeout_error if is_timeout(exc) else self.generic_error


def is_timeout(exc: BaseException) -> bool:
    """Whether a job was stopped by its timeout (RQ raises this inside the job when it fires)."""
    return isinstance(exc, JobTimeoutException)


def pid_running(pid: int) -> bool:
    """Whether a process with this id exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
