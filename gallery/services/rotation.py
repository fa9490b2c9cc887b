"""Turning a person's photo a quarter turn (a photo the camera saved sideways)."""

from __future__ import annotations

from django.db import transaction
from PIL import Image as PILImage

from ..models import Image, storage_key
from .decoding import image_encode
from .heavy import decode_budget, heavy_work
from .hooks import image_photo_added
from .storage import files_delete_on_commit, files_written, image_file_keys, picture_storage

# Gallery's own metadata keys; a rotated photo keeps these and loses what other apps learnt from its
# pixels (a face check), which no longer matches.
_OWN_METADATA = ("sha256", "format", "mode", "thumbnail", "thumbnail_width", "thumbnail_height", "notes")


def image_rotate(*, image: Image, clockwise: bool) -> Image:
    """Turn a stored picture a quarter turn and store it again; the apps that look at photos hear of it.

    A new picture and thumbnail replace the old ones (those go after the commit); width, height, size and
    sha256 follow; metadata other apps derived from the old pixels is dropped. Turns of one photo run one
    after another (its row locked for the turn), so two quick clicks turn it twice and every file but the
    last one's is removed; the turn takes one of the owner's heavy-work slots (HeavyWorkBusy when taken).
    """
    with heavy_work(owner_id=image.owner_id):
        with transaction.atomic():
            # The row as it is now, locked: a turn that started first has finished and its files are known.
            image = Image.objects.select_for_update().get(pk=image.pk)
            with decode_budget(pixels=(image.width or 0) * (image.height or 0)):
                clean = _turned(image, clockwise=clockwise)
            metadata = image.metadata or {}
            old_keys = image_file_keys(image)
            name = storage_key(image.image_type, clean.suffix)
            with files_written(clean, name=name) as (key, thumb_key):
                image.file = key
                image.width, image.height, image.file_size = clean.width, clean.height, len(clean.data)
                image.metadata = {
                    **{k: v for k, v in metadata.items() if k in _OWN_METADATA},
                    "sha256": clean.sha256,
                    "phash": clean.phash,
                    "thumbnail": thumb_key,
                    "thumbnail_width": clean.thumbnail_size[0],
                    "thumbnail_height": clean.thumbnail_size[1],
                }
                image.save(update_fields=["file", "width", "height", "file_size", "metadata"])
                files_delete_on_commit(old_keys)
        image_photo_added(image=image)
    return image


def _turned(image: Image, *, clockwise: bool):
    # Through the storage, not image.file: the field keeps its open file object, which would be read
    # again (the old picture) after the name changes.
    with picture_storage().open(image.file.name, "rb") as fh, PILImage.open(fh) as picture:
        picture.load()
        turned = picture.convert("RGB").transpose(
            PILImage.Transpose.ROTATE_270 if clockwise else PILImage.Transpose.ROTATE_90
        )
    return image_encode(
        turned,
        original_format=(image.metadata or {}).get("format", "JPEG"),
        original_mode="RGB",
        lossless=False,
        notes=[],
    )
