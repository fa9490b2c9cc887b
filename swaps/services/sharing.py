"""Share links: a finished swap's result shown to anyone holding the link, until it expires or is revoked."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from ..models import FaceSwapTask, ShareLink
from .base import SwapError

Status = FaceSwapTask.Status

# How long a share link may live, in days: the owner picks one.
SHARE_DAYS = (1, 7, 30)


def share_create(*, user, task: FaceSwapTask, days: int, badge: bool = False) -> ShareLink:
    """A new link showing this finished swap's result to anyone who has it, for `days` days.

    The token carries 192 random bits (secrets.token_urlsafe(24)), so links cannot be guessed.
    """
    if task.user_id != user.pk:
        raise SwapError(gettext("Only the owner of a swap can share it."))
    if task.status != Status.COMPLETED or task.result_image_id is None or task.deleted_at is not None:
        raise SwapError(gettext("Only a finished swap can be shared."))
    if days not in SHARE_DAYS:
        raise SwapError(gettext("Choose how long the link works: 1 day, 7 days or 30 days."))
    most = settings.SHARE_LINKS_MAX_PER_SWAP
    with transaction.atomic():
        # The swap's row locked first: concurrent creates are counted one after the other.
        FaceSwapTask.objects.select_for_update().filter(pk=task.pk).values_list("pk", flat=True).first()
        now = timezone.now()
        live = ShareLink.objects.filter(task=task, revoked_at__isnull=True, expires_at__gt=now).count()
        if live >= most:
            raise SwapError(
                gettext(
                    "This swap already has %(live)d working links (the most is %(most)d). Stop one you no "
                    "longer need, then make a new one."
                )
                % {"live": live, "most": most}
            )
        return ShareLink.objects.create(
            task=task,
            token=secrets.token_urlsafe(24),
            created_at=now,
            expires_at=now + timedelta(days=days),
            badge=badge,
        )


def share_revoke_all(*, task: FaceSwapTask) -> int:
    """Stop every link of a swap at once (it went to the trash: restoring it does not bring them back)."""
    return ShareLink.objects.filter(task=task, revoked_at__isnull=True).update(revoked_at=timezone.now())


def share_revoke(*, link: ShareLink) -> ShareLink:
    """Stop a link at once (it answers 404 from now on)."""
    ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    link.refresh_from_db()
    return link


def share_count_view(*, link: ShareLink) -> None:
    """Count one view of a shared page."""
    ShareLink.objects.filter(pk=link.pk).update(view_count=F("view_count") + 1)
