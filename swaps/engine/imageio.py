"""Reading and writing images as RGB uint8 numpy arrays."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import UnreadableImageError

# The engine works on pictures up to this many pixels; larger ones are refused before decoding.
MAX_PIXELS = 40_000_000


def load_image(source: bytes | str | Path, *, what: str = "image") -> np.ndarray:
    """Decode a JPEG/PNG/WebP (bytes or path) to RGB uint8, upright per its EXIF orientation."""
    try:
        fp = io.BytesIO(source) if isinstance(source, bytes | bytearray) else open(source, "rb")  # noqa: SIM115
    except OSError as exc:
        raise UnreadableImageError(f"The {what} could not be opened: {exc.strerror or exc}.") from exc
    try:
        with fp, Image.open(fp) as img:
            if img.width * img.height > MAX_PIXELS:
                raise UnreadableImageError(f"The {what} is too large ({img.width}x{img.height} pixels).")
            img = ImageOps.exif_transpose(img)
            return np.asarray(img.convert("RGB"))
    except UnreadableImageError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        raise UnreadableImageError(f"The {what} is not a readable picture (JPEG, PNG or WebP).") from exc


def encode_image(image: np.ndarray, fmt: str = "JPEG", *, quality: int = 92) -> bytes:
    """Encode an RGB uint8 array as JPEG, PNG or WebP bytes."""
    fmt = fmt.upper().replace("JPG", "JPEG")
    buffer = io.BytesIO()
    options = {"quality": quality} if fmt in ("JPEG", "WEBP") else {}
    Image.fromarray(image).save(buffer, fmt, **options)
    return buffer.getvalue()
