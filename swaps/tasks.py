"""RQ entry points. They take ids, re-fetch, tolerate deleted rows and are safe to run twice."""

from __future__ import annotations

from typing import Any

from rq import get_current_job

from swaps.services import swap_job_finished, swap_run


def swap_run_task(task_id: int) -> dict[str, Any]:
    """Run face-swap task `task_id` (see swaps.services.swap_run); returns its id and final status.

    However it ends, its owner's next pending swap is queued (fair queueing, swaps.services).
    """
    job = get_current_job()
    try:
        task = swap_run(task_id=task_id)
    finally:
        swap_job_finished(task_id=task_id, user_id=job.meta.get("user_id") if job is not None else None)
    return {"task_id": task_id, "status": task.status if task else None}
