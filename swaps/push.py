"""Task and album status pushed to the pages that show them, instead of each page asking four times a second.

The worker publishes every change of a swap's state (claimed, each step, done, failed) on Redis pub/sub,
once per change, after it is stored. The push path (swaps/views_push.py) streams them to the task and
album pages as server-sent events from an ASGI server (uvicorn, the `push` process): there an open page
is one idle connection and a few bytes per change, not a request every 250 ms. One pattern subscription
per push process feeds every open page of that process (`Hub`), so 1,000 open pages are one Redis
connection. A page whose events are not answered by an ASGI server (plain gunicorn, runserver) gets
the current state and a `retry: 2000`, which makes the browser's EventSource ask again every 2 s: polling,
at half a request a second, as the fallback.

Publishing never fails a swap: Redis being away costs only the pushes (the pages then catch up on their
next read).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from django.conf import settings
from redis.exceptions import RedisError

from .models import FaceSwapTask

logger = logging.getLogger(__name__)

PREFIX = "faceswap:push:"
TASK_CHANNEL = PREFIX + "swap:{id}"
ALBUM_CHANNEL = PREFIX + "album:{id}"
# A swap left the queue: the pages of waiting swaps re-read how many are ahead of theirs.
QUEUE_CHANNEL = PREFIX + "queue"
REDIS_TIMEOUT_SECONDS = 1.0

_client = None


def _redis():
    global _client
    if _client is None:
        import redis

        _client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
    return _client


def task_status(task: FaceSwapTask, *, ahead: int = 0) -> dict[str, Any]:
    """What the task page needs to show a swap's state: the status JSON and each pushed event."""
    return {
        "status": task.status,
        "status_label": task.get_status_display(),
        "progress": task.progress or 0,
        "step": task.step_label,
        "phase": task.phase_index,
        "ahead": ahead,
        "finished": task.is_finished,
        "error_message": task.error_message_shown,
        "waiting_for_partner": task.waiting_for_partner,
    }


def swap_status_publish(
    *, task_id: int, status: str, progress: int, album_id: int | None = None, error_message: str | None = None
) -> None:
    """Tell the open pages of swap `task_id` (and of its album) its new state; never raises."""
    message = json.dumps({"id": task_id, "status": status, "progress": progress, "error_message": error_message})
    try:
        pipe = _redis().pipeline(transaction=False)
        pipe.publish(TASK_CHANNEL.format(id=task_id), message)
        if album_id:
            pipe.publish(ALBUM_CHANNEL.format(id=album_id), message)
        if status != FaceSwapTask.Status.PENDING and progress <= 5:
            pipe.publish(QUEUE_CHANNEL, "moved")
        pipe.execute()
    except (RedisError, OSError) as exc:  # Redis away: the pages catch up on their next read
        # Only Redis's errors: anything else (RQ's JobTimeoutException raised by its alarm in the middle of
        # the publish) must reach the job, or a swap past its timeout would run on.
        logger.warning("Swap %s: status not pushed (%s: %s)", task_id, type(exc).__name__, exc)


def task_from_message(data: dict[str, Any]) -> FaceSwapTask:
    """The (unsaved) task a published message describes, for task_status's labels."""
    return FaceSwapTask(
        pk=data["id"], status=data["status"], progress=data["progress"], error_message=data.get("error_message")
    )


class Hub:
    """One pattern subscription of this process (its event loop), fanned out to the open streams."""

    def __init__(self) -> None:
        self.listeners: dict[str, set[asyncio.Queue]] = {}
        self._runner: asyncio.Task | None = None
        self._ready = asyncio.Event()

    def subscribe(self, *channels: str) -> asyncio.Queue:
        """A queue receiving (channel, data) for each message on `channels`; (None, None) if Redis is lost.

        Await `ready()` before reading the state the messages will update, so no change falls between.
        """
        queue: asyncio.Queue = asyncio.Queue(maxsize=256)
        for channel in channels:
            self.listeners.setdefault(channel, set()).add(queue)
        if self._runner is None or self._runner.done():
            self._ready = asyncio.Event()
            self._runner = asyncio.get_running_loop().create_task(self._run(self._ready))
        return queue

    async def ready(self, timeout: float = REDIS_TIMEOUT_SECONDS * 3) -> bool:
        """True once the subscription is in place (False: Redis did not answer in time)."""
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def unsubscribe(self, queue: asyncio.Queue, *channels: str) -> None:
        for channel in channels:
            listeners = self.listeners.get(channel)
            if listeners is not None:
                listeners.discard(queue)
                if not listeners:
                    del self.listeners[channel]

    def _deliver(self, channel: str, data: str | None) -> None:
        for queue in list(self.listeners.get(channel, ())):
            # A stream 256 changes behind has stopped reading; it re-reads the state when it wakes up.
            if not queue.full():
                queue.put_nowait((channel, data))

    async def _run(self, ready: asyncio.Event) -> None:
        import redis.asyncio

        client = redis.asyncio.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.psubscribe(PREFIX + "*")
            ready.set()
            # Kept while the process lives: one subscription, whether 0 or 1,000 pages are open.
            while True:
                message = await pubsub.get_message(timeout=30.0)
                if message is not None:
                    self._deliver(message["channel"].decode(), message["data"].decode())
        except Exception as exc:
            logger.warning("Push hub lost Redis (%s: %s): open pages reconnect", type(exc).__name__, exc)
            for channel in list(self.listeners):
                self._deliver(channel, None)
        finally:
            try:
                await pubsub.aclose()
                await client.aclose()
            except Exception:  # closing a connection that is already gone
                pass


_hubs: dict[int, Hub] = {}


def hub() -> Hub:
    """This event loop's hub (uvicorn runs one loop per process)."""
    loop = asyncio.get_running_loop()
    return _hubs.setdefault(id(loop), Hub())
