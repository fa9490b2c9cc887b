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


def result_sealer(*, task) -> Callable[[bytes, str], bytes]:
    """What turns the encoded result into the stored file: the same bytes with a signed manifest naming
    the task's template as the picture it was made from."""
    from . import signing

    image = task.template.image

    def seal(data: bytes, stored_format: str) -> bytes:
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
