"""Writes for images: validated uploads (people's photos, templates, swap results), deletion, expiry.

Every picture that enters storage goes through `image_upload`, which decodes it (so the content decides
what it is, never its name or the client's content type), refuses what we cannot or will not handle with a
message a person can act on, and stores a clean re-encoded copy without any of the original's metadata.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import PurePosixPath

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from PIL import Image as PILImage
from PIL import ImageCms, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from .models import Image, ImageType, storage_key
from .selectors import image_find_duplicate, image_in_use_q

logger = logging.getLogger(__name__)

ACCEPTED = "Please upload a JPEG, PNG, WebP or iPhone (HEIC) photo."
# Formats we accept, decided by decoding. The clean copy is a JPEG, except that a PNG template stays a
# lossless PNG (drawn art keeps its lines): people's photos as PNG would be 3-4 times larger and take
# seconds to encode (see `make bench`).
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
# iPhone photos (HEIC/HEIF, the camera's default) decode through pillow-heif and are stored as JPEG like
# any other photo: upright, metadata stripped.
register_heif_opener()
SUFFIX = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}
JPEG_QUALITY = 90
THUMBNAIL_SIZE = (480, 480)
THUMBNAIL_QUALITY = 82
# A transparent picture's thumbnail: WebP keeps the alpha at a tenth of a PNG's size (every current browser).
THUMBNAIL_ALPHA_FORMAT = "WEBP"
# Read this much to recognise a format we refuse (SVG is text, so Pillow does not identify it).
_SNIFF_BYTES = 2048


@dataclass
class CleanImage:
    """An upload decoded, checked and re-encoded: what `image_upload` stores."""

    data: bytes
    stored_format: str
    original_format: str
    original_mode: str
    width: int
    height: int
    sha256: str
    thumbnail: bytes
    thumbnail_size: tuple[int, int]
    notes: list[str] = field(default_factory=list)
    # The uploader's filename as given (sanitised only when stored; never used as a key).
    filename: str | None = None
    # Transparency kept (a cut-out template or a result made from one): PNG with an alpha thumbnail.
    alpha: bool = False

    @property
    def suffix(self) -> str:
        return SUFFIX[self.stored_format]

    @property
    def thumbnail_suffix(self) -> str:
        return SUFFIX[THUMBNAIL_ALPHA_FORMAT] if self.alpha else ".jpg"


def _megabytes(n: int) -> str:
    """A byte count as people read it: "15 MB", "2.5 MB", "19.5 KB" (limits under a megabyte are in tests)."""
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB".replace(".0 KB", " KB")
    return f"{n / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


def _megapixels(n: int) -> str:
    return f"{n / 1_000_000:.1f}".rstrip("0").rstrip(".") + " megapixels"


def _read_upload(file: File) -> bytes:
    """The upload's bytes, refusing empty and over-limit files before reading more than the limit."""
    limit = settings.UPLOAD_MAX_BYTES
    size = getattr(file, "size", None)
    if size is not None and size > limit:
        raise ValidationError(
            f"The file is {_megabytes(size)}; the limit is {_megabytes(limit)}. "
            "Please upload a smaller photo (a phone's normal photo size is fine).",
            code="too_large",
        )
    file.seek(0)
    # One byte past the limit tells us the file is too large even when its reported size was wrong.
    data = file.read(limit + 1)
    if not data:
        raise ValidationError("The file is empty (0 bytes). Please choose the photo again and upload it.", code="empty")
    if len(data) > limit:
        raise ValidationError(
            f"The file is larger than the limit of {_megabytes(limit)}. Please upload a smaller photo.",
            code="too_large",
        )
    return data


