"""Uploads refused early: a sender known to be at the limit is answered 429 before the session is read, without
a query and with the body unread; an upload that goes on runs below the pages' scheduling priority."""

from __future__ import annotations

import io
import sys
import threading
from contextlib import ExitStack

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client

from gallery.middleware import known_senders
from gallery.models import Image
from gallery.services import hooks
from gallery.services.heavy import at_low_priority, shared_slot
from testing import thread_priority
from testing.cast import encode, picture, user_create

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


class RecordingInput(io.RawIOBase):
    """A request body that counts what was read of it."""

    def __init__(self, size: int) -> None:
        self.size, self.read_bytes = size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.size - self.read_bytes)
        buffer[:n] = b"\0" * n
        self.read_bytes += n
        return n


def post_upload(*, session_key: str | None, size: int = 5 * MB, language: str = "en") -> tuple[int, dict, str, int]:
    """An upload of `size` declared bytes through the whole WSGI application, as gunicorn hands it over:
    (status, headers, body, bytes of the body read)."""
    from django.conf import settings

    body = RecordingInput(size)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/photos/",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "multipart/form-data; boundary=x",
        "CONTENT_LENGTH": str(size),
        "HTTP_ACCEPT_LANGUAGE": language,
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
    }
    if session_key:
        environ["HTTP_COOKIE"] = f"{settings.SESSION_COOKIE_NAME}={session_key}"
    answer: dict = {}

    def start_response(status: str, headers: list) -> None:
        answer["status"], answer["headers"] = int(status.split()[0]), dict(headers)

    # As Django's test client does: the test's database connection is not closed between requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        content = b"".join(WSGIHandler()(environ, start_response)).decode()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return answer["status"], answer["headers"], content, body.read_bytes


def upload_slots_taken(stack: ExitStack, who: str, settings) -> None:
    """Every upload slot of `who` taken, as their uploads running in other web processes take them."""
    for _ in range(settings.HEAVY_WORK_PER_USER):
        stack.enter_context(shared_slot("uploads", who, limit=settings.HEAVY_WORK_PER_USER, wait=0))


@pytest.fixture(autouse=True)
def fresh_process():
    known_senders.forget_all()
    yield
    known_senders.forget_all()


def session_of(client: Client) -> str:
    from django.conf import settings

    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_an_upload_of_a_person_at_the_limit_is_refused_without_a_query_and_unread(
    client: Client, settings, django_assert_num_queries
):
    alice = user_create(username="alice")
    client.force_login(alice)
    with ExitStack() as stack:
        upload_slots_taken(stack, f"user-{alice.pk}", settings)
        # The first upload on her session: the session is read (her slots taken: 429, the body unread).
        status, _, _, read = post_upload(session_key=session_of(client))
        assert (status, read) == (429, 0)
        # From then on this process knows whose session it is: refused before anything else, in her language.
        with django_assert_num_queries(0):
            status, headers, content, read = post_upload(session_key=session_of(client), language="ja")
        assert (status, read) == (429, 0)
        assert headers["Retry-After"] and headers["Content-Language"] == "ja"
        assert "ほかの画像を処理中です" in content
    # Her uploads done: the next one goes on (and reads its body).
    status, _, _, read = post_upload(session_key=session_of(client))
    assert status != 429 and read > 0


def test_an_unknown_session_is_never_refused_early_but_the_limit_still_holds(
    client: Client, settings, django_assert_max_num_queries
):
    alice = user_create(username="alice")
    client.force_login(alice)
    with ExitStack() as stack:
        upload_slots_taken(stack, f"user-{alice.pk}", settings)
        # Her session, read by the upload limit that refuses it: from the cache (cached_db sessions), else
        # one query.
        with django_assert_max_num_queries(1):
            status, _, _, read = post_upload(session_key=session_of(client))
        assert (status, read) == (429, 0)
    # A made-up session cookie names nobody: it goes the whole way (its body read; not a form: 400).
    status, _, _, read = post_upload(session_key="x" * 32)
    assert status == 400 and read > 0


