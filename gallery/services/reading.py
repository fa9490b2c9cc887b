"""Reading stored pictures: the one way the apps above open a picture's file (gallery's own views serve
files through presigned URLs or sendfile instead)."""

from __future__ import annotations

import io
from typing import IO

from PIL import Image as PILImage
from PIL import ImageOps

from ..models import Image
from .heavy import decode_budget


def image_open(image: Image) -> IO[bytes]:
    """The picture's clean copy, opened for reading (the caller closes it); FileNotFoundError if missing."""
    return image.file.storage.open(image.file.name, "rb")


def image_read(image: Image) -> bytes:
    """The picture's clean copy, whole."""
    with image_open(image) as fh:
        return fh.read()


def image_crop(image: Image, box: list[float], *, margin: float = 0.25, size: int = 160) -> bytes:
    """A JPEG of one region of the picture (a face's box), `margin` of its longer side added around it,
    no larger than `size` pixels on its longer side.

    A JPEG is decoded at the smallest of its built-in reductions (1/2 .. 1/8) that still gives the region
    `size` pixels, so a face of a 40-megapixel photo costs a few megabytes instead of 160, and the decoded
    size is held in this process's budget (`decode_budget`)."""
    x1, y1, x2, y2 = box
    extra = margin * max(x2 - x1, y2 - y1)
    region = (x1 - extra, y1 - extra, x2 + extra, y2 + extra)
    with image_open(image) as fh, PILImage.open(fh) as picture:
        full = picture.size
        shrink = max(1.0, max(region[2] - region[0], region[3] - region[1]) / size)
        picture.draft("RGB", (max(1, int(full[0] / shrink)), max(1, int(full[1] / shrink))))
        scale = picture.size[0] / full[0]
        with decode_budget(pixels=picture.size[0] * picture.size[1]):
            picture = ImageOps.exif_transpose(picture).convert("RGB")
            crop = picture.crop(tuple(round(v * scale) for v in region))
            del picture
            crop.thumbnail((size, size))
            buffer = io.BytesIO()
            crop.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()
