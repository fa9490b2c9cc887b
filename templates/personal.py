"""Signed-in visitors get the gallery and template pages from the same shared cache as everyone else.

A cached page is the anonymous visitor's; the few parts of it that differ for a signed-in person (the menu,
the hearts, the "Use this template" label) are marked in the HTML as

    <!--personal:<include template>[:<template id>:<its title, URL-encoded>]-->what a visitor sees<!--/personal-->

and for a signed-in request each marked part is replaced by the same include rendered for that person
(the pages render those parts through the very same includes, so both ways give the same HTML). The rest
of the page (the grid, the count, the tag chips: 70 % of a render) is never rendered for them.

The person's parts are rendered once and kept in the shared cache as their *kit* (per person and language):
each part with stand-ins for what changes from request to request (the CSRF token, the page's address)
or from card to card (the card's id and title, whether it is one of their favourites), and the ids of
their favourites. A kit is dropped the moment the person's account or favourites change, and it carries
the session hash of the account it was made for, so a changed password never finds a kit to use.

Two ways to the same page:
- the quick way (`answer_from_cache`, called by AnonymousPageCacheMiddleware before sessions run): the
  page, its version, the session (sessions are cached) and, through a pointer from the session to its
  person, the person's kit, in one round trip to the cache (a Lua script on Redis); the parts filled in by
  string replacement. No SQL, no session or authentication middleware, no template rendered.
- otherwise (no kit yet, a session only in the database, messages waiting): SharedPagePersonalMiddleware,
  placed after authentication, CSRF and messages, makes or completes the kit and answers the same way.
A request with messages waiting, or whose page is not cached, is rendered in full as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from importlib import import_module
from types import SimpleNamespace
from urllib.parse import unquote

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.template.loader import get_template
from django.utils.cache import patch_cache_control
from django.utils.crypto import constant_time_compare
from django.utils.html import escape

PART = re.compile(rb"(<!--personal:([\w/.-]+\.html)(?::(\d+):([\w.~%-]*))?-->).*?<!--/personal-->", re.S)
SHARED_PAGE_ATTRIBUTE = "shared_page"
PERSONAL_HEADER_VALUE = "hit-personal"
# A card no catalogue reaches, and a title no person types, standing in for each card's own.
STAND_IN_PK = 4_611_686_018_427_387_917
STAND_IN_TITLE = "\x00title\x00"
# Stand-ins for the CSRF token and the page's address (letters only: HTML escaping leaves them as they are).
CSRF_STAND_IN = "xCsrfStandInQz"
PATH_STAND_IN = "xPathStandInQz"
# A kit is made again after this long at the latest (and at once when the person's account or favourites
# change); the number changes when the kit's shape does, so a deploy never reads an older shape.
KIT_SECONDS = 600
KIT_FORMAT = 1
STAND_IN_PK_BYTES, STAND_IN_TITLE_BYTES = b"%d" % STAND_IN_PK, STAND_IN_TITLE.encode()
CSRF_STAND_IN_BYTES, PATH_STAND_IN_BYTES = CSRF_STAND_IN.encode(), PATH_STAND_IN.encode()

_csrf = CsrfViewMiddleware(lambda request: HttpResponse())


def kit_key(user_id: int | str, language: str) -> str:
    return f"personal:kit:{KIT_FORMAT}:{user_id}:{language}"


def kits_forget(user_id: int | None) -> None:
    """Drop the person's kits in every language (their account or favourites changed)."""
    if user_id is not None:
        cache.delete_many([kit_key(user_id, code) for code, _name in settings.LANGUAGES])


def user_changed(*, instance, **kwargs) -> None:
    """Signal receiver (the user model saved or deleted): name, staff flag, password or account changed."""
    kits_forget(instance.pk)


def favourite_changed(*, instance, **kwargs) -> None:
    """Signal receiver (a Favourite saved or deleted): the person's hearts changed."""
    kits_forget(instance.user_id)


