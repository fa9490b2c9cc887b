"""`/healthz` for load balancers and orchestrators: can this process serve, and is anyone making swaps?

It checks the database, Redis, the picture storage and that at least one swap worker is registered in
RQ's worker registry, and answers 200 with a small JSON body, or 503 naming what failed. It needs no login,
touches no session and is never cached. It imports none of the site's apps (their layout may change).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

SWAP_QUEUE = "swaps"
# Short timeouts: a health check that hangs is worse than one that says "failed".
REDIS_TIMEOUT_SECONDS = 2.0
# A key that is never written: asking the storage about it proves it answers (and costs one HEAD on S3).
PROBE_KEY = "healthz/probe"


def _redis():
    import redis

    return redis.Redis.from_url(
        settings.RQ_QUEUES[SWAP_QUEUE]["URL"],
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
    )


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def check_redis() -> str:
    client = _redis()
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def check_storage() -> str:
    default_storage.exists(PROBE_KEY)
    return "ok"


def check_swap_workers() -> str:
    from rq import Queue, Worker

    client = _redis()
    try:
        keys = Worker.all_keys(queue=Queue(SWAP_QUEUE, connection=client))
        # The registry keeps a worker killed without warning until someone cleans it; its own key
        # expires with its heartbeat, so only workers whose key still exists count.
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.exists(key)
        count = sum(pipe.execute()) if keys else 0
    finally:
        client.close()
    if not count:
        raise RuntimeError(f"no worker is listening on the {SWAP_QUEUE!r} queue")
    return f"{count} running"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "redis": check_redis,
    "storage": check_storage,
    "swap_workers": check_swap_workers,
}


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    started = time.perf_counter()
    results: dict[str, str] = {}
    failed: list[str] = []
    for name, check in CHECKS.items():
        if name == "swap_workers" and "redis" in failed:
            results[name] = "unknown: Redis is down"
            failed.append(name)
            continue
        try:
            results[name] = check()
        except Exception as exc:
            results[name] = f"failed: {type(exc).__name__}: {exc}"[:300]
            failed.append(name)
    body = {
        "status": "ok" if not failed else "failing",
        "failed": failed,
        "checks": results,
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }
    response = JsonResponse(body, status=503 if failed else 200)
    # A failing check is reported in the body; it is not an error of this request for the logs (and
    # Sentry), which would otherwise get one every few seconds from the load balancer while it lasts.
    response._has_been_logged = True
    return response
