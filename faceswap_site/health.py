"""`/healthz` for load balancers and orchestrators: can this process serve, and is anyone making swaps?

It checks the database, Redis, that the picture storage takes a write, that at least one swap worker is
alive (registered in RQ's worker registry, and on this machine its process still running), and that no swap
or crawl has been processing past its job timeout (stuck: its worker cannot be finishing it), and answers
200 with a small JSON body, or 503 naming what failed. What failed is named for anyone; why (an exception's
text, which can show addresses and ports) only goes to the log. It needs no login, touches no session, is
never cached, and answers plain HTTP even under SECURE_SSL_REDIRECT (a load balancer probes the process
directly). It imports none of the site's apps (their layout may change): tables are found by app label.
"""

from __future__ import annotations

import logging
import socket
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

SWAP_QUEUE = "swaps"
# Short timeouts: a health check that hangs is worse than one that says "failed".
REDIS_TIMEOUT_SECONDS = 2.0
# Where the storage probe writes (and removes) a tiny object: a storage that answers but cannot write
# (full disk, read-only bucket, lost credentials for PUT) is not healthy.
PROBE_PREFIX = "healthz/"
# A task is stuck when it has been processing this long past its job's timeout.
STUCK_GRACE_SECONDS = 60

logger = logging.getLogger(__name__)


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
    key = f"{PROBE_PREFIX}{uuid.uuid4().hex}"
    options = _s3_probe_options()
    if options is not None:
        _s3_request("PUT", key, b"ok", options)
        _s3_request("DELETE", key, b"", options)
        return "ok"
    key = default_storage.save(key, ContentFile(b"ok"))
    default_storage.delete(key)
    return "ok"


# The S3 probe speaks to the bucket itself (two signed requests over http.client) instead of through
# django-storages: boto3 and botocore are 30-60 MB in each web worker that loads them, and the load
# balancer's probe would load them into every worker within seconds of its start (docs/deploy.md).
S3_STORAGE_BACKEND = "gallery.s3.MediaStorage"
S3_PROBE_TIMEOUT_SECONDS = 5.0


def _s3_probe_options() -> dict | None:
    """The bucket's address and keys when pictures are in S3 with keys given in the settings (else None:
    the storage's own way, e.g. local files, or S3 with credentials boto3 finds for itself)."""
    storage = settings.STORAGES["default"]
    options = storage.get("OPTIONS", {})
    if storage["BACKEND"] != S3_STORAGE_BACKEND or not (options.get("access_key") and options.get("secret_key")):
        return None
    region = options.get("region_name") or "us-east-1"
    endpoint = options.get("endpoint_url") or f"https://s3.{region}.amazonaws.com"
    return {**options, "region_name": region, "endpoint_url": endpoint}


def _s3_request(method: str, key: str, body: bytes, options: dict) -> None:
    """One request to the bucket signed with AWS Signature Version 4; raises unless S3 answers 2xx."""
    import hashlib
    import hmac
    import http.client
    from urllib.parse import quote, urlsplit

    endpoint = urlsplit(options["endpoint_url"])
    bucket, region = options["bucket_name"], options["region_name"]
    if options.get("addressing_style") == "virtual":
        host, path = f"{bucket}.{endpoint.netloc}", f"/{key}"
    else:
        host, path = endpoint.netloc, f"/{bucket}/{key}"
    path = quote(f"{endpoint.path.rstrip('/')}{path}", safe="/-_.~")
    now = timezone.now()
    stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    payload = hashlib.sha256(body).hexdigest()
    headers = {"host": host, "x-amz-content-sha256": payload, "x-amz-date": stamp}
    signed = ";".join(headers)
    canonical = "\n".join(
        [method, path, "", *(f"{name}:{value}" for name, value in headers.items()), "", signed, payload]
    )
    scope = f"{day}/{region}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    signing_key = f"AWS4{options['secret_key']}".encode()
    for part in (day, region, "s3", "aws4_request"):
        signing_key = hmac.new(signing_key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(signing_key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={options['access_key']}/{scope}, SignedHeaders={signed}, Signature={signature}"
    )
    connection_class = http.client.HTTPSConnection if endpoint.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(host, timeout=S3_PROBE_TIMEOUT_SECONDS)
    try:
        connection.request(method, path, body=body, headers={**headers, "content-length": str(len(body))})
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        raise OSError(f"S3 answered {method} with {response.status}")


def _pid_running(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def check_swap_workers() -> str:
    from rq import Queue, Worker

    client = _redis()
    try:
        keys = sorted(Worker.all_keys(queue=Queue(SWAP_QUEUE, connection=client)))
        # The registry keeps a worker killed without warning until someone cleans it; its own key
        # expires with its heartbeat (minutes later), so only workers whose key still exists count, and
        # one on this machine only while its process runs.
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.hmget(key, "hostname", "pid")
        here = socket.gethostname()
        count = 0
        for hostname, pid in pipe.execute() if keys else []:
            if hostname is None and pid is None:
                continue  # expired
            if hostname is not None and hostname.decode() == here and pid and not _pid_running(int(pid)):
                continue
            count += 1
    finally:
        client.close()
    if not count:
        raise RuntimeError(f"no worker is listening on the {SWAP_QUEUE!r} queue")
    return f"{count} running"


# (app label, model, timeout setting, what people call one) of the rows a worker runs.
WORKED_ROWS = (
    ("swaps", "FaceSwapTask", "SWAP_JOB_TIMEOUT", "swap"),
    ("couple_templates", "CrawlTask", "CRAWL_JOB_TIMEOUT", "crawl"),
)


def check_stuck_tasks() -> str:
    stuck = []
    for label, name, timeout_setting, what in WORKED_ROWS:
        try:
            model = apps.get_model(label, name)
        except LookupError:
            continue
        cutoff = timezone.now() - timedelta(seconds=getattr(settings, timeout_setting) + STUCK_GRACE_SECONDS)
        count = model.objects.filter(status="processing", started_at__lt=cutoff).count()
        if count:
            stuck.append(f"{count} {what}{'s' if count != 1 else ''}")
    if stuck:
        raise RuntimeError(f"processing past the job timeout: {', '.join(stuck)}")
    return "none"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "redis": check_redis,
    "storage": check_storage,
    "swap_workers": check_swap_workers,
    "stuck_tasks": check_stuck_tasks,
}
# What a failed check says publicly when it is our own finding (no internals in it).
PLAIN_FAILURES = ("swap_workers", "stuck_tasks")


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
        if name == "stuck_tasks" and "database" in failed:
            results[name] = "unknown: the database is down"
            failed.append(name)
            continue
        try:
            results[name] = check()
        except Exception as exc:
            # The reason goes to the log; the answer names the kind of failure only (no host, port or path).
            logger.warning("healthz: %s failed: %s: %s", name, type(exc).__name__, exc)
            results[name] = f"failed: {exc}"[:300] if name in PLAIN_FAILURES else f"failed: {type(exc).__name__}"
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
