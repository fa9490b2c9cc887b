"""Reads for the account pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from gallery.models import Image, ImageType
from swaps.models import FaceSwapTask

from .models import User


@dataclass
class AccountSummary:
    photo_count: int
    result_count: int
    swap_count: int
    recent_photos: list[Image]


def account_summary(*, user: User, recent: int = 6) -> AccountSummary:
    """What "My account" shows: counts of photos, results and swaps, and the latest photos."""
    counts = Image.objects.filter(owner=user).aggregate(
        photos=Count("id", filter=Q(image_type=ImageType.SOURCE)),
        results=Count("id", filter=Q(image_type=ImageType.RESULT)),
    )
    recent_photos = list(
        Image.objects.filter(owner=user, image_type=ImageType.SOURCE).order_by("-uploaded_at", "-id")[:recent]
    )
    return AccountSummary(
        photo_count=counts["photos"],
        result_count=counts["results"],
        swap_count=FaceSwapTask.objects.filter(user=user).count(),
        recent_photos=recent_photos,
    )
