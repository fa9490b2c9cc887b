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
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .services.heavy import HeavyWorkBusy, shared_slot

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


def _over_the_rate(who: str) -> bool:
    """Count one upload for `who` in this minute; True when it is past UPLOADS_PER_MINUTE."""
    limit = settings.UPLOADS_PER_MINUTE
    if limit <= 0:
        return False
    key = f"uploads-minute:{who}:{int(time.time() // 60)}"
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


class UploadsInFlightMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0  # the request limits answer it
        if request.method != "POST" or declared <= LARGE_BODY_BYTES:
            return self.get_response(request)
        who = sender(request)
        if _over_the_rate(who):
            return too_many_uploads(request, str(RATE_MESSAGE))
        slot = shared_slot("uploads", who, limit=settings.HEAVY_WORK_PER_USER, wait=0)
        try:
            slot.__enter__()
        except HeavyWorkBusy as exc:
            return too_many_uploads(request, " ".join(exc.messages))
        try:
            return self.get_response(request)
        finally:
            slot.__exit__(None, None, None)
