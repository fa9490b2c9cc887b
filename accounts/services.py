"""Writes for accounts."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import translation

from .cached_user import user_cache_forget
from .models import User

logger = logging.getLogger(__name__)

# What other apps must do before an account goes, beyond what it owns (which cascades): accounts imports no
# higher app, so they register it from their AppConfig.ready (swaps: a partner's login going withdraws the
# agreements it gave, deleting what was made with that face in someone else's account).
_BEFORE_DELETE: list[Callable[[User], object]] = []


def user_delete_register(callback: Callable[[User], object]) -> None:
    """Run `callback(user)` inside every account deletion's transaction, before the rows go."""
    if callback not in _BEFORE_DELETE:
        _BEFORE_DELETE.append(callback)


def user_delete(*, user: User) -> int:
    """Delete an account with everything it owns: photos, swap tasks, results, and their files.

    Everything the account owns goes with it by ON DELETE CASCADE, in one transaction; the gallery removes
    each image's files once that has committed (its own delete path), so a failure part-way leaves the
    account whole. What other apps registered (user_delete_register) runs first, in the same transaction.
    Returns the number of images the account owned that were deleted.
    """
    with transaction.atomic():
        # Lock the account row so an upload racing with the deletion cannot add a photo we then miss.
        User.objects.select_for_update().filter(pk=user.pk).first()
        for callback in _BEFORE_DELETE:
            callback(user)
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
