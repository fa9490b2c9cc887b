"""Reads for images."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Count, Exists, Q, QuerySet
from django.urls import reverse

from .models import Image, ImageType

# Conditions under which another app still needs an image (a photo used by a swap that has not finished).
# Gallery imports no higher app: those apps register a condition here from their AppConfig.ready. Each is
# a callable returning an expression over Image rows (e.g. Exists(... OuterRef("pk") ...)).
_IN_USE_CONDITIONS: list[Callable[[], Exists | Q]] = []


# Who else may see a private image besides its owner and staff (a partner who agreed sees the couple's
# results made with their face): registered the same way, each a callable taking the user and returning a
# filter over Image rows that user may also see.
_VIEWER_CONDITIONS: list[Callable[[object], Q]] = []


def image_viewer_register(condition: Callable[[object], Q]) -> None:
    """Register who else may see private images: `condition(user)` filters the Image rows `user` may see."""
    if condition not in _VIEWER_CONDITIONS:
        _VIEWER_CONDITIONS.append(condition)


def image_in_use_register(condition: Callable[[], Exists | Q]) -> None:
    """Register a condition that keeps an image from being deleted or purged while it holds."""
    if condition not in _IN_USE_CONDITIONS:
        _IN_USE_CONDITIONS.append(condition)


def image_in_use_q() -> Q:
    """A filter matching images some other app still needs (matches nothing when none registered)."""
    q = Q(pk__in=[])
    for condition in _IN_USE_CONDITIONS:
        q |= Q(condition())
    return q


def image_list_for_owner(*, owner, image_type: str = ImageType.SOURCE) -> QuerySet[Image]:
    """An owner's images of one type, newest first (the 'My photos' list)."""
    return Image.objects.filter(owner=owner, image_type=image_type).order_by("-uploaded_at", "-id")


# Perceptual hashes at most this many bits apart (of 64), on pictures of the same shape, are one picture:
# a HEIC and its JPEG differ by 0-2 bits; two different shots of a couple by far more.
PHASH_SAME_PICTURE_BITS = 4
# The same picture from another format keeps its mean colour within a few levels (8-bit, per channel).
PHASH_SAME_COLOUR = 8


def _same_shape(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return bool(a[1] and b[1]) and abs(a[0] / a[1] - b[0] / b[1]) < 0.01


def image_find_duplicate(
    *,
    owner,
    sha256: str,
    image_type: str = ImageType.SOURCE,
    exclude_pk=None,
    phash: str = "",
    size: tuple[int, int] | None = None,
) -> Image | None:
    """The owner's earlier image with the same stored bytes, or uploaded from the same bytes (the same
    photo sent again: `sha256` of the upload as sent or of its clean copy), if any; with `phash` and
    `size`, also the same picture stored from another format (a perceptual hash within
    PHASH_SAME_PICTURE_BITS on a picture of the same shape: an iPhone's HEIC and its JPEG)."""
    if not sha256:
        return None
    images = Image.objects.filter(owner=owner, image_type=image_type)
    if exclude_pk is not None:
        images = images.exclude(pk=exclude_pk)
    same = (
        images.filter(Q(metadata__sha256=sha256) | Q(metadata__upload_sha256=sha256))
        .order_by("uploaded_at", "id")
        .first()
    )
    if same is not None or not phash or size is None:
        return same

    # A person's photos are few (their quota): compared here rather than indexed.
    for pk, width, height, other in (
        images.filter(metadata__has_key="phash")
        .order_by("uploaded_at", "id")
        .values_list("pk", "width", "height", "metadata__phash")
    ):
        if _same_shape(size, (width, height)) and same_picture(phash, other):
            return images.get(pk=pk)
    return None


def same_picture(a: str, b: str) -> bool:
    """Whether two perceptual hashes (gallery.services.decoding.perceptual_hash) are of the same picture: DCT
    hashes within PHASH_SAME_PICTURE_BITS and, where both carry it, mean colours within PHASH_SAME_COLOUR on
    every channel (a hash kept before colours were added is compared by its DCT hash alone)."""
    import imagehash

    if imagehash.hex_to_hash(a[:16]) - imagehash.hex_to_hash(b[:16]) > PHASH_SAME_PICTURE_BITS:
        return False
    if len(a) < 22 or len(b) < 22:
        return True
    return all(abs(int(a[i : i + 2], 16) - int(b[i : i + 2], 16)) <= PHASH_SAME_COLOUR for i in (16, 18, 20))


def image_is_in_use(*, image: Image) -> bool:
    """Whether another app still needs this photo (e.g. a swap that has not finished uses it)."""
    return Image.objects.filter(image_in_use_q(), pk=image.pk).exists()


def user_can_view_image(*, user, image: Image) -> bool:
    """Template images are public; people's photos and results only for their owner and staff, and for
    whom another app says (image_viewer_register: one more query, only for someone else's image)."""
    if not image.is_private:
        return True
    if not user.is_authenticated:
        return False
    if user.is_staff or (image.owner_id is not None and image.owner_id == user.pk):
        return True
    if not _VIEWER_CONDITIONS:
        return False
    allowed = Q(pk__in=[])
    for condition in _VIEWER_CONDITIONS:
        allowed |= condition(user)
    return Image.objects.filter(allowed, pk=image.pk).exists()


def account_photo_summary(user, *, recent: int = 6) -> dict:
    """The gallery's part of "My account": photo and result counts, the latest photos, and where My photos is
    (accounts names no other app's URL: it links there by this one)."""
    counts = Image.objects.filter(owner=user).aggregate(
        photo_count=Count("id", filter=Q(image_type=ImageType.SOURCE)),
        result_count=Count("id", filter=Q(image_type=ImageType.RESULT)),
    )
    recent_photos = list(image_list_for_owner(owner=user)[:recent])
    return {**counts, "recent_photos": recent_photos, "photos_url": reverse("gallery:photo_list")}
