"""Expiry: people's photos are kept for a retention period, then deleted with their files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import Image, ImageType
from ..selectors import image_in_use_q
from .storage import image_file_keys


@dataclass
class PurgeResult:
    deleted: int
    kept_in_use: int
    files: int


def image_purge_expired(*, days: int | None = None, dry_run: bool = False) -> PurgeResult:
    """Delete source photos older than `days` (default UPLOAD_RETENTION_DAYS) that no waiting swap uses.

    Photos used by a pending or processing swap are kept so the swap can finish; swap results are never
    purged (people delete them themselves). Files go after the rows are committed.
    """
    days = settings.UPLOAD_RETENTION_DAYS if days is None else days
    cutoff = timezone.now() - timedelta(days=days)
    in_use = image_in_use_q()
    expired = Image.objects.filter(image_type=ImageType.SOURCE, uploaded_at__lt=cutoff)
    with transaction.atomic():
        kept = expired.filter(in_use).count()
        # Locking the rows makes a swap being created with one of these photos wait for us (and then
        # fail its foreign key check) instead of ending up with a photo that vanished under it.
        doomed = list(expired.exclude(in_use).select_for_update().only("id", "file", "metadata"))
        keys = [key for image in doomed for key in image_file_keys(image)]
        if not dry_run:
            # Each row's files follow it (image_files_follow_row).
            Image.objects.filter(pk__in=[image.pk for image in doomed]).delete()
    return PurgeResult(deleted=len(doomed), kept_in_use=kept, files=len(keys))
