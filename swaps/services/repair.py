"""Swaps that would otherwise wait forever: stuck ones repaired, and whether the queue answers."""

from __future__ import annotations

from datetime import timedelta

from jobs import stuck_repair

from ..models import RUNNABLE, FaceSwapTask
from .base import SWAP_JOBS
from .fair_use import swap_dispatch, swap_job_finished
from .run import swap_fail

Status = FaceSwapTask.Status


def swaps_requeue_stuck(*, older_than: timedelta) -> dict[str, int]:
    """Repair tasks that would otherwise wait forever; safe to run from cron, and twice.

    - processing, whose job is gone, failed, or whose worker has died, or that started longer ago
      than `older_than` (longer than any job may run): failed with a plain message ("Try again"), and
      its owner's queue slot freed so their next swap starts;
    - pending for longer than `older_than` without a job in the queue (Redis was down at submit):
      queued again.
    """
    return stuck_repair(
        kind=SWAP_JOBS,
        processing=FaceSwapTask.objects.filter(status=Status.PROCESSING),
        pending=FaceSwapTask.objects.filter(RUNNABLE, status=Status.PENDING),
        older_than=older_than,
        fail=_fail_abandoned,
        # Each owner's oldest pending swap goes to the queue (fair queueing), not every pending swap.
        requeue=lambda pending: (
            swap_dispatch(user_id=user_id) for user_id in pending.values_list("user_id", flat=True).distinct()
        ),
    )


def _fail_abandoned(task_id: int) -> bool:
    """Fail a swap whose worker died, and free its owner's queue slot so their next swap starts."""
    if not swap_fail(task_id=task_id, message=SWAP_JOBS.abandoned_error):
        return False
    user_id = FaceSwapTask.objects.filter(pk=task_id).values_list("user_id", flat=True).first()
    swap_job_finished(task_id=task_id, user_id=user_id)
    return True


def swap_queue_reachable() -> bool:
    """Whether the swaps queue (Redis) answers now; a pending swap's page says so when it does not."""
    return SWAP_JOBS.reachable()
