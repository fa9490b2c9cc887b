"""How much a person may store: their photos are held to a count and a total size."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from ..models import Image, ImageType


def image_quota_check(*, owner, adding: int) -> None:
    """ValidationError (code "quota") when one more photo of `adding` bytes would pass the owner's quota
    (PHOTO_QUOTA_COUNT photos, PHOTO_QUOTA_BYTES in all; own templates count as photos), saying how to
    make room."""
    # A person's own templates (their scenes) count as photos: both are pictures they keep with us.
    used = Image.objects.filter(owner=owner, image_type__in=(ImageType.SOURCE, ImageType.TEMPLATE)).aggregate(
        count=models.Count("pk"), size=models.Sum("file_size")
    )
    most_count, most_bytes = settings.PHOTO_QUOTA_COUNT, settings.PHOTO_QUOTA_BYTES
    if used["count"] + 1 > most_count or (used["size"] or 0) + adding > most_bytes:
        raise ValidationError(
            f"Your photo space is full ({used['count']} photos, {(used['size'] or 0) / 1048576:.0f} MB; the limit "
            f"is {most_count} photos or {most_bytes / 1048576:.0f} MB). Delete photos you no longer need in "
            "My photos to make room, then upload again.",
            code="quota",
        )
