"""Making a swap in the worker: claim it exactly once, swap, save the result; fail and retry."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from faceengine import ROLES, EngineError, swap_couple
from gallery.models import ImageType
from gallery.services import image_delete, image_store_generated
from jobs import is_timeout
from templates.services import template_count_use

from .. import provenance, push
from ..models import PHASES, STEPS, FaceSwapTask, PartnerConsent
from .base import SWAP_JOBS, SwapError, engine_get
from .fair_use import swap_dispatch
from .photos import read_image, read_picture
from .submit import template_faces_for_swap

logger = logging.getLogger(__name__)

Status = FaceSwapTask.Status
# Progress (percent) reported at the start of each step of a run.
PROGRESS = {step.name: step.progress for step in STEPS}


# Steps that begin a phase the page lists are also written to the task's row (what a page opened later, or
# one reading the status every 2 s, sees); the others are only pushed to the open pages. So a run writes its
# progress three times between the claim and the result (husband, wife, saving), not five.
WRITTEN_STEPS = frozenset(
    step.name for step in STEPS if step.progress in {phase.progress for phase in PHASES} - {5, 100}
)


def _set_progress(task_id: int, step: str, album_id: int | None = None) -> None:
    if step in WRITTEN_STEPS and not FaceSwapTask.objects.filter(pk=task_id, status=Status.PROCESSING).update(
        progress=PROGRESS[step]
    ):
        return  # failed, finished or deleted meanwhile: nothing to tell
    push.swap_status_publish(task_id=task_id, album_id=album_id, status=Status.PROCESSING, progress=PROGRESS[step])


def swap_run(*, task_id: int) -> FaceSwapTask | None:
    """Run one task: claim it (pending -> processing, exactly once), swap, save the result.

    Returns the finished task, or None when there was nothing to do (deleted, already claimed, not
    pending). A problem with the photos or the template fails the task with the engine's plain message;
    anything unexpected fails it with a generic message, is logged, and is raised again for RQ's records.
    """
    started = timezone.now()
    # Never before the partner agreed to their face being used, however the job got queued. On the row's
    # own column (no join): a join would turn the UPDATE into "id IN (subquery)", and PostgreSQL would then
    # not recheck the status after waiting on the row lock, so two runners could both claim it.
    agreed = PartnerConsent.objects.filter(status=PartnerConsent.Status.AGREED).values("pk")
    runnable = Q(consent_id__isnull=True) | Q(consent_id__in=agreed)
    claimed = FaceSwapTask.objects.filter(runnable, pk=task_id, status=Status.PENDING).update(
        status=Status.PROCESSING, started_at=started, progress=PROGRESS["claimed"], error_message=None
    )
    if not claimed:
        logger.info("Swap task %s: nothing to do (deleted, or not pending)", task_id)
        return None
    clock = time.perf_counter()
    try:
        task = FaceSwapTask.objects.select_related("template__image", "husband_image", "wife_image", "user").get(
            pk=task_id
        )
        push.swap_status_publish(
            task_id=task_id, album_id=task.album_id, status=Status.PROCESSING, progress=PROGRESS["claimed"]
        )
        result, report, template_bytes = _swap(task)
        _set_progress(task_id, "saving", task.album_id)
        return _complete(task, result, report, template_bytes, clock=clock)
    except FaceSwapTask.DoesNotExist:
        logger.info("Swap task %s was deleted while it ran", task_id)
        return None
    except Exception as exc:
        if not FaceSwapTask.objects.filter(pk=task_id).exists():
            # Deleted while it ran (its owner deleted the swap or the whole account): nothing to report;
            # what it stored on the way was removed with it or by image_store's own clean-up.
            logger.info("Swap task %s was deleted while it ran (%s)", task_id, type(exc).__name__)
            return None
        if isinstance(exc, EngineError | SwapError):
            swap_fail(task_id=task_id, message=exc.message, seconds=time.perf_counter() - clock)
            return FaceSwapTask.objects.get(pk=task_id)
        if not is_timeout(exc):
            logger.exception("Swap task %s failed unexpectedly", task_id)
        swap_fail(task_id=task_id, message=SWAP_JOBS.error_for(exc), seconds=time.perf_counter() - clock)
        raise


def _swap(task: FaceSwapTask) -> tuple[Any, dict, bytes]:
    """The engine's result and report, and the template's file (its bytes sign the result)."""
    _set_progress(task.pk, "loading", task.album_id)
    if task.template is None or task.template.image is None:
        raise SwapError(_("This template is no longer available. Please pick another."))
    started = time.perf_counter()
    template_faces = template_faces_for_swap(task.template)
    # A transparent template gives a transparent result (the engine paints only where it is opaque).
    template, template_bytes = read_picture(task.template.image, "template", keep_alpha=True)
    husband = read_image(task.husband_image, "photo of you")
    wife = read_image(task.wife_image, "photo of your partner")
    read = time.perf_counter() - started
    result, report = swap_couple(
        template,
        template_faces,
        husband,
        wife,
        engine=engine_get(),
        progress=lambda stage: _set_progress(task.pk, stage, task.album_id),
        source_faces={role: task.source_face(role) for role in ROLES},
    )
    # Where the job's time goes outside the engine (make bench-worker): kept with the result's report.
    report["job_seconds"] = {"read": round(read, 4)}
    return result, report, template_bytes


def _complete(task: FaceSwapTask, result, report: dict, template_bytes: bytes, *, clock: float) -> FaceSwapTask:
    """Store the result and finish the task; its processing_time runs from the claim (`clock`, a
    perf_counter reading) until the result is stored, which is what its owner waited for."""
    started = time.perf_counter()
    # The invisible mark goes into the pixels, then the signed manifest into the encoded file.
    picture = provenance.result_mark(result, task=task)
    # Where the job's time goes (make bench-worker), stored with the report: claim -> swapped, the mark.
    timings = report.setdefault("job_seconds", {})
    timings["swapped"] = round(started - clock, 4)
    timings["mark"] = round(time.perf_counter() - started, 4)
    image = image_store_generated(
        owner=task.user,
        picture=picture,
        image_type=ImageType.RESULT,
        category=task.template.category,
        # An RGBA result (from a transparent template) is stored as a PNG with its alpha.
        filename=f"swap-{task.pk}.png" if result.ndim == 3 and result.shape[2] == 4 else f"swap-{task.pk}.jpg",
        seal=provenance.result_sealer(task=task, template_bytes=template_bytes),
        metadata={"swap": {**report, "task": task.pk}},
    )
    try:
        with transaction.atomic():
            done = FaceSwapTask.objects.filter(pk=task.pk, status=Status.PROCESSING).update(
                status=Status.COMPLETED,
                progress=PROGRESS["done"],
                result_image=image,
                processing_time=time.perf_counter() - clock,
                completed_at=timezone.now(),
                error_message=None,
            )
            if done:
                template_count_use(template_id=task.template_id)
    except BaseException:
        # Stopped half-way (e.g. the job timeout fired): no result file without a task pointing at it.
        image_delete(image=image)
        raise
    if not done:
        # The task was failed or deleted meanwhile (e.g. by requeue_stuck_tasks): keep no orphan file.
        image_delete(image=image)
        return FaceSwapTask.objects.filter(pk=task.pk).first()
    push.swap_status_publish(
        task_id=task.pk, album_id=task.album_id, status=Status.COMPLETED, progress=PROGRESS["done"]
    )
    task.refresh_from_db()
    return task


def swap_fail(*, task_id: int, message: str, seconds: float | None = None) -> bool:
    """Mark a pending or processing task failed with a message for its owner; False if it was not."""
    fields: dict[str, Any] = {"status": Status.FAILED, "error_message": message, "completed_at": timezone.now()}
    if seconds is not None:
        fields["processing_time"] = seconds
    failed = FaceSwapTask.objects.filter(pk=task_id, status__in=[Status.PENDING, Status.PROCESSING]).update(**fields)
    if failed:
        album_id = FaceSwapTask.objects.filter(pk=task_id).values_list("album_id", flat=True).first()
        transaction.on_commit(
            lambda: push.swap_status_publish(
                task_id=task_id, album_id=album_id, status=Status.FAILED, progress=0, error_message=message
            )
        )
    return bool(failed)


@transaction.atomic
def swap_retry(*, task: FaceSwapTask) -> FaceSwapTask:
    """Send a failed task back to the queue with the same template and photos."""
    if task.status != Status.FAILED:
        raise SwapError(_("Only a failed swap can be tried again."))
    if task.template is None or not task.template.usable_by(task.user):
        raise SwapError(_("This template is no longer available. Please pick another."))
    if task.consent_id is not None and task.consent.status != PartnerConsent.Status.AGREED:
        # Run again, it would wait for an answer that cannot come: a new invitation is asked for instead.
        raise SwapError(_("Your partner did not answer in time: invite them again."))
    if task.husband_image_id is None or task.wife_image_id is None:
        raise SwapError(_("One of the photos of this swap was deleted. Please start a new swap."))
    reset = FaceSwapTask.objects.filter(pk=task.pk, status=Status.FAILED).update(
        status=Status.PENDING,
        progress=0,
        error_message=None,
        started_at=None,
        completed_at=None,
        processing_time=None,
    )
    if reset:
        transaction.on_commit(lambda: SWAP_JOBS.job_delete(task.pk))
        transaction.on_commit(lambda: swap_dispatch(user_id=task.user_id))
    task.refresh_from_db()
    return task
