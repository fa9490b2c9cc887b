"""Request limits applied before any view or middleware reads the body, and the plain pages they answer.

A request is refused as soon as it is known to be too large: from its Content-Length before a byte of
the body is read (Django never reads past Content-Length, so the declared size bounds what is read), and
while a multipart body streams, each file is stopped as soon as it passes UPLOAD_MAX_BYTES, before that
chunk is written anywhere. The body is parsed here, ahead of the CSRF middleware, so anonymous requests
are held to the same limits. Browsers get a plain page; fetch calls get JSON.

Uploads in flight are limited per sender just before this (gallery.middleware.UploadsInFlightMiddleware).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.template import loader
from django.utils.cache import patch_cache_control
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext

logger = logging.getLogger(__name__)

# C0 control characters other than tab, newline and carriage return (which forms may carry), and DEL.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class UploadTooLarge(Exception):
    """A file in the request passed UPLOAD_MAX_BYTES while it was being received."""


def request_max_bytes() -> int:
    """The largest request body accepted: every file allowed at its largest, plus 1 MB of form fields."""
    return settings.UPLOAD_MAX_BYTES * settings.UPLOAD_MAX_FILES_PER_REQUEST + 1024 * 1024


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


class SizeLimitUploadHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: counts each file's bytes and stops the request at UPLOAD_MAX_BYTES."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.UPLOAD_MAX_BYTES:
            raise UploadTooLarge(self.file_name)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def wants_json(request: HttpRequest) -> bool:
    """Whether the request comes from a script (fetch) rather than a page the browser navigates to."""
    return (
        "application/json" in request.headers.get("Accept", "")
        or "X-CSRFToken" in request.headers
        or request.headers.get("Sec-Fetch-Mode", "navigate") not in ("navigate", "nested-navigate")
    )


def plain_response(request: HttpRequest, *, status: int, title: str, message: str) -> HttpResponse:
    """A page (or JSON for fetch calls) that needs neither the database nor the session."""
    if wants_json(request):
        return JsonResponse({"ok": False, "message": message}, status=status)
    # After a form was sent, back leads to that form's page, not the home page.
    back = request.path if request.method == "POST" and request.path.startswith("/") else "/"
    page = loader.get_template("plain.html").render({"title": title, "message": message, "back": back})
    return HttpResponse(page, status=status)


def too_large(request: HttpRequest, get_response: Callable[[HttpRequest], HttpResponse] | None = None) -> HttpResponse:
    limit = settings.UPLOAD_MAX_BYTES
    message = gettext(
        "That upload is too large: each photo may be at most %(limit)s, and at most %(count)s photos at a time "
        "(%(total)s in all). Nothing was saved; please choose a smaller photo or a screenshot."
    ) % {
        "limit": _megabytes(limit),
        "count": settings.UPLOAD_MAX_FILES_PER_REQUEST,
        "total": _megabytes(request_max_bytes()),
    }
    logger.warning("Refused an upload over the limit: %s %s", request.method, request.path)
    # The rest of the body is never read here; gunicorn's gthread worker drains at most 64 KB more, then
    # closes the connection.
    return _form_again(request, get_response, status=413, message=message) or plain_response(
        request, status=413, title=gettext("That upload is too large"), message=message
    )


def bad_request(
    request: HttpRequest,
    exception: Exception | None = None,
    get_response: Callable[[HttpRequest], HttpResponse] | None = None,
) -> HttpResponse:
    """handler400, also used when a form could not be read."""
    message = gettext(
        "Something in what was sent could not be read (an interrupted upload, or characters that are not "
        "allowed). Please try again."
    )
    return _form_again(request, get_response, status=400, message=message) or plain_response(
        request, status=400, title=gettext("We could not read that request"), message=message
    )


def _form_again(
    request: HttpRequest, get_response: Callable[[HttpRequest], HttpResponse] | None, *, status: int, message: str
) -> HttpResponse | None:
    """A form page posted too large or unreadable, from a browser: the same page again (its form, the menu,
    everything else the person had there) with the message on top, instead of a bare error page. None when
    that page cannot be shown (not a form page, or a script asking): the plain page is the answer then."""
    if get_response is None or request.method != "POST" or wants_json(request):
        return None
    request.method = "GET"
    request.META["REQUEST_METHOD"] = "GET"
    request._post, request._files = QueryDict(), MultiValueDict()
    request.form_refusal = message
    if _has_control_chars(request):  # the address itself is unreadable: no page to show again
        return None
    response = get_response(request)
    if response.status_code != 200:
        return None
    response.status_code = status
    return response


def _has_control_chars(request: HttpRequest) -> bool:
    # In the path too (/s/%00/): PostgreSQL refuses a NUL in a query, which would be a 500.
    if CONTROL_CHARS.search(request.path):
        return True
    for query in (request.GET, request.POST):
        for key, values in query.lists():
            if CONTROL_CHARS.search(key) or any(CONTROL_CHARS.search(value) for value in values):
                return True
    return False


def _discard_partial_files(request: HttpRequest) -> None:
    """Close (and so delete) the file an upload handler was writing when the body was refused. Django closes
    the files it finished, not the one cut off: a temporary file of up to UPLOAD_MAX_BYTES stayed on disk
    until the request was garbage-collected, or for good when the worker stopped first."""
    for handler in getattr(request, "_upload_handlers", None) or []:
        partial = getattr(handler, "file", None)
        if partial is not None:
            partial.close()


class RequestLimitsMiddleware:
    """Before the CSRF middleware: refuse bodies over the limits and fields with control characters."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return bad_request(request)
        if declared > request_max_bytes():
            return too_large(request, self.get_response)
        if request.method == "POST":
            try:
                request.POST  # noqa: B018  (parses the body now, under the upload handlers' limits)
            except UploadTooLarge:
                _discard_partial_files(request)
                return too_large(request, self.get_response)
            except MultiPartParserError:
                _discard_partial_files(request)
                return bad_request(request, get_response=self.get_response)
        if _has_control_chars(request):
            return bad_request(request, get_response=self.get_response)
        return self.get_response(request)


