"""The anonymous gallery and template pages, rendered once and kept in the shared cache.

Most visitors browsing templates are not logged in and see exactly the same HTML, so it is rendered once
per normalised query string and kept in the shared (Redis) cache for every web process. Every cached
page carries the version number it was rendered under; the version is bumped the moment (and again on
commit) any template, its picture or its tags is created, changed, activated, archived or deleted, and
a page of an older version is never served again.
Logged-in visitors, and visitors with a session or pending messages, always get a fresh page.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

VERSION_KEY = "templates:pages:version"
# The popularity order changes as couples use templates, without any template being saved: a cached
# page therefore also expires after this long.
PAGE_TIMEOUT_SECONDS = 300
# The query parameters the gallery reads; anything else (tracking tags, cache busters) changes nothing.
PAGE_PARAMS = ("category", "tag", "q", "sort", "page")
MAX_PARAM_LENGTH = 100
# Cookies that make a page personal: a session (perhaps logged in) or messages waiting to be shown.
PERSONAL_COOKIES = (settings.SESSION_COOKIE_NAME, "messages")
CACHE_HEADER = "X-Page-Cache"


def pages_version() -> int:
    """The current version of the cached template pages (created on first use)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        # A time-based start: a version evicted from the cache never comes back as an old number.
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(VERSION_KEY)
    return int(version)


def pages_invalidate() -> None:
    """Make every cached template page out of date at once (they are re-rendered on their next visit)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet: nothing is cached under one either
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)


def pages_invalidate_on_commit(**kwargs) -> None:
    """Signal receiver: invalidate now, and again once the change that sent the signal is committed.

    Now, so this very transaction's next read sees a fresh page; after the commit too, so a page another
    process rendered meanwhile from the old rows never stays cached under the new version.
    """
    pages_invalidate()
    transaction.on_commit(pages_invalidate)


def template_image_changed(*, instance, **kwargs) -> None:
    """Signal receiver for pictures: only a template's picture is on these pages (not people's photos)."""
    from gallery.models import ImageType

    if getattr(instance, "image_type", None) == ImageType.TEMPLATE:
        pages_invalidate_on_commit()


def normalised_query(request: HttpRequest) -> str:
    """The gallery's own parameters, in a fixed order, without empty values or anything else."""
    pairs = []
    for name in PAGE_PARAMS:
        value = request.GET.get(name, "").strip()[:MAX_PARAM_LENGTH]
        if value:
            pairs.append((name, value))
    return urlencode(pairs)


def _cacheable_request(request: HttpRequest) -> bool:
    return request.method in ("GET", "HEAD") and not any(name in request.COOKIES for name in PERSONAL_COOKIES)


def page_key(request: HttpRequest) -> str:
    return f"templates:page:{request.path}?{normalised_query(request)}"


def _cached_page(request: HttpRequest) -> tuple[str, int, tuple | None]:
    """(key, current version, the cached (content, headers) if it is of that version) in one round trip.

    Each page is kept with the version it was rendered under, so the version and the page are read
    together (one MGET) instead of the version first and then a page key made from it.
    """
    key = page_key(request)
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY)
    if version is None:
        return key, pages_version(), None
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return key, version, entry[1:]
    return key, version, None


# Headers a cached page must not replay: they belong to one response (the request id is added outside).
_NOT_REPLAYED = {"set-cookie", "x-request-id", "content-length", CACHE_HEADER.lower()}


def cache_anonymous_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark `view`'s pages as the same for every visitor without a session (see the module docstring).

    AnonymousPageCacheMiddleware keeps a marked page once every middleware has had its say (security
    headers included), and answers the next such visitor from the cache before sessions, authentication
    and URL routing run at all.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if _cacheable_request(request) and response.status_code == 200 and not response.streaming:
            response.cache_anonymous_page = True
        # The same URL is personal for logged-in visitors: shared caches must tell them apart.
        patch_vary_headers(response, ["Cookie"])
        return response

    return wrapper


class AnonymousPageCacheMiddleware:
    """Serve and keep the pages marked by `cache_anonymous_page` (place it before SessionMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.prefix = ""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.prefix:
            from django.urls import reverse

            self.prefix = reverse("couple_templates:list")
        if not request.path.startswith(self.prefix) or not _cacheable_request(request):
            return self.get_response(request)
        key, version, cached = _cached_page(request)
        if cached is not None:
            content, headers = cached
            response = HttpResponse(content)
            for name, value in headers:
                response[name] = value
            response[CACHE_HEADER] = "hit"
            return response
        response = self.get_response(request)
        if getattr(response, "cache_anonymous_page", False) and not response.cookies:
            headers = [(name, value) for name, value in response.items() if name.lower() not in _NOT_REPLAYED]
            # Under the version read before rendering: a change made meanwhile makes this entry stale at once.
            cache.set(key, (version, response.content, headers), PAGE_TIMEOUT_SECONDS)
            response[CACHE_HEADER] = "miss"
        return response