def _unrecognised_message(data: bytes) -> ValidationError:
    head = data[:_SNIFF_BYTES].lstrip().lower()
    if b"<svg" in head or (head.startswith(b"<?xml") and b"svg" in head):
        return ValidationError(f"SVG drawings are not accepted. {ACCEPTED}", code="svg")
    if head.startswith((b"<!doctype html", b"<html")):
        return ValidationError(f"This is a web page, not a picture. {ACCEPTED}", code="not_an_image")
    return ValidationError(
        "This file is not a picture we can read: its content is not a JPEG, PNG, WebP or HEIC image, whatever its "
        "name says. If it is a photo, please open it, save it as JPEG and upload that copy.",
        code="not_an_image",
    )


def _to_srgb(img: PILImage.Image) -> PILImage.Image:
    """Convert from an embedded ICC profile to sRGB, so colours survive dropping the profile."""
    icc = img.info.get("icc_profile")
    if not icc or img.mode not in ("RGB", "RGBA", "CMYK", "L", "LA"):
        return img
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        has_alpha = img.mode in ("RGBA", "LA")
        output_mode = "RGBA" if has_alpha else "RGB"
        if img.mode == "LA":
            img = img.convert("RGBA")
            output_mode = "RGBA"
        return ImageCms.profileToProfile(img, source, ImageCms.createProfile("sRGB"), outputMode=output_mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        # A broken or unusual profile: keep the pixels as they are rather than refusing the photo.
        logger.info("ignored an unusable ICC profile", exc_info=True)
        return img


def _to_rgb(img: PILImage.Image, *, keep_alpha: bool = False) -> tuple[PILImage.Image, list[str]]:
    """Any decoded mode to 8-bit RGB; transparency is flattened onto white (faces need solid pixels).

    With `keep_alpha` (template art) a picture with real transparency becomes RGBA instead, its hidden
    pixels as they were: the engine paints faces only where the template is opaque.
    """
    notes = []
    if img.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        # 16-bit (and wider) greyscale: scale to 8 bits; a plain convert("L") would clip to white.
        array = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or array.max() > 255 else 255.0
        img = PILImage.fromarray(np.clip(array * (255.0 / top) + 0.5, 0, 255).astype(np.uint8), mode="L")
        notes.append("16-bit converted to 8-bit")
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    elif img.mode == "PA":
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        if rgba.getextrema()[3][0] < 255:
            if keep_alpha:
                return rgba, [*notes, "transparency kept"]
            notes.append("transparency flattened onto white")
        background = PILImage.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        img = background
    if img.mode == "CMYK":
        notes.append("CMYK converted to RGB")
    if img.mode != "RGB":
        img = img.convert("RGB")
    return img, notes


def _encode(img: PILImage.Image, fmt: str, *, quality: int) -> bytes:
    # A fresh info dict: Pillow copies some entries (ICC profile, comments) from it when saving.
    img.info = {}
    buffer = io.BytesIO()
    if fmt == "JPEG":
        img.save(buffer, "JPEG", quality=quality, optimize=True)
    elif fmt == "WEBP":
        # method 4: near the smallest file at a fraction of method 6's time; the alpha stays lossless.
        img.save(buffer, "WEBP", quality=quality, method=4)
    else:
        img.save(buffer, "PNG", optimize=False, compress_level=6)
    return buffer.getvalue()


def _thumbnail(img: PILImage.Image) -> PILImage.Image:
    """The picture scaled to fit THUMBNAIL_SIZE (never enlarged), without copying the full-size picture."""
    scale = min(THUMBNAIL_SIZE[0] / img.width, THUMBNAIL_SIZE[1] / img.height)
    if scale >= 1:
        return img
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    # reducing_gap: a fast box reduction first, then Lanczos over the last factor of 3 (same look, far faster).
    return img.resize(size, PILImage.Resampling.LANCZOS, reducing_gap=3.0)


def image_clean(*, file: File, lossless: bool = False) -> CleanImage:
    """Decode, check and re-encode an upload without storing anything.

    Raises ValidationError with a plain message saying what is wrong and what to do. Use it to learn an
    upload's sha256 (e.g. to skip a duplicate) before `image_upload` stores it. `lossless=True` keeps a
    PNG as PNG (for template art); everything else is stored as JPEG.
    """
    data = _read_upload(file)
    max_pixels = settings.UPLOAD_MAX_PIXELS
    try:
        img = PILImage.open(io.BytesIO(data))
        fmt = img.format or ""
        if fmt not in ACCEPTED_FORMATS:
            name = {"GIF": "GIF images", "BMP": "BMP images", "TIFF": "TIFF images", "ICO": "Icons"}.get(
                fmt, f"{fmt} files" if fmt else "These files"
            )
            raise ValidationError(f"{name} are not accepted. {ACCEPTED}", code="format")
        pixels = img.width * img.height
        if pixels > max_pixels:
            raise ValidationError(
                f"The picture is {img.width} x {img.height} pixels ({_megapixels(pixels)}); the limit is "
                f"{_megapixels(max_pixels)}. Please resize it (for example to 4000 pixels wide) and upload it again.",
                code="too_many_pixels",
            )
        original_mode = img.mode
        img.load()
    except ValidationError:
        raise
    except PILImage.DecompressionBombError as exc:
        raise ValidationError(
            f"This picture claims to be far too large to open safely (a 'decompression bomb'); the limit is "
            f"{_megapixels(max_pixels)}. Please upload an ordinary photo.",
            code="decompression_bomb",
        ) from exc
    except UnidentifiedImageError as exc:
        raise _unrecognised_message(data) from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
        if "truncated" in str(exc).lower() or isinstance(exc, EOFError):
            message = (
                "The file is cut short (truncated): the upload was interrupted or the file is damaged. "
                "Please upload the complete photo again."
            )
            code = "truncated"
        else:
            message = "The picture's data is damaged and cannot be read. Please upload another copy of the photo."
            code = "damaged"
        raise ValidationError(message, code=code) from exc

    try:
        # In place: a 40 MP picture is 120 MB decoded, and a copy per step adds up.
        ImageOps.exif_transpose(img, in_place=True)
        img = _to_srgb(img)
        # Only template art keeps transparency; people's photos are flattened onto white.
        img, notes = _to_rgb(img, keep_alpha=lossless)
    except (OSError, ValueError, SyntaxError) as exc:
        raise ValidationError(
            "The picture's data is damaged and cannot be read. Please upload another copy of the photo.",
            code="damaged",
        ) from exc
    clean = _encoded(img, original_format=fmt, original_mode=original_mode, lossless=lossless, notes=notes)
    clean.filename = getattr(file, "name", None)
    return clean


# --- Crawled templates (issue 15): perceptual hashes, to recognise resized or re-encoded copies ---


def image_perceptual_hash(*, data: bytes) -> str:
    """A picture's 64-bit perceptual hash (imagehash.phash) as 16 hex digits.

    Copies of one picture (resized, re-encoded) differ in a few bits; different pictures in about half.
    Pass the clean copy's thumbnail (`CleanImage.thumbnail`): cheaper to decode, and the hash only looks at
    a 32x32 reduction anyway.
    """
    import imagehash

    with PILImage.open(io.BytesIO(data)) as img:
        return str(imagehash.phash(img.convert("RGB")))


def image_perceptual_hash_backfill(*, image_type: str) -> int:
    """Give every picture of this type that has no perceptual hash yet one (from its thumbnail); the count.

    Pictures stored before hashes were kept (imported templates, the demo ones) can then be recognised
    as near-duplicates too. A picture whose file cannot be read is left without one.
    """
    done = 0
    for image in (
        Image.objects.filter(image_type=image_type).exclude(metadata__has_key="phash").only("pk", "file", "metadata")
    ):
        try:
            with _storage().open(image.thumbnail_key or image.file.name, "rb") as fp:
                phash = image_perceptual_hash(data=fp.read())
        except (OSError, ValueError, PILImage.DecompressionBombError):
            logger.warning("no perceptual hash for image %s: its file cannot be read", image.pk)
            continue
        Image.objects.filter(pk=image.pk).update(metadata={**(image.metadata or {}), "phash": phash})
        done += 1
    return done


# --- end of the crawl section ---


def _encoded(
    img: PILImage.Image, *, original_format: str, original_mode: str, lossless: bool, notes: list[str]
) -> CleanImage:
    """The stored copy and thumbnail of an upright 8-bit RGB (or, with transparency kept, RGBA) picture."""
    alpha = img.mode == "RGBA"
    # JPEG has no alpha: a transparent picture is stored as PNG whatever it came as.
    stored_format = "PNG" if alpha or (lossless and original_format == "PNG") else "JPEG"
    stored = _encode(img, stored_format, quality=JPEG_QUALITY)
    thumb = _thumbnail(img)
    thumbnail = _encode(thumb, THUMBNAIL_ALPHA_FORMAT if alpha else "JPEG", quality=THUMBNAIL_QUALITY)
    return CleanImage(
        data=stored,
        stored_format=stored_format,
        original_format=original_format,
        original_mode=original_mode,
        width=img.width,
        height=img.height,
        sha256=hashlib.sha256(stored).hexdigest(),
        thumbnail=thumbnail,
        thumbnail_size=thumb.size,
        notes=notes,
        alpha=alpha,
    )


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


def _storage() -> Storage:
    return Image._meta.get_field("file").storage


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
    """Like `image_upload`, but the same picture uploaded again by the same owner gives back the earlier
    `Image` instead of a copy: (image, created). The duplicate is found by the clean copy's sha256 before
    anything is written."""
    clean = image_clean(file=file, lossless=image_type == ImageType.TEMPLATE)
    earlier = image_find_duplicate(owner=owner, sha256=clean.sha256, image_type=image_type)
    if earlier is not None:
        return earlier, False
    return image_store(clean=clean, owner=owner, image_type=image_type), True


def image_store_generated(
    *, owner, picture: np.ndarray, image_type: str, category: str | None = None, filename: str
) -> Image:
    """Store a picture the site made itself (a swap result, RGB or RGBA uint8) like an upload's clean copy.

    The upload limits do not apply (it is not an upload: a result has its template's size, which the
    limits already bounded); the encoding, thumbnail and metadata are the same as for `image_upload`. An
    RGBA picture (from a transparent template) is stored as a PNG with its alpha, whatever `filename` says.
    """
    mode = "RGBA" if picture.ndim == 3 and picture.shape[2] == 4 else "RGB"
    clean = _encoded(
        PILImage.fromarray(picture, mode=mode),
        original_format="generated",
        original_mode=mode,
        lossless=False,
        notes=[],
    )
    clean.filename = filename
    return image_store(clean=clean, owner=owner, image_type=image_type, category=category)


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
    if owner is not None and image_type == ImageType.SOURCE:
        image_quota_check(owner=owner, adding=len(clean.data))
    storage = _storage()
    # Template pictures are public: a content-addressed key gives them an immutable, cacheable URL.
    content_hash = clean.sha256 if image_type == ImageType.TEMPLATE else ""
    key = storage.save(storage_key(image_type, clean.suffix, content_hash=content_hash), ContentFile(clean.data))
    written = [key]
    try:
        thumb_key = storage.save(thumbnail_key_for(key, suffix=clean.thumbnail_suffix), ContentFile(clean.thumbnail))
        written.append(thumb_key)
        with transaction.atomic():
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
                # Callers' own entries, e.g. a crawled picture's perceptual hash and source checksum.
                | (metadata or {}),
            )
            image.file.name = key
            image.save()
            if tags:
                image.tags.set(list(tags))
    except BaseException:
        _delete_files(written)
        raise
    return image


