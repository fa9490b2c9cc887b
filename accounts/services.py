"""Writes for accounts."""

from __future__ import annotations

import logging

from django.db import transaction

from .models import User

logger = logging.getLogger(__name__)


def user_delete(*, user: User) -> int:
    """Delete an account with everything it owns: photos, swap tasks, results, and their files.

    Everything the account owns goes with it by ON DELETE CASCADE, in one transaction; the gallery removes
    each image's files once that has committed (its own delete path), so a failure part-way leaves the
    account whole. Returns the number of images deleted.
    """
    with transaction.atomic():
        # Lock the account row so an upload racing with the deletion cannot add a photo we then miss.
        User.objects.select_for_update().filter(pk=user.pk).first()
        _, deleted = user.delete()
    images = deleted.get("gallery.Image", 0)
    logger.info("deleted an account with %d images", images)
    return images
