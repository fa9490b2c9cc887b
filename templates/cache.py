"""The anonymous gallery and template pages, rendered once and kept in the shared cache.

Most visitors browsing templates are not logged in and see exactly the same HTML, so it is rendered once
per language and normalised query string and kept in the shared (Redis) cache for every web process. Every cached
page carries the version number it was rendered under; the version is bumped the moment (and again on
commit) any template, its picture or its tags is created, changed, activated, archived or deleted, and
a page of an older version is never served again.
Signed-in visitors get the same cached page with their own parts filled in (templates/personal.py);
visitors with messages waiting get a fresh page.

A page missing from the cache is rendered by one request only: the first takes a short lock and the
others asking for the same page meanwhile wait for its result (never an older version's page, which may
show a template just taken down). The set of pages kept is bounded: every parameter is canonicalised
(unknown values dropped), a tag or position that names nothing is rendered but not kept, and searches are
not kept at all (their words are unbounded; the indexes make them cheap).
"""

from __future__ import annotations

import hashlib
import io
import re
import time
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIRequest
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from .personal import SHARED_PAGE_ATTRIBUTE, answer_from_cache, personal_reader, replay

VERSION_KEY = "templates:pages:version"
# Part of every page's key: changes when what a kept page must carry does (its personal parts' marks).
PAGE_FORMAT = 2
# The popularity order changes as couples use templates, without any template being saved: a cached
# page therefore also expires after this long.
PAGE_TIMEOUT_SECONDS = 300
# The query parameters the gallery reads; anything else (tracking tags, cache busters) changes nothing.
PAGE_PARAMS = ("category", "tag", "q", "sort", "after", "before")
MAX_PARAM_LENGTH = 100
SORT_VALUES = ("popular", "newest")  # the first is the default, never written in a key
# A miss is rendered by one request at a time: the lock outlives any sane render, and the others wait at
# most this long for its page before rendering it themselves.
RENDER_LOCK_SECONDS = 10
WAIT_SECONDS = 5.0
WAIT_STEP_SECONDS = 0.01
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


def canonical_params(request: HttpRequest) -> dict[str, str]:
    """The gallery's own parameters as the page reads them: unknown categories and sorts, the default sort,
    positions that are not ids and a second position dropped; words of a search joined by single spaces."""
    from gallery.models import Category

    get = request.GET
    params = {
        "category": get.get("category", "") if get.get("category", "") in Category.values else "",
        "tag": get.get("tag", "").strip()[:MAX_PARAM_LENGTH],
        "q": " ".join(get.get("q", "").split())[:MAX_PARAM_LENGTH],
        "sort": get.get("sort", "") if get.get("sort", "") in SORT_VALUES[1:] else "",
    }
    for name in ("after", "before"):
        value = get.get(name, "")
        if value.isdigit() and len(value) < 12:
            params[name] = str(int(value))
            break
    return {name: params[name] for name in PAGE_PARAMS if params.get(name)}


def normalised_query(request: HttpRequest) -> str:
    """The gallery's own parameters, canonical, in a fixed order, without empty values or anything else."""
    return urlencode(canonical_params(request))


def _cacheable_request(request: HttpRequest) -> bool:
    return request.method in ("GET", "HEAD") and not any(name in request.COOKIES for name in PERSONAL_COOKIES)


def page_key(request: HttpRequest, language: str | None = None) -> str:
    # Only the gallery reads parameters; the template pages ignore them, so their keys do too.
    query = normalised_query(request) if request.path == _gallery_path() else ""
    # Each language its own page: worked out as LocaleMiddleware will (the footer's cookie, else the
    # browser's Accept-Language), before it runs, so a Chinese visitor is never given the English page.
    language = language or translation.get_language_from_request(request)
    return f"templates:page{PAGE_FORMAT}:{language}:{_path_part(request.path)}?{query}"


# The site's own paths as they are in a key; any other (a junk URL under the gallery: control characters,
# other scripts, any length) by its digest, so a key stays short and plain whatever was asked for.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/_.-]{1,120}")


