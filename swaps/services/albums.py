"""Albums: the same two photos tried on several templates at once, and all their pictures in one ZIP."""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.utils.text import slugify

from faceengine import ROLES
from gallery.services import image_read
from templates.models import Template

from .. import selectors
from ..models import Album
from .base import SwapError
from .fair_use import swap_fair_use_check, swap_fair_use_hold
from .photos import PersonPhoto
from .submit import SwapSubmitError, prepare_partners, swap_submit


def album_submit(
    *, user, templates: list[Template], husband: PersonPhoto, wife: PersonPhoto, this_is_me: bool = False
) -> Album:
    """Try the same two photos on several templates: one album, one ordinary swap per template.

    The photos are prepared once (uploads stored, faces checked) and each swap goes through swap_submit
    like any other. All or nothing: if one cannot be submitted, none is (SwapSubmitError, the template's
    title named for a template problem).
    """
    if not 1 <= len(templates) <= Album.MAX_TEMPLATES:
        raise SwapSubmitError(
            {NON_FIELD_ERRORS: [f"Pick between 1 and {Album.MAX_TEMPLATES} templates."]}, photos={}, checks={}
        )
    try:
        most = max(settings.SWAPS_MAX_ACTIVE_PER_USER, Album.MAX_TEMPLATES)
        swap_fair_use_check(user=user, adding=len(templates), most=most)
    except SwapError as exc:
        raise SwapSubmitError({NON_FIELD_ERRORS: [exc.message]}, {}, {}) from exc
    errors: dict[str, list[str]] = {}
    photos, checks = prepare_partners(user=user, husband=husband, wife=wife, errors=errors)
    if errors:
        raise SwapSubmitError(errors, photos, checks)
    people = {role: PersonPhoto(image=photos[role], face=checks[role].chosen) for role in ROLES}
    with transaction.atomic():
        try:
            # Counted again under the person's row lock: concurrent albums cannot pass the caps.
            swap_fair_use_hold(user=user, adding=len(templates), most=most)
        except SwapError as exc:
            raise SwapSubmitError({NON_FIELD_ERRORS: [exc.message]}, photos, checks) from exc
        album = Album.objects.create(user=user)
        for template in templates:
            try:
                swap_submit(user=user, template=template, album=album, this_is_me=this_is_me, **people)
            except SwapSubmitError as exc:
                messages = exc.message_dict
                if NON_FIELD_ERRORS in messages:
                    messages[NON_FIELD_ERRORS] = [f"“{template.title}”: {m}" for m in messages[NON_FIELD_ERRORS]]
                raise SwapSubmitError(messages, photos, checks) from exc
    return album


def album_zip(*, album: Album) -> bytes | None:
    """ "Download all": the album's finished pictures in one ZIP, numbered in the album's order and named
    after their templates (stored, not compressed again: they are JPEGs and PNGs already, each with its
    signed manifest); None while none is ready."""
    done = [item for item in selectors.album_items(album=album) if item.result_image]
    if not done:
        return None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for number, item in enumerate(done, start=1):
            title = slugify(item.template.title if item.template else "") or "swap"
            suffix = PurePosixPath(item.result_image.file.name).suffix.lower() or ".jpg"
            archive.writestr(f"{number:02d}-{title}{suffix}", image_read(item.result_image))
    return buffer.getvalue()
