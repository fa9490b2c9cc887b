"""Uploads in flight, limited per sender before any byte of the body is read.

A request body over LARGE_BODY_BYTES (an upload) is taken only while its sender (the signed-in person, from
the session, or signed out, the client's address behind the trusted proxies) has fewer than
HEAVY_WORK_PER_USER such requests running across all web processes (slots in the shared cache, see
services/heavy.py). Another one is answered 429 at once, its body unread, so one person's parallel uploads
can never occupy every web thread while other people wait for a page. A sender may also start at most
UPLOADS_PER_MINUTE uploads a minute (one request may carry several photos); past that, 429 the same way.
Placed before the request limits (faceswap_site/limits.py), which parse the body.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .services import HeavyWorkBusy, at_low_priority
from .services.heavy import BUSY_MESSAGE, shared_slot, slot_keys

logger = logging.getLogger(__name__)

# A request body larger than this is an upload (a form post of text is far smaller).
LARGE_BODY_BYTES = 256 * 1024


def sender(request: HttpRequest) -> str:
    """Who sends a request: the signed-in person (from the session, before authentication runs), else the
    client's address as allauth works it out behind the trusted proxies."""
    session = getattr(request, "session", None)
    user_id = session.get(SESSION_KEY) if session is not None else None
    if user_id:
        return f"user-{user_id}"
    from allauth.account.adapter import get_adapter

    return f"ip-{get_adapter(request).get_client_ip(request)}"


RATE_MESSAGE = _("You have sent a lot of photos in the last minute. Please wait a minute, then send this one again.")


def _rate_key(who: str) -> str:
    return f"uploads-minute:{who}:{int(time.time() // 60)}"


def _over_the_rate(who: str) -> bool:
    """Count one upload for `who` in this minute; True when it is past UPLOADS_PER_MINUTE."""
    limit = settings.UPLOADS_PER_MINUTE
    if limit <= 0:
        return False
    key = _rate_key(who)
    try:
        if cache.add(key, 1, timeout=90):
            return False
        return cache.incr(key) > limit
    except Exception:  # the cache unreachable (or the key just expired): do not refuse for that
        return False


def too_many_uploads(request: HttpRequest, message: str) -> HttpResponse:
    """429 with Retry-After, as JSON for scripts or a plain page, needing neither the database nor the body."""
    logger.info("Refused an upload: the sender already has %d running", settings.HEAVY_WORK_PER_USER)
    if "application/json" in request.headers.get("Accept", "") or "X-CSRFToken" in request.headers:
        response = JsonResponse({"ok": False, "message": message}, status=429)
    else:
        page = loader.get_template("plain.html").render(
            {"title": gettext("One moment, please"), "message": message, "back": request.path}
        )
        response = HttpResponse(page, status=429)
    response["Retry-After"] = "2"
    return response


def _is_upload(request: HttpRequest) -> bool:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0  # the request limits answer it
    return request.method == "POST" and declared > LARGE_BODY_BYTES


class _KnownSenders:
    """Session cookie -> sender, for the senders whose uploads this process has seen (the most recent
    MAX_KNOWN): learned once a session has been read, so the next upload on that session is placed without
    reading it. A session key names one person for its whole life (log-in gives a new one), so an entry
    never points at someone else; one of a session ended since only gets a refusal where the log-in page
    would have answered."""

    MAX_KNOWN = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._senders: OrderedDict[str, str] = OrderedDict()

    def get(self, session_key: str) -> str | None:
        with self._lock:
            who = self._senders.get(session_key)
            if who is not None:
                self._senders.move_to_end(session_key)
            return who

    def remember(self, session_key: str, who: str) -> None:
        with self._lock:
            self._senders[session_key] = who
            self._senders.move_to_end(session_key)
            while len(self._senders) > self.MAX_KNOWN:
                self._senders.popitem(last=False)

    def forget_all(self) -> None:
        with self._lock:
            self._senders.clear()


known_senders = _KnownSenders()


def _sender_without_session(request: HttpRequest) -> str | None:
    """The sender as far as it is known without reading the session: a session this process has placed
    before, or signed out (no session cookie) the client's address. None: only the session can tell."""
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if session_key:
        return known_senders.get(session_key)
    from allauth.account.adapter import get_adapter

    return f"ip-{get_adapter(request).get_client_ip(request)}"


def early_refusal(request: HttpRequest) -> HttpResponse | None:
    """The 429 an upload would get from UploadsInFlightMiddleware, worked out before the session, the
    language, the database or any byte of the body: when its sender is known already and is at the
    limit (all upload slots taken, or UPLOADS_PER_MINUTE started this minute), read from the shared
    cache in one round trip. None when the upload must go the whole way (sender unknown, under the
    limits, the cache unreachable): that way decides, counts and takes a slot as before."""
    who = _sender_without_session(request)
    if who is None:
        return None
    slots = slot_keys("uploads", who, settings.HEAVY_WORK_PER_USER)
    rate_key = _rate_key(who)
    try:
        found = cache.get_many([rate_key, *slots])
    except Exception:  # the cache unreachable: the whole way decides (and does not refuse for that)
        return None
    limit = settings.UPLOADS_PER_MINUTE
    if limit > 0 and int(found.get(rate_key) or 0) >= limit:
        message = RATE_MESSAGE
    elif all(key in found for key in slots):
        message = BUSY_MESSAGE
    else:
        return None
    # No middleware has chosen the language yet: the visitor's (cookie, else Accept-Language).
    with translation.override(translation.get_language_from_request(request)):
        response = too_many_uploads(request, str(message))
        response["Content-Language"] = translation.get_language()
    response["Vary"] = "Accept-Language, Cookie"
    # One warning per sender a minute (a flood is a hundred refusals a second), not Django's one per answer.
    response._has_been_logged = True
    if _first_this_minute(who):
        logger.warning("Refusing uploads from %s: at the limit (refused before the session was read)", who)
    return response


_warned: dict[str, int] = {}


def _first_this_minute(who: str) -> bool:
    minute = int(time.time() // 60)
    if _warned.get(who) == minute:
        return False
    if len(_warned) > 10_000:
        _warned.clear()
    _warned[who] = minute
    return True


class UploadGateMiddleware:
    """First of all: an upload whose sender is known to be at the limit is answered 429 here (see
    early_refusal), before the request id, the session, the language or any other middleware, so a
    flood of refused uploads costs the site almost nothing. Everything else goes on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _is_upload(request):
            refusal = early_refusal(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)


class UploadsInFlightMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _is_upload(request):
            return self.get_response(request)
        who = sender(request)
        session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if session_key and who.startswith("user-"):
            known_senders.remember(session_key, who)
        if _over_the_rate(who):
            return too_many_uploads(request, str(RATE_MESSAGE))
        slot = shared_slot("uploads", who, limit=settings.HEAVY_WORK_PER_USER, wait=0)
        try:
            slot.__enter__()
        except HeavyWorkBusy as exc:
            return too_many_uploads(request, " ".join(exc.messages))
        try:
            # From reading the body on, below the pages' priority (heavy.at_low_priority).
            return at_low_priority(self.get_response, request)
        finally:
            slot.__exit__(None, None, None)
