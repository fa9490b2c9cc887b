"""A site template's picture public or hidden: public objects live under the public prefix at their
immutable, content-addressed URLs (readable by anyone, cached for a year by browsers and a CDN); a picture
that must not be seen (a template taken down, rejected, waiting for review or archived) is moved to a
private key, so its immutable URL answers 404 from then on, and the CDN is told to forget it."""

from __future__ import annotations

import logging
import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from ..models import Image, ImageType, storage_key
from ..storage import is_public_key
from .storage import files_delete, image_file_keys, picture_storage, thumbnail_key_for

logger = logging.getLogger(__name__)

# Where hidden template pictures are kept: outside the public prefix, under random (unwalkable) names.
HIDDEN_TYPE = "template-hidden"


def _hidden_key(suffix: str) -> str:
    when = timezone.now()
    return f"{settings.STORAGE_BACKEND}/{HIDDEN_TYPE}/{when:%Y}/{when:%m}/{uuid.uuid4().hex}{suffix.lower()}"


def _copy(storage, old: str, new_key: str) -> str:
    with storage.open(old, "rb") as fp:
        return storage.save(new_key, ContentFile(fp.read()))


def image_set_public(*, image: Image, public: bool) -> Image:
    """Move a site template's picture and thumbnail to its public key (`public`) or to a private one;
    the old objects go once the caller's transaction commits (and, with PUBLIC_PICTURE_PURGE set, the CDN
    is asked to forget the public URLs). Nothing to do when the picture is already where it belongs."""
    if image.image_type != ImageType.TEMPLATE or image.owner_id is not None or not image.file.name:
        return image
    if is_public_key(image.file.name) == public:
        return image
    storage = picture_storage()
    old_keys = image_file_keys(image)
    suffix = PurePosixPath(image.file.name).suffix or ".jpg"
    target = storage_key(ImageType.TEMPLATE, suffix, content_hash=image.sha256) if public else _hidden_key(suffix)
    key = _copy(storage, image.file.name, target)
    thumb_key = ""
    if image.thumbnail_key:
        thumb_suffix = PurePosixPath(image.thumbnail_key).suffix or ".jpg"
        thumb_key = _copy(storage, image.thumbnail_key, thumbnail_key_for(key, suffix=thumb_suffix))
    new_keys = [key, *([thumb_key] if thumb_key else [])]
    gone = [k for k in old_keys if k not in new_keys]
    gone_urls = [image.public_url_for(k) for k in gone if is_public_key(k)]
    transaction.on_commit(lambda: (files_delete(gone), _purge(gone_urls)))
    # A new file object, not a renamed one: the old one may hold the moved-away file open, and a caller reading
    # the picture later would reopen the old path, which is gone once the move commits.
    image.file = key
    image.metadata = {**(image.metadata or {}), **({"thumbnail": thumb_key} if thumb_key else {})}
    image.save(update_fields=["file", "metadata"])
    return image


def _purge(urls: list[str]) -> None:
    """Tell the CDN in front of the public pictures to forget these URLs (PUBLIC_PICTURE_PURGE: the
    dotted path of a function taking the list of URLs); a failure is logged, never raised."""
    if not urls or not settings.PUBLIC_PICTURE_PURGE:
        return
    try:
        import_string(settings.PUBLIC_PICTURE_PURGE)(urls)
    except Exception:
        logger.exception("Could not purge %d picture URL(s) from the CDN", len(urls))
