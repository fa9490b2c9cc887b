"""Storing pictures and removing them: the one write of a clean copy (`image_store`) and the ways to it,
and every file leaving storage after its row.

A picture's row and its two files (the clean copy and its thumbnail) live and die together: no file is left
behind when a row cannot be saved, and files go only after the transaction that deleted their row commits.
"""

from __future__ import annotations

import hashlib
import logging
import os
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import PurePosixPath

import numpy as np
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _
from PIL import Image as PILImage

from ..models import Image, ImageType, storage_key
from ..selectors import image_find_duplicate
from .decoding import CleanImage, image_clean, image_encode, perceptual_hash, upload_digest
from .heavy import heavy_work
from .hooks import image_photo_added
from .quotas import image_quota_check

logger = logging.getLogger(__name__)


def sanitise_filename(name: str | None, *, suffix: str = ".jpg") -> str:
    """The client's filename made safe to show and offer as a download name (never used as a key)."""
    base = os.path.basename((name or "").replace("\\", "/"))
    base = unicodedata.normalize("NFKC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    try:
        cleaned = get_valid_filename(base)
    except Exception:  # SuspiciousFileOperation for names like "" or ".."
        cleaned = ""
    stem = PurePosixPath(cleaned).stem.strip("._") or "photo"
    return f"{stem[: 255 - len(suffix)]}{suffix}"


def thumbnail_key_for(key: str, *, suffix: str = ".jpg") -> str:
    """Thumbnails are stored beside their image: `<dir>/<stem>_thumb.jpg` (`.webp` with transparency)."""
    path = PurePosixPath(key)
    return str(path.with_name(f"{path.stem}_thumb{suffix}"))


def picture_storage() -> Storage:
    """The storage every picture and thumbnail is written to (local files or S3)."""
    return Image._meta.get_field("file").storage


@contextmanager
def files_written(clean: CleanImage, *, name: str) -> Iterator[tuple[str, str]]:
    """Write a clean copy under `name` and its thumbnail beside it; yields (key, thumbnail key).

    The storage may change the name it was given (a free one is chosen), so the keys come from it. When
    the block raises (the row could not be saved), both files are removed again.
    """
    storage = picture_storage()
    written = [_save(storage, name, clean.data)]
    try:
        written.append(_save(storage, thumbnail_key_for(written[0], suffix=clean.thumbnail_suffix), clean.thumbnail))
        yield written[0], written[1]
    except BaseException:
        files_delete(written)
        raise


def _save(storage: Storage, name: str, data: bytes) -> str:
    """Write one file; a storage that cannot take it (disk full, S3 refusing) is a plain refusal, not a 500."""
    try:
        return storage.save(name, ContentFile(data))
    except Exception as exc:
        if isinstance(exc, OSError) or type(exc).__module__.startswith(("botocore", "boto3", "s3transfer")):
            logger.error("Could not store a picture (%s): %s", type(exc).__name__, exc)
            raise ValidationError(
                _("We could not store your picture just now. Nothing was saved; please try again in a few minutes."),
                code="storage",
            ) from exc
        raise


def image_upload(
    *,
    owner=None,
    file: File,
    image_type: str,
    category: str | None = None,
    tags: Iterable[str] = (),
) -> Image:
    """Validate an uploaded picture and store a clean copy and its thumbnail; return the new `Image`.

    `file` is any Django File (an UploadedFile from a form, or `ContentFile(data, name="result.jpg")`).
    Raises ValidationError (nothing stored) for anything that is not a readable JPEG/PNG/WebP within the
    byte and pixel limits. The stored copy is upright (EXIF orientation applied), in sRGB, 8-bit RGB, and
    carries no metadata. If saving the row fails, the files just written are removed again. Called inside
    a caller's transaction that later rolls back, the two files stay behind unreferenced (Django has no
    on-rollback hook), so callers should store pictures outside long transactions.
    """
    if image_type not in ImageType.values:
        raise ValueError(f"unknown image_type {image_type!r}")
    clean = image_clean(file=file, lossless=image_type == ImageType.TEMPLATE)
    return image_store(clean=clean, owner=owner, image_type=image_type, category=category, tags=tags)


def image_upload_or_reuse(*, owner, file: File, image_type: str = ImageType.SOURCE) -> tuple[Image, bool]:
    """A person adds a photo (My photos): like `image_upload`, but the same picture uploaded again by the
    same owner gives back the earlier `Image` instead of a copy: (image, created).

    The same bytes sent again are recognised from their sha256 before anything is decoded; a picture
    that decodes to the same clean copy (or, by its perceptual hash, to the same picture from another
    format), before anything is written. Decoding (and the checks the apps
    run on a new photo) take one of the owner's heavy-work slots (`heavy_work`): HeavyWorkBusy when the
    owner already has HEAVY_WORK_PER_USER at once. A new person's photo is announced to the apps that
    look at photos (`image_photo_added_register`).
    """
    earlier = image_find_duplicate(owner=owner, sha256=upload_digest(file), image_type=image_type)
    if earlier is not None:
        return earlier, False
    with heavy_work(owner_id=getattr(owner, "pk", None)):
        clean = image_clean(file=file, lossless=image_type == ImageType.TEMPLATE)
        if image_type == ImageType.SOURCE:
            image_phash_backfill(owner=owner)
        earlier = image_find_duplicate(
            owner=owner, sha256=clean.sha256, image_type=image_type, phash=clean.phash, size=(clean.width, clean.height)
        )
        if earlier is not None:
            return earlier, False
        image = image_store(clean=clean, owner=owner, image_type=image_type)
        if image_type == ImageType.SOURCE:
            image_photo_added(image=image)
    return image, True


def image_phash_backfill(*, owner, image_type: str = ImageType.SOURCE) -> int:
    """Give the owner's pictures stored before perceptual hashes were kept one (from the thumbnail), so the
    same picture sent again in another format is recognised against them too; the count. A person's
    photos are few (their quota), and each is read once."""
    if owner is None:  # never the site's catalogue
        return 0
    done = 0
    for image in (
        Image.objects.filter(owner=owner, image_type=image_type)
        .exclude(metadata__has_key="phash")
        .only("pk", "file", "metadata")
    ):
        try:
            with picture_storage().open(image.thumbnail_key or image.file.name, "rb") as fp, PILImage.open(fp) as pic:
                pic.load()
                phash = perceptual_hash(pic)
        except (OSError, ValueError, PILImage.DecompressionBombError):
            logger.warning("no perceptual hash for image %s: its file cannot be read", image.pk)
            continue
        with transaction.atomic():
            # Merged into the row as it is now (a face check may have written to it meanwhile).
            row = Image.objects.select_for_update().filter(pk=image.pk).first()
            if row is None:
                continue
            row.metadata = {**(row.metadata or {}), "phash": phash}
            row.save(update_fields=["metadata"])
        done += 1
    return done


def image_store_generated(
    *,
    owner,
    picture: np.ndarray,
    image_type: str,
    category: str | None = None,
    filename: str,
    seal: Callable[[bytes, str], bytes] | None = None,
    metadata: dict | None = None,
) -> Image:
    """Store a picture the site made itself (a swap result, RGB or RGBA uint8) like an upload's clean copy.

    The upload limits do not apply (it is not an upload: a result has its template's size, which the
    limits already bounded); the encoding, thumbnail and metadata are the same as for `image_upload`. An
    RGBA picture (from a transparent template) is stored as a PNG with its alpha, whatever `filename` says.
    `seal(data, stored_format)`, when given, turns the encoded file into the one stored (the swaps app
    embeds its signed provenance there): it may add metadata, never change the pixels. `metadata` entries
    are added to the row's own, in the same write.
    """
    mode = "RGBA" if picture.ndim == 3 and picture.shape[2] == 4 else "RGB"
    clean = image_encode(
        PILImage.fromarray(picture, mode=mode),
        original_format="generated",
        original_mode=mode,
        lossless=False,
        notes=[],
        # Only people's photos are looked up by their perceptual hash (image_find_duplicate).
        with_phash=False,
    )
    clean.filename = filename
    if seal is not None:
        clean.data = seal(clean.data, clean.stored_format)
        clean.sha256 = hashlib.sha256(clean.data).hexdigest()
    return image_store(clean=clean, owner=owner, image_type=image_type, category=category, metadata=metadata)


def image_store(
    *,
    clean: CleanImage,
    owner,
    image_type: str,
    category: str | None = None,
    tags: Iterable[str] = (),
    metadata: dict | None = None,
) -> Image:
    """Write a picture checked by `image_clean` and its thumbnail to storage and create its row.

    No file is left behind if that fails. Validation (`image_clean`) never writes; this is the one write.
    `metadata` entries are added to the row's own. A person's photos are held to their quota
    (`image_quota_check`).
    """
    if owner is not None and image_type in (ImageType.SOURCE, ImageType.TEMPLATE):
        image_quota_check(owner=owner, adding=len(clean.data))
    # Site template pictures are public: a content-addressed key gives them an immutable, cacheable URL. A
    # person's own scene is private (a key outside the public prefix) until the site takes it over.
    content_hash = clean.sha256 if image_type == ImageType.TEMPLATE and owner is None else ""
    name = storage_key(image_type, clean.suffix, content_hash=content_hash)
    with files_written(clean, name=name) as (key, thumb_key), transaction.atomic():
        image = Image(
            owner=owner,
            filename=sanitise_filename(clean.filename, suffix=clean.suffix),
            file_size=len(clean.data),
            width=clean.width,
            height=clean.height,
            image_type=image_type,
            category=category,
            metadata={
                "sha256": clean.sha256,
                "format": clean.original_format,
                "mode": clean.original_mode,
                "thumbnail": thumb_key,
                "thumbnail_width": clean.thumbnail_size[0],
                "thumbnail_height": clean.thumbnail_size[1],
                "notes": clean.notes,
            }
            | ({"alpha": True} if clean.alpha else {})
            | ({"content": clean.content} if clean.content else {})
            | ({"upload_sha256": clean.upload_sha256} if clean.upload_sha256 else {})
            # People's photos: how the same picture in another format is recognised (image_find_duplicate).
            | ({"phash": clean.phash} if clean.phash and image_type == ImageType.SOURCE else {})
            # Callers' own entries, e.g. a crawled picture's perceptual hash and source checksum.
            | (metadata or {}),
        )
        image.file.name = key
        image.save()
        if tags:
            image.tags.set(list(tags))
    return image


def image_make_public(*, image: Image) -> Image:
    """A person's own template picture taken over by the site (approved for the gallery): copied to its
    public, content-addressed key with its thumbnail, the owner cleared, the private copies removed on
    commit. Call it inside the transaction that publishes the template."""
    if image.owner_id is None and not image.is_private:
        return image
    storage = picture_storage()
    old_keys = image_file_keys(image)
    suffix = PurePosixPath(image.file.name).suffix or ".jpg"
    with storage.open(image.file.name, "rb") as fp:
        key = storage.save(storage_key(ImageType.TEMPLATE, suffix, content_hash=image.sha256), ContentFile(fp.read()))
    thumb_key = ""
    if image.thumbnail_key:
        thumb_suffix = PurePosixPath(image.thumbnail_key).suffix or ".jpg"
        with storage.open(image.thumbnail_key, "rb") as fp:
            thumb_key = storage.save(thumbnail_key_for(key, suffix=thumb_suffix), ContentFile(fp.read()))
    new_keys = [key, *([thumb_key] if thumb_key else [])]
    transaction.on_commit(lambda: files_delete([k for k in old_keys if k not in new_keys]))
    image.file.name = key
    image.owner = None
    image.metadata = {**(image.metadata or {}), **({"thumbnail": thumb_key} if thumb_key else {})}
    image.save(update_fields=["file", "owner", "metadata"])
    return image


def image_file_keys(image: Image) -> list[str]:
    """Every storage key that belongs to an image: the picture and its thumbnail."""
    keys = [image.file.name] if image.file.name else []
    thumb = (image.metadata or {}).get("thumbnail")
    if thumb:
        keys.append(thumb)
    return keys


def files_delete(keys: Iterable[str]) -> int:
    """Remove files from storage, logging (not raising) failures: the rows are already gone."""
    storage = picture_storage()
    removed = 0
    for key in keys:
        try:
            if storage.exists(key):
                storage.delete(key)
                removed += 1
        except Exception:
            logger.exception("could not delete %s from storage", key)
    return removed


def files_delete_on_commit(keys: Iterable[str]) -> None:
    """Delete these files once the current transaction commits (at once outside a transaction)."""
    keys = list(keys)
    if keys:
        transaction.on_commit(lambda: files_delete(keys))


def image_files_follow_row(sender, instance: Image, **kwargs) -> None:
    """post_delete of an Image, however it was deleted (one row, a purge, a cascade from its owner):
    its picture and thumbnail leave storage once the transaction commits (connected in GalleryConfig)."""
    files_delete_on_commit(image_file_keys(instance))


def image_delete(*, image: Image) -> None:
    """Delete an image's row, then (after the transaction commits) its picture and thumbnail files.

    Files go only after the commit, so a rolled-back deletion never leaves a row pointing at nothing.
    """
    image.delete()
