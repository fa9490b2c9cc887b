"""Writes for accounts."""

from __future__ import annotations

import logging

from django.db import transaction

from gallery.models import Image
from gallery.services import files_delete_on_commit, image_file_keys
from swaps.models import FaceSwapTask

from .models import User

logger = logging.getLogger(__name__)


def user_delete(*, user: User) -> int:
    """Delete an account with everything it owns: photos, swap tasks, results, and their files.

    Rows go in one transaction; the files (pictures and thumbnails) are removed from storage once it has
    committed, so a failure part-way leaves the account whole. Returns the number of images deleted.
    """
    with transaction.atomic():
        # Lock the account row so an upload racing with the deletion cannot add a photo we then miss.
        User.objects.select_for_update().filter(pk=user.pk).first()
        images = list(Image.objects.filter(owner=user).only("id", "file", "metadata"))
        keys = [key for image in images for key in image_file_keys(image)]
        FaceSwapTask.objects.filter(user=user).delete()
        Image.objects.filter(owner=user).delete()
        user.delete()
        files_delete_on_commit(keys)
    logger.info("deleted an account with %d images", len(images))
    return len(images)
