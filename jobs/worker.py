"""The RQ worker base every queue's worker builds on.

What it adds to RQ's Worker, the same for every queue:
- a work horse that dies (killed, out of memory, past its timeout) fails its row at once, plainly
  (`job_abandoned`), instead of leaving it "processing";
- while Redis is down it retries at least every `max_connection_wait_time` seconds (RQ's default backs
  off to 60 s), so work asked for meanwhile starts soon after Redis is back;
- `startup()` runs before the first job (a queue repairs what a dead predecessor left there) and
  `periodic()` every `periodic_interval` seconds between jobs;
- with `fork_jobs = False` jobs run in the worker process itself (for libraries whose threads a forked
  child cannot use), the job timeout still enforced;
- no database connection opened in the parent is ever inherited by a forked work horse;
- it never exits on an outage: RQ's loop quits on any error outside its wait for a job (Redis gone just
  after a job, during a heartbeat or a maintenance pass; PostgreSQL gone during `periodic()` or when a
  dead horse's row is failed). Here each of those steps waits and retries with a backoff of up to
  `max_connection_wait_time` seconds, logging the outage once and its end, so a worker rides out a
  Redis restart or a minutes-long PostgreSQL cut and picks up where it was.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from django.db import Error as DatabaseError
from django.db import connections
from rq.job import Job
from rq.worker import SimpleWorker, Worker, WorkerStatus

from .kinds import JobKind

logger = logging.getLogger(__name__)

# What an outage of Redis or PostgreSQL looks like to the worker (a database error of any kind: a cut
# connection shows as OperationalError or InterfaceError, and a query cut mid-way as others).
OUTAGE_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, DatabaseError)
T = TypeVar("T")


class JobWorker(Worker):
    """RQ's Worker for the jobs of `kinds` (see the module docstring); subclasses say what a lost job means."""

    kinds: tuple[JobKind, ...] = ()
    fork_jobs = True
    max_connection_wait_time = 10.0
    # Seconds between two periodic() calls; None: never.
    periodic_interval: float | None = None
    _last_periodic = float("-inf")

    # --- what subclasses fill in ---

    def startup(self) -> None:
        """Run once before the first job (in the parent, before any fork)."""

    def periodic(self) -> None:
        """Run every periodic_interval seconds between jobs."""

    def job_abandoned(self, kind: JobKind, row_id: int, job: Job) -> None:
        """A work horse running `job` (for row `row_id`) died: fail the row with kind.abandoned_error."""
        raise NotImplementedError

    # --- riding out outages ---

    _outage_since: float | None = None

    def _outage(self, what: str, exc: BaseException, wait: float) -> float:
        """Log an outage (once, then at debug), drop the database connections, sleep; the next wait."""
        if self._outage_since is None:
            self._outage_since = time.monotonic()
            logger.warning("Worker %s: %s failed (%s: %s); retrying", self.name, what, type(exc).__name__, exc)
        else:
            logger.debug("Worker %s: %s still failing: %s", self.name, what, exc)
        connections.close_all()
        time.sleep(wait)
        return min(wait * 2, self.max_connection_wait_time)

    def _recovered(self) -> None:
        if self._outage_since is not None:
            logger.warning(
                "Worker %s: Redis and the database answer again after %.0f s",
                self.name,
                time.monotonic() - self._outage_since,
            )
            self._outage_since = None

    def _retrying(self, what: str, call: Callable[[], T]) -> T:
        """call() until it gets through an outage (never gives up: a worker outlives any blip)."""
        wait = 0.5
        while True:
            try:
                result = call()
            except OUTAGE_ERRORS as exc:
                wait = self._outage(what, exc, wait)
                continue
            self._recovered()
            return result

    def _once(self, what: str, call: Callable[[], object]) -> None:
        """call(), skipped for this round if Redis or the database is down (it runs again later)."""
        try:
            call()
        except OUTAGE_ERRORS as exc:
            self._outage(what, exc, 1.0)

    # --- RQ's hooks ---

    def work(self, *args: Any, **kwargs: Any) -> bool:
        try:
            # A repair that cannot reach the database now is done by the periodic pass later.
            self._once("the start-up repair", self.startup)
        finally:
            # Nothing the parent opened may be shared with a forked horse.
            connections.close_all()
        if self.fork_jobs:
            # What start-up loaded (modules, models) lives as long as the worker: out of the collector's
            # sight, a horse's collections never touch those objects, so their pages stay shared with the
            # parent instead of being copied into every horse (copy-on-write). make bench-worker measures it.
            gc.collect()
            gc.freeze()
        return super().work(*args, **kwargs)

    def check_for_suspension(self, burst: bool) -> None:
        self._retrying("checking for suspension", lambda: super(JobWorker, self).check_for_suspension(burst))

    def dequeue_job_and_maintain_ttl(self, timeout: int | None, max_idle_time: int | None = None) -> Any:
        return self._retrying(
            "waiting for a job", lambda: super(JobWorker, self).dequeue_job_and_maintain_ttl(timeout, max_idle_time)
        )

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        # A missed beat while Redis is away is harmless: the next one renews the registration.
        try:
            super().heartbeat(timeout, pipeline)
        except OUTAGE_ERRORS as exc:
            logger.debug("Worker %s: heartbeat missed: %s", self.name, exc)

    def maintain_heartbeats(self, job: Job, execution: Any) -> None:
        # Called while a horse works; Redis away must not make the parent abandon a running horse.
        try:
            super().maintain_heartbeats(job, execution)
        except OUTAGE_ERRORS as exc:
            logger.debug("Worker %s: job heartbeat missed: %s", self.name, exc)

    @property
    def dequeue_timeout(self) -> int:
        if self.periodic_interval is None:
            return super().dequeue_timeout
        # Wake up from waiting on an empty queue in time for the next periodic pass.
        return int(self.periodic_interval)

    @property
    def should_run_maintenance_tasks(self) -> bool:
        return self.periodic_interval is not None or super().should_run_maintenance_tasks

    def run_maintenance_tasks(self) -> None:
        """RQ's own maintenance when due, and every periodic_interval the subclass's periodic(); either is
        skipped for this round while Redis or the database is down."""
        if self.periodic_interval is not None and time.monotonic() - self._last_periodic >= self.periodic_interval:
            self._last_periodic = time.monotonic()
            try:
                self._once("the periodic pass", self.periodic)
            finally:
                connections.close_all()
        if super().should_run_maintenance_tasks:
            self._once("RQ's maintenance", super().run_maintenance_tasks)

    def execute_job(self, job: Job, queue: Any) -> None:
        # An outage while a job ends (its result or status not written, its row not failed) is not a
        # reason to quit: the job is not run again here, and the periodic pass or the next start-up
        # repairs its row once the outage is over.
        self._once(f"finishing job {job.id}", lambda: self._execute_job(job, queue))

    def _execute_job(self, job: Job, queue: Any) -> None:
        if self.fork_jobs:
            super().execute_job(job, queue)
            return
        execution = self.prepare_execution(job)
        self.perform_job(job, queue, execution)
        self.set_state(WorkerStatus.IDLE)
        # Jobs run here, so close their database connections as a request would.
        connections.close_all()

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        if self.fork_jobs:
            return super().get_heartbeat_ttl(job, working_time)
        # Busy running the job itself, the worker cannot beat in between: cover the whole timeout.
        return SimpleWorker.get_heartbeat_ttl(self, job, working_time)

    def handle_work_horse_killed(self, job: Job, retpid: int, ret_val: int, rusage: Any) -> None:
        """A horse died (killed, out of memory, or past the timeout): its row is failed now, plainly."""
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        for kind in self.kinds:
            row_id = kind.row_id(job)
            if row_id is None:
                continue
            try:
                self.job_abandoned(kind, row_id, job)
            finally:
                # The parent must not keep a connection a later horse would inherit.
                connections.close_all()