def test_another_person_s_upload_goes_on_while_one_is_refused_early(client: Client, settings):
    alice, bob = user_create(username="alice"), user_create(username="bob")
    client.force_login(alice)
    alice_session = session_of(client)
    other = Client()
    other.force_login(bob)
    with ExitStack() as stack:
        upload_slots_taken(stack, f"user-{alice.pk}", settings)
        assert post_upload(session_key=alice_session)[0] == 429
        assert post_upload(session_key=alice_session)[0] == 429
        status, _, _, read = post_upload(session_key=session_of(other))
        assert status != 429 and read > 0


def test_signed_out_an_address_at_the_limit_is_refused_without_a_query_and_unread(settings, django_assert_num_queries):
    with ExitStack() as stack:
        upload_slots_taken(stack, "ip-127.0.0.1", settings)
        with django_assert_num_queries(0):
            status, headers, _, read = post_upload(session_key=None)
        assert (status, read) == (429, 0) and headers["Retry-After"]


def test_past_the_uploads_per_minute_a_known_sender_is_refused_without_a_query_and_unread(
    client: Client, settings, django_assert_num_queries
):
    settings.UPLOADS_PER_MINUTE = 2
    alice = user_create(username="alice")
    client.force_login(alice)
    for _ in range(2):
        status, _, _, read = post_upload(session_key=session_of(client), size=300 * 1024)
        assert status != 429 and read > 0
    with django_assert_num_queries(0):
        status, _, content, read = post_upload(session_key=session_of(client))
    assert (status, read) == (429, 0)
    assert "a lot of photos in the last minute" in content


def test_an_upload_runs_below_the_pages_priority_with_the_request_s_database_and_language(
    client: Client, settings, monkeypatch
):
    settings.HEAVY_WORK_NICE = 5
    page_priority = thread_priority()
    seen = []

    def heard(photo: Image) -> None:
        from django.utils import translation

        seen.append((thread_priority(), translation.get_language()))

    monkeypatch.setattr(hooks, "_PHOTO_ADDED_HOOKS", [heard])
    alice = user_create(username="alice")
    client.force_login(alice)
    data = encode(picture((800, 600), noise=True), "JPEG", quality=95)
    assert len(data) > 256 * 1024  # an upload, as the limits count them
    response = client.post("/photos/", {"photos": [io.BytesIO(data)]}, headers={"Accept-Language": "ja"}, follow=False)
    assert response.status_code == 302
    assert seen == [(min(19, page_priority + 5), "ja")]
    # Stored through the request's own connection (here: inside the test's transaction).
    assert Image.objects.filter(owner=alice).count() == 1
    # The request's thread itself kept the pages' priority.
    assert thread_priority() == page_priority


def test_heavy_work_at_low_priority_gives_back_the_result_or_the_error():
    assert at_low_priority(lambda a, b: a + b, 2, 3) == 5
    with pytest.raises(ZeroDivisionError):
        at_low_priority(lambda: 1 / 0)


def test_heavy_work_nice_0_runs_in_the_calling_thread(settings):
    settings.HEAVY_WORK_NICE = 0
    assert at_low_priority(threading.get_ident) == threading.get_ident()


def test_a_turn_runs_below_the_pages_priority(client: Client, settings, monkeypatch):
    from django.urls import reverse

    from testing.cast import stored_image

    settings.HEAVY_WORK_NICE = 5
    page_priority = thread_priority()
    seen = []
    monkeypatch.setattr(
        hooks,
        "_PHOTO_ADDED_HOOKS",
        [lambda photo: seen.append((photo.width, thread_priority()))],
    )
    alice = user_create(username="alice")
    photo = stored_image(owner=alice, size=(80, 60))
    client.force_login(alice)
    response = client.post(reverse("gallery:image_rotate", args=[photo.pk]), {"direction": "right"})
    assert response.status_code == 302
    assert seen == [(60, min(19, page_priority + 5))]


def test_heavy_work_asked_for_from_heavy_work_runs_where_it_is():
    """An upload's photo check asks for low priority again from a heavy-work thread: it runs there, never
    waiting for another of the same threads (all of them taken, that wait would never end)."""
    outer, inner = at_low_priority(lambda: (threading.get_ident(), at_low_priority(threading.get_ident)))
    assert outer == inner != threading.get_ident()
