"""Heavy picture work kept bounded: decoding, face checks and turns of large pictures in a web process.

One person sending eight 40-megapixel uploads at once used to take every web thread and gigabytes of
memory, and everybody's pages slowed to seconds. Two bounds keep that from happening:

- per person (`heavy_work`): at most HEAVY_WORK_PER_USER pieces of heavy work at once across every web
  process (a few slots in the shared cache, each taken with an atomic add and given back after; a slot
  of a process that died expires after HEAVY_WORK_LEASE_SECONDS). More than that waits a moment for a
  free slot, then is answered "busy, try again in a moment" (`HeavyWorkBusy`), with nothing stored;
- per process (`decode_budget`): the pictures decoded at once in this process may take at most
  DECODE_MEMORY_BUDGET_BYTES, counted from the size each picture's header declares (width x height x 4
  bytes, before any pixel is decoded). A picture that does not fit waits for others to finish (one larger
  than the whole budget runs alone), and is answered busy if that takes too long.

After heavy work the process gives the freed memory back to the system (`malloc_trim`), so a web worker's
memory returns to its baseline after a flood instead of staying at its peak.

Bounds on how much heavy work runs do not say who gets the processor while it runs: two 40-megapixel
pictures being decoded took it from everybody's pages in the same process (another person's My swaps took
3-6 times as long during a flood). `at_low_priority` runs such work (a whole upload, from reading its body
on) in threads of their own whose scheduling priority is HEAVY_WORK_NICE below the threads answering pages,
so the kernel runs a page first whenever both wait for the processor, and heavy work still gets every cycle
pages leave. A thread's priority can be lowered but not raised again without privileges, so those threads
are kept for heavy work only.
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import ctypes.util
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connections
from django.urls import get_script_prefix, get_urlconf, set_script_prefix, set_urlconf
from django.utils import translation
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

# Bytes a decoded pixel may take (RGBA, or RGB plus the copies made on the way); enough for an estimate.
BYTES_PER_PIXEL = 4
# How often a request waiting for a per-person slot looks again.
_SLOT_POLL_SECONDS = 0.1

BUSY_MESSAGE = _("You have other pictures being worked on right now. Please wait a moment and try this one again.")
SERVER_BUSY_MESSAGE = _("The site is busy with large pictures right now. Please try again in a moment.")


class HeavyWorkBusy(ValidationError):
    """Heavy work refused for now: the person's slots are taken, or the process's memory budget is."""

    def __init__(self, message=BUSY_MESSAGE) -> None:
        super().__init__(message, code="busy")


_held = threading.local()


def slot_keys(namespace: str, owner: object, limit: int) -> list[str]:
    """The cache keys of `owner`'s `limit` slots in `namespace` (all present: all taken)."""
    return [f"{namespace}:{owner}:{i}" for i in range(max(1, limit))]


def _take_slot(keys: list[str], token: str) -> str | None:
    for key in keys:
        try:
            if cache.add(key, token, timeout=settings.HEAVY_WORK_LEASE_SECONDS):
                return key
        except Exception:  # the cache unreachable: better to do the work than to refuse everyone
            logger.warning("heavy-work slots unavailable; working without the per-person limit", exc_info=True)
            return ""
    return None


def _give_back(key: str, token: str) -> None:
    if key:
        with contextlib.suppress(Exception):
            # Only our own slot: after a lease ran out another request may hold this key.
            if cache.get(key) == token:
                cache.delete(key)


@contextlib.contextmanager
def shared_slot(namespace: str, owner: object, *, limit: int, wait: float, busy_message=BUSY_MESSAGE) -> Iterator[None]:
    """Hold one of `limit` slots of `owner` (a person's id, a client's address) in the shared cache for the
    block, across every web process; waits up to `wait` seconds for one, then raises HeavyWorkBusy."""
    token = uuid.uuid4().hex
    keys = slot_keys(namespace, owner, limit)
    deadline = time.monotonic() + wait
    while (key := _take_slot(keys, token)) is None:
        if time.monotonic() >= deadline:
            logger.info("%s refused: %s already has %d at once", namespace, owner, len(keys))
            raise HeavyWorkBusy(busy_message)
        time.sleep(_SLOT_POLL_SECONDS)
    try:
        yield
    finally:
        _give_back(key, token)


@contextlib.contextmanager
def heavy_work(*, owner_id: int | None, wait: float | None = None) -> Iterator[None]:
    """Hold one of the person's heavy-work slots for the block (at most HEAVY_WORK_PER_USER at once).

    Waits up to `wait` seconds (HEAVY_WORK_WAIT_SECONDS by default) for a free slot, then raises
    `HeavyWorkBusy`. Re-entrant within a thread: work nested in a block already holding a slot takes no
    second one. `owner_id` None (the site's own work, e.g. an admin's template) is not limited here.
    """
    depth = getattr(_held, "depth", {})
    _held.depth = depth
    if owner_id is None or depth.get(owner_id):
        depth[owner_id] = depth.get(owner_id, 0) + 1
        try:
            yield
        finally:
            depth[owner_id] -= 1
        return
    with shared_slot(
        "heavy-work",
        owner_id,
        limit=settings.HEAVY_WORK_PER_USER,
        wait=settings.HEAVY_WORK_WAIT_SECONDS if wait is None else wait,
    ):
        depth[owner_id] = 1
        try:
            yield
        finally:
            depth[owner_id] = 0
            release_memory()