class _PathStandIn:
    """The request as the parts see it, but for the page's address (the hearts' `next`), a stand-in."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request

    def get_full_path(self) -> str:
        return PATH_STAND_IN

    def __getattr__(self, name: str):
        return getattr(self._request, name)


def _kit_make(request: HttpRequest, names: dict[bytes, bool], kit: dict | None) -> dict:
    """The signed-in person's kit with every part in `names` (name -> whether it is a card's part, with
    the card's id), those of `kit`, if given, kept."""
    user = request.user
    parts = dict(kit["parts"]) if kit else {}
    context: dict | None = None
    favourites: frozenset[int] = frozenset(kit["favourites"]) if kit else frozenset()
    for name, per_card in names.items():
        if name in parts:
            continue
        part = get_template(name.decode())
        if context is None:
            # The context processors (the person, their favourites) run once for all the parts.
            context = {}
            for processor in part.template.engine.template_context_processors:
                context.update(processor(request))
            if kit is None:
                favourites = frozenset(context.get("favourite_template_ids", ()))
            context.update(csrf_token=CSRF_STAND_IN, request=_PathStandIn(request), favourite_template_ids=favourites)
        if per_card:
            # A card's part differs from another card's only by the card's id, its title and whether it is
            # a favourite: each kind rendered once, for a stand-in card.
            stand_in = SimpleNamespace(pk=STAND_IN_PK, title=STAND_IN_TITLE)
            parts[name] = tuple(
                part.render(
                    {**context, "template": stand_in, "favourite_template_ids": {STAND_IN_PK} if liked else set()}
                ).encode()
                for liked in (False, True)
            )
        else:
            parts[name] = part.render(context).encode()
    return {
        "backend": request.session.get(BACKEND_SESSION_KEY, ""),
        "hash": request.session.get(HASH_SESSION_KEY, ""),
        "user": user.pk,
        "favourites": favourites,
        "parts": parts,
    }


# The pages last filled in by this process are kept cut at their personal parts (lru_cache: thread-safe),
# so a page is cut once, not on every request, and its cards' titles escaped once, not per card per request.
@lru_cache(maxsize=64)
def _cut(content: bytes) -> tuple:
    """`content` as literal bytes and, for each personal part, (opening mark, part name, card id, card title
    as the page shows it)."""
    cut, last = [], 0
    for match in PART.finditer(content):
        opening, name, pk, title = match.groups()
        shown = escape(unquote(title.decode())).encode() if pk is not None else None
        cut += [content[last : match.start()], (opening, name, pk, shown)]
        last = match.end()
    cut.append(content[last:])
    return tuple(cut)


def _fill(content: bytes, kit: dict, *, csrf_token: str, path: str) -> bytes | None:
    """`content` with each marked part taken from `kit` (None when the kit lacks one)."""
    cut = _cut(content)
    favourites = kit["favourites"]
    # The kit's parts with this request's CSRF token and address (a few small strings, not the page).
    token, address = csrf_token.encode(), escape(path).encode()
    parts = {}
    for name, part in kit["parts"].items():
        if isinstance(part, tuple):
            parts[name] = tuple(
                one.replace(CSRF_STAND_IN_BYTES, token).replace(PATH_STAND_IN_BYTES, address) for one in part
            )
        else:
            parts[name] = part.replace(CSRF_STAND_IN_BYTES, token).replace(PATH_STAND_IN_BYTES, address)
    out = []
    for piece in cut:
        if type(piece) is bytes:
            out.append(piece)
            continue
        opening, name, pk, title = piece
        part = parts.get(name)
        if part is None:
            return None
        out.append(opening)
        if pk is None:
            out.append(part)
        else:
            out.append(part[int(pk) in favourites].replace(STAND_IN_PK_BYTES, pk).replace(STAND_IN_TITLE_BYTES, title))
        out.append(b"<!--/personal-->")
    return b"".join(out)


def replay(content: bytes, headers: list, header_name: str, how: str) -> HttpResponse:
    """A kept page answered again: its content and headers, and `header_name` saying how (hit, wait,
    personal)."""
    response = HttpResponse(content)
    for name, value in headers:
        response[name] = value
    response[header_name] = how
    return response


def personalise(request: HttpRequest, content: bytes) -> bytes:
    """`content` with each marked part rendered for `request`'s visitor (after authentication and CSRF):
    the person's kit made or completed (one query for their favourites) and kept, then filled in."""
    if not request.user.is_authenticated:
        return content  # the cached page is the visitor's
    names = {match.group(2): match.group(3) is not None for match in PART.finditer(content)}
    if not names:
        return content
    key = kit_key(request.user.pk, request.LANGUAGE_CODE)
    kit = cache.get(key)
    if kit is not None and not (
        kit.get("user") == request.user.pk
        and constant_time_compare(kit["hash"], request.session.get(HASH_SESSION_KEY, ""))
    ):
        kit = None
    if kit is None or not names.keys() <= kit["parts"].keys():
        kit = _kit_make(request, names, kit)
        cache.set(key, kit, KIT_SECONDS)
    if request.session.session_key:
        # The session's pointer to its person, for the quick way (a session's person never changes: a log-in
        # makes a new session key, a log-out deletes the session).
        pointer = _session_user_key(request.session.session_key)
        cache.set(pointer, int(request.user.pk), settings.SESSION_COOKIE_AGE)
    return _fill(content, kit, csrf_token=get_token(request), path=request.get_full_path())


