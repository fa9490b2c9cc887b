"""Template context every page may use: which templates the visitor has marked as favourites."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .selectors import favourite_template_ids


def favourites(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"favourite_template_ids": frozenset()}
    # Lazy: one small query, only on pages that draw a heart.
    return {"favourite_template_ids": SimpleLazyObject(lambda: favourite_template_ids(user=user))}
