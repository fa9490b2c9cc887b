"""Share links: a finished swap's result shown to anyone holding the link, until it expires or is revoked."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from ..models import FaceSwapTask, ShareLink
from .base import SwapError

Status = FaceSwapTask.Status

# How long a share link may live, in days: the owner picks one.
SHARE_DAYS = (1, 7, 30)


def share_create(*, user, task: FaceSwapTask, days: int) -> ShareLink:
    """A new link showing this finished swap's result to anyone who has it, for `days` days.

    The token carries 192 random bits (secrets.token_urlsafe(24)), so links cannot be guessed.
    """
    if task.user_id != user.pk:
        raise SwapError("Only the owner of a swap can share it.")
    if task.status != Status.COMPLETED or task.result_image_id is None or task.deleted_at is not None:
        raise SwapError("Only a finished swap can be shared.")
    if days not in SHARE_DAYS:
        raise SwapError("Choose how long the link works: 1 day, 7 days or 30 days.")
    now = timezone.now()
    return ShareLink.objects.create(
        task=task, token=secrets.token_urlsafe(24), created_at=now, expires_at=now + timedelta(days=days)
    )


def share_revoke(*, link: ShareLink) -> ShareLink:
    """Stop a link at once (it answers 404 from now on)."""
    ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    link.refresh_from_db()
    return link


def share_count_view(*, link: ShareLink) -> None:
    """Count one view of a shared page."""
    ShareLink.objects.filter(pk=link.pk).update(view_count=F("view_count") + 1)