def image_quota_check(*, owner, adding: int) -> None:
    """ValidationError (code "quota") when one more photo of `adding` bytes would pass the owner's quota
    (PHOTO_QUOTA_COUNT photos, PHOTO_QUOTA_BYTES in all), saying how to make room."""
    used = Image.objects.filter(owner=owner, image_type=ImageType.SOURCE).aggregate(
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


def image_file_keys(image: Image) -> list[str]:
    """Every storage key that belongs to an image: the picture and its thumbnail."""
    keys = [image.file.name] if image.file.name else []
    thumb = (image.metadata or {}).get("thumbnail")
    if thumb:
        keys.append(thumb)
    return keys


def _delete_files(keys: Iterable[str]) -> int:
    """Remove files from storage, logging (not raising) failures: the rows are already gone."""
    storage = _storage()
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
        transaction.on_commit(lambda: _delete_files(keys))


def image_files_follow_row(sender, instance: Image, **kwargs) -> None:
    """post_delete of an Image, however it was deleted (one row, a purge, a cascade from its owner):
    its picture and thumbnail leave storage once the transaction commits (connected in GalleryConfig)."""
    files_delete_on_commit(image_file_keys(instance))


def image_delete(*, image: Image) -> None:
    """Delete an image's row, then (after the transaction commits) its picture and thumbnail files.

    Files go only after the commit, so a rolled-back deletion never leaves a row pointing at nothing.
    """
    image.delete()


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


# Gallery's own metadata keys; a rotated photo keeps these and loses what other apps learnt from its
# pixels (a face check), which no longer matches.
_OWN_METADATA = ("sha256", "format", "mode", "thumbnail", "thumbnail_width", "thumbnail_height", "notes")
# Called with each person's photo when it is added (or turned) in My photos: a higher app looks at it
# then (swaps checks it for faces). Registered from that app's AppConfig.ready; gallery imports no app.
_PHOTO_ADDED_HOOKS: list[Callable[[Image], object]] = []


def image_photo_added_register(hook: Callable[[Image], object]) -> None:
    """Register a callable run with every photo a person adds or turns in My photos."""
    if hook not in _PHOTO_ADDED_HOOKS:
        _PHOTO_ADDED_HOOKS.append(hook)


def image_photo_added(*, image: Image) -> None:
    """Tell the registered apps about a photo just added or turned."""
    for hook in _PHOTO_ADDED_HOOKS:
        hook(image)


def image_rotate(*, image: Image, clockwise: bool) -> Image:
    """Turn a stored picture a quarter turn (a photo the camera saved sideways) and store it again.

    A new picture and thumbnail replace the old ones (those go after the commit); width, height, size and
    sha256 follow; metadata other apps derived from the old pixels is dropped.
    """
    # Through the storage, not image.file: the field keeps its open file object, which would be read
    # again (the old picture) after the name changes.
    with _storage().open(image.file.name, "rb") as fh, PILImage.open(fh) as picture:
        picture.load()
        turned = picture.convert("RGB").transpose(
            PILImage.Transpose.ROTATE_270 if clockwise else PILImage.Transpose.ROTATE_90
        )
    metadata = image.metadata or {}
    clean = _encoded(
        turned, original_format=metadata.get("format", "JPEG"), original_mode="RGB", lossless=False, notes=[]
    )
    storage = _storage()
    old_keys = image_file_keys(image)
    key = storage.save(storage_key(image.image_type, clean.suffix), ContentFile(clean.data))
    written = [key]
    try:
        written.append(storage.save(thumbnail_key_for(key), ContentFile(clean.thumbnail)))
        with transaction.atomic():
            image.file = key
            image.width, image.height, image.file_size = clean.width, clean.height, len(clean.data)
            image.metadata = {
                **{k: v for k, v in metadata.items() if k in _OWN_METADATA},
                "sha256": clean.sha256,
                "thumbnail": written[1],
                "thumbnail_width": clean.thumbnail_size[0],
                "thumbnail_height": clean.thumbnail_size[1],
            }
            image.save(update_fields=["file", "width", "height", "file_size", "metadata"])
            files_delete_on_commit(old_keys)
    except BaseException:
        _delete_files(written)
        raise
    return image
