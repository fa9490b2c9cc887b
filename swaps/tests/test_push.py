"""The push path: a swap's state as server-sent events from the ASGI server (uvicorn), fed by the real
worker through Redis, and the fallback where no ASGI server answers them (gunicorn, runserver)."""

from __future__ import annotations

import http.client
import json
import threading
import time
from urllib.parse import urlsplit

import pytest

from swaps.models import PHASES, STEPS, Album, FaceSwapTask
from swaps.services import swap_enqueue
from testing.cast import user_create
from testing.fixtures_services import service_env, wait_for_task
from testing.servers import Uvicorn


class EventStream:
    """A server-sent events stream read in a thread: `events` fills up as they arrive."""

    def __init__(self, url: str, cookie: str) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        self.conn.request("GET", parts.path, headers={"Cookie": cookie, "Accept": "text/event-stream"})
        self.response = self.conn.getresponse()
        self.events: list[dict] = []
        self.ended = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            while line := self.response.fp.readline():
                if line.startswith(b"data: "):
                    self.events.append(json.loads(line[6:]))
        finally:
            self.ended.set()

    def wait(self, until, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while not until(self.events):
            assert time.monotonic() < deadline, f"events so far: {self.events}"
            time.sleep(0.02)

    def close(self) -> None:
        self.conn.close()


def session_cookie(client, user) -> str:
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


@pytest.fixture
def push_server(tmp_path, transactional_db):
    with Uvicorn(env=service_env(), log_path=tmp_path / "uvicorn.log") as server:
        server.start()
        yield server


@pytest.mark.slow
@pytest.mark.server
@pytest.mark.django_db(transaction=True)
def test_push_delivers_every_step_in_order_until_the_swap_is_done(
    rq_worker, push_server, client, alice, alice_photos, couple_template
):
    task = FaceSwapTask.objects.create(
        user=alice, template=couple_template, husband_image=alice_photos[0], wife_image=alice_photos[1], source_faces={}
    )
    stream = EventStream(f"{push_server.url}/swaps/{task.pk}/events/", session_cookie(client, alice))
    try:
        assert stream.response.status == 200
        assert stream.response.getheader("Content-Type").startswith("text/event-stream")
        # Open before the worker hears of the swap: the waiting state first.
        stream.wait(lambda events: len(events) >= 1)
        assert stream.events[0]["status"] == "pending" and stream.events[0]["phase"] == 0
        assert swap_enqueue(task_id=task.pk, user_id=alice.pk)
        stream.ended.wait(90)
        assert stream.ended.is_set(), f"the stream stayed open: {stream.events}"
    finally:
        stream.close()
    task = wait_for_task(task.pk, until=lambda t: t.is_finished)
    assert task.status == "completed", task.error_message
    events = stream.events
    # Every step the worker went through, each once, in order, then the end.
    progress = [event["progress"] for event in events[1:]]
    assert progress == [step.progress for step in STEPS], events
    assert [event["phase"] for event in events] == sorted(event["phase"] for event in events)
    assert {event["phase"] for event in events} == set(range(len(PHASES)))
    assert events[-1]["finished"] and events[-1]["status"] == "completed" and events[-1]["step"] == "Done"
    assert not any(event["finished"] for event in events[:-1])


@pytest.mark.slow
@pytest.mark.server
@pytest.mark.django_db(transaction=True)
def test_an_albums_stream_pushes_each_of_its_swaps_changes_then_ends(
    rq_worker, push_server, client, alice, alice_photos, couple_template
):
    album = Album.objects.create(user=alice)
    tasks = [
        FaceSwapTask.objects.create(
            user=alice,
            album=album,
            template=couple_template,
            husband_image=alice_photos[0],
            wife_image=alice_photos[1],
            source_faces={},
        )
        for _ in range(2)
    ]
    stream = EventStream(f"{push_server.url}/swaps/albums/{album.pk}/events/", session_cookie(client, alice))
    try:
        stream.wait(lambda events: len(events) >= 1)
        assert stream.events[0] == {"finished": False}
        for task in tasks:
            assert swap_enqueue(task_id=task.pk, user_id=alice.pk)
        stream.ended.wait(120)
        assert stream.ended.is_set(), f"the stream stayed open: {stream.events}"
    finally:
        stream.close()
    changes = stream.events[1:]
    for task in tasks:
        mine = [event["progress"] for event in changes if event.get("id") == task.pk]
        assert mine == [step.progress for step in STEPS], changes
    assert changes[-1]["finished"] and not any(event["finished"] for event in changes[:-1])


@pytest.mark.slow
@pytest.mark.server
@pytest.mark.django_db(transaction=True)
def test_push_stream_of_a_swap_is_its_owners_alone(push_server, client, alice, alice_photos, couple_template):
    task = FaceSwapTask.objects.create(
        user=alice, template=couple_template, husband_image=alice_photos[0], wife_image=alice_photos[1], source_faces={}
    )
    bob = user_create(username="bob")
    parts = urlsplit(push_server.url)
    for cookie in (session_cookie(client, bob), ""):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        conn.request("GET", f"/swaps/{task.pk}/events/", headers={"Cookie": cookie})
        response = conn.getresponse()
        assert response.status == 404
        assert task.template.title.encode() not in response.read()
        conn.close()


@pytest.mark.django_db
def test_without_the_push_process_the_events_answer_once_and_ask_again_in_2_seconds(
    client, alice, alice_photos, couple_template
):
    """Served by gunicorn or runserver (WSGI), the events URL holds no thread: the current state and
    `retry: 2000`, which makes the page's EventSource ask again every 2 s (polling)."""
    task = FaceSwapTask.objects.create(
        user=alice, template=couple_template, husband_image=alice_photos[0], wife_image=alice_photos[1], source_faces={}
    )
    client.force_login(alice)
    response = client.get(f"/swaps/{task.pk}/events/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    assert not response.streaming
    body = response.content.decode()
    assert body.startswith("retry: 2000\n\n")
    event = json.loads(body.split("data: ", 1)[1])
    assert event["status"] == "pending" and event["step"] == "Waiting for a free worker…" and not event["finished"]
    # Someone else's swap: not found.
    other = user_create(username="bob")
    client.force_login(other)
    assert client.get(f"/swaps/{task.pk}/events/").status_code == 404
