"""Fair use and fair queueing: per-person caps, and at most one queued job per person."""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from redis.exceptions import RedisError

from ..models import RUNNABLE, FaceSwapTask
from .base import SWAP_JOBS, SwapError, swap_enqueue

logger = logging.getLogger(__name__)

Status = FaceSwapTask.Status

# Each person has at most one job in the swaps queue: their next swap is queued when the previous one
# ends (or by the worker's periodic pass). One person's flood then delays another's swap by at most the
# one job of theirs already queued, whatever the number of workers. A Redis key per person (the "slot")
# holds the id of their queued task; the conditional claim in swap_run makes a double queueing harmless.

SLOT_KEY = "faceswap:swaps:slot:{user_id}"
# A slot outlives any wait in the queue; one whose job vanished is released by the next swap_dispatch.
SLOT_TTL = 6 * 3600


def _active_swaps(user):
    return FaceSwapTask.objects.filter(user=user, status__in=[Status.PENDING, Status.PROCESSING])


def _typical_swap_seconds() -> float:
    recent = FaceSwapTask.objects.filter(status=Status.COMPLETED, processing_time__isnull=False).order_by(
        "-completed_at"
    )[:20]
    times = [task.processing_time for task in recent]
    return sum(times) / len(times) if times else 15.0


def swap_fair_use_check(*, user, adding: int = 1, most: int | None = None) -> None:
    """SwapError, saying when to try again, when user may not submit `adding` more swaps now.

    At most SWAPS_MAX_ACTIVE_PER_USER swaps waiting or being made (an album may give a larger `most`: its
    swaps are asked for together), and SWAPS_MAX_PER_HOUR started in the last hour. Counted in the
    database, so the limits hold while Redis is down.
    """
    most = settings.SWAPS_MAX_ACTIVE_PER_USER if most is None else most
    active = _active_swaps(user).count()
    if active + adding > most:
        wait = max(10, round(_typical_swap_seconds() * (active + adding - most) / 10) * 10)
        asked = "" if adding == 1 else f" and this asks for {adding} more"
        raise SwapError(
            f"You already have {active} swaps waiting or being made{asked} (the limit is {most} at a time). "
            f"Please try again in about {wait} seconds, when some of them have finished."
        )
    hour_ago = timezone.now() - timedelta(hours=1)
    recent = FaceSwapTask.objects.filter(user=user, created_at__gte=hour_ago).order_by("created_at")
    per_hour = settings.SWAPS_MAX_PER_HOUR
    if recent.count() + adding > per_hour:
        first = recent.first()
        again = timezone.localtime((first.created_at if first else timezone.now()) + timedelta(hours=1))
        raise SwapError(
            f"You have started {recent.count()} swaps in the last hour; {per_hour} is the most we allow. "
            f"Please try again after {again:%H:%M} ({again.tzname()})."
        )


def swap_fair_use_hold(*, user, adding: int = 1, most: int | None = None) -> None:
    """swap_fair_use_check, made atomic: inside the caller's transaction the person's row is locked first
    (SELECT ... FOR UPDATE), so concurrent submits by one person are counted one after the other and the
    caps hold exactly; the lock is held until the caller's new swaps are committed."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()
    swap_fair_use_check(user=user, adding=adding, most=most)


def swap_dispatch(*, user_id: int) -> bool:
    """Queue the owner's oldest pending swap unless one of theirs is already queued; True if it queued one.

    A slot whose task is no longer waiting in the queue (its job was lost with Redis, or its worker
    died) is released first. False when nothing was queued: the slot is taken, nothing is pending, or
    Redis is down (logged; the worker's periodic pass tries again).
    """
    try:
        connection = SWAP_JOBS.connection()
        key = SLOT_KEY.format(user_id=user_id)
        holder = connection.get(key)
        if holder is not None:
            if SWAP_JOBS.job_is_waiting(int(holder), connection=connection):
                return False
            connection.delete(key)
        # A swap waiting for the partner's agreement is not queued (consent_agree queues it).
        task = (
            FaceSwapTask.objects.filter(RUNNABLE, user_id=user_id, status=Status.PENDING)
            .order_by("created_at", "pk")
            .first()
        )
        if task is None or not connection.set(key, task.pk, nx=True, ex=SLOT_TTL):
            return False
    except RedisError as exc:
        logger.warning("Could not queue user %s's swap (queue unreachable: %s); it stays pending", user_id, exc)
        return False
    if not swap_enqueue(task_id=task.pk, user_id=user_id):
        with contextlib.suppress(RedisError):
            connection.delete(key)
        return False
    return True


def swap_job_finished(*, task_id: int, user_id: int | None) -> None:
    """A swap job ended (done, failed, deleted, killed): free its owner's slot and queue their next swap."""
    if user_id is None:
        return
    try:
        connection = SWAP_JOBS.connection()
        key = SLOT_KEY.format(user_id=user_id)
        if connection.get(key) in (str(task_id).encode(), str(task_id)):
            connection.delete(key)
    except RedisError as exc:
        logger.warning("Could not free user %s's queue slot: %s", user_id, exc)
        return
    swap_dispatch(user_id=user_id)


def swaps_dispatch_pending() -> int:
    """Queue every person's next pending swap that is not in the queue; how many were queued.

    Run by the worker every few seconds (swaps/worker.py), so swaps submitted while Redis was down start
    within a minute of it coming back. Idempotent: the conditional claim in swap_run runs a task once
    however often it was queued.
    """
    queued = 0
    waiting = FaceSwapTask.objects.filter(RUNNABLE, status=Status.PENDING)
    for user_id in waiting.values_list("user_id", flat=True).distinct():
        queued += swap_dispatch(user_id=user_id)
    if queued:
        logger.info("Queued %d pending swap(s)", queued)
    return queued
