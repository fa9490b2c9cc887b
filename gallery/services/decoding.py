"""Decoding and re-encoding pictures: what makes an upload a clean copy (`image_clean`), and the clean copy
of a picture the site made or turned itself (`image_encode`).

Every picture that enters storage is decoded first (so the content decides what it is, never its name or
the client's content type); what we cannot or will not handle is refused with a message a person can act
on, and the stored copy is re-encoded without any of the original's metadata.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image as PILImage
from PIL import ImageCms, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from ..content_gate import REFUSAL_MESSAGE, content_check
from .heavy import decode_budget

logger = logging.getLogger(__name__)

ACCEPTED = gettext_lazy("Please upload a JPEG, PNG, WebP or iPhone (HEIC) photo.")
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
    # The content gate's verdict (gallery.content_gate), kept in the stored row's metadata["content"].
    content: dict | None = None
    # The sha256 of the upload's bytes as sent: the same file sent again is known before decoding.
    upload_sha256: str = ""
    # A 64-bit perceptual hash of the picture (16 hex digits): the same picture sent again in another
    # format (an iPhone's HEIC and its JPEG) decodes to nearly the same pixels, so nearly the same hash.
    phash: str = ""

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
    return _("%(number)s megapixels") % {"number": f"{n / 1_000_000:.1f}".rstrip("0").rstrip(".")}


def _read_upload(file: File) -> bytes:
    """The upload's bytes, refusing empty and over-limit files before reading more than the limit."""
    limit = settings.UPLOAD_MAX_BYTES
    size = getattr(file, "size", None)
    if size is not None and size > limit:
        raise ValidationError(
            _(
                "The file is %(size)s; the limit is %(limit)s. "
                "Please upload a smaller photo (a phone's normal photo size is fine)."
            )
            % {"size": _megabytes(size), "limit": _megabytes(limit)},
            code="too_large",
        )
    file.seek(0)
    # One byte past the limit tells us the file is too large even when its reported size was wrong.
    data = file.read(limit + 1)
    if not data:
        raise ValidationError(
            _("The file is empty (0 bytes). Please choose the photo again and upload it."), code="empty"
        )
    if len(data) > limit:
        raise ValidationError(
            _("The file is larger than the limit of %(limit)s. Please upload a smaller photo.")
            % {"limit": _megabytes(limit)},
            code="too_large",
        )
    return data


