"""The push path: a swap's or an album's state as server-sent events (see swaps/push.py).

Served by an ASGI server (the `push` process, uvicorn), a stream stays open until the swap has finished,
costing one idle connection; served by gunicorn or runserver it answers the current state at once with
`retry: 2000`, so the page's EventSource asks again every 2 s (the polling fallback, no thread held).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import translation

from . import push, selectors
from .models import FaceSwapTask

RETRY_MS = 2000
# A comment line now and then keeps proxies from closing a quiet stream.
KEEP_ALIVE_SECONDS = 20.0
# A stream re-reads the state this often even without news (a message lost while Redis restarted).
REFRESH_SECONDS = 60.0
# Pages of waiting swaps re-read how many are ahead at most this often when the queue moves.
AHEAD_SECONDS = 2.0


def _event(data: dict) -> bytes:
    return f"data: {json.dumps(data)}\n\n".encode()


def _task_state(user, pk: int) -> dict | None:
    task = (
        selectors.swaps_visible_to_user(user=user)
        .select_related(None)
        .select_related("consent")
        .only("status", "progress", "error_message", "user_id", "created_at", "album_id", "consent__status")
        .filter(pk=pk)
        .first()
    )
    if task is None:
        return None
    return {**push.task_status(task, ahead=selectors.swaps_ahead(task=task)), "album_id": task.album_id}


def _album_state(user, pk: int) -> dict | None:
    album = selectors.albums_for_user(user=user).filter(pk=pk).first()
    if album is None:
        return None
    items = list(selectors.album_items(album=album).select_related(None).only("status"))
    return {"finished": all(item.is_finished for item in items)}


def _then_close(read):
    """`read`, then this thread's database connections closed: under ASGI each request has a thread of its
    own for its synchronous work, which an open stream keeps; 1,000 open pages must not hold 1,000
    database connections between the rare reads."""

    def run(*args):
        try:
            return read(*args)
        finally:
            connections.close_all()

    return sync_to_async(run)


async def _user(request: HttpRequest):
    user = await request.auser()
    if not user.is_authenticated:
        raise Http404
    return user


def _response(body, *, streaming: bool) -> HttpResponse:
    response = (
        StreamingHttpResponse(body, content_type="text/event-stream")
        if streaming
        else HttpResponse(body, content_type="text/event-stream")
    )
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


async def swap_events(request: HttpRequest, pk: int) -> HttpResponse:
    """Swap `pk`'s state as server-sent events: now, then each change, until it has finished."""
    user = await _user(request)
    streaming = isinstance(request, ASGIRequest)
    state = await (_then_close(_task_state) if streaming else sync_to_async(_task_state))(user, pk)
    if state is None:
        raise Http404
    retry = f"retry: {RETRY_MS}\n\n".encode()
    if not streaming or state["finished"]:
        return _response(retry + _event(state), streaming=False)
    language = translation.get_language()
    channel = push.TASK_CHANNEL.format(id=pk)

    async def stream() -> AsyncIterator[bytes]:
        hub = push.hub()
        queue = hub.subscribe(channel, push.QUEUE_CHANNEL)
        try:
            await hub.ready()
            # Read after subscribing: a change from now on is both in this state or after it in the queue.
            current = await _then_close(_task_state)(user, pk)
            if current is None:
                return
            yield retry + _event(current)
            if current["finished"]:
                return
            waiting = current["status"] == FaceSwapTask.Status.PENDING
            moved = False  # the queue moved since the last read: how many are ahead has changed
            last_read = last_sent = time.monotonic()
            while True:
                timeout = KEEP_ALIVE_SECONDS
                if moved:
                    timeout = max(0.05, AHEAD_SECONDS - (time.monotonic() - last_read))
                try:
                    source, data = await asyncio.wait_for(queue.get(), timeout)
                except TimeoutError:
                    source = data = ""
                now = time.monotonic()
                if source is None:  # Redis lost: end, the page reconnects in 2 s and reads the state
                    return
                if source == channel:
                    with translation.override(language):
                        current = push.task_status(push.task_from_message(json.loads(data)))
                else:
                    moved = moved or (waiting and source == push.QUEUE_CHANNEL)
                    if (moved and now - last_read >= AHEAD_SECONDS) or now - last_read >= REFRESH_SECONDS:
                        with translation.override(language):
                            current = await _then_close(_task_state)(user, pk)
                        last_read, moved = now, False
                        if current is None:
                            return
                    elif now - last_sent >= KEEP_ALIVE_SECONDS:
                        last_sent = now
                        yield b": keep-alive\n\n"
                        continue
                    else:
                        continue
                waiting = current["status"] == FaceSwapTask.Status.PENDING
                last_sent = now
                yield _event(current)
                if current["finished"]:
                    return
        finally:
            hub.unsubscribe(queue, channel, push.QUEUE_CHANNEL)

    return _response(stream(), streaming=True)


async def album_events(request: HttpRequest, pk: int) -> HttpResponse:
    """An album's changes as server-sent events: {"id": task, "status": ...} for each of its swaps' changes,
    and {"finished": true} at the end; the page reads the tiles' details from the album's status JSON."""
    user = await _user(request)
    streaming = isinstance(request, ASGIRequest)
    state = await (_then_close(_album_state) if streaming else sync_to_async(_album_state))(user, pk)
    if state is None:
        raise Http404
    retry = f"retry: {RETRY_MS}\n\n".encode()
    if not streaming or state["finished"]:
        return _response(retry + _event(state), streaming=False)
    channel = push.ALBUM_CHANNEL.format(id=pk)

    async def stream() -> AsyncIterator[bytes]:
        hub = push.hub()
        queue = hub.subscribe(channel)
        try:
            await hub.ready()
            current = await _then_close(_album_state)(user, pk)
            if current is None:
                return
            yield retry + _event(current)
            while not current["finished"]:
                try:
                    source, data = await asyncio.wait_for(queue.get(), KEEP_ALIVE_SECONDS)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                if source is None:
                    return
                change = json.loads(data)
                if change["status"] in (FaceSwapTask.Status.COMPLETED, FaceSwapTask.Status.FAILED):
                    current = await _then_close(_album_state)(user, pk)
                    if current is None:
                        return
                yield _event({**change, "finished": current["finished"]})
        finally:
            hub.unsubscribe(queue, channel)

    return _response(stream(), streaming=True)
