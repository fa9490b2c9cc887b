"""RQ entry points. They take ids, re-fetch, tolerate deleted rows and are safe to run twice."""

from __future__ import annotations

from typing import Any

from swaps.services import swap_run


def swap_run_task(task_id: int) -> dict[str, Any]:
    """Run face-swap task `task_id` (see swaps.services.swap_run); returns its id and final status."""
    task = swap_run(task_id=task_id)
    return {"task_id": task_id, "status": task.status if task else None}
