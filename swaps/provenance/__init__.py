"""Where a result came from, carried by the file itself: an invisible mark with the task's public id in the
pixels (watermark.py) and a signed C2PA manifest in the file (signing.py); verify.py reads both back.

A swap's result gets the mark first (it changes pixels) and the manifest last (it signs the final bytes).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath

import numpy as np
from django.utils.html import format_html
from django.utils.translation import gettext as _


def result_mark(picture: np.ndarray, *, task) -> np.ndarray:
    """The result (RGB or RGBA uint8) with the task's public id hidden in it."""
    from . import watermark

    return watermark.embed(picture, task.public_id, order="rgb")


def result_sealer(*, task, template_bytes: bytes | None = None) -> Callable[[bytes, str], bytes]:
    """What turns the encoded result into the stored file: the same bytes with a signed manifest naming
    the task's template as the picture it was made from (`template_bytes`: its stored file, when the caller
    has already read it, saving a second read from storage)."""
    from . import signing

    image = task.template.image

    def seal(data: bytes, stored_format: str) -> bytes:
        template = template_bytes
        if template is None:
            with image.file.open("rb") as fh:
                template = fh.read()
        template_format = "PNG" if PurePosixPath(image.file.name).suffix.lower() == ".png" else "JPEG"
        return signing.sign(
            data,
            stored_format,
            template=template,
            template_format=template_format,
            template_title=task.template.title or f"Template {task.template.pk}",
        )

    return seal


def result_provenance(task):
    """What a result's own file says about it, checked now: its manifest and signature, and its mark
    (a `verify.Verification`; None when the task has no result)."""
    from .verify import verify_bytes

    image = task.result_image
    if image is None:
        return None
    with image.file.open("rb") as fh:
        return verify_bytes(fh.read())


def result_provenance_html(task) -> str:
    """For staff pages: whether a task's stored result was made here (its signed manifest and its mark), checked now."""
    check = result_provenance(task) if task is not None and task.pk else None
    if check is None:
        return "—"
    mark = check.mark.public_id if check.mark else None
    return format_html(
        "{}<br>{}<br>{}",
        _("Manifest: made here, signature valid")
        if check.signature_valid and check.made_here
        else _("Manifest: NOT valid (%(problems)s)") % {"problems": "; ".join(check.problems) or "?"},
        _("Mark: task %(id)s") % {"id": mark} if mark else _("Mark: none found"),
        _("matches swap #%(pk)s") % {"pk": task.pk}
        if mark and mark == task.public_id
        else _("does not match this swap"),
    )


# The visible badge: its height against the picture's shorter side, and the least it may be.
BADGE_SHARE = 0.06
BADGE_MIN_PX = 20


def badged_result(task) -> bytes:
    """The task's result with a small visible "AI" badge in its bottom-right corner, marked with the task's
    public id and signed again like any result (so `verify_result` reads it the same). Made once per result
    and kept in the cache for a day."""
    from django.core.cache import cache

    image = task.result_image
    key = f"faceswap:share-badge:{image.pk}:{image.file_size or 0}"
    data = cache.get(key)
    if data is None:
        data = _badge(task)
        cache.set(key, data, 24 * 3600)
    return data


def _badge(task) -> bytes:
    import io

    from PIL import Image as PILImage
    from PIL import ImageDraw, ImageFont

    from gallery.services import image_open

    with image_open(task.result_image) as fh, PILImage.open(fh) as opened:
        picture = opened.convert("RGBA" if opened.mode in ("RGBA", "LA", "P") else "RGB")
    stored_format = "PNG" if picture.mode == "RGBA" else "JPEG"
    height = max(BADGE_MIN_PX, round(min(picture.size) * BADGE_SHARE))
    # "AI" needs no translation, and the font bundled with Pillow draws it everywhere.
    font = ImageFont.load_default(size=round(height * 0.62))
    left, top, right, bottom = font.getbbox("AI")
    width = (right - left) + height
    margin = max(4, height // 3)
    x2, y2 = picture.width - margin, picture.height - margin
    box = (x2 - width, y2 - height, x2, y2)
    overlay = PILImage.new("RGBA", picture.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    # Dark with a light edge, so it shows on a dark picture as on a light one.
    draw.rounded_rectangle(
        box, radius=height // 4, fill=(20, 20, 28, 190), outline=(255, 255, 255, 220), width=max(1, height // 14)
    )
    text_x = box[0] + (width - (right - left)) / 2 - left
    text_y = box[1] + (height - (bottom - top)) / 2 - top
    draw.text((text_x, text_y), "AI", font=font, fill=(255, 255, 255, 255))
    badged = PILImage.alpha_composite(picture.convert("RGBA"), overlay)
    if stored_format == "JPEG":
        badged = badged.convert("RGB")
    marked = result_mark(np.asarray(badged), task=task)
    buffer = io.BytesIO()
    PILImage.fromarray(marked).save(buffer, stored_format, **({"quality": 92} if stored_format == "JPEG" else {}))
    return result_sealer(task=task)(buffer.getvalue(), stored_format)
