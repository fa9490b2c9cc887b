"""Reading stored pictures: the one way the apps above open a picture's file (gallery's own views serve
files through presigned URLs or sendfile instead)."""

from __future__ import annotations

import io
from typing import IO

from PIL import Image as PILImage
from PIL import ImageOps

from ..models import Image


def image_open(image: Image) -> IO[bytes]:
    """The picture's clean copy, opened for reading (the caller closes it); FileNotFoundError if missing."""
    return image.file.storage.open(image.file.name, "rb")


def image_read(image: Image) -> bytes:
    """The picture's clean copy, whole."""
    with image_open(image) as fh:
        return fh.read()


def image_crop(image: Image, box: list[float], *, margin: float = 0.25, size: int = 160) -> bytes:
    """A JPEG of one region of the picture (a face's box), `margin` of its longer side added around it,
    no larger than `size` pixels on its longer side."""
    with image_open(image) as fh, PILImage.open(fh) as picture:
        picture = ImageOps.exif_transpose(picture).convert("RGB")
        x1, y1, x2, y2 = box
        extra = margin * max(x2 - x1, y2 - y1)
        crop = picture.crop((x1 - extra, y1 - extra, x2 + extra, y2 + extra))
        crop.thumbnail((size, size))
        buffer = io.BytesIO()
        crop.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()