class PrivatePagesMiddleware:
    """After authentication: a page for a signed-in person, or one carrying a CSRF token, gets
    `Cache-Control: private, no-cache` unless its view said otherwise, so no shared cache (a CDN, a
    company proxy) keeps one person's page, its share tokens or CSRF token and hands it to another."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
            patch_cache_control(response, private=True, no_cache=True)
        return response


# django-rq's staff pages, both where urls.py mounts them and inside the admin.
STAFF_QUEUE_PAGES = ("/admin/django-rq/", "/admin/django_rq/")
DASHBOARD_OBJECT_PAGES = tuple(f"django_rq_dashboard_{page}" for page in ("add", "change", "delete", "history"))


class StaffQueuePagesMiddleware:
    """django-rq's staff pages look a queue up by its index and a job or worker by its key, and let an index
    out of range, an unknown job, a malformed worker key or its optional scheduler page raise: a 500. For
    staff those are pages not found."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view, args, kwargs) -> HttpResponse | None:
        # The admin's object pages of django-rq's dashboard entry (an unmanaged model without a table) would
        # query a table that does not exist.
        match = request.resolver_match
        if match is not None and match.url_name in DASHBOARD_OBJECT_PAGES:
            from django.http import Http404

            from .views import page_not_found

            return page_not_found(request, Http404("No such page."))
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.core.exceptions import ImproperlyConfigured
        from django.http import Http404
        from rq.exceptions import NoSuchJobError

        if request.path.startswith(STAFF_QUEUE_PAGES) and isinstance(
            exception, IndexError | NoSuchJobError | ValueError | ImproperlyConfigured
        ):
            from .views import page_not_found

            return page_not_found(request, Http404("No such queue, job or worker."))
        return None
