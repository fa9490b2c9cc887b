"""Writes for images: validated uploads (people's photos, templates, swap results), storage, quotas,
deletion, expiry, rotation, and the hooks through which higher apps hear of people's photos.

One module per subject; this package is the door the other apps use:

- `decoding`: an upload decoded, checked and re-encoded without its metadata (`image_clean`);
- `storage`: the one write (`image_store`) and the ways to it, files following their rows out;
- `quotas`: a person's photo space;
- `purge`: people's photos expire after the retention period;
- `rotation`: a photo turned a quarter turn;
- `reading`: a stored picture opened, read whole, or a region of it cropped;
- `hooks`: apps above gallery register to hear of photos added or turned;
- `visibility`: a site template's picture public, or hidden at a private key;
- `heavy`: decoding, face checks and turns bounded per person and per process ("busy, try again").
"""

from .decoding import CleanImage, image_clean, upload_digest
from .heavy import HeavyWorkBusy, at_low_priority, decode_budget, heavy_work, release_memory
from .hooks import image_photo_added_register
from .purge import PurgeResult, image_purge_expired
from .quotas import image_quota_check
from .reading import image_crop, image_open, image_read
from .rotation import image_rotate
from .storage import (
    image_delete,
    image_files_follow_row,
    image_make_public,
    image_phash_backfill,
    image_store,
    image_store_generated,
    image_upload,
    image_upload_or_reuse,
    picture_storage,
    sanitise_filename,
)
from .visibility import image_set_public

__all__ = [
    "CleanImage",
    "HeavyWorkBusy",
    "PurgeResult",
    "at_low_priority",
    "decode_budget",
    "heavy_work",
    "image_clean",
    "image_crop",
    "image_delete",
    "image_files_follow_row",
    "image_make_public",
    "image_open",
    "image_phash_backfill",
    "image_photo_added_register",
    "image_purge_expired",
    "image_quota_check",
    "image_read",
    "image_rotate",
    "image_set_public",
    "image_store",
    "image_store_generated",
    "image_upload",
    "image_upload_or_reuse",
    "picture_storage",
    "release_memory",
    "sanitise_filename",
    "upload_digest",
]
