"""Deleting swaps: to the trash (restorable), back out of it, and for good."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gallery.services import image_delete
from templates.models import Template

from ..models import FaceSwapTask
from .base import SWAP_JOBS, SwapError
from .run import swap_fail
from .sharing import share_revoke_all

Status = FaceSwapTask.Status

# How long a deleted swap waits in its owner's trash before it is deleted for good.
TRASH_DAYS = 30


def swap_trash(*, task: FaceSwapTask) -> FaceSwapTask:
    """Move a finished (or waiting) swap to its owner's trash: hidden from My swaps, restorable for
    TRASH_DAYS. A waiting swap is failed first, so no worker makes it meanwhile."""
    if task.status == Status.PROCESSING:
        raise SwapError(_("This swap is being made right now; you can delete it once it has finished."))
    swap_fail(task_id=task.pk, message="Deleted before it was made.")
    FaceSwapTask.objects.filter(pk=task.pk, deleted_at__isnull=True).update(deleted_at=timezone.now())
    share_revoke_all(task=task)
    task.refresh_from_db()
    return task


def swap_restore(*, task: FaceSwapTask) -> FaceSwapTask:
    """Take a swap back out of the trash (its share links stay stopped: the owner makes new ones)."""
    FaceSwapTask.objects.filter(pk=task.pk).update(deleted_at=None)
    task.refresh_from_db()
    return task


def swaps_empty_trash(*, days: int = TRASH_DAYS) -> int:
    """Delete for good the swaps (and their results) that have been in the trash longer than `days`."""
    old = FaceSwapTask.objects.filter(deleted_at__lt=timezone.now() - timedelta(days=days)).select_related(
        "result_image"
    )
    count = 0
    for task in old:
        swap_delete(task=task)
        count += 1
    return count


def swap_delete(*, task: FaceSwapTask) -> None:
    """Delete a task and its result image (file included) for good. Source photos stay in My photos."""
    if task.status == Status.PROCESSING:
        raise SwapError(_("This swap is being made right now; you can delete it once it has finished."))
    task_id, result = task.pk, task.result_image
    with transaction.atomic():
        task.delete()
        if result is not None:
            image_delete(image=result)
    SWAP_JOBS.job_delete(task_id)


def swaps_delete_for_template(template: Template) -> int:
    """Delete a person's swaps made with one of their own templates (they deleted it and chose so);
    the number deleted. Swaps being made right now are left."""
    tasks = FaceSwapTask.objects.filter(template=template, user_id=template.owner_id).exclude(status=Status.PROCESSING)
    deleted = 0
    for task in tasks.select_related("result_image"):
        swap_delete(task=task)
        deleted += 1
    return deleted


def swap_trash_empty(*, user) -> int:
    """Delete every swap in the user's trash for good (each as swap_delete does); how many were deleted.
    Swaps being made right now are left."""
    tasks = FaceSwapTask.objects.filter(user=user, deleted_at__isnull=False).exclude(status=Status.PROCESSING)
    count = 0
    for task in tasks.select_related("result_image"):
        swap_delete(task=task)
        count += 1
    return count
