"""Stuck-row repair: a row never stays "processing" after its worker died, nor "pending" off the queue.

Shared by every queue's repair command (cron) and by workers as they start. The app passes its rows
already filtered by its own status values, how to fail one, and (where it queues rows its own way) how
to queue the pending ones again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from .kinds import JobKind

UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    """ "90s", "10m", "2h", "1d" as a timedelta; ValueError with a plain message otherwise."""
    match = re.fullmatch(r"(\d+)([smhd])", (text or "").strip())
    if not match:
        raise ValueError(f"--older-than takes a number and a unit (s, m, h or d), e.g. 10m or 2h; not {text!r}.")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


def _requeue_each(kind: JobKind) -> Callable[[QuerySet], Iterable[bool]]:
    """Queue every pending row that has no job waiting (True for each one queued)."""

    def requeue(pending: QuerySet) -> Iterable[bool]:
        connection = kind.connection()
        for row in pending.only("pk"):
            yield not kind.job_is_waiting(row.pk, connection=connection) and kind.enqueue(row.pk)

    return requeue


def stuck_repair(
    *,
    kind: JobKind,
    processing: QuerySet,
    pending: QuerySet,
    older_than: timedelta,
    fail: Callable[[int], bool],
    requeue: Callable[[QuerySet], Iterable[bool]] | None = None,
) -> dict[str, int]:
    """Repair rows that would otherwise wait forever; safe from cron, twice, and at a worker's start.

    - `processing` rows whose job is gone or failed, whose worker has died (a worker killed on this
      machine is noticed at once), or that started longer ago than `older_than` (longer than any job may
      run): `fail(row_id)` (False when the row had moved on meanwhile);
    - `pending` rows created longer ago than `older_than` (Redis was down when they were asked for):
      queued again by `requeue(rows)`, which yields True for each queueing (default: each row without a
      waiting job is queued).

    The rows need `started_at` and `created_at`. Returns the counts failed, requeued and left alone.
    """
    connection = kind.connection()
    cutoff = timezone.now() - older_than
    counts = {"failed": 0, "requeued": 0, "left": 0}
    for row in processing.only("pk", "started_at"):
        too_old = row.started_at is None or row.started_at < cutoff
        if (too_old or not kind.job_is_alive(row.pk, connection=connection)) and fail(row.pk):
            counts["failed"] += 1
        else:
            counts["left"] += 1
    for queued in (requeue or _requeue_each(kind))(pending.filter(created_at__lt=cutoff)):
        counts["requeued" if queued else "left"] += 1
    return counts
