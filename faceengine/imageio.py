"""Reading and writing images as RGB (or RGBA) uint8 numpy arrays.

A picture with transparency is read as RGBA only when asked (templates: their alpha is kept through the
swap); otherwise it is composited on white, so the colours hidden under transparent pixels (often
streaks of whatever the editor left there) never show or confuse the detector.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import UnreadableImageError

# The engine works on pictures up to this many pixels; larger ones are refused before decoding.
MAX_PIXELS = 40_000_000


def load_image(source: bytes | str | Path, *, what: str = "image", keep_alpha: bool = False) -> np.ndarray:
    """Decode a JPEG/PNG/WebP (bytes or path) to RGB uint8, upright per its EXIF orientation.

    A picture with transparency becomes RGBA when keep_alpha, else it is composited on white."""
    try:
        fp = io.BytesIO(source) if isinstance(source, bytes | bytearray) else open(source, "rb")  # noqa: SIM115
    except OSError as exc:
        raise UnreadableImageError(f"The {what} could not be opened: {exc.strerror or exc}.") from exc
    try:
        with fp, Image.open(fp) as img:
            if img.width * img.height > MAX_PIXELS:
                raise UnreadableImageError(f"The {what} is too large ({img.width}x{img.height} pixels).")
            img = ImageOps.exif_transpose(img)
            if not _has_alpha(img):
                return np.asarray(img.convert("RGB"))
            rgba = np.asarray(img.convert("RGBA"))
            return rgba if keep_alpha else as_rgb(rgba)
    except UnreadableImageError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        raise UnreadableImageError(f"The {what} is not a readable picture (JPEG, PNG or WebP).") from exc


def _has_alpha(img: Image.Image) -> bool:
    return img.mode in ("RGBA", "LA", "PA") or (img.mode in ("P", "L", "RGB") and "transparency" in img.info)


def as_rgb(image: np.ndarray) -> np.ndarray:
    """An RGB array: RGBA composited on white (RGB as it is)."""
    if image.ndim == 3 and image.shape[2] == 4:
        alpha = image[..., 3:].astype(np.float32) / 255.0
        return (image[..., :3] * alpha + 255.0 * (1.0 - alpha) + 0.5).astype(np.uint8)
    return image


def encode_image(image: np.ndarray, fmt: str = "JPEG", *, quality: int = 92) -> bytes:
    """Encode an RGB or RGBA uint8 array as JPEG, PNG or WebP bytes (PNG and WebP keep the alpha; a
    JPEG gets the picture composited on white)."""
    fmt = fmt.upper().replace("JPG", "JPEG")
    if fmt == "JPEG":
        image = as_rgb(image)
    buffer = io.BytesIO()
    options = {"quality": quality} if fmt in ("JPEG", "WEBP") else {}
    Image.fromarray(image).save(buffer, fmt, **options)
    return buffer.getvalue()