def _unrecognised_message(data: bytes) -> ValidationError:
    head = data[:_SNIFF_BYTES].lstrip().lower()
    if b"<svg" in head or (head.startswith(b"<?xml") and b"svg" in head):
        return ValidationError(f"{_('SVG drawings are not accepted.')} {ACCEPTED}", code="svg")
    if head.startswith((b"<!doctype html", b"<html")):
        return ValidationError(f"{_('This is a web page, not a picture.')} {ACCEPTED}", code="not_an_image")
    return ValidationError(
        _(
            "This file is not a picture we can read: its content is not a JPEG, PNG, WebP or HEIC image, whatever "
            "its name says. If it is a photo, please open it, save it as JPEG and upload that copy."
        ),
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

    Raises ValidationError with a plain message saying what is wrong and what to do (code "content" when
    the content gate refuses the picture; its verdict is kept in `content` otherwise). Use it to learn an
    upload's sha256 (e.g. to skip a duplicate) before `image_upload` stores it. `lossless=True` keeps a
    PNG as PNG (for template art); everything else is stored as JPEG.
    """
    data = _read_upload(file)
    img, fmt = _open_header(data)
    # The decoded size is known from the header: room for it in this process first (gallery.services.heavy).
    with decode_budget(pixels=img.width * img.height):
        clean = _decode_and_encode(img, fmt, lossless=lossless)
    clean.filename = getattr(file, "name", None)
    clean.upload_sha256 = hashlib.sha256(data).hexdigest()
    return clean


def upload_digest(file: File) -> str:
    """The sha256 of an upload's bytes as sent (within the byte limit), read without decoding anything:
    the same file sent again is recognised before any work (`image_find_duplicate`)."""
    return hashlib.sha256(_read_upload(file)).hexdigest()


def _damaged(exc: BaseException) -> ValidationError:
    if "truncated" in str(exc).lower() or isinstance(exc, EOFError):
        return ValidationError(
            _(
                "The file is cut short (truncated): the upload was interrupted or the file is damaged. "
                "Please upload the complete photo again."
            ),
            code="truncated",
        )
    return ValidationError(
        _("The picture's data is damaged and cannot be read. Please upload another copy of the photo."), code="damaged"
    )


_READ_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError)


def _open_header(data: bytes) -> tuple[PILImage.Image, str]:
    """The picture opened (its header read, no pixels decoded) and its format; refusals as ValidationError."""
    max_pixels = settings.UPLOAD_MAX_PIXELS
    try:
        img = PILImage.open(io.BytesIO(data))
        fmt = img.format or ""
        # MPO (many cameras, Android Ultra HDR) is a JPEG followed by more pictures: the first one is the photo.
        fmt = "JPEG" if fmt == "MPO" else fmt
        if fmt not in ACCEPTED_FORMATS:
            refusal = (
                _("%(format)s images are not accepted.") % {"format": fmt}
                if fmt
                else _("These files are not accepted.")
            )
            raise ValidationError(f"{refusal} {ACCEPTED}", code="format")
        pixels = img.width * img.height
        if pixels > max_pixels:
            raise ValidationError(
                _(
                    "The picture is %(width)s x %(height)s pixels (%(pixels)s); the limit is %(limit)s. Please "
                    "resize it (for example to 4000 pixels wide) and upload it again."
                )
                % {
                    "width": img.width,
                    "height": img.height,
                    "pixels": _megapixels(pixels),
                    "limit": _megapixels(max_pixels),
                },
                code="too_many_pixels",
            )
    except ValidationError:
        raise
    except PILImage.DecompressionBombError as exc:
        raise _bomb(max_pixels) from exc
    except UnidentifiedImageError as exc:
        raise _unrecognised_message(data) from exc
    except _READ_ERRORS as exc:
        raise _damaged(exc) from exc
    return img, fmt


def _bomb(max_pixels: int) -> ValidationError:
    return ValidationError(
        _(
            "This picture claims to be far too large to open safely (a 'decompression bomb'); the limit is "
            "%(limit)s. Please upload an ordinary photo."
        )
        % {"limit": _megapixels(max_pixels)},
        code="decompression_bomb",
    )


def _decode_and_encode(img: PILImage.Image, fmt: str, *, lossless: bool) -> CleanImage:
    original_mode = img.mode
    try:
        if getattr(img, "n_frames", 1) > 1:
            img.seek(0)  # an MPO's first picture; the others (depth maps, gain maps) are dropped
        img.load()
    except PILImage.DecompressionBombError as exc:
        raise _bomb(settings.UPLOAD_MAX_PIXELS) from exc
    except _READ_ERRORS as exc:
        raise _damaged(exc) from exc

    try:
        # In place: a 40 MP picture is 120 MB decoded, and a copy per step adds up.
        ImageOps.exif_transpose(img, in_place=True)
        img = _to_srgb(img)
        # Only template art keeps transparency; people's photos are flattened onto white.
        img, notes = _to_rgb(img, keep_alpha=lossless)
    except (OSError, ValueError, SyntaxError) as exc:
        raise ValidationError(
            _("The picture's data is damaged and cannot be read. Please upload another copy of the photo."),
            code="damaged",
        ) from exc
    # Every picture that comes in passes the content gate here, before anything is encoded or stored.
    verdict = content_check(img)
    if verdict.refused:
        logger.info("content gate refused an upload: %s", verdict.to_json())
        raise ValidationError(REFUSAL_MESSAGE, code="content")
    clean = image_encode(img, original_format=fmt, original_mode=original_mode, lossless=lossless, notes=notes)
    clean.content = verdict.to_json()
    return clean


def perceptual_hash(img: PILImage.Image) -> str:
    """imagehash's DCT hash of the (thumbnail-sized) picture, as 16 hex digits, then its mean colour as 6 more
    (the DCT hash sees only lightness: a picture and its recoloured copy, or two plain pictures of different
    colours, share it; gallery.selectors.same_picture compares both)."""
    import imagehash
    from PIL import ImageStat

    rgb = img.convert("RGB")
    colour = "".join(f"{round(v):02x}" for v in ImageStat.Stat(rgb).mean)
    return f"{imagehash.phash(rgb)}{colour}"


def image_encode(
    img: PILImage.Image,
    *,
    original_format: str,
    original_mode: str,
    lossless: bool,
    notes: list[str],
    with_phash: bool = True,
) -> CleanImage:
    """The stored copy and thumbnail of an upright 8-bit RGB (or, with transparency kept, RGBA) picture.

    `with_phash=False` leaves `phash` empty: only people's photos keep one (image_find_duplicate), and
    in a swap worker's forked job it costs about 0.17 s (imagehash imports scipy's FFT), see make bench-worker.
    """
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
        phash=perceptual_hash(thumb) if with_phash else "",
    )
