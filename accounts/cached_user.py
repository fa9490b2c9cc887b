"""The signed-in person's row read from the shared cache instead of the database on each request.

Every signed-in page asks for `request.user`, which Django answers with a query on the users table. The row
changes rarely (a log-in, a new name or password, a staff flag), so it is kept in the cache for USER_SECONDS
and dropped the moment it is saved or deleted. It is checked against the session exactly as Django checks
the row it reads (the session's hash of the password must match the row's), so a password changed elsewhere
still ends every other session at once; anything unusual (no row kept, a hash that does not match, a
backend no longer configured) goes Django's own way, which also keeps the row for the next request.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

USER_SECONDS = 600


def user_key(user_id) -> str:
    return f"accounts:user:{user_id}"


def user_cache_forget(user_id) -> None:
    """Drop the kept row of this account (it was saved, updated or deleted)."""
    if user_id is not None:
        cache.delete(user_key(user_id))


def user_changed(*, instance, **kwargs) -> None:
    """Signal receiver: the user row was saved or deleted."""
    user_cache_forget(instance.pk)


def _kept_user(request: HttpRequest):
    session = request.session
    user_id = session.get(SESSION_KEY)
    if user_id is None or session.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = cache.get(user_key(user_id))
    if user is None or str(user.pk) != str(user_id) or not user.is_active:
        return None
    if not constant_time_compare(session.get(HASH_SESSION_KEY) or "", user.get_session_auth_hash()):
        return None  # Django's way: the fallback secrets, or the session ended
    user.backend = session[BACKEND_SESSION_KEY]
    return user


def get_user(request: HttpRequest):
    if not hasattr(request, "_cached_user"):
        user = _kept_user(request)
        if user is None:
            user = auth.get_user(request)
            if user.is_authenticated:
                cache.set(user_key(user.pk), user, USER_SECONDS)
        request._cached_user = user
    return request._cached_user


class CachedUserAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's AuthenticationMiddleware, with `request.user` read from the cache when it is kept there."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: get_user(request))