def _path_part(path: str) -> str:
    if _PLAIN_PATH.fullmatch(path):
        return path
    return "#" + hashlib.sha256(path.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _gallery_path() -> str:
    from django.urls import reverse

    return reverse("couple_templates:list")


def _cached_page(request: HttpRequest) -> tuple[str, int, tuple | None]:
    """(key, current version, the cached (content, headers) if it is of that version) in one round trip.

    Each page is kept with the version it was rendered under, so the version and the page are read
    together (one MGET) instead of the version first and then a page key made from it.
    """
    key, version, cached, _found = _cached_page_with(request, cache.get_many)
    return key, version, cached


def _cached_page_with(
    request: HttpRequest, read: Callable[[list[str]], dict], language: str | None = None
) -> tuple[str, int, tuple | None, dict]:
    """_cached_page, with the keys read by `read(keys)`, which may read more in the same round trip (and
    returns what it found of everything it read)."""
    key = page_key(request, language)
    found = read([VERSION_KEY, key])
    version = found.get(VERSION_KEY)
    if version is None:
        return key, pages_version(), None, found
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return key, version, entry[1:], found
    return key, version, None, found


# Headers a cached page must not replay: they belong to one response (the request id is added outside).
_NOT_REPLAYED = {"set-cookie", "x-request-id", "content-length", CACHE_HEADER.lower()}


def cache_anonymous_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark `view`'s pages as the same for every visitor without a session (see the module docstring).

    AnonymousPageCacheMiddleware keeps a marked page once every middleware has had its say (security
    headers included), and answers the next such visitor from the cache before sessions, authentication
    and URL routing run at all. A view sets `response.cache_not_kept = True` for a page it should not keep
    (one whose parameters name nothing, so the set of kept pages stays bounded).
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if (
            _cacheable_request(request)
            and response.status_code == 200
            and not response.streaming
            and not getattr(response, "cache_not_kept", False)
        ):
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
        if not request.path.startswith(self.prefix) or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        if not _cacheable_request(request):
            # A session (perhaps signed in): the same page, with the person's parts filled in further on
            # (templates/personal.py), unless messages are waiting to be shown on it.
            if "messages" not in request.COOKIES:
                # The page, its version, the session and the person's parts in one round trip.
                language = translation.get_language_from_request(request)
                key, version, cached, found = _cached_page_with(request, personal_reader(request, language), language)
                if cached is None and not _is_search(request):
                    # No visitor has asked for this page since it changed: the visitors' page is rendered (once,
                    # as for a visitor's miss) and kept, and this person gets it with their parts like the next.
                    _response, cached = self._render_and_keep(_as_visitor(request), key, version)
                if cached is not None:
                    answered = answer_from_cache(request, cached, found, language, CACHE_HEADER)
                    if answered is not None:
                        return answered
                    setattr(request, SHARED_PAGE_ATTRIBUTE, (*cached, CACHE_HEADER))
            return self.get_response(request)
        key, version, cached = _cached_page(request)
        if cached is not None:
            return _replay(*cached, "hit")
        if _is_search(request):
            return self.get_response(request)
        response, _kept = self._render_and_keep(request, key, version)
        return response

    def _render_and_keep(self, request: HttpRequest, key: str, version: int) -> tuple[HttpResponse, tuple | None]:
        """A visitor's page missing from the cache, rendered by one request at a time and kept: (the
        response, its (content, headers) as kept, or None when the view said not to keep it)."""
        lock = f"{key}:render"
        if not cache.add(lock, version, RENDER_LOCK_SECONDS):
            waited = _wait_for_page(key, version)
            if waited is not None:
                return waited, (waited.content, _replayed_headers(waited))
        kept = None
        try:
            # Looked for again under the lock: a request that missed just before another's render ended finds
            # the lock free, and would otherwise render the page a second time.
            entry = cache.get(key)
            if entry is not None and entry[0] >= version:
                return _replay(entry[1], entry[2], "wait"), (entry[1], entry[2])
            response = self.get_response(request)
            if getattr(response, "cache_anonymous_page", False) and not response.cookies:
                headers = _replayed_headers(response)
                # Under the version read before rendering: a change made meanwhile makes this entry stale at once.
                cache.set(key, (version, response.content, headers), PAGE_TIMEOUT_SECONDS)
                kept = (response.content, headers)
                response[CACHE_HEADER] = "miss"
        finally:
            cache.delete(lock)
        return response, kept


def _is_search(request: HttpRequest) -> bool:
    """A gallery search: never kept (its words are unbounded; the indexes make it cheap)."""
    return bool(request.GET.get("q", "").strip()) and request.path == _gallery_path()


def _replayed_headers(response: HttpResponse) -> list[tuple[str, str]]:
    return [(name, value) for name, value in response.items() if name.lower() not in _NOT_REPLAYED]


def _as_visitor(request: HttpRequest) -> HttpRequest:
    """The same request as a visitor without a session makes it (the language cookie and Accept-Language
    kept, so the page is rendered in the language it is kept under)."""
    cookies = {
        name: value
        for name, value in request.COOKIES.items()
        if name not in PERSONAL_COOKIES and name != settings.CSRF_COOKIE_NAME
    }
    environ = {name: value for name, value in request.META.items() if not name.startswith("CSRF_")}
    environ.pop("HTTP_COOKIE", None)
    if cookies:
        environ["HTTP_COOKIE"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    environ["wsgi.input"] = io.BytesIO(b"")
    # WSGIRequest keeps the decoded path in META; WSGI wants it as ISO-8859-1 bytes-in-a-str again (a path
    # outside Latin-1 answered 500, found by the URL fuzz).
    environ["PATH_INFO"] = request.path_info.encode().decode("iso-8859-1")
    return WSGIRequest(environ)


def _replay(content: bytes, headers: list, how: str) -> HttpResponse:
    return replay(content, headers, CACHE_HEADER, how)


def _wait_for_page(key: str, version: int) -> HttpResponse | None:
    """The page another request is rendering, once it is kept (None when it is not within WAIT_SECONDS, or
    the render ended without keeping it: this request then renders it itself)."""
    lock = f"{key}:render"
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(WAIT_STEP_SECONDS)
        found = cache.get_many([key, lock])
        entry = found.get(key)
        if entry is not None and entry[0] >= version:
            return _replay(entry[1], entry[2], "wait")
        if lock not in found:
            return None
    return None
