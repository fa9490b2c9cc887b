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
- no database connection opened in the parent is ever inherited by a forked work horse.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import connections
from rq.job import Job
from rq.worker import SimpleWorker, Worker, WorkerStatus

from .kinds import JobKind

logger = logging.getLogger(__name__)


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

    # --- RQ's hooks ---

    def work(self, *args: Any, **kwargs: Any) -> bool:
        try:
            self.startup()
        finally:
            # Nothing the parent opened may be shared with a forked horse.
            connections.close_all()
        return super().work(*args, **kwargs)

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
        """RQ's own maintenance when due, and every periodic_interval the subclass's periodic()."""
        if self.periodic_interval is not None and time.monotonic() - self._last_periodic >= self.periodic_interval:
            self._last_periodic = time.monotonic()
            try:
                self.periodic()
            finally:
                connections.close_all()
        if super().should_run_maintenance_tasks:
            super().run_maintenance_tasks()

    def execute_job(self, job: Job, queue: Any) -> None:
        if self.fork_jobs:
            return super().execute_job(job, queue)
        execution = self.prepare_execution(job)
        self.perform_job(job, queue, execution)
        self.set_state(WorkerStatus.IDLE)
        # Jobs run here, so close their database connections as a request would.
        connections.close_all()
        return None

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
