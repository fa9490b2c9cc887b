"""Where pictures live and the URLs that reach them without streaming them through Python.

With S3 (production) the browser fetches every picture from the object store itself:
- people's photos and results are private objects: after the owner check the site answers with a
  presigned URL that expires within minutes (AWS_QUERYSTRING_EXPIRE);
- template pictures and their thumbnails are public objects under a content-addressed key (the stored
  bytes' sha256), written with `Cache-Control: public, max-age=31536000, immutable`, so browsers and a CDN
  keep them. A bucket policy (`manage.py storage_setup`) lets anyone read the template prefix only.
With local files (`make run`) Django serves both kinds, efficiently (see gallery.views).
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import Storage

IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
# A private object fetched through a presigned URL may stay in that person's browser, never in a shared cache.
PRIVATE_OBJECT_CACHE = "private, max-age=3600"
PUBLIC_IMAGE_TYPE = "template"


def public_prefix() -> str:
    """The key prefix of public pictures (template images and their thumbnails)."""
    return f"{settings.STORAGE_BACKEND}/{PUBLIC_IMAGE_TYPE}/"


def is_public_key(key: str) -> bool:
    return key.startswith(public_prefix()) and ".." not in key.split("/")


def uses_object_store(storage: Storage) -> bool:
    """True when pictures live in S3 (browsers fetch them there), False for local files."""
    return bool(getattr(storage, "object_store", False))
