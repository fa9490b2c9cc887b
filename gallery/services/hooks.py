"""Photo hooks: gallery imports no app above it, so an app that looks at people's photos (swaps checks
them for faces, and marks a photo without a usable face) registers here, from its AppConfig.ready, to
hear of each photo a person adds or turns in My photos."""

from __future__ import annotations

from collections.abc import Callable

from ..models import Image

_PHOTO_ADDED_HOOKS: list[Callable[[Image], object]] = []


def image_photo_added_register(hook: Callable[[Image], object]) -> None:
    """Register a callable run with every photo a person adds or turns in My photos."""
    if hook not in _PHOTO_ADDED_HOOKS:
        _PHOTO_ADDED_HOOKS.append(hook)


def image_photo_added(*, image: Image) -> None:
    """Tell the registered apps about a photo just added or turned."""
    for hook in _PHOTO_ADDED_HOOKS:
        hook(image)
