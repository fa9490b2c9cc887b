"""Test data for templates: pictures generated in memory, stored through gallery's real upload service."""

from __future__ import annotations

import io
import itertools
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from gallery.models import ImageType
from gallery.services import image_upload
from templates.models import Template

_colours = itertools.cycle([(200, 80, 120), (90, 120, 200), (60, 160, 90), (220, 170, 60), (130, 70, 170)])
_counter = itertools.count(1)


def picture_bytes(width: int = 320, height: int = 240, fmt: str = "PNG", colour: tuple | None = None) -> bytes:
    """A small picture, different for every call (so no two are the same sha256)."""
    n = next(_counter)
    picture = PILImage.new("RGB", (width, height), colour or next(_colours))
    # A few unique pixels keep every generated picture distinct.
    for i in range(8):
        picture.putpixel((i, 0), (255, 255, 255) if (n >> i) & 1 else (0, 0, 0))
    picture.putpixel((8, 0), (n % 256, (n // 256) % 256, 7))
    buffer = io.BytesIO()
    picture.save(buffer, fmt)
    return buffer.getvalue()


def picture_upload(name: str = "picture.png", **kwargs: Any) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, picture_bytes(**kwargs), content_type="image/png")


def face(x1: float, y1: float, x2: float, y2: float, *, role: str | None = None, source: str = "detected") -> dict:
    """A valid face_positions entry with key points placed inside the box."""
    w, h = x2 - x1, y2 - y1
    kps = [
        [x1 + 0.3 * w, y1 + 0.4 * h],
        [x1 + 0.7 * w, y1 + 0.4 * h],
        [x1 + 0.5 * w, y1 + 0.6 * h],
        [x1 + 0.35 * w, y1 + 0.8 * h],
        [x1 + 0.65 * w, y1 + 0.8 * h],
    ]
    return {"box": [x1, y1, x2, y2], "kps": kps, "landmarks": None, "score": 0.9, "role": role, "source": source}


COUPLE = [face(40, 60, 120, 140, role="husband"), face(200, 70, 270, 140, role="wife")]


def make_template(
    *,
    title: str = "A couple",
    category: str | None = "acg",
    faces: list[dict] | None = None,
    is_active: bool = True,
    tags: tuple[str, ...] = (),
    picture_size: tuple[int, int] = (320, 240),
    **fields: Any,
) -> Template:
    """A template with a real stored picture (320x240 by default) and, by default, a complete couple."""
    width, height = picture_size
    image = image_upload(
        owner=None,
        file=picture_upload(width=width, height=height),
        image_type=ImageType.TEMPLATE,
        category=category,
        tags=tags,
    )
    return Template.objects.create(
        image=image,
        title=title,
        category=category,
        face_positions=[dict(f) for f in (COUPLE if faces is None else faces)],
        is_active=is_active,
        **fields,
    )
