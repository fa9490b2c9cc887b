"""The RQ worker for swap jobs: face models are loaded once per worker process, before the first job.

RQ forks a work horse per job by default. Forking is only safe when nothing in the parent has started
threads the child would need: dlib's models (the classic engine) are plain memory, so this worker loads
them in the parent before any fork and every horse inherits them, already loaded (copy-on-write), while
RQ keeps enforcing the job timeout and isolating crashes. The parent also pays the first swap's one-time
costs (`Engine.warm_up`: imports and lookup tables, no threads), which every horse would otherwise pay
again: that halves a job's time (`make bench`, end-to-end section). onnxruntime (the insightface engine) starts
thread pools when a session is made, which a forked child cannot use safely, so with that engine the
worker does not fork and runs jobs in its own process, like rq's SimpleWorker, where the job timeout
is still enforced (SIGALRM death penalty in perform_job).
"""

from __future__ import annotations

import logging
import time

from django.db import connections
from rq.worker import SimpleWorker, Worker, WorkerStatus

from faceengine import Engine, model_load_count
from swaps.services import ABANDONED_ERROR, SWAP_TASK, engine_get, swap_fail, swap_job_finished, swaps_dispatch_pending

logger = logging.getLogger(__name__)


def preload_models() -> Engine:
    """Load this process's face engine now (the engine logs the load); returns it."""
    started = time.perf_counter()
    engine = engine_get()
    engine.warm_up()
    logger.info(
        "Face engine %r ready in %.2f s (model loads in this process: %d)",
        engine.name,
        time.perf_counter() - started,
        model_load_count(),
    )
    return engine


class SwapWorker(Worker):
    """A Worker that loads the face models once, before its first job (see the module docstring)."""

    fork_jobs = True
    # While Redis is down, retry at least this often (RQ's default backs off to 60 s), so swaps submitted
    # meanwhile start within a minute of it coming back.
    max_connection_wait_time = 10.0
    # How often pending swaps that are not in the queue are queued (see swaps_dispatch_pending).
    dispatch_interval = 15.0
    _last_dispatch = float("-inf")

    @property
    def dequeue_timeout(self) -> int:
        # Wake up from waiting on an empty queue in time for the next dispatch pass.
        return int(self.dispatch_interval)

    @property
    def should_run_maintenance_tasks(self) -> bool:
        return True

    def run_maintenance_tasks(self) -> None:
        """RQ's own maintenance when due, and every dispatch_interval the pass over pending swaps."""
        if time.monotonic() - self._last_dispatch >= self.dispatch_interval:
            self._last_dispatch = time.monotonic()
            swaps_dispatch_pending()
            # Nothing the parent opened may be shared with a forked horse.
            connections.close_all()
        if super().should_run_maintenance_tasks:
            super().run_maintenance_tasks()

    def work(self, *args, **kwargs):
        if "swaps" in self.queue_names():
            engine = preload_models()
            self.fork_jobs = getattr(engine, "fork_safe", True)
            logger.info("Swap jobs run %s", "in forked work horses" if self.fork_jobs else "in the worker process")
        # Nothing the parent opened may be shared with a forked horse.
        connections.close_all()
        return super().work(*args, **kwargs)

    def execute_job(self, job, queue):
        if self.fork_jobs:
            return super().execute_job(job, queue)
        execution = self.prepare_execution(job)
        self.perform_job(job, queue, execution)
        self.set_state(WorkerStatus.IDLE)
        # Jobs run here, so close their database connections as a request would.
        connections.close_all()

    def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
        if self.fork_jobs:
            return super().get_heartbeat_ttl(job, working_time)
        # Busy running the job itself, the worker cannot beat in between: cover the whole timeout.
        return SimpleWorker.get_heartbeat_ttl(self, job, working_time)

    def handle_work_horse_killed(self, job, retpid, ret_val, rusage):
        """A horse died (killed, out of memory, or past the timeout): fail its task now, plainly."""
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        if job.func_name == SWAP_TASK and job.args:
            try:
                swap_fail(task_id=int(job.args[0]), message=ABANDONED_ERROR)
                swap_job_finished(task_id=int(job.args[0]), user_id=job.meta.get("user_id"))
            finally:
                # The parent must not keep a connection a later horse would inherit.
                connections.close_all()
