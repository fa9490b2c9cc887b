"""Swaps that would otherwise wait forever: stuck ones repaired, those whose partner never answered ended,
and whether the queue answers."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from gallery.models import Image, ImageType
from gallery.services import image_delete
from jobs import stuck_repair

from ..models import RUNNABLE, FaceSwapTask, PartnerConsent
from .base import SWAP_JOBS
from .consent import tell_holder
from .fair_use import swap_dispatch, swap_job_finished
from .run import swap_fail

logger = logging.getLogger(__name__)

Status = FaceSwapTask.Status
ConsentStatus = PartnerConsent.Status


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


# The ended swap's message, stored in English like the worker's (the page translates it: error_message_shown).
PARTNER_NO_ANSWER = gettext_noop(
    "Your partner did not answer in time: the invitation expired, nothing was made and their photo was deleted."
)


def consents_expire(*, now=None) -> dict[str, int]:
    """The maintenance pass for invitations nobody answered: each one still waiting past its expiry is
    marked expired, its waiting swaps end (failed, PARTNER_NO_ANSWER: the pages say so and offer to invite
    again), and the partner's photo and its face's descriptor (never agreed to) are deleted, unless a swap
    still running or another invitation in force uses that photo. The holder is told by e-mail. Safe to
    run from cron, twice, and from several workers at once (each invitation is claimed by one conditional
    update). Returns {"expired": invitations, "ended": swaps, "photos": photos deleted}."""
    now = now or timezone.now()
    counts = {"expired": 0, "ended": 0, "photos": 0}
    due = PartnerConsent.objects.filter(status=ConsentStatus.WAITING, expires_at__lte=now).values_list("pk", flat=True)
    for pk in list(due[:500]):
        with transaction.atomic():
            claimed = PartnerConsent.objects.filter(pk=pk, status=ConsentStatus.WAITING, expires_at__lte=now).update(
                status=ConsentStatus.EXPIRED, token=None, decided_at=now
            )
            if not claimed:
                continue  # answered or renewed meanwhile, or another pass took it
            consent = PartnerConsent.objects.select_related("user", "photo").get(pk=pk)
            tasks = list(
                FaceSwapTask.objects.filter(consent=consent, status=Status.PENDING).select_related("wife_image")
            )
            ended = []
            for task in tasks:
                if swap_fail(task_id=task.pk, message=PARTNER_NO_ANSWER):
                    ended.append(task.pk)
                    # The partner's face as picked (box, landmarks) goes with their photo.
                    faces = {role: entry for role, entry in (task.source_faces or {}).items() if role != "wife"}
                    FaceSwapTask.objects.filter(pk=task.pk).update(source_faces=faces)
            photos = {consent.photo} | {task.wife_image for task in tasks}
            photos = {p for p in photos if p is not None and p.owner_id == consent.user_id}
            deleted = 0
            for photo in photos:
                if photo.image_type == ImageType.SOURCE and not _photo_needed_elsewhere(photo, consent):
                    image_delete(image=photo)
                    deleted += 1
            PartnerConsent.objects.filter(pk=pk).update(
                photo=None,
                descriptor=[],
                face_box=[],
                removed={"tasks": ended, "pictures": 0, "photos": deleted, "by": "expired"},
            )
            consent.refresh_from_db()
            transaction.on_commit(lambda consent=consent: tell_holder(consent, pictures=0, by="expired"))
        counts["expired"] += 1
        counts["ended"] += len(ended)
        counts["photos"] += deleted
    if counts["expired"]:
        logger.info("Partner invitations expired unanswered: %(expired)d (%(ended)d swaps ended)", counts)
    return counts


def _photo_needed_elsewhere(photo: Image, consent: PartnerConsent) -> bool:
    """Whether another invitation in force (waiting or agreed) names this photo, or a swap that is not part
    of this invitation still waits for it or is being made with it."""
    other_consents = PartnerConsent.objects.filter(
        photo=photo, status__in=[ConsentStatus.WAITING, ConsentStatus.AGREED]
    ).exclude(pk=consent.pk)
    busy = FaceSwapTask.objects.filter(
        Q(husband_image=photo) | Q(wife_image=photo),
        status__in=[Status.PENDING, Status.PROCESSING],
    ).exclude(consent=consent)
    return other_consents.exists() or busy.exists()
