"""How much a person may store: their photos are held to a count and a total size."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

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
            _(
                "Your photo space is full (%(count)s photos, %(size).0f MB; the limit is %(most_count)s photos or "
                "%(most_size).0f MB). Delete photos you no longer need in My photos to make room, then upload again."
            )
            % {
                "count": used["count"],
                "size": (used["size"] or 0) / 1048576,
                "most_count": most_count,
                "most_size": most_bytes / 1048576,
            },
            code="quota",
        )
