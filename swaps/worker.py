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
from datetime import timedelta

from django.conf import settings
from rq.job import Job

from faceengine import Engine, model_load_count
from jobs import JobKind, JobWorker
from swaps.services import (
    SWAP_JOBS,
    consents_expire,
    engine_get,
    swap_fail,
    swap_job_finished,
    swaps_dispatch_pending,
    swaps_requeue_stuck,
)
from templates.own_services import OWN_FACES_JOBS, own_faces_fail

logger = logging.getLogger(__name__)


def preload_models() -> Engine:
    """Load this process's face engine now (the engine logs the load), and pay the job's own one-time
    costs (warm_job_path); returns it."""
    started = time.perf_counter()
    engine = engine_get()
    engine.warm_up()
    warm_job_path()
    logger.info(
        "Face engine %r ready in %.2f s (model loads in this process: %d)",
        engine.name,
        time.perf_counter() - started,
        model_load_count(),
    )
    return engine


def warm_job_path() -> None:
    """What a swap job would otherwise do for the first time in every forked work horse, and lose when
    the horse exits: Pillow's format plugins (imported on a picture's first open or save) and the C2PA
    signing key and chain (read from settings or files). Nothing here starts a thread."""
    from PIL import Image as PILImage

    from swaps.provenance import signing

    PILImage.init()
    signing.signer_warm_up()


def swaps_repair() -> dict[str, int]:
    """Swaps a dead worker left: processing ones whose job or worker is gone failed (the person can try
    again), pending ones off the queue queued again; and swaps waiting for a partner whose invitation
    expired unanswered ended (consents_expire), so none waits forever."""
    counts = swaps_requeue_stuck(older_than=timedelta(seconds=settings.SWAP_JOB_TIMEOUT + 60))
    if counts["failed"] or counts["requeued"]:
        logger.info("Swaps left behind: %(failed)d failed, %(requeued)d queued again", counts)
    expired = consents_expire()
    return {**counts, "invitations_expired": expired["expired"]}


class SwapWorker(JobWorker):
    """The swaps queue's worker: face models loaded once, before the first job (see the module docstring).
    Before its first job and every periodic_interval it fails the swaps a dead worker left processing
    (its job or worker gone: killed with its horse, out of memory, machine restarted) and queues the
    pending swaps that are not in the queue (swaps_dispatch_pending), so swaps submitted while Redis was
    down start soon after it is back and nobody's next swap waits behind a dead one."""

    # The face searches of people's own templates share the queue (and the loaded models).
    kinds = (SWAP_JOBS, OWN_FACES_JOBS)
    periodic_interval = 15.0

    def startup(self) -> None:
        if SWAP_JOBS.queue in self.queue_names():
            engine = preload_models()
            self.fork_jobs = getattr(engine, "fork_safe", True)
            logger.info("Swap jobs run %s", "in forked work horses" if self.fork_jobs else "in the worker process")
            swaps_repair()

    def periodic(self) -> None:
        if SWAP_JOBS.queue in self.queue_names():
            swaps_repair()
        swaps_dispatch_pending()

    def job_abandoned(self, kind: JobKind, row_id: int, job: Job) -> None:
        if kind is OWN_FACES_JOBS:
            own_faces_fail(template_id=row_id, message=kind.abandoned_error)
            return
        swap_fail(task_id=row_id, message=kind.abandoned_error)
        swap_job_finished(task_id=row_id, user_id=job.meta.get("user_id"))
