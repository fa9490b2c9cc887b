"""The RQ ground floor both queues share: fixed job ids, enqueueing (on commit), job liveness, stuck-row
repair and the worker base. It imports none of the site's apps: each app describes its kind of job with a
`JobKind` and passes its rows, status values and rules in as arguments.

    SWAP_JOBS = JobKind(name="swap", queue="swaps", task="swaps.tasks.swap_run_task", ...)
    SWAP_JOBS.enqueue_on_commit(task.pk)        # once the row is committed
    SWAP_JOBS.job_is_alive(task.pk)             # a live worker runs it
    stuck_repair(kind=SWAP_JOBS, processing=..., pending=..., older_than=..., fail=...)
    class SwapWorker(JobWorker): kinds = (SWAP_JOBS,) ...
"""

from rq.job import JobStatus

from .kinds import JobKind, is_timeout, pid_running
from .repair import parse_duration, stuck_repair
from .worker import JobWorker

__all__ = ["JobKind", "JobStatus", "JobWorker", "is_timeout", "parse_duration", "pid_running", "stuck_repair"]
