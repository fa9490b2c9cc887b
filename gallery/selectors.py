"""Reads for images."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Image, ImageType


def image_list_for_owner(*, owner, image_type: str = ImageType.SOURCE) -> QuerySet[Image]:
    """An owner's images of one type, newest first (the 'My photos' list)."""
    return Image.objects.filter(owner=owner, image_type=image_type).order_by("-uploaded_at", "-id")


def image_find_duplicate(*, owner, sha256: str, image_type: str = ImageType.SOURCE, exclude_pk=None) -> Image | None:
    """The owner's earlier image with the same stored bytes (the same photo uploaded again), if any."""
    if not sha256:
        return None
    images = Image.objects.filter(owner=owner, image_type=image_type, metadata__sha256=sha256)
    if exclude_pk is not None:
        images = images.exclude(pk=exclude_pk)
    return images.order_by("uploaded_at", "id").first()


def image_waiting_swap_count(*, image: Image) -> int:
    """How many pending or processing swaps use this photo (it must stay until they finish)."""
    from swaps.models import FaceSwapTask

    return FaceSwapTask.objects.filter(
        Q(husband_image=image) | Q(wife_image=image),
        status__in=[FaceSwapTask.Status.PENDING, FaceSwapTask.Status.PROCESSING],
    ).count()


def user_can_view_image(*, user, image: Image) -> bool:
    """Template images are public; people's photos and results only for their owner and staff."""
    if not image.is_private:
        return True
    if not user.is_authenticated:
        return False
    return user.is_staff or (image.owner_id is not None and image.owner_id == user.pk)