def session_cache_key(request: HttpRequest) -> str | None:
    """The cache key of the request's session, when sessions are kept in the cache (cached_db, cache)."""
    if settings.CSRF_USE_SESSIONS:
        return None
    prefix = getattr(import_module(settings.SESSION_ENGINE).SessionStore, "cache_key_prefix", None)
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    if prefix is None or not (8 <= len(session_key) <= 64 and session_key.isalnum()):
        return None
    return prefix + session_key


def get_many_with_pointer(cache, keys: list[str], pointer: str, pointed: str) -> dict:
    """`cache.get_many(keys + [pointer])`, and when `pointer` holds a value, also the key `pointed` names
    with that value in place of its `{}` (under that key): in one round trip with the site's Redis cache,
    in two with its local one (faceswap_site.cache). Another cache backend gives the keys alone: the
    person's parts are then never found, and their pages are rendered as usual."""
    if hasattr(cache, "get_many_with_pointer"):
        return cache.get_many_with_pointer(keys, pointer, pointed)
    return cache.get_many([*keys, pointer])


def _session_user_key(session_key: str) -> str:
    return f"personal:session-user:{session_key}"


def personal_reader(request: HttpRequest, language: str) -> Callable[[list[str]], dict]:
    """How AnonymousPageCacheMiddleware reads the page for a request with a session: with the session (when
    sessions are cached) and, through the session's pointer to its person, the person's kit, in one round
    trip (get_many_with_pointer)."""
    session_key = session_cache_key(request)
    if session_key is None:
        return cache.get_many
    pointer = _session_user_key(request.COOKIES[settings.SESSION_COOKIE_NAME])
    return lambda keys: get_many_with_pointer(cache, [*keys, session_key], pointer, kit_key("{}", language))


def answer_from_cache(
    request: HttpRequest, cached: tuple, found: dict, language: str, header_name: str
) -> HttpResponse | None:
    """The quick way (see the module docstring) for a request carrying a session, before any session or
    authentication middleware: the cached page (`cached`: its content and headers) with the person's parts,
    or None (the slow way then). `found`: what personal_reader() read.
    """
    session_key = session_cache_key(request)
    session = found.get(session_key) if session_key else None
    if session is None or session.get("_messages"):
        return None
    content, headers = cached
    user_id = session.get(SESSION_KEY)
    if user_id is None:
        # A visitor with a session (a language chosen, a sign-up begun): the visitor's page as it is.
        return replay(content, headers, header_name, PERSONAL_HEADER_VALUE)
    kit = found.get(kit_key(user_id, language))
    if (
        kit is None
        or str(kit.get("user")) != str(user_id)
        or session.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS
        or kit["backend"] != session.get(BACKEND_SESSION_KEY)
        or not constant_time_compare(kit["hash"], session.get(HASH_SESSION_KEY) or "\x00")
    ):
        return None
    _csrf.process_request(request)  # the browser's CSRF secret, from its cookie (a new one without)
    filled = _fill(content, kit, csrf_token=get_token(request), path=request.get_full_path())
    if filled is None:
        return None
    response = replay(filled, headers, header_name, PERSONAL_HEADER_VALUE)
    if not response.has_header("Cache-Control"):
        # As faceswap_site.limits.PrivatePagesMiddleware does for a signed-in person's page.
        patch_cache_control(response, private=True, no_cache=True)
    return _csrf.process_response(request, response)


def _messages_waiting(request: HttpRequest) -> bool:
    # Messages kept in the session (the cookie kind keeps the request away from the cache altogether).
    session = getattr(request, "session", None)
    return bool(session is not None and session.get("_messages"))


class SharedPagePersonalMiddleware:
    """Answer a signed-in request whose page the cache holds with that page personalised (see the module
    docstring). Place it after AuthenticationMiddleware, CsrfViewMiddleware and MessageMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        shared = getattr(request, SHARED_PAGE_ATTRIBUTE, None)
        if shared is None or _messages_waiting(request):
            return self.get_response(request)
        content, headers, header_name = shared
        filled = personalise(request, content)
        if filled is None:
            return self.get_response(request)
        return replay(filled, headers, header_name, PERSONAL_HEADER_VALUE)