class _DecodeBudget:
    """The bytes of decoded pictures this process holds at once, waited for under a condition."""

    def __init__(self) -> None:
        self.condition = threading.Condition()
        self.in_use = 0
        self.peak = 0

    def acquire(self, nbytes: int, *, capacity: int, wait: float) -> int:
        # A picture larger than the whole budget still runs, alone.
        nbytes = min(nbytes, capacity)
        deadline = time.monotonic() + wait
        with self.condition:
            while self.in_use + nbytes > capacity:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise HeavyWorkBusy(SERVER_BUSY_MESSAGE)
                self.condition.wait(remaining)
            self.in_use += nbytes
            self.peak = max(self.peak, self.in_use)
        return nbytes

    def release(self, nbytes: int) -> None:
        with self.condition:
            self.in_use -= nbytes
            self.condition.notify_all()


_budget = _DecodeBudget()


def decode_budget_peak(*, reset: bool = False) -> int:
    """The most decoded bytes this process has held at once (for tests and benchmarks)."""
    with _budget.condition:
        peak = _budget.peak
        if reset:
            _budget.peak = _budget.in_use
    return peak


@contextlib.contextmanager
def decode_budget(*, pixels: int, wait: float | None = None) -> Iterator[None]:
    """Hold room for a decoded picture of `pixels` pixels in this process's budget for the block."""
    capacity = settings.DECODE_MEMORY_BUDGET_BYTES
    if capacity <= 0:
        yield
        return
    taken = _budget.acquire(
        pixels * BYTES_PER_PIXEL,
        capacity=capacity,
        wait=settings.HEAVY_WORK_WAIT_SECONDS if wait is None else wait,
    )
    try:
        yield
    finally:
        _budget.release(taken)


def _libc_malloc_trim():
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        trim = None
    return trim


_malloc_trim = _libc_malloc_trim()


def release_memory() -> None:
    """Give the memory freed by large pictures back to the system (glibc keeps it otherwise)."""
    if _malloc_trim is not None:
        _malloc_trim(0)


# Threads for heavy work, made as needed up to this many per process (each runs one request's work while
# the request's own thread waits, so there are never more busy than the web process has threads).
LOW_PRIORITY_THREADS = 32
T = TypeVar("T")


class _LowPriorityThreads:
    """The process's heavy-work threads, started on first use (after gunicorn forks its workers)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._nice = 0

    def executor(self, nice: int) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None or self._nice != nice:
                if self._executor is not None:
                    self._executor.shutdown(wait=False)
                self._nice = nice
                self._executor = ThreadPoolExecutor(
                    max_workers=LOW_PRIORITY_THREADS,
                    thread_name_prefix="heavy-work",
                    initializer=_lower_priority,
                    initargs=(nice,),
                )
            return self._executor

    def forget(self) -> None:
        # In a forked child the parent's threads do not exist: start new ones on first use.
        self._lock = threading.Lock()
        self._executor = None


_low_priority = _LowPriorityThreads()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_low_priority.forget)


# Set in the heavy-work threads: work they start that would go to one runs where it is (see at_low_priority).
_in_heavy_thread = threading.local()


def _lower_priority(nice: int) -> None:
    """Lower this thread's scheduling priority by `nice` (Linux: per thread; elsewhere the call may fail)."""
    _in_heavy_thread.active = True
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(19, os.getpriority(os.PRIO_PROCESS, 0) + nice))
    except (OSError, AttributeError):
        logger.warning("heavy work runs at the pages' priority: this system refused a lower one", exc_info=True)


def _borrowed(
    fn: Callable[..., T], args: tuple, kwargs: dict, lent: dict, language: str | None, prefix: str, urlconf
) -> T:
    """In a heavy-work thread: `fn(*args, **kwargs)` with the waiting request thread's database connections (so its
    transactions and test databases are the same), language, script prefix and URLconf."""
    for alias, connection in lent.items():
        connections[alias] = connection
    if language:
        translation.activate(language)
    set_script_prefix(prefix)
    set_urlconf(urlconf)
    try:
        return fn(*args, **kwargs)
    finally:
        set_urlconf(None)
        translation.deactivate()
        for alias in lent:
            del connections[alias]


def at_low_priority(fn: Callable[..., T], *args, **kwargs) -> T:
    """`fn(*args, **kwargs)` run in one of this process's heavy-work threads, at HEAVY_WORK_NICE below the pages'
    priority, while the calling thread waits; its result, or its exception raised here. The work sees what
    the caller's thread would: its database connections (lent for the call: the caller is blocked, so
    never two threads on one connection), language, URL prefix and context variables (request id, client
    address for the logs). HEAVY_WORK_NICE 0: run in the calling thread as it is; so is work asked for from a
    heavy-work thread (an upload's photo check: below the pages' priority already, and a thread waiting for
    another of the same threads could wait for ever once all are taken)."""
    nice = settings.HEAVY_WORK_NICE
    if nice <= 0 or getattr(_in_heavy_thread, "active", False):
        return fn(*args, **kwargs)
    lent = {alias: connections[alias] for alias in connections}
    for connection in lent.values():
        connection.inc_thread_sharing()
    try:
        caller = (lent, translation.get_language(), get_script_prefix(), get_urlconf())
        context = contextvars.copy_context()
        future = _low_priority.executor(nice).submit(context.run, _borrowed, fn, args, kwargs, *caller)
        return future.result()
    finally:
        for connection in lent.values():
            connection.dec_thread_sharing()
