"""Writes for accounts."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import translation

from .cached_user import user_cache_forget
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


def user_language_remember(*, user: User, request) -> None:
    """Keep the language `request` is answered in as `user`'s (their e-mails are written in it)."""
    language = translation.get_language_from_request(request)
    if user.pk and language in dict(settings.LANGUAGES) and user.language != language:
        user.language = language
        User.objects.filter(pk=user.pk).update(language=language)
        user_cache_forget(user.pk)


def user_language(user: User | None) -> str:
    """The language to write to `user` in: the one they last used the site in, else the site's own."""
    language = getattr(user, "language", "") or ""
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
