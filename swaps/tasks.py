"""RQ entry points. They take ids, re-fetch, tolerate deleted rows and are safe to run twice."""

from __future__ import annotations

import os
from typing import Any


def swap_run_task(task_id: int) -> dict[str, Any]:
    """Run face-swap task `task_id` (see swaps.services.swap_run) and report how it went.

    The report says which process loaded the face models: in a SwapWorker they are loaded once by the
    worker before its first job, so every job reports the worker's pid and a load count of 1.
    """
    from swaps import worker
    from swaps.engine import model_load_count
    from swaps.services import engine_get, swap_run

    engine_get()  # already loaded in a SwapWorker; loads here only when run outside one
    task = swap_run(task_id=task_id)
    return {
        "task_id": task_id,
        "status": task.status if task else None,
        "model_loads": model_load_count(),
        "models_loaded_by_pid": worker.models_loaded_by_pid,
        "job_pid": os.getpid(),
    }
