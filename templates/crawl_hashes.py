"""Perceptual hashes of template pictures, so a crawl recognises a resized or re-encoded copy of a
picture the catalogue already has (a near-duplicate) as well as an identical one."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field

from django.conf import settings
from PIL import Image as PILImage

from gallery.models import Image, ImageType
from gallery.services import picture_storage

logger = logging.getLogger(__name__)


def image_perceptual_hash(*, data: bytes) -> str:
    """A picture's 64-bit perceptual hash (imagehash.phash) as 16 hex digits.

    Copies of one picture (resized, re-encoded) differ in a few bits; different pictures in about half.
    Pass the clean copy's thumbnail (`CleanImage.thumbnail`): cheaper to decode, and the hash only looks at
    a 32x32 reduction anyway.
    """
    import imagehash

    with PILImage.open(io.BytesIO(data)) as img:
        return str(imagehash.phash(img.convert("RGB")))


def image_perceptual_hash_backfill(*, image_type: str) -> int:
    """Give every picture of this type that has no perceptual hash yet one (from its thumbnail); the count.

    Pictures stored before hashes were kept (imported templates, the demo ones) can then be recognised
    as near-duplicates too. A picture whose file cannot be read is left without one.
    """
    done = 0
    for image in (
        # The site's pictures only: a person's private scene is never compared with what a crawl finds.
        Image.objects.filter(image_type=image_type, owner__isnull=True)
        .exclude(metadata__has_key="phash")
        .only("pk", "file", "metadata")
    ):
        try:
            with picture_storage().open(image.thumbnail_key or image.file.name, "rb") as fp:
                phash = image_perceptual_hash(data=fp.read())
        except (OSError, ValueError, PILImage.DecompressionBombError):
            logger.warning("no perceptual hash for image %s: its file cannot be read", image.pk)
            continue
        Image.objects.filter(pk=image.pk).update(metadata={**(image.metadata or {}), "phash": phash})
        done += 1
    return done


@dataclass
class KnownPictures:
    """The perceptual hashes of every template picture, loaded once per crawl and kept up to date."""

    hashes: list[tuple[int, int | None]] = field(default_factory=list)

    @classmethod
    def load(cls) -> KnownPictures:
        image_perceptual_hash_backfill(image_type=ImageType.TEMPLATE)
        rows = Image.objects.filter(
            image_type=ImageType.TEMPLATE, owner__isnull=True, metadata__has_key="phash"
        ).values_list("metadata__phash", "template__id")
        return cls([(int(value, 16), template_id) for value, template_id in rows if isinstance(value, str)])

    def nearest(self, phash: str) -> tuple[int, int | None] | None:
        """(distance, template id) of the closest known picture within CRAWL_PHASH_DISTANCE, if any."""
        value, limit = int(phash, 16), settings.CRAWL_PHASH_DISTANCE
        if not self.hashes:
            return None
        best = min(((value ^ known).bit_count(), template_id) for known, template_id in self.hashes)
        return best if best[0] <= limit else None

    def add(self, phash: str, template_id: int) -> None:
        self.hashes.append((int(phash, 16), template_id))
